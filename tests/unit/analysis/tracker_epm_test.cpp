// Tracker (tracker.hpp) and the endpoint mapper (C706 appendix O; KB159298's story): ept_map
// stubs decoded on PDUs and call records, but not when packet privacy seals them (MS-RPCE
// 3.3.1.5.2); an answer links the later conversation to the address and port it gave
// (Conversation::epm_link, group), the interface it was for names calls whose bind was not
// captured, and a bind for another interface is noted. Also the auth verifiers' decoding and
// the analysis counters. Synthetic events only: see analysis_harness.hpp.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "rpctrace/analysis/stub_decoders.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "support/ntlmssp_builder.hpp"
#include "unit/analysis/analysis_harness.hpp"

namespace rpctrace::analysistest {
namespace {

using analysis::control::rst;
using analysis::control::syn;
using dcerpc::PacketType;
using Log = std::vector<std::string>;

const common::Endpoint kClient = ep("10.0.0.1", 49152);
const common::Endpoint kMapper = ep("10.0.0.2", 135);
const common::Endpoint kLater = ep("10.0.0.1", 49153);    // the same client, again
const common::Endpoint kDynamic = ep("10.0.0.2", 49700);  // the port the answer gives
constexpr std::int64_t kAnswerUs = 6000;                  // the answer: frame 7 at 6 ms
constexpr std::int64_t kSecondLaterUs = kAnswerUs + 1000000;

// Conversation 1, frames 1-7: kClient asks the mapper with ept_map for `looked_up`; the answer
// in frame 7 gives `towers`.
void lookup(TrackerHarness& h, const ts::SyntaxId& looked_up, const std::vector<TowerSpec>& towers,
            const std::optional<ts::AuthVerifier>& auth = std::nullopt) {
  auto c = h.open(1, kClient, kMapper, 1, 0);
  h.handshake(*c, 1, 0);
  const auto in = opening_seen();
  auto request = ts::PduBuilder(ts::Ptype::request).call_id(2).opnum(3);
  request.stub(ept_map_request_stub(looked_up));
  auto response = ts::PduBuilder(ts::Ptype::response).call_id(2);
  response.stub(ept_map_response_stub(towers));
  if (auth) {
    request.auth(*auth);
    response.auth(*auth);
  }
  h.frame(*c, 4, 3000, 0, {bind_pdu(1, {ts::kEpmInterface})}, in);
  h.frame(*c, 5, 4000, 1, {bind_ack_pdu(1)}, in);
  h.frame(*c, 6, 5000, 0, {request.build()}, in);
  h.frame(*c, 7, kAnswerUs, 1, {response.build()}, in);
  h.close(std::move(c));
}

// The SAMR lookup answered with kDynamic.
void samr_lookup(TrackerHarness& h) { lookup(h, kSamrTs, {{kSamrTs, 49700, {10, 0, 0, 2}}}); }

// Conversation `id` from `client` to `server`, a second after the answer: a SYN, `pdus` from
// the client, an RST from the server.
void connect(TrackerHarness& h, std::uint64_t id, const common::Endpoint& client,
             const common::Endpoint& server, const std::vector<ts::Bytes>& pdus = {}) {
  auto c = h.open(id, client, server, 100 * id, kSecondLaterUs);
  h.frame(*c, 100 * id, kSecondLaterUs, 0, {}, opening_seen(), syn);
  std::uint64_t n = 100 * id;
  for (const auto& p : pdus) h.frame(*c, ++n, kSecondLaterUs + 10, 0, {p}, opening_seen());
  h.frame(*c, n + 1, kSecondLaterUs + 20, 1, {}, opening_seen(), rst);
  h.close(std::move(c));
}

template <typename T>
const T* epm_value(const analysis::EpmDecodePtr& d) {
  if (!d || !d->value) return nullptr;
  return std::get_if<T>(&*d->value);
}

// --- ept_map stubs ---

TEST(TrackerEpm, EptMapStubsAreDecodedOnPdusAndCallRecords) {
  TrackerHarness h;
  samr_lookup(h);
  const auto* q = epm_value<epm::EptMapRequest>(h.sink.record(1, 6).pdus.at(0).epm);
  ASSERT_NE(q, nullptr);
  ASSERT_TRUE(q->map_tower.has_value());
  EXPECT_EQ(q->map_tower->interface, samr_syntax());
  EXPECT_EQ(q->max_towers, 4u);
  const auto& answer_pdu = h.sink.record(1, 7).pdus.at(0);
  EXPECT_EQ(answer_pdu.epm->opnum, 3);
  const auto* r = epm_value<epm::EptMapResponse>(answer_pdu.epm);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->towers.size(), 1u);
  EXPECT_EQ(r->towers[0].port, 49700);
  EXPECT_EQ(r->towers[0].address, ip("10.0.0.2"));
  // The call's record has both, after the answer's frame record.
  EXPECT_EQ(h.sink.log, (Log{"frame 1/1", "frame 1/2", "frame 1/3", "frame 1/4", "frame 1/5",
                             "frame 1/6", "frame 1/7", "call 1/2", "end 1"}));
  const auto& call = h.sink.calls.at(0);
  const auto* cq = epm_value<epm::EptMapRequest>(call.epm_request);
  ASSERT_NE(cq, nullptr);
  EXPECT_EQ(cq->map_tower->interface, samr_syntax());
  const auto* cr = epm_value<epm::EptMapResponse>(call.epm_response);
  ASSERT_NE(cr, nullptr);
  EXPECT_EQ(cr->towers.at(0).port, 49700);
  EXPECT_EQ(h.tracker.counters().epm_decoded, 2u);
  EXPECT_EQ(h.tracker.counters().epm_errors, 0u);
  // The answer is remembered: from the mapper to the client, in conversation 1 at frame 7.
  ASSERT_EQ(h.tracker.epm_links().answers().size(), 1u);
  const auto& a = h.tracker.epm_links().answers()[0];
  EXPECT_EQ(a.conversation, 1u);
  EXPECT_EQ(a.frame, 7u);
  EXPECT_EQ(a.ts, at_us(kAnswerUs));
  EXPECT_EQ(a.client, kClient);
  EXPECT_EQ(a.server, kMapper.address);
  EXPECT_EQ(a.tried, std::vector<bool>{false});
}

TEST(TrackerEpm, AStubThatDoesNotDecodeIsCountedWithItsError) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kMapper, 1, 0);
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {ts::kEpmInterface}), request_pdu(2, 3, unittest::pattern(6))});
  h.frame(*c, 2, 100, 1, {response_pdu(2, unittest::pattern(6))});
  h.close(std::move(c));
  const auto& q = h.sink.record(1, 1).pdus.at(1);
  ASSERT_TRUE(q.epm != nullptr);
  EXPECT_FALSE(q.epm->value.has_value());
  EXPECT_EQ(q.epm->error.rfind("ept_map request: ", 0), 0u) << q.epm->error;
  const auto& r = h.sink.record(1, 2).pdus.at(0);
  ASSERT_TRUE(r.epm != nullptr);
  EXPECT_EQ(r.epm->error.rfind("ept_map response: ", 0), 0u) << r.epm->error;
  EXPECT_EQ(h.tracker.counters().epm_decoded, 0u);
  EXPECT_EQ(h.tracker.counters().epm_errors, 2u);
  ASSERT_TRUE(h.sink.calls.at(0).epm_request != nullptr);
  EXPECT_FALSE(h.sink.calls[0].epm_request->error.empty());
  EXPECT_TRUE(h.tracker.epm_links().answers().empty());
}

