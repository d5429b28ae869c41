// Diagnosis, part 4 (diagnosis_returns.cpp): calls whose response stub ends in an error status,
// fed as synthetic call records. Errors are findings grouped by client, server, interface,
// operation and status; successes, warnings and informational codes are not.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rpctrace/analysis/diagnosis.hpp"
#include "unit/analysis/analysis_test_util.hpp"

namespace rpctrace::analysis::test {
namespace {

using dcerpc::ReturnType;

const SyntaxId kNetlogon = interface_named("NETLOGON");
constexpr std::uint16_t kNetrServerAuthenticate3 = 26;  // MS-NRPC 3.5.4.4.2
constexpr std::uint16_t kSamrOpenUser = 34;             // MS-SAMR 3.1.5.1.9
constexpr std::uint32_t kStatusAccessDenied = 0xC0000022;
constexpr std::uint32_t kStatusNoSuchUser = 0xC0000064;
constexpr std::uint32_t kStatusNotImplemented = 0xC0000002;


TEST_F(DiagnosisTest, AccessDeniedReturnedRepeatedlyIsOneErrorWithACount) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kNetlogon});
  std::vector<std::uint64_t> frames;
  for (std::uint32_t i = 0; i < 19; ++i)  // a ZeroLogon attempt's answers
    frames.push_back(c.returned(i + 2, kNetlogon, kNetrServerAuthenticate3, kStatusAccessDenied,
                                ReturnType::ntstatus)
                         .call.end.frame);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"error_returned"}) << dump();
  const Finding& f = one(FindingKind::error_returned);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.count, 19u);
  EXPECT_EQ(f.frames.size(), Diagnosis::kMaxFindingFrames);
  EXPECT_EQ(f.frames.front(), frames.front());
  EXPECT_EQ(name_of(f.interface), name_of(kNetlogon));
  EXPECT_TRUE(Contains(f.message,
                       "answered NETLOGON NetrServerAuthenticate3 with "
                       "STATUS_ACCESS_DENIED (0xC0000022)"))
      << f.message;
  EXPECT_TRUE(Contains(f.evidence, "19 times in all")) << f.evidence;
  EXPECT_TRUE(Contains(f.next_step, "refused this operation")) << f.next_step;
  EXPECT_EQ(service(kNetlogon).calls, 19u);
  EXPECT_EQ(service(kNetlogon).errors, 19u);
}

TEST_F(DiagnosisTest, OtherErrorsAreWarningsGroupedByOperationAndStatus) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.returned(2, kSamr, kSamrOpenUser, kStatusNoSuchUser, ReturnType::ntstatus);
  c.returned(3, kSamr, kSamrOpenUser, kStatusNoSuchUser, ReturnType::ntstatus);
  c.returned(4, kSamr, 37, kStatusNotImplemented, ReturnType::ntstatus);
  c.end();
  finish();
  EXPECT_EQ(kinds(), (std::vector<std::string>{"error_returned", "error_returned"})) << dump();
  const Finding& no_user = result().findings[0];
  EXPECT_EQ(no_user.severity, Severity::warning);
  EXPECT_EQ(no_user.count, 2u);
  EXPECT_TRUE(Contains(no_user.message, "SamrOpenUser with STATUS_NO_SUCH_USER")) << dump();
  const Finding& not_implemented = result().findings[1];
  EXPECT_TRUE(Contains(not_implemented.next_step, "the server does not implement SAMR "))
      << not_implemented.next_step;
}

TEST_F(DiagnosisTest, SuccessWarningAndInformationalCodesAreNoFinding) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.bind({kSamr});
  c.returned(2, kSamr, 17, 0, ReturnType::ntstatus);
  c.returned(3, kSamr, 17, 0x00000107, ReturnType::ntstatus);  // STATUS_SOME_NOT_MAPPED
  c.returned(4, kSamr, 6, 0x8000001A, ReturnType::ntstatus);   // STATUS_NO_MORE_ENTRIES
  c.returned(5, kSamr, 6, 1, ReturnType::hresult);             // S_FALSE
  // Steps of a working exchange: a buffer too small, the end of an enumeration, a probe.
  c.returned(6, kSamr, 6, 0xEA, ReturnType::werror);          // ERROR_MORE_DATA
  c.returned(7, kSamr, 6, 0x7A, ReturnType::werror);          // ERROR_INSUFFICIENT_BUFFER
  c.returned(8, kSamr, 6, 0x103, ReturnType::werror);         // ERROR_NO_MORE_ITEMS
  c.returned(9, kSamr, 6, 0x80004002, ReturnType::hresult);   // E_NOINTERFACE
  c.returned(10, kSamr, 6, 0x800700EA, ReturnType::hresult);  // HRESULT_FROM_WIN32(MORE_DATA)
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
  EXPECT_EQ(service(kSamr).errors, 0u);
}

TEST_F(DiagnosisTest, TheAccountComesFromTheVerifier) {
  ConvScript c = conv(2, kClient, kStore);
  c.handshake();
  c.send_pdu(From::client, with_token(bind_pdu(1, {kSamr}, dcerpc::auth_level::pkt_integrity),
                                      ntlm_authenticate("rpuser000")));
  c.send_pdu(From::server, bind_ack_pdu(1, {kSamr}, {0}));
  c.returned(2, kSamr, kSamrOpenUser, kStatusAccessDenied, ReturnType::ntstatus);
  c.end();
  finish();
  const Finding& f = one(FindingKind::error_returned);
  EXPECT_TRUE(Contains(f.evidence, "account RPCTEST\\rpuser000 (NTLMSSP")) << f.evidence;
}

}  // namespace
}  // namespace rpctrace::analysis::test
