// Diagnosis, part 2 (diagnosis_rules.cpp): the rules at a conversation's end and at finish()
// — connections refused, lookups and calls never answered, resets, TCP trouble, RPC over
// HTTP's ports, ports never tried, the MTA two-way bind — and the services, labels, --interface
// and has_error, fed synthetic records (no capture, no reader). Each rule fires once and is
// shown a near miss that must not; a test marked "bug:" holds the behaviour the rule should
// have and is skipped until it does.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rpctrace/analysis/diagnosis.hpp"
#include "unit/analysis/analysis_test_util.hpp"

namespace rpctrace::analysis::test {
namespace {

using dcerpc::CallOutcome;

// ----- Connections that got no SYN/ACK (connection_refused) -----

TEST_F(DiagnosisTest, UnansweredSynsToALinkedPortAreAFirewall) {
  ConvScript c = conv(2, kClient, kStore);
  c.link = link_for(kEmsmdb);
  auto syns = unanswered_syns(c);
  c.end(EndReason::evicted_idle);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"firewall_drops_dynamic_port"});
  const Finding& f = one(FindingKind::firewall_drops_dynamic_port);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.client, kClient.address);
  EXPECT_EQ(f.server, kStore.address);
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(name_of(f.interface), name_of(kEmsmdb));
  EXPECT_EQ(f.frames, syns);
  EXPECT_TRUE(Contains(f.message,
                       "a firewall between 10.5.0.20 and 10.5.0.10 passes 135 but not "
                       "49154"));
  EXPECT_TRUE(Contains(f.evidence, "2 retransmitted, 6.000000 s between the first and the last"));
  EXPECT_TRUE(Contains(f.evidence,
                       "ept_map in conversation 1, frame 7 gave this port for "
                       "A4F1DB00-CA47-1067-B31F-00DD010662DA"));
  EXPECT_TRUE(Contains(f.next_step, "open TCP 49154"));
  const ServiceStatus& s = service(kEmsmdb);
  EXPECT_EQ(s.state(), ServiceState::connecting);
  EXPECT_EQ(s.port, 49154);
  EXPECT_EQ(s.protseq, "ncacn_ip_tcp");
}

TEST_F(DiagnosisTest, ASynAckOrDataIsNoRefusal) {
  ConvScript answered = conv(2, kClient, kStore);
  answered.link = link_for(kEmsmdb);
  answered.handshake();
  answered.end();
  // The SYN/ACK missed the capture but the client sent data: the connection was made.
  ConvScript one_sided = conv(3, endpoint("10.5.0.20", 49701), kStore);
  one_sided.link = link_for(kEmsmdb);
  one_sided.syn();
  one_sided.send_segment(From::client, control::ack | control::psh, 72);
  one_sided.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

TEST_F(DiagnosisTest, TheServersResetOnALinkedPortIsPortRefused) {
  ConvScript c = conv(2, kClient, kStore);
  c.link = link_for(kEmsmdb);
  auto syn1 = c.syn();
  auto rst1 = c.rst(From::server);
  auto syn2 = c.syn(500'000);
  c.rst(From::server);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"port_refused"});
  const Finding& f = one(FindingKind::port_refused);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(name_of(f.interface), name_of(kEmsmdb));
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{syn1, syn2, rst1}));
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10:49154 answered the client's SYN with a reset: "
                       "nothing listens there, or a firewall rejects the port"))
      << f.message;
  EXPECT_TRUE(Contains(f.evidence, "RST in frame " + std::to_string(rst1)));
  EXPECT_TRUE(Contains(f.evidence, "SYNs in frames " + std::to_string(syn1) + ", " +
                                       std::to_string(syn2) + " (1 retransmitted"))
      << f.evidence;
  EXPECT_TRUE(Contains(f.evidence, "ept_map in conversation 1, frame 7"));
  EXPECT_TRUE(Contains(f.next_step, "look its port up again"));
  EXPECT_TRUE(Contains(f.next_step, "if a firewall rejects TCP 49154, open it"));
  EXPECT_TRUE(Contains(f.next_step, "no SYN/ACK of the server")) << f.next_step;
}

// The reset's TTL and delay against the server's SYN/ACK on 135 tell who sent it.
struct ResetCase {
  std::string name;
  std::uint8_t rst_ttl;
  std::int64_t rst_delay_us;
  std::string reading;
};
class ResetOrigin : public DiagnosisTest, public ::testing::WithParamInterface<ResetCase> {};

