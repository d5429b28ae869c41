// Diagnosis, part 1 (diagnosis.cpp): what each frame, PDU and call adds — binds refused,
// faults, authentication failures, ept_map answers, slow calls — fed synthetic records (no
// capture, no reader). Each rule fires once and is shown a near miss that must not; a test
// marked "bug:" holds the behaviour the rule should have and is skipped until it does.
#include "rpctrace/analysis/diagnosis.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "unit/analysis/analysis_test_util.hpp"

namespace rpctrace::analysis::test {
namespace {

using dcerpc::CallOutcome;


// ----- Binds: bind_nak, bind_rejected, alter_context_refused -----

TEST_F(DiagnosisTest, ABindNakIsAFinding) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, bind_pdu(1, {kSamr}));
  dcerpc::BindNak nak;
  nak.provider_reject_reason = 2;  // local_limit_exceeded
  auto at = c.send_pdu(From::server, make_pdu(dcerpc::PacketType::bind_nak, 1, nak));
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"bind_nak"});
  const Finding& f = one(FindingKind::bind_nak);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.client, kClient.address);
  EXPECT_EQ(f.server, kStore.address);
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{at.frame});
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10 refused the association (bind_nak): "
                       "local_limit_exceeded"));
  EXPECT_TRUE(Contains(f.evidence, "bind_nak in frame " + std::to_string(at.frame)));
  EXPECT_TRUE(Contains(f.next_step, "resource limit"));
  EXPECT_EQ(service(kSamr).refused, 1u);
  EXPECT_EQ(service(kSamr).state(), ServiceState::failed);
}

TEST_F(DiagnosisTest, AnAcceptedBindIsAnEstablishedService) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  const ServiceStatus& s = service(kSamr);
  EXPECT_TRUE(s.bound);
  EXPECT_EQ(s.port, 49154);
  EXPECT_EQ(s.protseq, "ncacn_ip_tcp");
  EXPECT_EQ(s.state(), ServiceState::established);
}

TEST_F(DiagnosisTest, ABindAckThatAcceptsNoContextIsBindRejected) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, bind_pdu(3, {kNspi}));
  auto at = c.send_pdu(From::server,
                       bind_ack_pdu(3, {kNspi}, {kProviderRejection}, kAbstractSyntaxNotSupported));
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"bind_rejected"});
  const Finding& f = one(FindingKind::bind_rejected);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kNspi));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{at.frame});
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10 refused the bind to F5CC5A18-4264-101A-8C59-"
                       "08002B2F8426"));
  EXPECT_TRUE(Contains(f.message, "abstract_syntax_not_supported"));
  EXPECT_TRUE(
      Contains(f.evidence, "bind_ack in frame " + std::to_string(at.frame) + ", call_id 0x3"));
  EXPECT_TRUE(Contains(f.next_step, "does not offer this interface"));
  EXPECT_EQ(service(kNspi).state(), ServiceState::failed);
}

TEST_F(DiagnosisTest, ABindAckThatAcceptsOneContextIsNoRejection) {
  const dcerpc::SyntaxId unknown = interface_uuid("6b2f0b9a-2f7e-4b2c-9d3e-5a1c0ffee001");
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, bind_pdu(1, {unknown, kSamr}));
  c.send_pdu(From::server, bind_ack_pdu(1, {unknown, kSamr}, {kProviderRejection, 0},
                                        kAbstractSyntaxNotSupported));
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  EXPECT_EQ(service(kSamr).state(), ServiceState::established);
  EXPECT_FALSE(has_service(unknown));
}

// A bind for an unknown interface from a client offering bind time feature negotiation
// (MS-RPCE 3.3.1.5.3): the server rejects the real context and answers the negotiation context
// with negotiate_ack, which accepts no interface.
TEST_F(DiagnosisTest, NegotiateAckAloneIsStillARejectedBind) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, bind_pdu(1, {kNspi, kNspi}));
  ReportedPdu ack =
      bind_ack_pdu(1, {kNspi, kNspi}, {kProviderRejection, 3}, kAbstractSyntaxNotSupported);
  std::get<dcerpc::BindAck>(ack.event.body).results[1].reason = 0x3;  // the feature bits
  c.send_pdu(From::server, ack);
  c.end();
  finish();
  EXPECT_EQ(name_of(one(FindingKind::bind_rejected).interface), name_of(kNspi));
  EXPECT_EQ(service(kNspi).state(), ServiceState::failed);
}

