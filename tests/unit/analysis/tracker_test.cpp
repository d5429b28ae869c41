// Tracker (tracker.hpp) fed synthetic events as a transport adapter sends them: frame records
// with their carrier facts, roles (the opening, then the PDUs, then the ports), the
// conversation's summary, the selection (--interface keeps whole conversations, --opnum single
// calls, --all), the hold-back of records while the carrier holds bytes out of order, facts
// after the last frame, and the records of ended calls. The endpoint mapper and the auth
// verifiers are in tracker_epm_test.cpp.
#include "rpctrace/analysis/tracker.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/analysis/analysis_harness.hpp"

namespace rpctrace::analysistest {
namespace {

using analysis::control::ack;
using analysis::control::fin;
using analysis::control::syn;
using dcerpc::CallOutcome;
using dcerpc::PacketType;
using Log = std::vector<std::string>;

const common::Endpoint kClient = ep("10.0.0.1", 49152);
const common::Endpoint kServer = ep("10.0.0.2", 135);

// --- Frame records ---

TEST(TrackerFrames, RecordCarriesTheFramesFactsAndTheConversations) {
  TrackerHarness h;
  auto c = h.open(3, kClient, kServer, 10, 0);
  h.begin(*c, 10, 0, 0, syn, 0);
  h.end(*c, opening_seen());
  h.begin(*c, 11, 1500, 1, syn | ack, 0);
  analysis::ReportedNote retransmitted{analysis::NoteKind::syn_retransmission, "again", {}};
  analysis::FrameEnd e = opening_seen();
  e.note = retransmitted;
  h.end(*c, e);
  ASSERT_EQ(h.sink.frames.size(), 2u);
  const auto& f = h.sink.frames[1];
  EXPECT_EQ(f.conversation, 3u);
  EXPECT_EQ(f.protseq, analysis::Protseq::ncacn_ip_tcp);
  EXPECT_EQ(f.frame, 11u);
  EXPECT_EQ(f.ts, at_us(1500));
  EXPECT_EQ(f.dir, 1);
  EXPECT_EQ(f.src, kServer);
  EXPECT_EQ(f.dst, kClient);
  EXPECT_EQ(f.delta_us, 1500);
  EXPECT_EQ(f.segment.flags, syn | ack);
  EXPECT_EQ(f.segment.seq, 1011u);
  EXPECT_EQ(f.segment.window, 8192);
  EXPECT_EQ(f.segment.note, analysis::NoteKind::syn_retransmission);
  EXPECT_EQ(note_kinds(f), std::vector{analysis::NoteKind::syn_retransmission});
  EXPECT_TRUE(f.shown);  // port 135
  EXPECT_EQ(f.client, kClient);
  EXPECT_EQ(f.server, kServer);
  EXPECT_TRUE(f.roles_from_syn);
  EXPECT_EQ(f.group, 3u);
  EXPECT_FALSE(f.epm_link != nullptr);
  // The first frame of a conversation has no previous one.
  EXPECT_EQ(h.sink.frames[0].delta_us, 0);
  EXPECT_EQ(h.sink.frames[0].src, kClient);
  EXPECT_FALSE(h.sink.frames[0].segment.note.has_value());
}

TEST(TrackerFrames, DeltaIsSinceThePreviousFrameOfTheSameConversation) {
  TrackerHarness h;
  auto a = h.open(1, kClient, kServer, 1, 0);
  auto b = h.open(2, ep("10.0.0.3", 50000), kServer, 2, 500);
  h.frame(*a, 1, 0, 0, {});
  h.frame(*b, 2, 500, 0, {});
  h.frame(*a, 3, 1200, 1, {});
  h.frame(*b, 4, 2000, 1, {});
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 2/2", "frame 1/3", "frame 2/4"}));
  EXPECT_EQ(h.sink.record(1, 3).delta_us, 1200);
  EXPECT_EQ(h.sink.record(2, 4).delta_us, 1500);
}

TEST(TrackerFrames, PdusCompletedInAFrameAreInItsRecordInOrder) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface}), request_pdu(2, 4)});
  const auto& f = h.sink.frames.at(0);
  EXPECT_EQ(ptypes(f), (std::vector{PacketType::bind, PacketType::request}));
  EXPECT_EQ(f.pdus[1].event.at.frame, 1u);
  EXPECT_EQ(f.pdus[1].event.interface, epm_syntax());
  EXPECT_EQ(f.segment.payload_length, 72u + 32u);
}

// --- Roles: the opening, else the PDUs, else the ports ---