TEST_P(ResetOrigin, TtlAndDelayAgainstTheServersSynAck) {
  const ResetCase& rc = GetParam();
  ConvScript mapper = conv(1, kClient, endpoint("10.5.0.10", 135));
  mapper.syn();
  mapper.send_segment(From::server, control::syn | control::ack, 0, 10'000, 128);
  mapper.end();
  ConvScript c = conv(2, kClient, kStore);
  c.link = link_for(kEmsmdb);
  auto syn = c.syn();
  c.send_segment(From::server, control::rst | control::ack, 0, rc.rst_delay_us, rc.rst_ttl);
  c.end();
  finish();
  const Finding& f = one(FindingKind::port_refused);
  EXPECT_TRUE(Contains(f.evidence, "SYN in frame " + std::to_string(syn) + ", RST in frame"))
      << f.evidence;
  EXPECT_TRUE(Contains(f.evidence, fmt::format("with IP TTL {}", rc.rst_ttl))) << f.evidence;
  EXPECT_TRUE(Contains(f.evidence,
                       "the server's SYN/ACK on port 135 (frame 2) had TTL 128, "
                       "0.010000 s after its SYN"))
      << f.evidence;
  EXPECT_TRUE(Contains(f.next_step, rc.reading)) << f.next_step;
}

INSTANTIATE_TEST_SUITE_P(
    Diagnosis, ResetOrigin,
    ::testing::Values(ResetCase{"SameHost", 128, 9'000,
                                "the reset came from the server's host itself"},
                      ResetCase{"OtherTtl", 62, 9'000, "the TTLs differ (62 against 128)"},
                      ResetCase{"MuchFaster", 128, 500, "times faster than the server's SYN/ACK"}),
    [](const ::testing::TestParamInfo<ResetCase>& i) { return i.param.name; });

// A client retrying the same blocked port on new connections: one finding with a count.
TEST_F(DiagnosisTest, TheSamePortDroppedOnSeveralConnectionsIsOneFinding) {
  for (std::uint64_t id : {2u, 3u}) {
    ConvScript c = conv(id, endpoint("10.5.0.20", static_cast<std::uint16_t>(50000 + id)), kStore);
    c.link = link_for(kEmsmdb);
    c.syn();
    c.syn(3'000'000);
    c.end();
  }
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"firewall_drops_dynamic_port"}) << dump();
  const Finding& f = one(FindingKind::firewall_drops_dynamic_port);
  EXPECT_EQ(f.count, 2u);
  EXPECT_EQ(f.frames.size(), 4u);
  EXPECT_TRUE(Contains(f.evidence, "2 times in all")) << f.evidence;
}

TEST_F(DiagnosisTest, TheClientsOwnResetIsNotNothingListens) {
  ConvScript c = conv(2, kClient, kStore);
  c.link = link_for(kEmsmdb);
  c.syn();
  c.rst(From::client);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"firewall_drops_dynamic_port"});
}

TEST_F(DiagnosisTest, UnansweredSynsToTheMapperAreEpmUnanswered) {
  for (std::uint16_t port : std::vector<std::uint16_t>{135, 593}) {
    options({});
    ConvScript c = conv(1, kClient, endpoint("10.5.0.10", port));
    auto syns = unanswered_syns(c, 2);
    c.end(EndReason::evicted_idle);
    finish();
    EXPECT_EQ(kinds(), std::vector<std::string>{"epm_unanswered"}) << port;
    const Finding& f = one(FindingKind::epm_unanswered);
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.port, port);
    EXPECT_FALSE(f.interface.has_value());
    EXPECT_EQ(f.frames, syns);
    EXPECT_TRUE(Contains(f.message, "TCP " + std::to_string(port) +
                                        " on 10.5.0.10 did not answer: the endpoint mapper is "
                                        "unreachable"));
    EXPECT_TRUE(Contains(f.evidence, "1 retransmitted"));
    EXPECT_TRUE(Contains(f.next_step, "routing and firewalls"));
    EXPECT_TRUE(result().services.empty());
  }
}

TEST_F(DiagnosisTest, TheMappersResetIsEpmReset) {
  ConvScript c = conv(1, kClient, kMapper);
  auto syn = c.syn();
  auto rst = c.rst(From::server);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"epm_reset"});
  const Finding& f = one(FindingKind::epm_reset);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.port, 135);
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{syn, rst}));
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10 refused TCP 135: the endpoint mapper is not "
                       "listening"));
  EXPECT_TRUE(Contains(f.next_step, "RpcSs"));
}

