// app::run() end to end on builder-made captures: which conversations are shown (DCE/RPC, the
// endpoint mapper's ports 135/593, or an address:port an ept_map answer handed out, C706
// appendix O; docs/design.md "report"), statistics that add up (frames_read == tcp_segments +
// Σ skipped, docs/jsonl.md), client/server roles without a SYN, filters, damaged files.
#include "rpctrace/app/run.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "rpctrace/pcap/capture_reader.hpp"
#include "support/ntlmssp_builder.hpp"
#include "support/packet_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

using namespace harness;

std::string endpoint(const common::Endpoint& e) { return e.to_string(); }

// --- A whole EPM exchange on port 135. ---
TEST(Analyze, EpmLookupIsOneShownDceRpcConversation) {
  ts::Capture cap;
  epm_lookup(cap);
  Analysis r = analyze_capture(cap);
  EXPECT_FALSE(r.result.read_error);
  ASSERT_EQ(r.writer.conversations.size(), 1u);
  const Conversation& c = r.writer.conversations[0];
  EXPECT_EQ(c.id, 1u);
  EXPECT_EQ(endpoint(c.client), "10.1.1.1:3464");
  EXPECT_EQ(endpoint(c.server), "10.1.1.2:135");
  EXPECT_TRUE(c.roles_from_syn);
  EXPECT_TRUE(c.syn_seen);
  EXPECT_TRUE(c.dcerpc);
  EXPECT_TRUE(c.shown);
  EXPECT_EQ(c.pdus, 4u);
  EXPECT_EQ(c.calls, 1u);
  EXPECT_EQ(c.faults, 0u);
  EXPECT_EQ(c.first_frame, 1u);
  EXPECT_EQ(c.last_frame, 11u);
  EXPECT_EQ(c.frames, 11u);
  EXPECT_EQ(c.end_reason, analysis::EndReason::closed);
  EXPECT_EQ(c.start.sec, 852076800);
  EXPECT_EQ(c.end.micros() - c.start.micros(), 10 * 1000);  // 1 ms per frame
  EXPECT_GT(c.bytes_to_server, 0u);
  EXPECT_GT(c.bytes_to_client, 0u);
  // Every frame is handed over once, in capture order, with its conversation.
  std::vector<std::uint64_t> numbers;
  for (const auto& f : r.writer.frames)
    if (f.delta_us >= 0) numbers.push_back(f.frame);
  std::vector<std::uint64_t> expected(11);
  std::iota(expected.begin(), expected.end(), 1u);
  EXPECT_EQ(numbers, expected);
  // The ept_map answer is decoded at the frame that completed it.
  std::size_t pdus = 0, epm = 0;
  for (const auto& f : r.writer.frames)
    for (const auto& p : f.pdus) {
      ++pdus;
      if (p.epm && p.epm->error.empty()) ++epm;
    }
  EXPECT_EQ(pdus, 4u);
  EXPECT_EQ(epm, 2u);
  EXPECT_EQ(r.writer.stats.epm_decoded, 2u);
  EXPECT_EQ(r.writer.finished, 1);
}

// --- Shown: DCE/RPC on any port, 135/593, or an endpoint an ept_map answer gave; else not
// (unless show_all_tcp). ---
struct Expect {
  std::uint64_t id;
  const char* server;
  bool dcerpc;
  bool shown;
};

void build_mixed(ts::Capture& cap) {
  epm_lookup(cap);                                    // 1: answers 10.1.1.2:4764
  http(cap, 3000);                                    // 2: not DCE/RPC, port 80
  syn_only(cap, "10.1.1.1", 3001, "10.1.1.2", 4764);  // 3: the announced endpoint
  syn_only(cap, "10.1.1.1", 3002, "10.1.1.2", 4765);  // 4: another port
  syn_only(cap, "10.1.1.1", 3003, "10.1.1.3", 4764);  // 5: another host
  syn_only(cap, "10.1.1.1", 3004, "10.1.1.2", 593);   // 6: ncacn_http's mapper port
  syn_only(cap, "10.1.1.1", 3005, "10.1.1.2", 135);   // 7: the mapper
  ts::TcpScript rpc(cap, config("10.1.1.1", 3006, "10.1.1.2", 6001));  // 8: DCE/RPC on 6001
  rpc.handshake();
  rpc.send(ts::Direction::to_server, ts::epm_bind(7).build());
  rpc.send(ts::Direction::to_client, ts::epm_bind_ack(7, 0x10, "6001").build());
}