TEST_F(DiagnosisTest, AnAlterContextThatAcceptsNoneIsRefused) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kEmsmdb});
  c.send_pdu(From::client, bind_pdu(2, {kRfr}, std::nullopt, dcerpc::PacketType::alter_context));
  auto at = c.send_pdu(From::server,
                       bind_ack_pdu(2, {kRfr}, {kProviderRejection}, kAbstractSyntaxNotSupported,
                                    dcerpc::PacketType::alter_context_resp));
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"alter_context_refused"});
  const Finding& f = one(FindingKind::alter_context_refused);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_EQ(name_of(f.interface), name_of(kRfr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{at.frame});
  EXPECT_TRUE(Contains(f.message,
                       "refused the alter_context for 1544F5E0-613C-11D1-93DF-"
                       "00C04FD7BD09"));
  EXPECT_TRUE(Contains(
      f.evidence, "alter_context_resp in frame " + std::to_string(at.frame) + ", call_id 0x2"));
  EXPECT_EQ(service(kRfr).state(), ServiceState::failed);
  EXPECT_EQ(service(kEmsmdb).state(), ServiceState::established);
}

TEST_F(DiagnosisTest, AnAcceptedAlterContextIsNoRefusal) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kEmsmdb});
  c.send_pdu(From::client, bind_pdu(2, {kRfr}, std::nullopt, dcerpc::PacketType::alter_context));
  c.send_pdu(From::server, bind_ack_pdu(2, {kRfr}, {0}, 0, dcerpc::PacketType::alter_context_resp));
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  EXPECT_TRUE(service(kRfr).bound);
}

// ----- Faults -----

TEST_F(DiagnosisTest, AFaultIsAFinding) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  CallRecord r = c.call(2, kSamr, 99, 2000, CallOutcome::fault, kOpRangeError);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"fault"});
  const Finding& f = one(FindingKind::fault);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{r.call.end.frame});
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10 answered SAMR opnum 99 with a fault: 0x1C010002 "
                       "(nca_s_op_rng_error): the server does not implement opnum 99"))
      << f.message;
  EXPECT_TRUE(Contains(f.evidence, "fault in frame " + std::to_string(r.call.end.frame) +
                                       " for the request in frame " +
                                       std::to_string(r.call.request_first.frame)));
  EXPECT_TRUE(Contains(f.next_step, "has no operation 99")) << f.next_step;
  EXPECT_EQ(service(kSamr).faults, 1u);
  EXPECT_EQ(service(kSamr).state(), ServiceState::failed);
}

TEST_F(DiagnosisTest, AFaultWhoseRequestWasNotSeenIsAFinding) {
  ConvScript c = conv(2, kClient, kStore);
  auto answer = c.send_pdu(From::server, make_pdu(dcerpc::PacketType::fault, 9,
                                                  dcerpc::Fault{0, 0, 0, 0, kOpRangeError, 0}));
  CallRecord r = c.call_record(9, kSamr, 0, {}, answer, CallOutcome::fault);
  r.call.request_seen = false;
  r.call.request_complete = false;
  r.call.fault_status = kOpRangeError;
  sink().call(r);
  c.end(EndReason::capture_end);
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"fault"});
  const Finding& f = one(FindingKind::fault);
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{answer.frame});
  EXPECT_TRUE(Contains(f.evidence, "fault in frame " + std::to_string(answer.frame)));
  EXPECT_FALSE(Contains(f.evidence, "for the request"));
  EXPECT_EQ(service(kSamr).faults, 1u);
}

TEST_F(DiagnosisTest, AResponseIsNoFault) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.call(2, kSamr, kSamrConnect5, 3000);
  // A response whose request was not seen says nothing.
  auto answer =
      c.send_pdu(From::server, make_pdu(dcerpc::PacketType::response, 9, dcerpc::Response{}));
  CallRecord unseen = c.call_record(9, kRfr, 0, {}, answer, CallOutcome::response);
  unseen.call.request_seen = false;
  sink().call(unseen);
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  const ServiceStatus& s = service(kSamr);
  EXPECT_EQ(s.calls, 1u);
  EXPECT_EQ(s.latencies_us, std::vector<std::int64_t>{3000});
  EXPECT_EQ(s.state(), ServiceState::established);
  EXPECT_FALSE(has_service(kRfr));
}