TEST_F(DiagnosisTest, AResetAfterTheHandshakeIsNoRefusal) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.rst(From::server);
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

TEST_F(DiagnosisTest, UnansweredSynsToAnotherPortWithoutLinkAreConnectUnanswered) {
  ConvScript c = conv(1, kClient, kStore);
  auto syns = unanswered_syns(c);
  c.end(EndReason::evicted_idle);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"connect_unanswered"});
  const Finding& f = one(FindingKind::connect_unanswered);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(f.frames, syns);
  EXPECT_TRUE(Contains(f.message, "10.5.0.10:49154 did not answer the client's SYNs"));
  EXPECT_FALSE(Contains(f.evidence, "ept_map"));
}

TEST_F(DiagnosisTest, ConversationsNotShownAreNotDiagnosed) {
  ConvScript web = conv(1, kClient, endpoint("10.5.0.10", 80));
  web.shown = false;
  unanswered_syns(web);
  web.end(EndReason::evicted_idle);
  ConvScript hidden = conv(2, endpoint("10.5.0.20", 49701), kStore);
  hidden.shown = false;
  hidden.handshake();
  hidden.unanswered(1, kSamr, kSamrConnect5);
  hidden.end(EndReason::closed);
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

// Bounded evidence must still count right: 20 SYNs are 19 retransmissions.
TEST_F(DiagnosisTest, EverySynRetransmissionIsCounted) {
  ConvScript c = conv(2, kClient, kStore);
  c.link = link_for(kEmsmdb);
  unanswered_syns(c, 20);
  c.end(EndReason::evicted_idle);
  finish();
  EXPECT_TRUE(Contains(one(FindingKind::firewall_drops_dynamic_port).evidence,
                       "19 retransmitted, 57.000000 s"));
}

// ----- Lookups never answered, ports never tried -----

TEST_F(DiagnosisTest, AnEptMapNeverAnsweredIsEpmNoAnswer) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.bind({epm_interface()});
  auto request = c.unanswered(2, epm_interface(), epm::opnum::ept_map);
  c.last_unanswered().epm_request = map_request(kEmsmdb);
  c.end(EndReason::closed);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"epm_no_answer"});  // not no_response too
  const Finding& f = one(FindingKind::epm_no_answer);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kEmsmdb));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{request.frame});
  EXPECT_TRUE(Contains(f.message,
                       "the endpoint mapper on 10.5.0.10 never answered the lookup "
                       "for A4F1DB00-CA47-1067-B31F-00DD010662DA"));
  EXPECT_TRUE(Contains(f.evidence, "ept_map request in frame " + std::to_string(request.frame) +
                                       "; the connection ended with no answer"));
  EXPECT_TRUE(Contains(f.next_step, "hung or overloaded"));
  EXPECT_EQ(service(kEmsmdb).unanswered, 1u);
  EXPECT_EQ(service(kEmsmdb).state(), ServiceState::connecting);
}

TEST_F(DiagnosisTest, AnAnsweredEptMapIsNoEpmNoAnswer) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.bind({epm_interface()});
  c.ept_map(2, kEmsmdb, map_answer({tcp_tower(kEmsmdb, 49154)}));
  c.end(EndReason::closed);
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

// The capture may stop a millisecond after the request: that is no hung mapper, as no_response
// says for other calls (a warning, "capture longer").
TEST_F(DiagnosisTest, AnEptMapCutOffByTheCaptureEndIsAWarning) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.bind({epm_interface()});
  c.unanswered(2, epm_interface(), epm::opnum::ept_map);
  c.last_unanswered().epm_request = map_request(kEmsmdb);
  c.end(EndReason::capture_end);
  finish();
  const Finding& f = one(FindingKind::epm_no_answer);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_FALSE(result().has_error());
}

TEST_F(DiagnosisTest, APortTheMapperGaveAndNobodyTriedIsPortNeverTried) {
  links_.remember(map_answer({tcp_tower(kEmsmdb, 49154, ip("10.5.0.10"))}), 1, {7, {}}, kClient,
                  kMapper.address);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"port_never_tried"});
  const Finding& f = one(FindingKind::port_never_tried);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_EQ(f.client, kClient.address);
  EXPECT_EQ(f.server, kStore.address);
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(name_of(f.interface), name_of(kEmsmdb));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{7});
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.20 never tried 10.5.0.10:49154, the port the endpoint "
                       "mapper gave for A4F1DB00-CA47-1067-B31F-00DD010662DA"));
  EXPECT_TRUE(Contains(f.evidence, "ept_map answer in frame 7"));
}