TEST(TrackerRoles, TheOpeningDecidesWhateverThePdusSay) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.handshake(*c, 1, 0);
  // The side that opened sends a response: the opening still names it the client.
  h.frame(*c, 4, 3000, 0, {response_pdu(9)}, opening_seen());
  h.frame(*c, 5, 4000, 1, {request_pdu(10, 1)}, opening_seen());
  h.close(std::move(c));
  const auto& v = h.sink.conversation(1);
  EXPECT_TRUE(v.roles_from_syn);
  EXPECT_EQ(v.client, kClient);
  EXPECT_EQ(v.server, kServer);
  for (const auto& f : h.sink.frames) {
    EXPECT_TRUE(f.roles_from_syn) << f.frame;
    EXPECT_EQ(f.client, kClient) << f.frame;
  }
}

TEST(TrackerRoles, WithoutTheOpeningTheFirstPduThatNamesASideDecides) {
  TrackerHarness h;
  // endpoint[0] sent the first frame, but it is the server: it sends a response. The ports
  // (both dynamic) would have named endpoint[0] the client.
  const common::Endpoint first = ep("10.0.0.2", 50000), second = ep("10.0.0.1", 50001);
  auto c = h.open(1, first, second, 1, 0);
  h.frame(*c, 1, 0, 0, {ts::PduBuilder(ts::Ptype::shutdown).build()});  // either side may
  h.frame(*c, 2, 1000, 0, {response_pdu(4)});
  h.frame(*c, 3, 2000, 0, {request_pdu(5, 1)});  // later PDUs do not overrule the first
  h.close(std::move(c));
  const auto& v = h.sink.conversation(1);
  EXPECT_FALSE(v.roles_from_syn);
  EXPECT_EQ(v.client, second);
  EXPECT_EQ(v.server, first);
  // Each record has the roles as known at its frame.
  EXPECT_EQ(h.sink.record(1, 1).client, first);
  EXPECT_EQ(h.sink.record(1, 2).client, second);
  EXPECT_EQ(h.sink.record(1, 3).client, second);
  EXPECT_FALSE(h.sink.record(1, 3).roles_from_syn);
}

TEST(TrackerRoles, TheClientSideOfARequestOrBind) {
  for (const auto& pdu : {bind_pdu(1, {ts::kEpmInterface}), request_pdu(1, 0)}) {
    TrackerHarness h;
    const common::Endpoint first = ep("10.0.0.2", 50000), second = ep("10.0.0.1", 50001);
    auto c = h.open(1, first, second, 1, 0);
    // endpoint[1] sends it: endpoint[1] is the client (the ports would say endpoint[0]).
    h.frame(*c, 1, 0, 1, {pdu});
    h.close(std::move(c));
    EXPECT_EQ(h.sink.conversation(1).client, second);
  }
  TrackerHarness h;
  const common::Endpoint first = ep("10.0.0.1", 135), second = ep("10.0.0.2", 50001);
  auto c = h.open(1, first, second, 1, 0);
  h.frame(*c, 1, 0, 0, {request_pdu(1, 0)});  // against the port's word
  h.close(std::move(c));
  EXPECT_EQ(h.sink.conversation(1).client, first);
}

TEST(TrackerRoles, ThePortsAsALastResort) {
  struct Case {
    std::uint16_t port0, port1;
    int client;
  };
  const Case cases[] = {
      {135, 50000, 1}, {593, 50000, 1},   {135, 593, 1}, {445, 50000, 1},
      {50000, 135, 0}, {50000, 50001, 0}, {445, 139, 0}, {1023, 1024, 1},
  };
  for (const auto& k : cases) {
    TrackerHarness h;
    const common::Endpoint e0 = ep("10.0.0.1", k.port0), e1 = ep("10.0.0.2", k.port1);
    auto c = h.open(1, e0, e1, 1, 0);
    h.frame(*c, 1, 0, 0, {});
    h.close(std::move(c));
    const auto& v = h.sink.conversation(1);
    EXPECT_EQ(v.client, k.client == 0 ? e0 : e1) << k.port0 << " " << k.port1;
    EXPECT_EQ(v.server, k.client == 0 ? e1 : e0) << k.port0 << " " << k.port1;
    EXPECT_FALSE(v.roles_from_syn);
  }
}

// --- The conversation's summary ---