void check_shown(const Analysis& r, const std::vector<Expect>& expected) {
  ASSERT_EQ(r.writer.conversations.size(), expected.size());
  std::uint64_t shown = 0;
  for (const auto& e : expected) {
    SCOPED_TRACE(e.id);
    const Conversation& c = r.writer.conversation(e.id);
    EXPECT_EQ(endpoint(c.server), e.server);
    EXPECT_EQ(c.dcerpc, e.dcerpc);
    EXPECT_EQ(c.shown, e.shown);
    shown += e.shown ? 1 : 0;
    for (const auto& f : r.writer.frames) {
      if (f.conversation == e.id && !e.shown) {
        EXPECT_FALSE(f.shown) << "frame " << f.frame;
      }
    }
  }
  EXPECT_EQ(r.writer.stats.conversations_shown, shown);
  EXPECT_EQ(r.writer.stats.conversations_tcp, expected.size());
  EXPECT_EQ(r.writer.stats.conversations_dcerpc, 2u);
}

TEST(Analyze, ShownWhenDceRpcOrMapperPortOrAnnouncedEndpoint) {
  ts::Capture cap;
  build_mixed(cap);
  check_shown(analyze_capture(cap), {{1, "10.1.1.2:135", true, true},
                                     {2, "10.1.1.2:80", false, false},
                                     {3, "10.1.1.2:4764", false, true},
                                     {4, "10.1.1.2:4765", false, false},
                                     {5, "10.1.1.3:4764", false, false},
                                     {6, "10.1.1.2:593", false, true},
                                     {7, "10.1.1.2:135", false, true},
                                     {8, "10.1.1.2:6001", true, true}});
}

TEST(Analyze, ShowAllTcpShowsEveryConversation) {
  ts::Capture cap;
  build_mixed(cap);
  RunOptions o;
  o.analysis.selection.show_all = true;
  check_shown(analyze_capture(cap, o), {{1, "10.1.1.2:135", true, true},
                                        {2, "10.1.1.2:80", false, true},
                                        {3, "10.1.1.2:4764", false, true},
                                        {4, "10.1.1.2:4765", false, true},
                                        {5, "10.1.1.3:4764", false, true},
                                        {6, "10.1.1.2:593", false, true},
                                        {7, "10.1.1.2:135", false, true},
                                        {8, "10.1.1.2:6001", true, true}});
}

// "An address and port an EPM answer handed out earlier in the capture": a refused attempt on
// that port that ended before the answer is not shown; the same attempt after it is.
TEST(Analyze, OnlyAnEarlierAnswerMakesAnEndpointShown) {
  ts::Capture cap;
  {
    ts::TcpScript refused(cap, config("10.1.1.1", 3001, "10.1.1.2", 4764));
    ts::TcpSegment s;
    s.seq = refused.config().client.isn;
    s.flags = ts::kTcpSyn;
    refused.raw(ts::Direction::to_server, s);
    refused.rst(ts::Direction::to_client);
  }
  cap.clock().advance(3'000'000);  // past the 2 s closed grace: conversation 1 ends
  epm_lookup(cap);                 // 2
  syn_only(cap, "10.1.1.1", 3002, "10.1.1.2", 4764);  // 3
  Analysis r = analyze_capture(cap);
  ASSERT_EQ(r.writer.conversations.size(), 3u);
  EXPECT_EQ(r.writer.conversations[0].id, 1u);
  EXPECT_EQ(r.writer.conversations[0].end_reason, analysis::EndReason::closed);
  EXPECT_FALSE(r.writer.conversation(1).shown);
  EXPECT_TRUE(r.writer.conversation(3).shown);
}