TEST_F(DiagnosisTest, ATowerWithNoAddressNamesTheMapper) {
  links_.remember(map_answer({tcp_tower(kNspi, 49160, ip("0.0.0.0"))}), 1, {7, {}}, kClient,
                  kMapper.address);
  finish();
  const Finding& f = one(FindingKind::port_never_tried);
  EXPECT_EQ(f.server, kMapper.address);
  EXPECT_EQ(f.port, 49160);
}

TEST_F(DiagnosisTest, APortTriedOnceIsNoPortNeverTried) {
  // One tower of two tried is enough; another client's try is not.
  links_.remember(map_answer({tcp_tower(kEmsmdb, 49154), tcp_tower(kNspi, 49155)}), 1, {7, {}},
                  kClient, kMapper.address);
  links_.tried(kClient, kStore);
  links_.remember(map_answer({tcp_tower(kRfr, 49156)}), 1, {9, {}}, kClient, kMapper.address);
  links_.tried(endpoint("10.5.0.99", 50000), endpoint("10.5.0.10", 49156));
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"port_never_tried"});
  EXPECT_EQ(one(FindingKind::port_never_tried).port, 49156);
}

// ----- Calls with no answer, resets during a call -----

TEST_F(DiagnosisTest, ACallUnansweredWhenTheConnectionEndedIsAnError) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  auto request = c.unanswered(2, kSamr, kSamrConnect5);
  c.end(EndReason::closed);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"no_response"});
  const Finding& f = one(FindingKind::no_response);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{request.frame});
  EXPECT_TRUE(Contains(f.message,
                       "1 call to 10.5.0.10 was never answered before the connection "
                       "ended"));
  EXPECT_TRUE(Contains(f.evidence, "requests in frame " + std::to_string(request.frame) +
                                       " (12345778-1234-ABCD-EF00-0123456789AC v1.0 (SAMR) opnum "
                                       "64 SamrConnect5)"));
  EXPECT_TRUE(Contains(f.next_step, "look at the server"));
  EXPECT_EQ(service(kSamr).unanswered, 1u);
  EXPECT_EQ(service(kSamr).state(), ServiceState::connecting);
}

TEST_F(DiagnosisTest, CallsUnansweredWhenTheCaptureEndedAreAWarning) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  auto first = c.unanswered(2, kSamr, kSamrConnect5);
  auto second = c.unanswered(3, kSamr, 5);
  c.end(EndReason::capture_end);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"no_response"});
  const Finding& f = one(FindingKind::no_response);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{first.frame, second.frame}));
  EXPECT_TRUE(Contains(f.message,
                       "2 calls to 10.5.0.10 were never answered before the capture "
                       "ended"));
  EXPECT_TRUE(Contains(f.next_step, "capture longer"));
  EXPECT_FALSE(result().has_error());
}

TEST_F(DiagnosisTest, CallsEndedOtherwiseAreNoNoResponse) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  auto orphaned = c.send_pdu(From::client, request_pdu(2, kSamr, 5));
  sink().call(c.call_record(2, kSamr, 5, orphaned, orphaned, CallOutcome::orphaned));
  c.unanswered(3, kSamr, 6);
  c.last_unanswered().call.request_complete = false;  // its last fragment was not seen
  c.end(EndReason::closed);
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  EXPECT_EQ(service(kSamr).state(), ServiceState::established);
}

TEST_F(DiagnosisTest, TheServersResetDuringACallIsResetMidCall) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.unanswered(2, kSamr, kSamrConnect5);
  auto rst = c.rst(From::server);
  c.end(EndReason::closed);
  finish();
  EXPECT_EQ(kinds(), (std::vector<std::string>{"no_response", "reset_mid_call"}));
  const Finding& f = one(FindingKind::reset_mid_call);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{rst});
  EXPECT_TRUE(Contains(f.message, "10.5.0.10 reset the connection while a call was outstanding"));
  EXPECT_TRUE(Contains(f.evidence, "RST in frame " + std::to_string(rst)));
}