TEST(TrackerConversation, CountsPdusCallsFaultsAndInterfaces) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.handshake(*c, 1, 0);
  const auto in = opening_seen();
  h.frame(*c, 4, 3000, 0, {bind_pdu(1, {ts::kEpmInterface, kSamrTs})}, in);
  h.frame(*c, 5, 4000, 1, {bind_ack_pdu(1, 2)}, in);
  h.frame(*c, 6, 5000, 0, {request_pdu(2, 2)}, in);
  h.frame(*c, 7, 6000, 1, {response_pdu(2)}, in);
  h.frame(*c, 8, 7000, 0, {request_pdu(3, 5, unittest::pattern(8), 1)}, in);
  h.frame(*c, 9, 8000, 1, {fault_pdu(3, 0x1c010002, 1)}, in);
  // A request in three fragments is one call.
  auto pieces = ts::fragment(ts::PduBuilder(ts::Ptype::request).call_id(4).opnum(7).p_cont_id(1),
                             unittest::pattern(30), 3);
  h.frame(*c, 10, 9000, 0, {pieces[0].build(), pieces[1].build(), pieces[2].build()}, in);
  h.frame(*c, 11, 10000, 1, {response_pdu(4, unittest::pattern(8), 1)}, in);
  h.frame(*c, 12, 11000, 0, {}, in, fin | ack);
  h.close(std::move(c), analysis::EndReason::closed, {{500, 300}});
  const auto& v = h.sink.conversation(1);
  EXPECT_TRUE(v.dcerpc);
  EXPECT_EQ(v.pdus, 10u);
  EXPECT_EQ(v.calls, 3u);
  EXPECT_EQ(v.faults, 1u);
  EXPECT_EQ(v.notes, 0u);
  ASSERT_EQ(v.interfaces.size(), 2u);  // in the bind's order, with the calls made on each
  EXPECT_EQ(v.interfaces[0].interface, epm_syntax());
  EXPECT_EQ(v.interfaces[0].calls, 1u);
  EXPECT_EQ(v.interfaces[1].interface, samr_syntax());
  EXPECT_EQ(v.interfaces[1].calls, 2u);
  EXPECT_EQ(v.first_frame, 1u);
  EXPECT_EQ(v.last_frame, 12u);
  EXPECT_EQ(v.frames, 12u);
  EXPECT_EQ(v.start, at_us(0));
  EXPECT_EQ(v.end, at_us(11000));
  EXPECT_EQ(v.bytes_to_server, 500u);
  EXPECT_EQ(v.bytes_to_client, 300u);
  EXPECT_EQ(v.end_reason, analysis::EndReason::closed);
  EXPECT_EQ(h.tracker.counters().conversations, 1u);
  EXPECT_EQ(h.tracker.counters().conversations_dcerpc, 1u);
  EXPECT_EQ(h.tracker.counters().conversations_shown, 1u);
}

TEST(TrackerConversation, SynSeenWellKnownPortAndEndReason) {
  struct Case {
    std::uint16_t server_port;
    bool syn;
    analysis::EndReason reason;
    bool well_known;
    bool server_first;  // the server is endpoint[0] (sent the first frame)
  };
  const Case cases[] = {
      {135, true, analysis::EndReason::closed, true, false},
      {593, false, analysis::EndReason::capture_end, true, false},
      {135, false, analysis::EndReason::closed, true, true},
      {593, false, analysis::EndReason::capture_end, true, true},
      {4764, true, analysis::EndReason::port_reused, false, false},
      {4764, false, analysis::EndReason::evicted_idle, false, false},
      {49700, false, analysis::EndReason::evicted_limit, false, false},
  };
  for (const auto& k : cases) {
    TrackerHarness h;
    const common::Endpoint server = ep("10.0.0.2", k.server_port);
    auto c = k.server_first ? h.open(1, server, kClient, 1, 0) : h.open(1, kClient, server, 1, 0);
    h.frame(*c, 1, 0, 0, {}, k.syn ? opening_seen() : analysis::FrameEnd{}, k.syn ? syn : kData);
    h.frame(*c, 2, 100, 1, {});
    h.close(std::move(c), k.reason);
    const auto& v = h.sink.conversation(1);
    const std::string at = fmt::format("{} {}", k.server_port, k.server_first);
    EXPECT_EQ(v.syn_seen, k.syn) << at;
    EXPECT_EQ(v.roles_from_syn, k.syn) << at;
    EXPECT_EQ(v.well_known_port, k.well_known) << at;
    EXPECT_EQ(v.end_reason, k.reason) << at;
    EXPECT_EQ(v.server, server) << at;
    EXPECT_FALSE(v.dcerpc) << at;
  }
}