// --- Statistics add up: every frame read is a TCP segment or counted under one reason. ---
TEST(Analyze, StatisticsAddUp) {
  ts::Capture cap;
  epm_lookup(cap);  // 11 TCP frames on port 135
  http(cap, 3000);  // TCP frames on port 80: filtered out below
  const std::size_t http_frames = cap.frames().size() - 11;
  const auto c4 = ts::IpAddress::parse("10.1.1.1"), s4 = ts::IpAddress::parse("10.1.1.2");
  ts::UdpDatagram udp;
  udp.src_port = 1025;
  udp.dst_port = 135;
  udp.payload = ts::text_bytes("cl");
  cap.add(ts::build_udp_frame(ts::LinkType::ethernet, {}, c4, s4, udp));
  cap.add(ts::concat({ts::Bytes(12), ts::hex_bytes("0806"), ts::Bytes(46)}));  // ARP
  ts::IpOptions mf;
  mf.more_fragments = true;
  mf.dont_fragment = false;
  ts::TcpSegment seg;
  seg.src_port = 3100;
  seg.dst_port = 135;
  seg.payload = ts::text_bytes("fragment");
  cap.add(ts::build_tcp_frame(ts::LinkType::ethernet, {}, c4, s4, seg, mf));
  cap.add(ts::build_tcp_frame(ts::LinkType::ethernet, {}, c4, s4, seg), 40);  // cut in TCP
  cap.add(ts::build_tcp_frame(ts::LinkType::ethernet, {}, c4, s4, seg), 58);  // payload cut
  RunOptions o;
  o.analysis.selection.ports = {135};
  Analysis r = analyze_capture(cap, o);
  const Statistics& s = r.writer.stats;
  EXPECT_EQ(s.file, r.path);
  EXPECT_EQ(s.link_type, "EN10MB");
  EXPECT_EQ(s.frames_read, cap.frames().size());
  EXPECT_EQ(s.frames_read, s.tcp_segments + s.udp_datagrams + s.frames_skipped);
  // --port selects conversations: the other port's frames are analysed, not shown.
  EXPECT_EQ(s.tcp_segments, 12u + http_frames);
  auto skipped = [&](pcap::SkipReason why) { return s.counter(pcap::to_string(why)); };
  EXPECT_EQ(skipped(pcap::SkipReason::udp), 1u);
  EXPECT_EQ(skipped(pcap::SkipReason::non_ip), 1u);
  EXPECT_EQ(skipped(pcap::SkipReason::ip_fragment), 1u);
  EXPECT_EQ(skipped(pcap::SkipReason::truncated_tcp), 1u);
  EXPECT_EQ(s.frames_skipped, 4u);
  EXPECT_EQ(s.counter("tcp_payload_truncated"), 1u);
  std::uint64_t captured = 0;
  for (const auto& f : cap.frames())
    captured += std::min<std::size_t>(f.data.size(), f.snap_length.value_or(1u << 30));
  EXPECT_EQ(s.bytes_read, captured);
  EXPECT_EQ(s.conversations_tcp, 3u);  // the EPM lookup, port 3100 -> 135, and the HTTP one
  EXPECT_EQ(s.conversations_shown, 2u);
  EXPECT_EQ(s.capture_error, "");
}

// --- --host selects conversations: the others are analysed, never written. ---
TEST(Analyze, HostFilterKeepsOnlyThatHostsConversations) {
  ts::Capture cap;
  epm_lookup(cap);                                   // 10.1.1.1 <-> 10.1.1.2
  syn_only(cap, "10.1.1.5", 3001, "10.1.1.3", 135);  // 10.1.1.5 <-> 10.1.1.3
  RunOptions o;
  o.analysis.selection.hosts = {*common::IpAddress::parse("10.1.1.3")};
  Analysis r = analyze_capture(cap, o);
  std::vector<Conversation> shown;
  for (const auto& c : r.writer.conversations)
    if (c.shown) shown.push_back(c);
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(endpoint(shown[0].server), "10.1.1.3:135");
  EXPECT_EQ(r.writer.stats.conversations_tcp, 2u);
  EXPECT_EQ(r.writer.stats.conversations_shown, 1u);
}