TEST_F(DiagnosisTest, AResetWithNoCallOpenOrFromTheClientIsNoResetMidCall) {
  ConvScript after = conv(2, kClient, kStore);
  after.handshake();
  after.bind({kSamr});
  after.call(2, kSamr, kSamrConnect5);
  after.rst(From::server);
  after.end(EndReason::closed);
  ConvScript client = conv(3, endpoint("10.5.0.20", 49701), kStore);
  client.handshake();
  client.bind({kSamr});
  client.unanswered(2, kSamr, kSamrConnect5);
  client.rst(From::client);
  client.end(EndReason::closed);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"no_response"});
}

// ----- TCP trouble, RPC over HTTP's ports -----

// A bound SAMR connection with `retransmissions` retransmitted segments (every other one
// partial) and `zero_windows` ACKs advertising a zero window. Returns their first frames.
std::vector<std::uint64_t> troubled(ConvScript& c, int retransmissions, int zero_windows) {
  std::vector<std::uint64_t> first;
  c.handshake();
  c.bind({kSamr});
  for (int i = 0; i < retransmissions; ++i) {
    FrameRecord f = c.segment(From::client, control::ack | control::psh, 100);
    f.segment.note = i % 2 ? NoteKind::partial_retransmission : NoteKind::retransmission;
    c.send(f);
    if (i == 0) first.push_back(f.frame);
  }
  for (int i = 0; i < zero_windows; ++i) {
    FrameRecord f = c.segment(From::client, control::ack);
    f.segment.window = 0;
    c.send(f);
    if (i == 0) first.push_back(f.frame);
  }
  c.call(2, kSamr, kSamrConnect5);
  return first;
}

TEST_F(DiagnosisTest, OneOrTwoRetransmissionsAreInfo) {
  ConvScript c = conv(2, kClient, kStore);
  auto frames = troubled(c, 2, 0);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"tcp_trouble"});
  const Finding& f = one(FindingKind::tcp_trouble);
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, frames);
  EXPECT_TRUE(Contains(f.message,
                       "a few TCP retransmissions on RPC connections from 10.5.0.20 to 10.5.0.10"))
      << f.message;
  EXPECT_TRUE(Contains(f.evidence,
                       "port 49154: 2 retransmissions, 0 zero windows, first "
                       "retransmission in frame " +
                           std::to_string(frames[0])))
      << f.evidence;
}

TEST_F(DiagnosisTest, OrdinaryRetransmissionsAreOneFindingPerClientAndServer) {
  ConvScript a = conv(2, kClient, kStore);
  troubled(a, 1, 0);
  a.end();
  ConvScript b = conv(3, endpoint("10.5.0.20", 50001), kStore);
  troubled(b, 2, 0);
  b.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"tcp_trouble"}) << dump();
  const Finding& f = one(FindingKind::tcp_trouble);
  EXPECT_EQ(f.count, 2u);
  EXPECT_TRUE(Contains(f.evidence, "2 times in all")) << f.evidence;
}

TEST_F(DiagnosisTest, ThreeRetransmissionsAreAWarning) {
  ConvScript c = conv(2, kClient, kStore);
  troubled(c, 3, 0);
  c.end();
  finish();
  const Finding& f = one(FindingKind::tcp_trouble);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_TRUE(Contains(f.message, "3 retransmissions"));
}

TEST_F(DiagnosisTest, AZeroWindowIsAWarning) {
  ConvScript c = conv(2, kClient, kStore);
  auto frames = troubled(c, 1, 2);
  c.end();
  finish();
  const Finding& f = one(FindingKind::tcp_trouble);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_EQ(f.frames, frames);
  EXPECT_TRUE(Contains(f.message, "1 retransmission, 2 zero windows"));
  EXPECT_TRUE(Contains(f.evidence, "first retransmission in frame " + std::to_string(frames[0]) +
                                       ", first zero window in frame " +
                                       std::to_string(frames[1])));
}