// ----- Authentication: a fault or the server's RST after auth3, a KRB-ERROR -----

// bind at `level` with a verifier, accepted; auth3 carrying NTLMSSP AUTHENTICATE.
std::uint64_t authenticate(ConvScript& c, std::uint8_t level) {
  c.handshake();
  c.send_pdu(From::client, bind_pdu(1, {kSamr}, level));
  c.send_pdu(From::server, bind_ack_pdu(1, {kSamr}, {0}));
  return c
      .send_pdu(From::client, with_token(make_pdu(dcerpc::PacketType::auth3, 1, dcerpc::NoBody{}),
                                         ntlm_authenticate()))
      .frame;
}

TEST_F(DiagnosisTest, AccessDeniedOnTheFirstCallAfterAuth3AtConnectLevelNamesTheLevel) {
  ConvScript c = conv(2, kClient, kStore);
  auto auth3 = authenticate(c, dcerpc::auth_level::connect);
  CallRecord r = c.call(2, kSamr, kSamrConnect5, 2000, CallOutcome::fault, kAccessDenied);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"authentication_failed"});
  const Finding& f = one(FindingKind::authentication_failed);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{r.call.end.frame});
  EXPECT_TRUE(Contains(f.message, "answered the first authenticated call (SAMR SamrConnect5)"))
      << f.message;
  EXPECT_TRUE(Contains(f.message,
                       "0x5 (ERROR_ACCESS_DENIED): authentication or authorization "
                       "failed"));
  EXPECT_TRUE(Contains(f.evidence, "the first call after auth3 in frame " + std::to_string(auth3) +
                                       ", account RPCTEST\\Administrator (NTLMSSP, from WS1)"));
  EXPECT_TRUE(Contains(f.next_step, "the server may refuse auth level 2 (connect)"));
  EXPECT_TRUE(Contains(f.next_step, "packet integrity (5)"));
}

TEST_F(DiagnosisTest, AccessDeniedAfterAuth3AtIntegrityBlamesTheCredentials) {
  ConvScript c = conv(2, kClient, kStore);
  authenticate(c, dcerpc::auth_level::pkt_integrity);
  c.call(2, kSamr, kSamrConnect5, 2000, CallOutcome::fault, kAccessDenied);
  c.end();
  finish();
  const Finding& f = one(FindingKind::authentication_failed);
  EXPECT_TRUE(Contains(f.next_step, "the credentials were refused"));
  EXPECT_FALSE(Contains(f.next_step, "auth level"));
}

TEST_F(DiagnosisTest, ASecurityPackageErrorAfterAuth3IsAuthenticationFailed) {
  ConvScript c = conv(2, kClient, kStore);
  authenticate(c, dcerpc::auth_level::pkt_integrity);
  c.call(2, kSamr, kSamrConnect5, 2000, CallOutcome::fault, kSecPkgError);
  c.end();
  finish();
  const Finding& f = one(FindingKind::authentication_failed);
  EXPECT_TRUE(Contains(f.message, "0x721 (RPC_S_SEC_PKG_ERROR): authentication failed"));
}

TEST_F(DiagnosisTest, OnlyTheFirstCallAfterAuth3IsAboutAuthentication) {
  ConvScript c = conv(2, kClient, kStore);
  authenticate(c, dcerpc::auth_level::connect);
  c.call(2, kSamr, kSamrConnect5);
  c.call(3, kSamr, 5, 2000, CallOutcome::fault, kAccessDenied);
  // Without auth3 a fault is a fault, whatever the bind's level.
  ConvScript plain = conv(3, endpoint("10.5.0.20", 49701), kStore);
  plain.handshake();
  plain.send_pdu(From::client, bind_pdu(1, {kSamr}, dcerpc::auth_level::connect));
  plain.send_pdu(From::server, bind_ack_pdu(1, {kSamr}, {0}));
  plain.call(2, kSamr, kSamrConnect5, 2000, CallOutcome::fault, kAccessDenied);
  c.end();
  plain.end();
  finish();
  EXPECT_EQ(kinds(), (std::vector<std::string>{"fault", "fault"}));
  EXPECT_TRUE(Contains(result().findings[0].next_step, "lacks the right"));
}