// Direction 0 is from endpoint[0]; when the PDUs prove endpoint[0] the server, the bytes it
// sent went to the client.
TEST(TrackerConversation, ByteTotalsFollowTheRoles) {
  TrackerHarness h;
  const common::Endpoint first = ep("10.0.0.2", 135), second = ep("10.0.0.1", 50001);
  auto c = h.open(1, first, second, 1, 0);
  h.frame(*c, 1, 0, 0, {response_pdu(1)});  // endpoint[0] answers: it is the server
  h.frame(*c, 2, 100, 1, {request_pdu(2, 0)});
  h.close(std::move(c), analysis::EndReason::closed, {{304, 156}});
  const auto& v = h.sink.conversation(1);
  ASSERT_EQ(v.server, first);
  EXPECT_EQ(v.bytes_to_server, 156u);
  EXPECT_EQ(v.bytes_to_client, 304u);
}

TEST(TrackerConversation, NotesOfTheTrackerAndFramerAreCountedNotTheCarriersFrameNote) {
  TrackerHarness h;
  auto c = h.open(1, kClient, ep("10.0.0.2", 4764), 1, 0);
  h.begin(*c, 1, 0, 0);
  h.tracker.note(*c, analysis::ReportedNote{analysis::NoteKind::gap, "10 bytes missing", {}});
  dcerpc::Note picked;
  picked.kind = dcerpc::NoteKind::picked_up;
  picked.detail = "first PDU header found after 3 bytes";
  h.tracker.note(*c, picked);
  analysis::FrameEnd e;
  e.note = analysis::ReportedNote{analysis::NoteKind::retransmission, "again", {}};
  h.end(*c, e);
  h.close(std::move(c));
  const auto& f = h.sink.frames.at(0);
  EXPECT_EQ(note_kinds(f), (std::vector{analysis::NoteKind::gap, analysis::NoteKind::picked_up,
                                        analysis::NoteKind::retransmission}));
  EXPECT_EQ(f.notes[1].detail, "first PDU header found after 3 bytes");
  // As the goldens show (reassembly_mix: conversation 1's retransmission, out_of_order and
  // overlap_conflict lines, no anomalies in its footer), the carrier's note on a frame is on
  // the record but not in the conversation's count.
  EXPECT_EQ(h.sink.conversation(1).notes, 2u);
  EXPECT_FALSE(h.sink.conversation(1).dcerpc);  // a note is not DCE/RPC...
}

TEST(TrackerConversation, AMalformedPduIsANoteAndMakesTheConversationDceRpc) {
  TrackerHarness h;
  auto c = h.open(1, kClient, ep("10.0.0.2", 4764), 1, 0);
  // n_context_elem says 3, one context follows: the body does not parse.
  const ts::Bytes bad = ts::PduBuilder(ts::Ptype::bind)
                            .call_id(7)
                            .context({0, ts::kEpmInterface, {ts::kNdrSyntax}})
                            .n_context_elem(3)
                            .build();
  h.frame(*c, 1, 0, 0, {bad});
  h.close(std::move(c));
  const auto& f = h.sink.frames.at(0);
  ASSERT_EQ(note_kinds(f), std::vector{analysis::NoteKind::malformed_pdu});
  EXPECT_TRUE(f.pdus.empty());
  EXPECT_EQ(f.notes[0].detail.rfind("bind call_id 7 malformed (", 0), 0u) << f.notes[0].detail;
  EXPECT_NE(f.notes[0].detail.find(fmt::format("; {} bytes skipped", bad.size())),
            std::string::npos)
      << f.notes[0].detail;
  ASSERT_TRUE(f.notes[0].header.has_value());
  EXPECT_EQ(f.notes[0].header->call_id, 7u);
  EXPECT_TRUE(f.shown);
  const auto& v = h.sink.conversation(1);
  EXPECT_TRUE(v.dcerpc);
  EXPECT_TRUE(v.shown);
  EXPECT_EQ(v.pdus, 0u);
  EXPECT_EQ(v.notes, 1u);
}

// --- Selection ---

TEST(TrackerSelection, ShownWhenDceRpcOnTheMappersPortsOrAll) {
  for (bool all : {false, true}) {
    TrackerHarness h;
    h.options.selection.show_all = all;
    auto quiet = h.open(1, kClient, ep("10.0.0.2", 4764), 1, 0);  // no PDU, dynamic port
    auto mapper = h.open(2, ep("10.0.0.1", 49153), ep("10.0.0.2", 593), 2, 0);
    auto rpc = h.open(3, ep("10.0.0.1", 49154), ep("10.0.0.2", 4765), 3, 0);
    h.frame(*quiet, 1, 0, 0, {});
    h.frame(*mapper, 2, 0, 0, {});
    h.frame(*rpc, 3, 0, 0, {request_pdu(1, 0)});
    h.close(std::move(quiet));
    h.close(std::move(mapper));
    h.close(std::move(rpc));
    EXPECT_EQ(h.sink.record(1, 1).shown, all);
    EXPECT_EQ(h.sink.conversation(1).shown, all);
    EXPECT_TRUE(h.sink.conversation(2).shown);
    EXPECT_TRUE(h.sink.conversation(3).shown);
    EXPECT_EQ(h.tracker.counters().conversations, 3u);
    EXPECT_EQ(h.tracker.counters().conversations_dcerpc, 1u);
    EXPECT_EQ(h.tracker.counters().conversations_shown, all ? 3u : 2u);
  }
}