TEST_F(DiagnosisTest, NoTcpTroubleWithoutDcerpcOrWithoutTrouble) {
  // Retransmissions on a connection to the mapper that carried no PDU.
  ConvScript silent = conv(1, kClient, kMapper);
  silent.handshake();
  for (int i = 0; i < 3; ++i) {
    FrameRecord f = silent.segment(From::client, control::ack | control::psh, 10);
    f.segment.note = NoteKind::retransmission;
    silent.send(f);
  }
  silent.end();
  // A zero window on a SYN or a RST, and a retransmitted SYN, are no trouble.
  ConvScript c = conv(2, endpoint("10.5.0.20", 49701), kStore);
  FrameRecord syn = c.segment(From::client, control::syn);
  syn.segment.window = 0;
  c.send(syn);
  FrameRecord again = c.segment(From::client, control::syn);
  again.segment.note = NoteKind::syn_retransmission;
  c.send(again);
  c.send_segment(From::server, control::syn | control::ack);
  c.bind({kSamr});
  c.call(2, kSamr, kSamrConnect5);
  FrameRecord rst = c.segment(From::server, control::rst);
  rst.segment.window = 0;
  c.send(rst);
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

TEST_F(DiagnosisTest, DcerpcOnAStaticRpcOverHttpPortIsInfo) {
  for (std::uint16_t port : std::vector<std::uint16_t>{593, 6001, 6002, 6004}) {
    options({});
    ConvScript c = conv(1, kClient, endpoint("10.5.0.10", port));
    c.handshake();
    c.bind({kEmsmdb});
    c.call(2, kEmsmdb, 0);
    Conversation v = c.end();
    finish();
    EXPECT_EQ(kinds(), std::vector<std::string>{"rpc_over_http_port"}) << port;
    const Finding& f = one(FindingKind::rpc_over_http_port);
    EXPECT_EQ(f.severity, Severity::info);
    EXPECT_EQ(f.port, port);
    EXPECT_EQ(name_of(f.interface), name_of(kEmsmdb));
    EXPECT_EQ(f.frames, std::vector<std::uint64_t>{v.first_frame});
    EXPECT_TRUE(Contains(f.message,
                         "10.5.0.10:" + std::to_string(port) + " is a static RPC-over-HTTP port"));
    EXPECT_TRUE(Contains(f.evidence, "DCE/RPC from frame " + std::to_string(v.first_frame)));
    EXPECT_FALSE(result().has_error());
  }
}

TEST_F(DiagnosisTest, NoRpcOverHttpFindingWithALinkOnAnotherPortOrWithoutDcerpc) {
  ConvScript linked = conv(2, kClient, endpoint("10.5.0.10", 6001));
  linked.link = link_for(kEmsmdb);
  linked.handshake();
  linked.bind({kEmsmdb});
  linked.end();
  ConvScript other = conv(3, endpoint("10.5.0.20", 49701), endpoint("10.5.0.10", 6003));
  other.handshake();
  other.bind({kEmsmdb});
  other.end();
  ConvScript silent = conv(4, endpoint("10.5.0.20", 49702), endpoint("10.5.0.10", 6004));
  silent.handshake();
  silent.send_segment(From::client, control::ack | control::psh, 40);
  silent.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

// ----- KB159298's MTA two-way bind -----

const common::Endpoint kMtaA = endpoint("10.5.0.10", 1035);
const common::Endpoint kMtaB = endpoint("10.5.0.12", 1036);

TEST_F(DiagnosisTest, MtaBindAndMtaBindBackAreATwoWayBind) {
  ConvScript bind = conv(1, kMtaA, kMtaB);
  bind.handshake();
  bind.bind({kMta});
  auto request = bind.send_pdu(From::client, request_pdu(2, kMta, 0));
  ConvScript back = conv(2, endpoint("10.5.0.12", 1040), endpoint("10.5.0.10", 1036));
  back.handshake();
  back.bind({kMta});
  CallRecord r = back.call(2, kMta, 1);
  bind.answer(request, 2, kMta, 0);
  back.end();
  bind.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"mta_two_way_bind"});
  const Finding& f = one(FindingKind::mta_two_way_bind);
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_EQ(f.client, kMtaA.address);
  EXPECT_EQ(f.server, kMtaB.address);
  EXPECT_EQ(name_of(f.interface), name_of(kMta));
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{request.frame, r.call.request_first.frame}));
  EXPECT_TRUE(Contains(f.message,
                       "the MTA two-way bind between 10.5.0.10 and 10.5.0.12 is "
                       "complete"));
  EXPECT_TRUE(Contains(f.evidence, "MtaBind in frame " + std::to_string(request.frame) +
                                       ", MtaBindBack from 10.5.0.12 in frame " +
                                       std::to_string(r.call.request_first.frame)));
}