// An opnum out of range after auth3 says the server authenticated the caller and dispatched
// the call: calling it an authentication failure sends the reader the wrong way.
TEST_F(DiagnosisTest, AFaultThatIsNotAboutAccessAfterAuth3IsAFault) {
  ConvScript c = conv(2, kClient, kStore);
  authenticate(c, dcerpc::auth_level::pkt_integrity);
  c.call(2, kSamr, 99, 2000, CallOutcome::fault, kOpRangeError);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"fault"});
}

TEST_F(DiagnosisTest, TheServersResetAfterAuth3IsAuthenticationFailed) {
  ConvScript c = conv(2, kClient, kStore);
  auto auth3 = authenticate(c, dcerpc::auth_level::pkt_integrity);
  auto rst = c.rst(From::server);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"authentication_failed"});
  const Finding& f = one(FindingKind::authentication_failed);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.port, 49154);
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{auth3, rst}));
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10:49154 reset the connection after the client's auth3: "
                       "authentication failed"));
  EXPECT_TRUE(Contains(f.evidence, "auth3 in frame " + std::to_string(auth3) + ", RST in frame " +
                                       std::to_string(rst) +
                                       ", account RPCTEST\\Administrator (NTLMSSP, from WS1)"));
  EXPECT_TRUE(Contains(f.next_step, "the account, its password"));
}

TEST_F(DiagnosisTest, AResetAfterAuth3AndACallIsNotAuthentication) {
  // The call after auth3 was answered: authentication worked.
  ConvScript answered = conv(2, kClient, kStore);
  authenticate(answered, dcerpc::auth_level::pkt_integrity);
  answered.call(2, kSamr, kSamrConnect5);
  answered.rst(From::server);
  answered.end();
  // The client's own reset.
  ConvScript client_rst = conv(3, endpoint("10.5.0.20", 49701), kStore);
  authenticate(client_rst, dcerpc::auth_level::pkt_integrity);
  client_rst.rst(From::client);
  client_rst.end();
  // No interface bound: the bind was rejected before auth3.
  ConvScript unbound = conv(4, endpoint("10.5.0.20", 49702), kStore);
  unbound.handshake();
  unbound.send_pdu(From::client, bind_pdu(1, {kSamr}, dcerpc::auth_level::connect));
  unbound.send_pdu(From::server, bind_ack_pdu(1, {kSamr}, {kProviderRejection}, 1));
  unbound.send_pdu(From::client, make_pdu(dcerpc::PacketType::auth3, 1, dcerpc::NoBody{}));
  unbound.rst(From::server);
  unbound.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"bind_rejected"});
}

TEST_F(DiagnosisTest, TheServersResetAfterAuth3NamesTheBoundInterface) {
  options({.slow_us = 500'000, .interfaces = {"SAMR"}});
  ConvScript c = conv(2, kClient, kStore);
  authenticate(c, dcerpc::auth_level::pkt_integrity);
  c.rst(From::server);
  c.end();
  finish();
  EXPECT_EQ(name_of(one(FindingKind::authentication_failed).interface), name_of(kSamr));
}

TEST_F(DiagnosisTest, AKerberosErrorFromTheServerIsAuthenticationFailed) {
  auth::Token ticket;
  ticket.mechanism = "Kerberos";
  ticket.message = "AP-REQ";
  ticket.service = "host/dc1";
  ticket.realm = "RPCTEST.LOCAL";
  auth::Token error;
  error.mechanism = "Kerberos";
  error.message = "KRB-ERROR";
  error.error_code = 37;
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, with_token(bind_pdu(1, {kSamr}, 6), ticket));
  auto at = c.send_pdu(From::server, with_token(bind_ack_pdu(1, {kSamr}, {0}), error));
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"authentication_failed"});
  const Finding& f = one(FindingKind::authentication_failed);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{at.frame});
  EXPECT_TRUE(Contains(f.message,
                       "10.5.0.10 refused the client's Kerberos authentication: error "
                       "37 (KRB_AP_ERR_SKEW)"));
  EXPECT_TRUE(Contains(f.evidence, "KRB-ERROR in the verifier of frame " +
                                       std::to_string(at.frame) +
                                       ", Kerberos ticket for host/dc1@RPCTEST.LOCAL"));
  EXPECT_TRUE(Contains(f.next_step, "KRB_AP_ERR_SKEW: fix the clocks"));
}