TEST(TrackerSelection, InterfaceKeepsWholeConversations) {
  for (std::string want : {"samr", "12345778-1234-ABCD-EF00-0123456789AC"}) {
    TrackerHarness h;
    h.options.selection.interfaces = {want};
    auto other = h.open(1, kClient, kServer, 1, 0);
    h.frame(*other, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface}), request_pdu(2, 2)});
    h.frame(*other, 2, 100, 1, {response_pdu(2)});
    h.close(std::move(other));
    auto samr = h.open(2, ep("10.0.0.1", 49153), kServer, 3, 1000);
    h.frame(*samr, 3, 1000, 0, {}, {}, syn);
    h.frame(*samr, 4, 2000, 0, {bind_pdu(1, {ts::kEpmInterface, kSamrTs})});
    h.frame(*samr, 5, 3000, 1, {bind_ack_pdu(1, 2)});
    h.frame(*samr, 6, 4000, 0, {request_pdu(2, 2)});  // an EPM call: kept with the rest
    h.frame(*samr, 7, 5000, 1, {response_pdu(2)});
    h.close(std::move(samr));
    EXPECT_FALSE(h.sink.conversation(1).shown) << want;
    EXPECT_FALSE(h.sink.record(1, 2).shown) << want;
    EXPECT_TRUE(h.sink.conversation(2).shown) << want;
    // Every record and call is still handed on; shown as far as known at each frame.
    EXPECT_EQ(h.sink.frame_numbers(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7}));
    EXPECT_FALSE(h.sink.record(2, 3).shown) << want;
    EXPECT_TRUE(h.sink.record(2, 4).shown) << want;
    EXPECT_EQ(ptypes(h.sink.record(2, 6)), std::vector{PacketType::request});
    ASSERT_EQ(h.sink.calls.size(), 2u);
    EXPECT_EQ(h.sink.calls[1].conversation, 2u);
    EXPECT_EQ(h.sink.calls[1].call.interface, epm_syntax());
    EXPECT_EQ(h.tracker.counters().conversations_shown, 1u);
  }
}

TEST(TrackerSelection, OpnumKeepsSingleCallsAndTheirPdus) {
  TrackerHarness h;
  h.options.selection.opnums = {{std::nullopt, 3}};
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.handshake(*c, 1, 0);
  const auto in = opening_seen();
  h.frame(*c, 4, 3000, 0, {bind_pdu(1, {ts::kEpmInterface})}, in);
  h.frame(*c, 5, 4000, 1, {bind_ack_pdu(1)}, in);
  h.frame(*c, 6, 5000, 0, {request_pdu(2, 2), request_pdu(3, 3)}, in);
  h.begin(*c, 7, 6000, 1);
  h.deliver(*c, 1, response_pdu(2), ref(7, 6000));
  h.tracker.note(*c, analysis::ReportedNote{analysis::NoteKind::gap, "a gap", {}});
  h.end(*c, in);
  analysis::FrameEnd retransmitted = in;  // the carrier's note on a frame that is kept
  retransmitted.note = analysis::ReportedNote{analysis::NoteKind::retransmission, "again", {}};
  h.frame(*c, 8, 7000, 1, {fault_pdu(3, 5)}, retransmitted);
  h.close(std::move(c));
  auto other = h.open(2, ep("10.0.0.1", 49153), kServer, 9, 8000);
  h.frame(*other, 9, 8000, 0, {bind_pdu(1, {ts::kEpmInterface}), request_pdu(2, 2)});
  h.frame(*other, 10, 9000, 1, {response_pdu(2)});
  h.close(std::move(other));
  // Only frames with a PDU of an opnum 3 call, only those PDUs, no notes.
  EXPECT_EQ(h.sink.log, (Log{"frame 1/6", "frame 1/8", "call 1/3", "end 1", "end 2"}));
  EXPECT_EQ(ptypes(h.sink.record(1, 6)), std::vector{PacketType::request});
  EXPECT_EQ(std::get<dcerpc::Request>(h.sink.record(1, 6).pdus[0].event.body).opnum, 3);
  EXPECT_EQ(ptypes(h.sink.record(1, 8)), std::vector{PacketType::fault});
  EXPECT_TRUE(h.sink.record(1, 8).notes.empty());
  EXPECT_EQ(h.sink.calls.at(0).call.outcome, CallOutcome::fault);
  EXPECT_TRUE(h.sink.conversation(1).shown);
  EXPECT_FALSE(h.sink.conversation(2).shown);
  // The summary still counts everything.
  EXPECT_EQ(h.sink.conversation(1).calls, 2u);
  EXPECT_EQ(h.sink.conversation(1).notes, 1u);
}