TEST(TrackerEpm, NotTheEndpointMappersCalls) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kMapper, 1, 0);
  // ept_map's stubs on another interface's context are not decoded.
  h.frame(*c, 1, 0, 0, {bind_pdu(1, {kSamrTs}), request_pdu(2, 3, ept_map_request_stub(kSamrTs))});
  h.frame(*c, 2, 100, 1,
          {response_pdu(2, ept_map_response_stub({{kSamrTs, 49700, {10, 0, 0, 2}}}))});
  h.close(std::move(c));
  EXPECT_EQ(h.sink.record(1, 1).pdus.at(1).epm, nullptr);
  EXPECT_EQ(h.sink.record(1, 2).pdus.at(0).epm, nullptr);
  EXPECT_EQ(h.sink.calls.at(0).epm_request, nullptr);
  EXPECT_EQ(h.sink.calls.at(0).epm_response, nullptr);
  EXPECT_TRUE(h.tracker.epm_links().answers().empty());
}

TEST(TrackerEpm, PacketPrivacySealsTheStubs) {
  for (std::uint8_t level : {ts::kAuthLevelPktIntegrity, ts::kAuthLevelPktPrivacy}) {
    const bool sealed = level == ts::kAuthLevelPktPrivacy;
    TrackerHarness h;
    lookup(h, kSamrTs, {{kSamrTs, 49700, {10, 0, 0, 2}}},
           ts::make_auth_verifier(ts::ntlmssp_signature(1), 4, ts::kAuthTypeWinnt, level));
    const auto& q = h.sink.record(1, 6).pdus.at(0);
    const auto& r = h.sink.record(1, 7).pdus.at(0);
    EXPECT_EQ(q.stub_encrypted, sealed);
    EXPECT_EQ(r.stub_encrypted, sealed);
    EXPECT_FALSE(h.sink.record(1, 4).pdus.at(0).stub_encrypted);  // a bind has no stub
    EXPECT_EQ(q.epm != nullptr, !sealed);
    EXPECT_EQ(r.epm != nullptr, !sealed);
    const auto& call = h.sink.calls.at(0);
    EXPECT_EQ(call.call.auth_level, level);
    EXPECT_EQ(call.epm_request != nullptr, !sealed);
    EXPECT_EQ(call.epm_response != nullptr, !sealed);
    EXPECT_EQ(h.tracker.counters().stubs_encrypted, sealed ? 2u : 0u);
    EXPECT_EQ(h.tracker.counters().epm_decoded, sealed ? 0u : 2u);
    EXPECT_EQ(h.tracker.epm_links().answers().size(), sealed ? 0u : 1u);
    // The verifiers themselves are read either way.
    EXPECT_EQ(h.tracker.counters().auth_decoded, 2u);
  }
}

