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

}  // namespace
}  // namespace rpctrace::report::harness