TEST(TrackerSelection, OpnumOnTheInterfaceGiven) {
  TrackerHarness h;
  h.options.selection.opnums = {{std::nullopt, 3}};
  h.options.selection.interfaces = {"SAMR"};
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface, kSamrTs})});
  h.frame(*c, 2, 100, 1, {bind_ack_pdu(1, 2)});
  h.frame(*c, 3, 200, 0, {request_pdu(2, 3, unittest::pattern(8), 0)});  // EPM opnum 3
  h.frame(*c, 4, 300, 1, {response_pdu(2, unittest::pattern(8), 0)});
  h.frame(*c, 5, 400, 0, {request_pdu(3, 3, unittest::pattern(8), 1)});  // SAMR opnum 3
  h.frame(*c, 6, 500, 1, {response_pdu(3, unittest::pattern(8), 1)});
  h.close(std::move(c));
  EXPECT_EQ(h.sink.log, (Log{"frame 1/5", "frame 1/6", "call 1/3", "end 1"}));
  EXPECT_EQ(h.sink.calls.at(0).call.interface, samr_syntax());
  EXPECT_TRUE(h.sink.conversation(1).shown);
}

TEST(TrackerSelection, OpnumNotShownWithoutItsRequest) {
  TrackerHarness h;
  h.options.selection.opnums = {{std::nullopt, 3}};
  h.options.selection.interfaces = {"SAMR"};
  auto c = h.open(1, kClient, kServer, 1, 0);
  // Opnum 3 on EPM, SAMR bound: the interface matches, the opnum only on another interface.
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface, kSamrTs}), request_pdu(2, 3)});
  h.close(std::move(c));
  EXPECT_FALSE(h.sink.conversation(1).shown);
  EXPECT_EQ(h.sink.log, (Log{"end 1"}));  // no frame record, no call record
}

// --- Hold-back while the carrier holds bytes out of order ---

TEST(TrackerHoldBack, RecordsWaitAndGoOutInFrameOrder) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  auto d = h.open(2, ep("10.0.0.3", 50000), kServer, 3, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface})});
  h.frame(*c, 2, 100, 0, {}, holding());
  h.frame(*d, 3, 150, 0, {});  // another conversation is not held
  h.frame(*c, 4, 200, 1, {bind_ack_pdu(1)}, holding());
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 2/3"}));
  h.frame(*c, 5, 300, 0, {});  // holding ends
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 2/3", "frame 1/2", "frame 1/4", "frame 1/5"}));
  EXPECT_EQ(ptypes(h.sink.record(1, 4)), std::vector{PacketType::bind_ack});
  h.close(std::move(c));
  h.close(std::move(d));
}

TEST(TrackerHoldBack, APduCompletedByAHeldFramesBytesJoinsThatFrame) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface})});
  h.frame(*c, 2, 100, 1, {bind_ack_pdu(1)});
  h.frame(*c, 3, 200, 0, {}, holding());  // its bytes wait behind a hole
  h.frame(*c, 4, 300, 1, {}, holding());
  h.frame(*c, 5, 400, 0, {}, holding());
  // Frame 6: the hole is given up; the held bytes come out with their own frames.
  h.begin(*c, 6, 500, 0);
  h.tracker.note(*c, analysis::ReportedNote{analysis::NoteKind::gap, "gap", {}});
  EXPECT_EQ(h.deliver(*c, 0, request_pdu(2, 1), ref(3, 200)).frame, 3u);
  EXPECT_EQ(h.deliver(*c, 1, response_pdu(2), ref(4, 300)).frame, 4u);
  EXPECT_EQ(h.deliver(*c, 0, request_pdu(3, 1), ref(6, 500)).frame, 6u);
  h.end(*c);
  // Frame order, and the call after the record of the frame that ended it.
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 1/2", "frame 1/3", "frame 1/4", "call 1/2",
                             "frame 1/5", "frame 1/6"}));
  const auto& f3 = h.sink.record(1, 3);
  ASSERT_EQ(ptypes(f3), std::vector{PacketType::request});
  EXPECT_EQ(f3.pdus[0].event.at.frame, 3u);
  EXPECT_EQ(f3.pdus[0].event.at.ts, at_us(200));
  EXPECT_TRUE(f3.notes.empty());
  EXPECT_EQ(ptypes(h.sink.record(1, 4)), std::vector{PacketType::response});
  EXPECT_EQ(h.sink.calls.at(0).call.request_first.frame, 3u);
  EXPECT_EQ(h.sink.calls.at(0).call.end.frame, 4u);
  EXPECT_TRUE(h.sink.record(1, 5).pdus.empty());
  const auto& f6 = h.sink.record(1, 6);
  EXPECT_EQ(ptypes(f6), std::vector{PacketType::request});
  EXPECT_EQ(note_kinds(f6), std::vector{analysis::NoteKind::gap});
  h.close(std::move(c));
}