// --- Links from ept_map answers ---

TEST(TrackerEpm, AnAnswerLinksTheSameClientsLaterConversation) {
  TrackerHarness h;
  samr_lookup(h);
  connect(h, 2, kLater, kDynamic);  // refused: no PDU at all
  const auto& v = h.sink.conversation(2);
  ASSERT_TRUE(v.epm_link != nullptr);
  EXPECT_EQ(v.epm_link->conversation, 1u);
  EXPECT_EQ(v.epm_link->frame, 7u);
  EXPECT_EQ(v.epm_link->ts, at_us(kAnswerUs));
  EXPECT_EQ(v.epm_link->delay_us, 1000000);
  EXPECT_EQ(v.epm_link->interface, samr_syntax());
  EXPECT_EQ(v.epm_link->client, kClient.address);
  EXPECT_TRUE(v.epm_link->same_client);
  EXPECT_EQ(v.group, 1u);
  EXPECT_FALSE(v.dcerpc);
  EXPECT_FALSE(v.well_known_port);
  EXPECT_TRUE(v.shown);  // the port an answer gave: shown though it carried no DCE/RPC
  for (const auto& f : h.sink.frames_of(2)) {
    EXPECT_TRUE(f.shown) << f.frame;
    EXPECT_EQ(f.group, 1u) << f.frame;
    ASSERT_TRUE(f.epm_link != nullptr) << f.frame;
    EXPECT_EQ(f.epm_link->conversation, 1u);
  }
  EXPECT_EQ(h.sink.conversation(1).group, 1u);
  EXPECT_FALSE(h.sink.conversation(1).epm_link != nullptr);
  // The conversation went where the answer said.
  EXPECT_EQ(h.tracker.epm_links().answers().at(0).tried, std::vector<bool>{true});
}

TEST(TrackerEpm, AnotherClientsConversationIsLinkedButNotGrouped) {
  TrackerHarness h;
  samr_lookup(h);
  connect(h, 2, ep("10.0.0.9", 50000), kDynamic);
  const auto& v = h.sink.conversation(2);
  ASSERT_TRUE(v.epm_link != nullptr);
  EXPECT_FALSE(v.epm_link->same_client);
  EXPECT_EQ(v.epm_link->client, kClient.address);
  EXPECT_EQ(v.group, 2u);
  EXPECT_EQ(h.tracker.epm_links().answers().at(0).tried, std::vector<bool>{false});
}