// --- Roles without a SYN (docs/design.md "tcp"): bind/request sender is the client, even
// when the server's frame comes first and neither port says which side serves. ---
TEST(Analyze, RolesWithoutSynComeFromThePdus) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 50000, "10.1.1.2", 49800));
  t.send(ts::Direction::to_client, ts::epm_bind_ack(7, 0x10, "49800").build());
  t.send(ts::Direction::to_server, ts::ept_map_request(8, ts::kExchangeMtaInterface).build());
  t.send(ts::Direction::to_client,
         ts::ept_map_response(8, ts::kExchangeMtaInterface, 4764, {10, 1, 1, 2}).build());
  Analysis r = analyze_capture(cap);
  ASSERT_EQ(r.writer.conversations.size(), 1u);
  const Conversation& c = r.writer.conversations[0];
  EXPECT_FALSE(c.roles_from_syn);
  EXPECT_FALSE(c.syn_seen);
  EXPECT_TRUE(c.dcerpc);
  EXPECT_EQ(endpoint(c.client), "10.1.1.1:50000");
  EXPECT_EQ(endpoint(c.server), "10.1.1.2:49800");
  EXPECT_EQ(c.end_reason, analysis::EndReason::capture_end);
}

TEST(Analyze, RolesWithoutSynOrPdusComeFromTheMapperPort) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 50000, "10.1.1.2", 135));
  t.send(ts::Direction::to_client, ts::text_bytes("not a PDU"));
  Analysis r = analyze_capture(cap);
  ASSERT_EQ(r.writer.conversations.size(), 1u);
  EXPECT_EQ(endpoint(r.writer.conversations[0].client), "10.1.1.1:50000");
  EXPECT_EQ(endpoint(r.writer.conversations[0].server), "10.1.1.2:135");
}

// --- Eviction: an evicted conversation is still reported, with why (STYLE §6). ---
TEST(Analyze, EvictedConversationIsReportedWithItsReason) {
  ts::Capture cap;
  syn_only(cap, "10.1.1.1", 3001, "10.1.1.2", 135);
  syn_only(cap, "10.1.1.1", 3002, "10.1.1.2", 135);
  RunOptions o;
  o.transport.tcp.max_connections = 1;
  Analysis r = analyze_capture(cap, o);
  ASSERT_EQ(r.writer.conversations.size(), 2u);
  EXPECT_EQ(r.writer.conversations[0].id, 1u);
  EXPECT_EQ(r.writer.conversations[0].end_reason, analysis::EndReason::evicted_limit);
  EXPECT_EQ(r.writer.conversations[1].end_reason, analysis::EndReason::capture_end);
  EXPECT_EQ(r.writer.stats.counter("tcp_evicted_limit"), 1u);
}

// --- The environment: damage ends reading after the good frames; no file is an error. ---
TEST(Analyze, DamagedFileReportsEverythingBeforeTheDamage) {
  ts::Capture cap;
  epm_lookup(cap);
  ts::Bytes file = cap.to_pcap();
  file.resize(file.size() - 20);  // the last record cut short
  ts::TempFile damaged("report_damaged", file);
  RecordingWriter w;
  RunResult result = app::run(damaged.path().string(), RunOptions{}, w);
  EXPECT_TRUE(result.read_error);
  EXPECT_FALSE(result.message.empty());
  EXPECT_EQ(w.stats.capture_error, result.message);
  EXPECT_EQ(w.stats.frames_read, 10u);
  ASSERT_EQ(w.conversations.size(), 1u);
  EXPECT_EQ(w.conversations[0].pdus, 4u);
  EXPECT_EQ(w.finished, 1);
}

TEST(Analyze, MissingFileThrowsCaptureError) {
  RecordingWriter w;
  EXPECT_THROW(app::run("/nonexistent/rpctrace/capture.pcap", RunOptions{}, w), pcap::CaptureError);
  EXPECT_EQ(w.finished, 0);
}

}  // namespace
}  // namespace rpctrace::report

