// diagnose and the auth verifiers: the account a failed authentication used, and a
// KRB-ERROR from the server as its own finding.
#include <gtest/gtest.h>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "support/ntlmssp_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report::harness {
namespace {

std::string diagnose_of(const ts::Capture& cap, bool jsonl = false) {
  ts::TempFile file("report_diagnose", cap.to_pcap());
  MemoryFile out, stats;
  analysis::Diagnosis diagnosis(analysis::DiagnoseOptions{});
  auto result = app::run(file.path().string(), RunOptions{}, diagnosis);
  write_diagnosis(out.get(), stats.get(), jsonl, diagnosis.result(), result.stats);
  return out.text();
}

ts::Bytes der(std::uint8_t tag, const ts::Bytes& content) {
  ts::Bytes out{std::byte{tag}, static_cast<std::byte>(content.size())};
  out.insert(out.end(), content.begin(), content.end());
  return out;
}
ts::Bytes cat(std::initializer_list<ts::Bytes> parts) {
  ts::Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(DiagnoseAuth, KerberosErrorFromTheServerIsAFinding) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 3600, "10.1.1.2", 135));
  t.handshake();
  auto bind = ts::epm_bind(1);
  t.send(ts::Direction::to_server, bind.build());
  // KRB-ERROR { pvno 5, msg-type 30, error-code 37 (KRB_AP_ERR_SKEW) }, bare (DCE style).
  auto integer = [](unsigned v) { return der(0x02, {static_cast<std::byte>(v)}); };
  ts::Bytes krb_error =
      der(0x7e,
          der(0x30, cat({der(0xa0, integer(5)), der(0xa1, integer(30)), der(0xa6, integer(37))})));
  auto ack = ts::epm_bind_ack(1, 0x10, "135");
  ack.auth(
      ts::make_auth_verifier(krb_error, 4, ts::kAuthTypeGssKerberos, ts::kAuthLevelPktIntegrity));
  t.send(ts::Direction::to_client, ack.build());
  t.close();
  std::string text = diagnose_of(cap);
  EXPECT_NE(diagnose_of(cap, true).find("\"kind\":\"authentication_failed\""), std::string::npos);
  EXPECT_NE(text.find("refused the client's Kerberos authentication: error 37 "
                      "(KRB_AP_ERR_SKEW)"),
            std::string::npos)
      << text;
}

TEST(DiagnoseAuth, KerberosErrorFromTheClientIsNot) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 3601, "10.1.1.2", 135));
  t.handshake();
  auto integer = [](unsigned v) { return der(0x02, {static_cast<std::byte>(v)}); };
  ts::Bytes krb_error =
      der(0x7e,
          der(0x30, cat({der(0xa0, integer(5)), der(0xa1, integer(30)), der(0xa6, integer(41))})));
  auto bind = ts::epm_bind(1);
  bind.auth(
      ts::make_auth_verifier(krb_error, 4, ts::kAuthTypeGssKerberos, ts::kAuthLevelPktIntegrity));
  t.send(ts::Direction::to_server, bind.build());
  t.send(ts::Direction::to_client, ts::epm_bind_ack(1, 0x10, "135").build());
  t.close();
  EXPECT_EQ(diagnose_of(cap).find("refused the client's Kerberos"), std::string::npos);
}

// --- KRB-ERRORs on port 88 (RFC 4120 7.2): the KDC's answer explains a bind that failed. ---

ts::Bytes general_string(std::string_view text) {
  return der(0x1b, ts::Bytes(reinterpret_cast<const std::byte*>(text.data()),
                             reinterpret_cast<const std::byte*>(text.data()) + text.size()));
}
ts::Bytes small_integer(unsigned v) { return der(0x02, {static_cast<std::byte>(v)}); }
// PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
ts::Bytes principal(std::string_view service, std::string_view host) {
  return der(0x30,
             cat({der(0xa0, small_integer(2)),
                  der(0xa1, der(0x30, cat({general_string(service), general_string(host)})))}));
}
// KRB-ERROR { pvno 5, msg-type 30, error-code, realm, sname }
ts::Bytes kdc_error(unsigned code) {
  return der(
      0x7e, der(0x30, cat({der(0xa0, small_integer(5)), der(0xa1, small_integer(30)),
                           der(0xa6, small_integer(code)), der(0xa9, general_string("RPCTEST.LAN")),
                           der(0xaa, principal("host", "nospn.rpctest.lan"))})));
}
ts::Bytes with_record_mark(const ts::Bytes& message) {
  ts::Bytes out{std::byte{0}, std::byte{0}, std::byte{0}, static_cast<std::byte>(message.size())};
  out.insert(out.end(), message.begin(), message.end());
  return out;
}
void udp_from_kdc(ts::Capture& cap, const ts::Bytes& message) {
  ts::UdpDatagram d;
  d.src_port = 88;
  d.dst_port = 50000;
  d.payload = message;
  cap.add(ts::build_udp_frame(ts::LinkType::ethernet, {}, ts::IpAddress::parse("10.1.1.2"),
                              ts::IpAddress::parse("10.1.1.1"), d));
}
// An RPC connection of the same client after the error: a bind never answered (or, with
// `bound`, accepted), teardown.
void rpc_after(ts::Capture& cap, bool bound = false) {
  ts::TcpScript t(cap, config("10.1.1.1", 3700, "10.1.1.2", 135));
  t.handshake();
  t.send(ts::Direction::to_server, ts::epm_bind(1).build());
  if (bound) t.send(ts::Direction::to_client, ts::epm_bind_ack(1, 0x10, "135").build());
  t.close();
}