TEST(TrackerEpm, AConversationThatStartedBeforeTheAnswerIsNotLinked) {
  TrackerHarness h;
  auto early = h.open(2, kLater, kDynamic, 100, 1000);
  h.frame(*early, 100, 1000, 0, {}, opening_seen(), syn);
  samr_lookup(h);
  h.frame(*early, 101, kSecondLaterUs, 1, {}, opening_seen(), rst);
  h.close(std::move(early));
  const auto& v = h.sink.conversation(2);
  EXPECT_FALSE(v.epm_link != nullptr);
  EXPECT_EQ(v.group, 2u);
  EXPECT_FALSE(v.shown);  // a dynamic port, no DCE/RPC, no link
  // It still went to the answered port (a client may keep a connection it made earlier).
  EXPECT_EQ(h.tracker.epm_links().answers().at(0).tried, std::vector<bool>{true});
}

// mapi.pcap: a connection that began before the capture (no SYN, no bind) to the port a
// later answer names is labelled with that interface from the answer on, inferred.
TEST(TrackerEpm, ALaterAnswerLabelsAConnectionThatBeganBeforeTheCapture) {
  TrackerHarness h;
  auto early = h.open(2, kLater, kDynamic, 100, 1000);
  h.frame(*early, 100, 1000, 0, {request_pdu(5, 7)});
  auto with_syn = h.open(3, ep("10.0.0.1", 49160), kDynamic, 101, 1500);
  h.frame(*with_syn, 101, 1500, 0, {}, opening_seen(), syn);
  samr_lookup(h);
  h.frame(*early, 110, kSecondLaterUs, 0, {request_pdu(6, 7)});
  h.close(std::move(early));
  h.close(std::move(with_syn));
  EXPECT_FALSE(h.sink.record(2, 100).pdus.at(0).event.interface.has_value());  // before it
  const auto& after = h.sink.record(2, 110).pdus.at(0).event;
  EXPECT_EQ(after.interface, samr_syntax());
  EXPECT_TRUE(after.interface_inferred);
  const auto& v = h.sink.conversation(2);
  EXPECT_FALSE(v.epm_link != nullptr);
  ASSERT_TRUE(v.inferred_from != nullptr);
  EXPECT_EQ(v.inferred_from->conversation, 1u);
  EXPECT_EQ(v.inferred_from->frame, 7u);
  EXPECT_EQ(v.inferred_from->interface, samr_syntax());
  ASSERT_FALSE(v.interfaces.empty());
  EXPECT_EQ(v.interfaces[0].interface, samr_syntax());
  // A connection whose SYN was captured is not relabelled: its bind would have said.
  EXPECT_FALSE(h.sink.conversation(3).inferred_from != nullptr);
}

TEST(TrackerEpm, TheLookedUpInterfaceNamesCallsWhoseBindWasNotSeen) {
  TrackerHarness h;
  samr_lookup(h);
  connect(h, 2, kLater, kDynamic, {request_pdu(5, 7)});
  connect(h, 3, ep("10.0.0.1", 49154), ep("10.0.0.2", 49701), {request_pdu(5, 7)});
  const auto& linked = h.sink.record(2, 201).pdus.at(0).event;
  EXPECT_EQ(linked.interface, samr_syntax());
  EXPECT_TRUE(linked.interface_inferred);
  ASSERT_EQ(h.sink.calls.size(), 3u);  // the lookup's, and one unanswered in each
  EXPECT_EQ(h.sink.calls[1].conversation, 2u);
  EXPECT_EQ(h.sink.calls[1].call.interface, samr_syntax());
  EXPECT_TRUE(h.sink.calls[1].call.interface_inferred);
  const auto& v = h.sink.conversation(2);
  ASSERT_EQ(v.interfaces.size(), 1u);
  EXPECT_EQ(v.interfaces[0].interface, samr_syntax());
  EXPECT_EQ(v.interfaces[0].calls, 1u);
  // Without a link nothing names it.
  EXPECT_FALSE(h.sink.record(3, 301).pdus.at(0).event.interface.has_value());
  EXPECT_FALSE(h.sink.calls[2].call.interface.has_value());
  EXPECT_TRUE(h.sink.conversation(3).interfaces.empty());
}