TEST_F(DiagnosisTest, MtaBindWithoutMtaBindBackIsMissing) {
  ConvScript bind = conv(1, kMtaA, kMtaB);
  bind.handshake();
  bind.bind({kMta});
  CallRecord r = bind.call(2, kMta, 0);
  bind.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"mta_bindback_missing"});
  const Finding& f = one(FindingKind::mta_bindback_missing);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.client, kMtaA.address);
  EXPECT_EQ(f.server, kMtaB.address);
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{r.call.request_first.frame});
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10 sent MtaBind to 10.5.0.12, but no MtaBindBack "
                       "connection came back from 10.5.0.12"));
  EXPECT_TRUE(Contains(f.next_step, "10.5.0.12 must reach 10.5.0.10's endpoint mapper"));
}

TEST_F(DiagnosisTest, AnMtaBindBackTheWrongWayOrBeforeTheBindIsNoBindBack) {
  // MtaBindBack from B to A before A's MtaBind, then one from A to B after it.
  ConvScript early = conv(1, endpoint("10.5.0.12", 1040), endpoint("10.5.0.10", 1036));
  early.handshake();
  early.bind({kMta});
  early.call(2, kMta, 1);
  early.end();
  ConvScript bind = conv(2, kMtaA, kMtaB);
  bind.handshake();
  bind.bind({kMta});
  bind.call(2, kMta, 0);
  bind.call(3, kMta, 1);
  bind.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"mta_bindback_missing"});
}

// Conversations' records may reach the sink out of time order (one holds its records while
// bytes are out of order): an MtaBindBack sent before the MtaBind is none, even reported after.
TEST_F(DiagnosisTest, AnMtaBindBackSentBeforeTheBindButReportedAfterIsNoBindBack) {
  ConvScript bind = conv(1, kMtaA, kMtaB);
  bind.handshake();
  bind.bind({kMta});
  auto request = bind.send_pdu(From::client, request_pdu(2, kMta, 0));
  ConvScript back = conv(2, endpoint("10.5.0.12", 1040), endpoint("10.5.0.10", 1036));
  FrameRecord f = back.segment(From::client, control::ack | control::psh, 100);
  f.ts = {request.ts.sec - 1, request.ts.usec};
  ReportedPdu p = request_pdu(2, kMta, 1);
  p.event.at = {f.frame, f.ts};
  f.pdus.push_back(p);
  back.send(f);
  back.end(EndReason::capture_end);
  bind.answer(request, 2, kMta, 0);
  bind.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"mta_bindback_missing"});
}

TEST_F(DiagnosisTest, OtherInterfacesOpnumZeroIsNoMtaBind) {
  ConvScript c = conv(1, kMtaA, kMtaB);
  c.handshake();
  c.bind({kSamr});
  c.call(2, kSamr, 0);
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

// ----- Services, Outlook's labels, --interface, has_error -----

TEST(ServiceStatus, StateFollowsCallsRefusalsAndBinds) {
  ServiceStatus s;
  EXPECT_EQ(s.state(), ServiceState::connecting);  // tried, never got there
  s.bound = true;
  EXPECT_EQ(s.state(), ServiceState::established);
  s.unanswered = 1;
  EXPECT_EQ(s.state(), ServiceState::connecting);
  s.faults = 1;
  EXPECT_EQ(s.state(), ServiceState::failed);
  s.faults = 0;
  s.refused = 1;
  EXPECT_EQ(s.state(), ServiceState::failed);
  s.calls = 1;  // answered once: it worked
  EXPECT_EQ(s.state(), ServiceState::established);
}

TEST(OutlookLabel, DirectoryAndMail) {
  EXPECT_EQ(outlook_label(kRfr), "Directory");
  EXPECT_EQ(outlook_label(kNspi), "Directory");
  EXPECT_EQ(outlook_label(kEmsmdb), "Mail");
  EXPECT_EQ(outlook_label(interface_named("AsyncEMSMDB")), "Mail");
  EXPECT_EQ(outlook_label(kSamr), "");
  EXPECT_EQ(outlook_label(epm_interface()), "");
}

// The source document's case: Directory established, Mail connecting behind a firewall.
TEST_F(DiagnosisTest, DirectoryEstablishedMailConnecting) {
  ConvScript mapper = conv(1, kClient, kMapper);
  mapper.handshake();
  mapper.bind({epm_interface()});
  mapper.ept_map(2, kNspi, map_answer({tcp_tower(kNspi, 49160)}));
  mapper.ept_map(3, kEmsmdb, map_answer({tcp_tower(kEmsmdb, 49154)}));
  mapper.end();
  ConvScript nspi = conv(2, endpoint("10.5.0.20", 49701), endpoint("10.5.0.10", 49160));
  nspi.link = link_for(kNspi);
  nspi.handshake();
  nspi.bind({kNspi});
  nspi.call(2, kNspi, 0, 4000);
  nspi.call(3, kNspi, 1, 2000);
  nspi.end();
  ConvScript store = conv(3, endpoint("10.5.0.20", 49702), kStore);
  store.link = link_for(kEmsmdb);
  unanswered_syns(store);
  store.end(EndReason::evicted_idle);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"firewall_drops_dynamic_port"});
  ASSERT_EQ(result().services.size(), 2u);
  const ServiceStatus& directory = result().services[0];
  EXPECT_EQ(name_of(directory.interface), name_of(kNspi));
  EXPECT_EQ(outlook_label(directory.interface), "Directory");
  EXPECT_EQ(directory.state(), ServiceState::established);
  EXPECT_EQ(directory.calls, 2u);
  EXPECT_EQ(directory.latencies_us, (std::vector<std::int64_t>{4000, 2000}));
  EXPECT_EQ(directory.port, 49160);
  const ServiceStatus& mail = result().services[1];
  EXPECT_EQ(outlook_label(mail.interface), "Mail");
  EXPECT_EQ(mail.state(), ServiceState::connecting);
  EXPECT_EQ(mail.port, 49154);
  EXPECT_EQ(mail.client, kClient.address);
  EXPECT_EQ(mail.server, kStore.address);
  EXPECT_TRUE(result().has_error());
}