TEST_F(DiagnosisTest, AKerberosErrorFromTheClientOrAnApRepIsNot) {
  auth::Token error;
  error.mechanism = "Kerberos";
  error.message = "KRB-ERROR";
  error.error_code = 41;
  auth::Token ap_rep;
  ap_rep.mechanism = "Kerberos";
  ap_rep.message = "AP-REP";
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, with_token(bind_pdu(1, {kSamr}, 6), error));
  c.send_pdu(From::server, with_token(bind_ack_pdu(1, {kSamr}, {0}), ap_rep));
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

// ----- ept_map answers: not registered, or services to reach -----

TEST_F(DiagnosisTest, AnEptMapAnswerWithNoTowerIsNotRegistered) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.bind({epm_interface()});
  CallRecord r = c.ept_map(2, kEmsmdb, map_answer({}, kNotRegistered));
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"epm_not_registered"});
  const Finding& f = one(FindingKind::epm_not_registered);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kEmsmdb));
  EXPECT_EQ(f.port, 135);
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{r.call.end.frame});
  EXPECT_TRUE(Contains(f.message,
                       "the endpoint mapper on 10.5.0.10 has no endpoint for "
                       "A4F1DB00-CA47-1067-B31F-00DD010662DA"));
  EXPECT_TRUE(Contains(f.message, "0x16C9A0D6 (ept_s_not_registered)"));
  EXPECT_TRUE(Contains(f.evidence, "ept_map answer in frame " + std::to_string(r.call.end.frame)));
  EXPECT_TRUE(Contains(f.next_step, "not running or not registered"));
  ASSERT_EQ(result().services.size(), 1u);  // the mapper itself is no service
  EXPECT_EQ(service(kEmsmdb).refused, 1u);
  EXPECT_EQ(service(kEmsmdb).state(), ServiceState::failed);
}

TEST_F(DiagnosisTest, AnEptMapAnswerWithAnErrorStatusIsNotRegistered) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.bind({epm_interface()});
  c.ept_map(2, kNspi, map_answer({tcp_tower(kNspi, 49155)}, kNotRegistered));
  c.end();
  finish();
  EXPECT_EQ(name_of(one(FindingKind::epm_not_registered).interface), name_of(kNspi));
}

TEST_F(DiagnosisTest, AnEptMapAnswerWithATowerIsAServiceToReach) {
  ConvScript c = conv(1, kClient, kMapper);
  c.handshake();
  c.bind({epm_interface()});
  c.ept_map(2, kEmsmdb, map_answer({tcp_tower(kEmsmdb, 49154, ip("10.5.0.11"))}));
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  ASSERT_EQ(result().services.size(), 1u);
  const ServiceStatus& s = service(kEmsmdb);
  EXPECT_EQ(s.server, ip("10.5.0.11"));  // the tower's address
  EXPECT_EQ(s.port, 49154);
  EXPECT_EQ(s.protseq, "ncacn_ip_tcp");
  EXPECT_EQ(s.state(), ServiceState::connecting);
}

// ----- Slow calls -----