TEST(TrackerEpm, ABindForAnotherInterfaceIsNoted) {
  TrackerHarness h;
  samr_lookup(h);
  connect(h, 2, kLater, kDynamic, {bind_pdu(1, {kLsarpcTs})});
  connect(h, 3, ep("10.0.0.1", 49154), kDynamic, {bind_pdu(1, {kLsarpcTs, kSamrTs})});
  connect(h, 4, ep("10.0.0.1", 49155), ep("10.0.0.2", 49701), {bind_pdu(1, {kLsarpcTs})});
  const auto& f = h.sink.record(2, 201);
  ASSERT_EQ(note_kinds(f), std::vector{analysis::NoteKind::epm_interface_mismatch});
  const std::string& detail = f.notes[0].detail;
  EXPECT_NE(detail.find("the ept_map answer in conversation 1 was for "), std::string::npos)
      << detail;
  EXPECT_NE(detail.find("SAMR"), std::string::npos) << detail;
  EXPECT_NE(detail.find("LSARPC"), std::string::npos) << detail;
  EXPECT_EQ(analysis::layer_of(f.notes[0].kind), "report");
  EXPECT_EQ(h.sink.conversation(2).notes, 1u);
  // Asking for the interface among others is no mismatch; nor is a bind on an unlinked port.
  EXPECT_TRUE(h.sink.record(3, 301).notes.empty());
  EXPECT_EQ(h.sink.conversation(3).notes, 0u);
  EXPECT_TRUE(h.sink.record(4, 401).notes.empty());
}

// --- Auth verifiers ---

TEST(TrackerAuth, AuthValuesAreDecodedOrCountedByReason) {
  TrackerHarness h;
  auto c = h.open(1, kClient, kMapper, 1, 0);
  const auto negotiate = ts::ntlmssp_negotiate(ts::kNtlmNegotiateNtlm, "", "");
  h.frame(
      *c, 1, 0, 0,
      {ts::PduBuilder(ts::Ptype::bind)
           .call_id(1)
           .context({0, ts::kEpmInterface, {ts::kNdrSyntax}})
           .auth(ts::make_auth_verifier(negotiate, 4, ts::kAuthTypeWinnt, ts::kAuthLevelConnect))
           .build()});
  h.frame(*c, 2, 100, 0,
          {ts::PduBuilder(ts::Ptype::request)
               .call_id(2)
               .opnum(1)
               .stub(unittest::pattern(8))
               .auth(ts::make_auth_verifier(unittest::pattern(16), 4, 0x42))
               .build(),
           request_pdu(3, 1)});
  h.close(std::move(c));
  const auto& bind = h.sink.record(1, 1).pdus.at(0);
  ASSERT_TRUE(bind.auth.has_value());
  ASSERT_TRUE(bind.auth->value.has_value()) << bind.auth->error;
  ASSERT_TRUE(bind.auth->value->token.has_value());
  EXPECT_EQ(bind.auth->value->token->mechanism, "NTLMSSP");
  EXPECT_EQ(bind.auth->value->token->message, "negotiate");
  const auto& odd = h.sink.record(1, 2).pdus.at(0);
  ASSERT_TRUE(odd.auth.has_value());
  EXPECT_FALSE(odd.auth->value.has_value());
  EXPECT_EQ(odd.auth->error.rfind("unsupported_type: ", 0), 0u) << odd.auth->error;
  EXPECT_FALSE(odd.stub_encrypted);
  EXPECT_FALSE(h.sink.record(1, 2).pdus.at(1).auth.has_value());  // no verifier
  const auto& k = h.tracker.counters();
  EXPECT_EQ(k.auth_decoded, 1u);
  for (std::size_t i = 0; i < auth::kReasonCount; ++i)
    EXPECT_EQ(k.auth_errors[i], i == static_cast<std::size_t>(auth::Reason::unsupported_type)) << i;
}

// A connectionless PDU's auth_level is in its sec_trailer_cl, not in a sec_trailer: sealed
// (packet privacy) calls are said to be so, and their other PDUs are not.
TEST(StubSealed, ConnectionlessPdusBySecTrailerCl) {
  dcerpc::PduEvent e;
  e.header.ptype = dcerpc::PacketType::request;
  e.cl = dcerpc::ClFacts{};
  EXPECT_FALSE(analysis::stub_sealed(e));
  e.cl->auth_level = dcerpc::auth_level::pkt_privacy;
  EXPECT_TRUE(analysis::stub_sealed(e));
  e.header.ptype = dcerpc::PacketType::response;
  EXPECT_TRUE(analysis::stub_sealed(e));
  e.header.ptype = dcerpc::PacketType::ping;
  EXPECT_FALSE(analysis::stub_sealed(e));
  e.header.ptype = dcerpc::PacketType::request;
  e.cl->auth_level = dcerpc::auth_level::pkt_integrity;
  EXPECT_FALSE(analysis::stub_sealed(e));
}

}  // namespace
}  // namespace rpctrace::analysistest