namespace rpctrace::report::harness {
namespace {

// --- Linking to the EPM answer (issue 4, item 5): group, inferred interface, mismatch. ---
void bind_to(ts::Capture& cap, std::uint16_t client_port, const ts::SyntaxId& iface) {
  ts::TcpScript t(cap, config("10.1.1.1", client_port, "10.1.1.2", 4764));
  t.handshake();
  ts::PduBuilder bind(ts::Ptype::bind);
  bind.call_id(1).context(ts::ContextElement{0, iface, {ts::kNdrSyntax}});
  t.send(ts::Direction::to_server, bind.build());
  t.close();
}

TEST(Analyze, ConnectionToAnAnsweredPortIsLinkedAndGrouped) {
  ts::Capture cap;
  epm_lookup(cap);                                // 1: ept_map gives 10.1.1.2:4764 for the MTA
  bind_to(cap, 3470, ts::kExchangeMtaInterface);  // 2: binds the MTA there
  Analysis r = analyze_capture(cap);
  const Conversation& c = r.writer.conversation(2);
  ASSERT_TRUE(c.epm_link != nullptr);
  EXPECT_EQ(c.epm_link->conversation, 1u);
  EXPECT_EQ(c.epm_link->frame, 7u);
  EXPECT_TRUE(c.epm_link->same_client);
  EXPECT_EQ(c.group, 1u);
  for (const auto& f : r.writer.frames)
    for (const auto& n : f.notes) EXPECT_NE(n.kind, analysis::NoteKind::epm_interface_mismatch);
}

TEST(Analyze, BindOfAnotherInterfaceOnAnAnsweredPortIsNoted) {
  ts::Capture cap;
  epm_lookup(cap);
  bind_to(cap, 3470, ts::kEpmInterface);  // not the interface the answer was for
  Analysis r = analyze_capture(cap);
  std::size_t mismatches = 0;
  for (const auto& f : r.writer.frames)
    for (const auto& n : f.notes)
      mismatches += n.kind == analysis::NoteKind::epm_interface_mismatch;
  EXPECT_EQ(mismatches, 1u);
}

}  // namespace
}  // namespace rpctrace::report::harness