// One client that meets a SAMR fault, an EMSMDB firewall and an unanswered mapper.
void mixed_troubles(Clock& clock, Sink& sink) {
  ConvScript samr(sink, clock, 1, kClient, endpoint("10.5.0.10", 49153));
  samr.handshake();
  samr.bind({kSamr});
  samr.call(2, kSamr, 99, 2000, CallOutcome::fault, kOpRangeError);
  samr.end();
  ConvScript store(sink, clock, 2, endpoint("10.5.0.20", 49701), kStore);
  store.link = link_for(kEmsmdb);
  store.syn();
  store.end(EndReason::evicted_idle);
  ConvScript mapper(sink, clock, 3, endpoint("10.5.0.20", 49702), endpoint("10.5.0.11", 135));
  mapper.syn();
  mapper.end(EndReason::evicted_idle);
}

TEST_F(DiagnosisTest, WithoutInterfacesEverythingIsKept) {
  mixed_troubles(clock_, sink());
  finish();
  EXPECT_EQ(kinds(),
            (std::vector<std::string>{"fault", "firewall_drops_dynamic_port", "epm_unanswered"}));
  EXPECT_EQ(result().services.size(), 2u);
}

TEST_F(DiagnosisTest, InterfacesKeepTheirServicesAndFindingsOnly) {
  options({.slow_us = 500'000, .interfaces = {"emsmdb"}});  // a name, any case
  mixed_troubles(clock_, sink());
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"firewall_drops_dynamic_port"});
  ASSERT_EQ(result().services.size(), 1u);
  EXPECT_EQ(name_of(result().services[0].interface), name_of(kEmsmdb));
}

TEST_F(DiagnosisTest, InterfacesMayBeUuids) {
  options({.slow_us = 500'000, .interfaces = {"12345778-1234-abcd-ef00-0123456789ac"}});
  mixed_troubles(clock_, sink());
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"fault"});
  ASSERT_EQ(result().services.size(), 1u);
  EXPECT_EQ(name_of(result().services[0].interface), name_of(kSamr));
}

TEST_F(DiagnosisTest, HasErrorOnlyWithAnError) {
  EXPECT_FALSE(finish().has_error());
  options({});
  ConvScript c = conv(2, kClient, kStore);
  troubled(c, 1, 0);                         // info
  c.call(3, kSamr, kSamrConnect5, 800'000);  // warning
  c.end();
  EXPECT_FALSE(finish().has_error()) << dump();
  EXPECT_EQ(result().findings.size(), 2u);
  options({});
  ConvScript d = conv(3, kClient, kStore);
  d.handshake();
  d.bind({kSamr});
  d.call(2, kSamr, 99, 2000, CallOutcome::fault, kOpRangeError);
  d.end();
  EXPECT_TRUE(finish().has_error());
}

}  // namespace
}  // namespace rpctrace::analysis::test