TEST(DiagnoseKerberos, AKdcErrorOverUdpIsTiedToTheRpcConnectionThatFollowed) {
  ts::Capture cap;
  udp_from_kdc(cap, kdc_error(7));
  rpc_after(cap);
  const std::string text = diagnose_of(cap);
  EXPECT_NE(text.find("[error] the KDC 10.1.1.2 refused 10.1.1.1's request for "
                      "host/nospn.rpctest.lan@RPCTEST.LAN: KDC_ERR_S_PRINCIPAL_UNKNOWN (7)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("KRB-ERROR in frame 1 (UDP 88); the RPC connection it broke: "
                      "conversation 1 to 10.1.1.2:135 (from frame 2), which followed it"),
            std::string::npos)
      << text;
  EXPECT_NE(diagnose_of(cap, true).find("\"kind\":\"kerberos_error\""), std::string::npos);
}

TEST(DiagnoseKerberos, AClientThatBoundAnywayMakesItInfo) {
  ts::Capture cap;
  udp_from_kdc(cap, kdc_error(7));
  rpc_after(cap, true);
  const std::string text = diagnose_of(cap);
  EXPECT_NE(text.find("[info] the KDC 10.1.1.2 refused"), std::string::npos) << text;
  EXPECT_NE(text.find("conversation 1 to 10.1.1.2:135 (from frame 2), bound anyway"),
            std::string::npos)
      << text;
}

TEST(DiagnoseKerberos, AKdcErrorOverTcpAcrossSegments) {
  ts::Capture cap;
  rpc_after(cap);
  ts::TcpScript t(cap, config("10.1.1.1", 3800, "10.1.1.2", 88));
  t.handshake();
  const ts::Bytes framed = with_record_mark(kdc_error(37));
  t.send(ts::Direction::to_client, ts::Bytes(framed.begin(), framed.begin() + 3));
  t.send(ts::Direction::to_client, ts::Bytes(framed.begin() + 3, framed.end()));
  t.close();
  const std::string text = diagnose_of(cap);
  EXPECT_NE(text.find("KRB_AP_ERR_SKEW (37)"), std::string::npos) << text;
  EXPECT_NE(text.find("(TCP 88)"), std::string::npos) << text;
  EXPECT_NE(text.find("fix time synchronisation"), std::string::npos) << text;
}

TEST(DiagnoseKerberos, PreauthenticationRequiredIsAStepNotAFinding) {
  ts::Capture cap;
  udp_from_kdc(cap, kdc_error(25));
  rpc_after(cap);
  EXPECT_EQ(diagnose_of(cap).find("KDC"), std::string::npos) << diagnose_of(cap);
}

TEST(DiagnoseKerberos, AHostileLengthOnTcpIsCountedNotFollowed) {
  ts::Capture cap;
  ts::TcpScript t(cap, config("10.1.1.1", 3900, "10.1.1.2", 88));
  t.handshake();
  t.send(ts::Direction::to_client, ts::hex_bytes("7fffffff7e00"));
  t.close();
  ts::TempFile file("report_kdc", cap.to_pcap());
  MemoryFile out, stats;
  analysis::Diagnosis diagnosis(analysis::DiagnoseOptions{});
  auto result = app::run(file.path().string(), RunOptions{}, diagnosis);
  EXPECT_EQ(result.stats.counter("kerberos_over_limit"), 1u);
  EXPECT_TRUE(diagnosis.result().findings.empty());
}

TEST(DiagnoseKerberos, OtherUdpIsSkippedAsBefore) {
  ts::Capture cap;
  ts::UdpDatagram d;
  d.src_port = 53;
  d.dst_port = 50000;
  d.payload = ts::text_bytes("dns");
  cap.add(ts::build_udp_frame(ts::LinkType::ethernet, {}, ts::IpAddress::parse("10.1.1.2"),
                              ts::IpAddress::parse("10.1.1.1"), d));
  udp_from_kdc(cap, ts::text_bytes("not kerberos"));
  ts::TempFile file("report_kdc_udp", cap.to_pcap());
  analysis::Diagnosis diagnosis(analysis::DiagnoseOptions{});
  auto result = app::run(file.path().string(), RunOptions{}, diagnosis);
  EXPECT_EQ(result.stats.frames_skipped, 1u);
  EXPECT_EQ(result.stats.udp_datagrams, 1u);
  EXPECT_EQ(result.stats.counter("kerberos_not_decoded"), 1u);
}

}  // namespace
}  // namespace rpctrace::report::harness