namespace rpctrace::report::harness {
namespace {

// --- Auth verifiers: decoded on every PDU that has one; privacy seals the stub. ---
TEST(Analyze, AuthValuesDecodedAndSealedStubsNotDecoded) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 3500, "10.1.1.2", 135));
  t.handshake();
  auto bind = ts::epm_bind(1);
  bind.auth(ts::make_auth_verifier(ts::ntlmssp_negotiate(0xb217, "CORP", "WS1"), 4,
                                   ts::kAuthTypeWinnt, ts::kAuthLevelPktPrivacy));
  t.send(ts::Direction::to_server, bind.build());
  t.send(ts::Direction::to_client, ts::epm_bind_ack(1, 0x10, "135").build());
  // An ept_map request whose stub is (as far as the tools know) sealed, and a response whose
  // verifier is not an NTLMSSP signature.
  auto request = ts::ept_map_request(2, ts::kExchangeMtaInterface);
  request.auth(ts::make_auth_verifier(ts::ntlmssp_signature(0), 8, ts::kAuthTypeWinnt,
                                      ts::kAuthLevelPktPrivacy));
  t.send(ts::Direction::to_server, request.build());
  auto response = ts::ept_map_response(2, ts::kExchangeMtaInterface, 4764, {10, 1, 1, 2});
  response.auth(ts::make_auth_verifier(ts::Bytes(16, std::byte{'N'}), 8, ts::kAuthTypeWinnt,
                                       ts::kAuthLevelPktPrivacy));
  t.send(ts::Direction::to_client, response.build());
  t.close();

  Analysis r = analyze_capture(cap);
  std::vector<const analysis::ReportedPdu*> pdus;
  for (const auto& f : r.writer.frames)
    for (const auto& p : f.pdus) pdus.push_back(&p);
  ASSERT_EQ(pdus.size(), 4u);
  ASSERT_TRUE(pdus[0]->auth && pdus[0]->auth->value && pdus[0]->auth->value->token);
  EXPECT_EQ(pdus[0]->auth->value->token->message, "negotiate");
  EXPECT_EQ(pdus[0]->auth->value->token->workstation, "WS1");
  EXPECT_FALSE(pdus[0]->stub_encrypted);  // a bind has no stub
  EXPECT_FALSE(pdus[1]->auth);            // no verifier on the bind_ack
  EXPECT_TRUE(pdus[2]->stub_encrypted);
  EXPECT_FALSE(pdus[2]->epm);  // sealed: the EPM decoder is not tried
  ASSERT_TRUE(pdus[2]->auth && pdus[2]->auth->value);
  EXPECT_EQ(pdus[2]->auth->value->token->message, "signature");
  EXPECT_TRUE(pdus[3]->stub_encrypted);
  ASSERT_TRUE(pdus[3]->auth);
  EXPECT_FALSE(pdus[3]->auth->value);
  EXPECT_NE(pdus[3]->auth->error.find("bad_signature"), std::string::npos);
  EXPECT_EQ(r.writer.stats.auth_decoded, 2u);
  EXPECT_EQ(r.writer.stats.counter("auth_bad_signature"), 1u);
  EXPECT_EQ(r.writer.stats.counter("stubs_encrypted"), 2u);
  EXPECT_EQ(r.writer.stats.epm_decoded, 0u);
  EXPECT_EQ(r.writer.stats.counter("epm_errors"), 0u);

  // Text and JSON Lines say it.
  std::string text = text_of(cap).out;
  EXPECT_NE(text.find("auth_value: NTLMSSP negotiate domain CORP workstation WS1"),
            std::string::npos);
  EXPECT_NE(text.find("stub encrypted (packet privacy): not decoded"), std::string::npos);
  std::string json = jsonl_of(cap);
  EXPECT_NE(json.find("\"stub_encrypted\":true"), std::string::npos);
  EXPECT_NE(json.find("\"auth_value\":{\"mechanism\":\"NTLMSSP\",\"message\":\"negotiate\""),
            std::string::npos);
  EXPECT_NE(json.find("\"auth_bad_signature\":1"), std::string::npos);
}

}  // namespace
}  // namespace rpctrace::report::harness

namespace rpctrace::report::harness {
namespace {

// Packet integrity signs but does not seal: the stub is read and decoded as without auth.
TEST(Analyze, IntegrityStubsAreDecoded) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 3501, "10.1.1.2", 135));
  t.handshake();
  t.send(ts::Direction::to_server, ts::epm_bind(1).build());
  t.send(ts::Direction::to_client, ts::epm_bind_ack(1, 0x10, "135").build());
  auto request = ts::ept_map_request(2, ts::kExchangeMtaInterface);
  request.auth(ts::make_auth_verifier(ts::ntlmssp_signature(0), 8, ts::kAuthTypeWinnt,
                                      ts::kAuthLevelPktIntegrity));
  t.send(ts::Direction::to_server, request.build());
  auto response = ts::ept_map_response(2, ts::kExchangeMtaInterface, 4764, {10, 1, 1, 2});
  response.auth(ts::make_auth_verifier(ts::ntlmssp_signature(0), 8, ts::kAuthTypeWinnt,
                                       ts::kAuthLevelPktIntegrity));
  t.send(ts::Direction::to_client, response.build());
  t.close();
  Analysis r = analyze_capture(cap);
  EXPECT_EQ(r.writer.stats.counter("stubs_encrypted"), 0u);
  EXPECT_EQ(r.writer.stats.epm_decoded, 2u);
  EXPECT_EQ(r.writer.stats.counter("epm_errors"), 0u);
  EXPECT_EQ(r.writer.stats.auth_decoded, 2u);
}

}  // namespace
}  // namespace rpctrace::report::harness