TEST(TrackerHoldBack, BytesOfAFrameAlreadyWrittenJoinTheCurrentFrame) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.frame(*c, 1, 0, 0, {});
  h.frame(*c, 2, 100, 1, {}, holding());
  h.begin(*c, 3, 200, 0);
  const auto at = h.deliver(*c, 0, request_pdu(2, 1), ref(1, 0));
  h.end(*c);
  EXPECT_EQ(at.frame, 3u);
  EXPECT_EQ(at.ts, at_us(200));
  EXPECT_EQ(ptypes(h.sink.record(1, 3)), std::vector{PacketType::request});
  EXPECT_TRUE(h.sink.record(1, 2).pdus.empty());
  h.close(std::move(c));
}

TEST(TrackerHoldBack, HeldRecordsTakeTheShownStateWhenTheyGoOut) {
  TrackerHarness h;
  auto c = h.open(1, kClient, ep("10.0.0.2", 4764), 1, 0);  // shown only once a PDU comes
  h.frame(*c, 1, 0, 0, {}, holding());
  h.frame(*c, 2, 100, 0, {request_pdu(1, 0)});
  ASSERT_EQ(h.sink.frames.size(), 2u);
  EXPECT_TRUE(h.sink.frames[0].shown);
  EXPECT_TRUE(h.sink.frames[1].shown);
  h.close(std::move(c));
}

TEST(TrackerHoldBack, HeldRecordsGoOutWhenTheConversationCloses) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface})});
  h.frame(*c, 2, 100, 0, {}, holding());
  h.frame(*c, 3, 200, 1, {}, holding());
  // The carrier's flush at the end releases frame 2's bytes, outside any frame.
  const auto at = h.deliver(*c, 0, request_pdu(2, 1), ref(2, 100));
  EXPECT_EQ(at.frame, 2u);
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1"}));
  h.tracker.closing(*c);
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 1/2", "frame 1/3"}));
  h.tracker.close(std::move(c), analysis::EndReason::closed, {});
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 1/2", "frame 1/3", "call 1/2", "end 1"}));
  EXPECT_EQ(ptypes(h.sink.record(1, 2)), std::vector{PacketType::request});
  EXPECT_EQ(h.sink.calls.at(0).call.outcome, CallOutcome::unanswered);
}

TEST(TrackerHoldBack, AtMostMaxHeldRecordsWait) {
  constexpr std::uint64_t kBound = 4096;  // Tracker::kMaxHeldRecords
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  for (std::uint64_t n = 1; n <= kBound; ++n)
    h.frame(*c, n, static_cast<std::int64_t>(n), 0, {}, holding());
  EXPECT_TRUE(h.sink.frames.empty());
  h.frame(*c, kBound + 1, kBound + 1, 0, {}, holding());
  ASSERT_EQ(h.sink.frames.size(), kBound + 1);
  for (std::uint64_t n = 1; n <= kBound + 1; ++n) ASSERT_EQ(h.sink.frames[n - 1].frame, n);
  h.frame(*c, kBound + 2, kBound + 2, 0, {}, holding());  // the next ones wait again
  EXPECT_EQ(h.sink.frames.size(), kBound + 1);
  h.close(std::move(c));
  EXPECT_EQ(h.sink.frames.size(), kBound + 2);
}

// --- Facts after the last frame ---