TEST_F(DiagnosisTest, ACallOverTheThresholdIsSlow) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  CallRecord r = c.call(2, kSamr, kSamrConnect5, 600'000);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"slow_call"});
  const Finding& f = one(FindingKind::slow_call);
  EXPECT_EQ(f.severity, Severity::warning);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{r.call.end.frame});
  EXPECT_TRUE(Contains(f.message,
                       "(SAMR) SamrConnect5 took 0.600000 s (over the 0.500000 s "
                       "threshold)"));
  EXPECT_TRUE(Contains(f.evidence, "request in frame " +
                                       std::to_string(r.call.request_first.frame) +
                                       ", response in frame " + std::to_string(r.call.end.frame)));
  EXPECT_EQ(service(kSamr).latencies_us, std::vector<std::int64_t>{600'000});
}

TEST_F(DiagnosisTest, AMultiFragmentAnswersLatencyCounts) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  auto request = c.send_pdu(From::client, request_pdu(2, kSamr, kSamrConnect5));
  auto first = c.send_pdu(From::server,
                          make_pdu(dcerpc::PacketType::response, 2, dcerpc::Response{}), 700'000);
  c.send_segment(From::server, control::ack | control::psh, 1460);
  auto last = c.send_segment(From::server, control::ack | control::psh, 1460);
  CallRecord r = c.call_record(2, kSamr, kSamrConnect5, request, first, CallOutcome::response);
  r.call.end = {last, {}};
  r.call.response_fragments = 3;
  sink().call(r);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"slow_call"});
  EXPECT_TRUE(Contains(one(FindingKind::slow_call).message, "took 0.700000 s"));
  EXPECT_EQ(service(kSamr).latencies_us, std::vector<std::int64_t>{700'000});
}

TEST_F(DiagnosisTest, ACallAtTheThresholdOrAFaultIsNotSlow) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.call(2, kSamr, kSamrConnect5, 500'000);
  c.call(3, kSamr, 5, 900'000, CallOutcome::fault, kOpRangeError);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"fault"});
  EXPECT_EQ(service(kSamr).latencies_us, std::vector<std::int64_t>{500'000});
}

TEST_F(DiagnosisTest, TheSlowThresholdIsAnOption) {
  options({.slow_us = 1'000'000, .interfaces = {}});
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.call(2, kSamr, kSamrConnect5, 900'000);
  c.call(3, kSamr, kSamrConnect5, 1'100'000);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"slow_call"});
  EXPECT_TRUE(Contains(one(FindingKind::slow_call).message, "over the 1.000000 s threshold"));
}

// ----- The bound on findings -----

// `calls` faulted calls on one connection, each to another opnum: a finding each.
void faults(Clock& clock, Sink& sink, std::size_t calls) {
  ConvScript c(sink, clock, 1, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  for (std::size_t i = 0; i < calls; ++i)
    c.call(static_cast<std::uint32_t>(i + 2), kSamr, static_cast<std::uint16_t>(i), 100,
           CallOutcome::fault, kOpRangeError);
  c.end();
}

TEST_F(DiagnosisTest, FindingsPastTheLimitAreCountedOnly) {
  faults(clock_, sink(), Diagnosis::kMaxFindings + 1);
  finish();
  EXPECT_EQ(result().findings.size(), Diagnosis::kMaxFindings);
  EXPECT_EQ(result().findings_dropped, 1u);
  EXPECT_EQ(service(kSamr).faults, Diagnosis::kMaxFindings + 1);
}

TEST_F(DiagnosisTest, TheSameFaultRepeatedIsOneFindingWithACount) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  std::vector<std::uint64_t> frames;
  for (std::uint32_t i = 0; i < 3; ++i)
    frames.push_back(
        c.call(i + 2, kSamr, 99, 100, CallOutcome::fault, kOpRangeError).call.end.frame);
  c.call(9, kSamr, 98, 100, CallOutcome::fault, kOpRangeError);  // another operation
  c.end();
  finish();
  EXPECT_EQ(kinds(), (std::vector<std::string>{"fault", "fault"}));
  const Finding& f = result().findings[0];
  EXPECT_EQ(f.count, 3u);
  EXPECT_EQ(f.frames, frames);
  EXPECT_TRUE(Contains(f.evidence, "3 times in all")) << f.evidence;
  EXPECT_EQ(result().findings[1].count, 1u);
}

TEST_F(DiagnosisTest, FindingsUpToTheLimitAreKept) {
  faults(clock_, sink(), Diagnosis::kMaxFindings);
  finish();
  EXPECT_EQ(result().findings.size(), Diagnosis::kMaxFindings);
  EXPECT_EQ(result().findings_dropped, 0u);
}

}  // namespace
}  // namespace rpctrace::analysis::test