TEST(TrackerTrailer, FactsAfterTheLastFrameGoToARecordOfIt) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.handshake(*c, 1, 0);
  h.frame(*c, 4, 3000, 0, {bind_pdu(1, {ts::kEpmInterface})}, opening_seen());
  h.frame(*c, 5, 4000, 1, {bind_ack_pdu(1)}, opening_seen());
  // What the framer still holds at the end: a request cut after 30 of its bytes.
  const dcerpc::FrameRef at = h.tracker.closing(*c);
  EXPECT_EQ(at.frame, 5u);
  EXPECT_EQ(at.ts, at_us(4000));
  h.tracker.note(*c, analysis::ReportedNote{analysis::NoteKind::gap, "lost at the end", {}});
  const ts::Bytes whole = request_pdu(7, 2, unittest::pattern(40));
  h.tracker.cut_pdu(*c, 0, common::Bytes(whole.data(), 30), at);
  h.tracker.close(std::move(c), analysis::EndReason::capture_end, {});
  EXPECT_EQ(h.sink.log.back(), "end 1");
  ASSERT_EQ(h.sink.frames.size(), 6u);
  const auto& t = h.sink.frames.back();
  EXPECT_EQ(t.frame, 5u);
  EXPECT_EQ(t.ts, at_us(4000));
  EXPECT_EQ(t.delta_us, -1);
  EXPECT_EQ(t.dir, 0);
  EXPECT_EQ(t.src, kClient);
  EXPECT_EQ(t.dst, kServer);
  EXPECT_EQ(t.client, kClient);
  EXPECT_TRUE(t.roles_from_syn);
  EXPECT_TRUE(t.shown);
  EXPECT_EQ(note_kinds(t), std::vector{analysis::NoteKind::gap});
  ASSERT_EQ(ptypes(t), std::vector{PacketType::request});
  EXPECT_TRUE(t.pdus[0].event.truncated);
  EXPECT_EQ(t.pdus[0].event.captured, 30u);
  // The cut call ends unanswered at the end, after the record.
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 1/2", "frame 1/3", "frame 1/4", "frame 1/5",
                             "frame 1/5", "call 1/7", "end 1"}));
  EXPECT_EQ(h.sink.calls.at(0).call.outcome, CallOutcome::unanswered);
  EXPECT_EQ(h.sink.conversation(1).notes, 1u);
  EXPECT_EQ(h.sink.conversation(1).pdus, 3u);
}

TEST(TrackerTrailer, NoRecordWithoutFactsButUnansweredCallsInCallIdOrder) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kServer, 1, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface})});
  h.frame(*c, 2, 100, 0, {request_pdu(9, 1), request_pdu(4, 2)});
  h.frame(*c, 3, 200, 1, {});
  h.close(std::move(c));
  EXPECT_EQ(h.sink.log,
            (Log{"frame 1/1", "frame 1/2", "frame 1/3", "call 1/4", "call 1/9", "end 1"}));
  for (const auto& call : h.sink.calls) {
    EXPECT_EQ(call.call.outcome, CallOutcome::unanswered);
    EXPECT_EQ(call.call.end.frame, 3u);  // the conversation's last frame
    EXPECT_EQ(call.client, kClient);
    EXPECT_EQ(call.server, kServer);
  }
}

// --- Call records ---

TEST(TrackerCalls, OneRecordPerEndedCallAfterItsFrameRecord) {
  TrackerHarness h;
  const common::Endpoint first = ep("10.0.0.2", 4764), second = ep("10.0.0.1", 50001);
  auto c = h.open(1, first, second, 1, 0);  // no opening: the PDUs name the roles
  h.frame(*c, 1, 0, 1, {bind_pdu(1, {kSamrTs})});
  h.frame(*c, 2, 100, 0, {bind_ack_pdu(1)});
  h.frame(*c, 3, 200, 1, {request_pdu(2, 5), request_pdu(3, 6)});
  h.frame(*c, 4, 1200, 0, {fault_pdu(3, 0x1c010003), response_pdu(2)});
  h.close(std::move(c));
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 1/2", "frame 1/3", "frame 1/4", "call 1/3",
                             "call 1/2", "end 1"}));
  const auto& fault = h.sink.calls.at(0);
  EXPECT_EQ(fault.conversation, 1u);
  EXPECT_EQ(fault.call.outcome, CallOutcome::fault);
  EXPECT_EQ(fault.call.fault_status, 0x1c010003u);
  EXPECT_EQ(fault.call.opnum, 6);
  EXPECT_EQ(fault.client, second);
  EXPECT_EQ(fault.server, first);
  const auto& answered = h.sink.calls.at(1);
  EXPECT_EQ(answered.call.outcome, CallOutcome::response);
  EXPECT_EQ(answered.call.interface, samr_syntax());
  EXPECT_EQ(answered.call.latency_us, 1000);
  EXPECT_EQ(answered.epm_request, nullptr);  // not the endpoint mapper
  EXPECT_EQ(answered.epm_response, nullptr);
}

}  // namespace
}  // namespace rpctrace::analysistest
