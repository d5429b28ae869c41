// Tests of src/dcerpc/names.cpp: the tables of protocol constant names. Sources as cited there:
// C706 §12.6.3.1 (PTYPEs, pfc_flags, results and reasons), appendix E (nca_s_*), appendix O
// (ept_*), MS-RPCE 2.2.1.1.7/8 (auth type and level), 2.2.2.4/2.2.2.5, 2.2.4.12 and 3.3.1.5.3
// (transfer syntaxes), MS-ERREF 2.1/2.2 (Win32 and HRESULT codes).
#include "rpctrace/dcerpc/names.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::to_syntax;
using unittest::to_uuid;
namespace ts = testsupport;

TEST(Names, PacketTypesUseC706Names) {
  const char* want[] = {"request",   "ping",      "response",      "fault",
                        "working",   "nocall",    "reject",        "ack",
                        "cl_cancel", "fack",      "cancel_ack",    "bind",
                        "bind_ack",  "bind_nak",  "alter_context", "alter_context_resp",
                        "auth3",     "shutdown",  "co_cancel",     "orphaned",
                        "rts"};
  for (std::uint8_t t = 0; t <= 20; ++t) EXPECT_EQ(to_string(static_cast<PacketType>(t)), want[t]);
}

TEST(Names, PfcFlags) {
  EXPECT_EQ(pfc_flags_string(0x03, PacketType::request), "first_frag|last_frag");
  EXPECT_EQ(pfc_flags_string(0x00, PacketType::request), "");
  // MS-RPCE 2.2.2.3: 0x04 is PFC_SUPPORT_HEADER_SIGN in bind-like PDUs only.
  EXPECT_EQ(pfc_flags_string(0x07, PacketType::bind), "first_frag|last_frag|support_header_sign");
  EXPECT_EQ(pfc_flags_string(0x04, PacketType::alter_context_resp), "support_header_sign");
  EXPECT_EQ(pfc_flags_string(0x04, PacketType::request), "pending_cancel");
  EXPECT_EQ(pfc_flags_string(0xff, PacketType::response),
            "first_frag|last_frag|pending_cancel|reserved_1|conc_mpx|did_not_execute|maybe|object_uuid");
}

TEST(Names, ReasonsAreNamedAndDescribed) {
  std::set<std::string> names, descriptions;
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    const auto r = static_cast<Reason>(i);
    EXPECT_NE(to_string(r), "?") << i;
    EXPECT_NE(describe(r), "?") << i;
    names.emplace(to_string(r));
    descriptions.emplace(describe(r));
  }
  EXPECT_EQ(names.size(), kReasonCount);
  EXPECT_EQ(descriptions.size(), kReasonCount);
  EXPECT_EQ(to_string(Reason::bad_sec_addr), "bad_sec_addr");
  EXPECT_EQ(to_string(Reason::frag_length_too_small), "frag_length_too_small");
}

TEST(Names, StatusCodes) {
  EXPECT_EQ(status_name(0x16c9a0d6), "ept_s_not_registered");  // C706 appendix O
  EXPECT_EQ(status_name(0x000006d9), "EPT_S_NOT_REGISTERED");  // MS-ERREF 2.2
  EXPECT_EQ(status_name(0x00000005), "ERROR_ACCESS_DENIED");   // first entry
  EXPECT_EQ(status_name(0x80070057), "E_INVALIDARG");          // last entry
  EXPECT_EQ(status_name(0x1c010003), "nca_s_unk_if");
  EXPECT_EQ(status_name(0x1c00001a), "nca_s_fault_context_mismatch");
  EXPECT_EQ(status_name(0x000006f7), "RPC_X_BAD_STUB_DATA");
  EXPECT_EQ(status_name(0), "");
  EXPECT_EQ(status_name(0x1c000011), "");  // a gap in appendix E's numbering
  EXPECT_EQ(status_name(0xffffffff), "");
}

TEST(Names, BindResultsAndReasons) {
  EXPECT_EQ(result_name(0), "acceptance");
  EXPECT_EQ(result_name(1), "user_rejection");
  EXPECT_EQ(result_name(2), "provider_rejection");
  EXPECT_EQ(result_name(3), "negotiate_ack");
  EXPECT_EQ(result_name(4), "");
  EXPECT_EQ(provider_reason_name(1), "abstract_syntax_not_supported");
  EXPECT_EQ(provider_reason_name(2), "proposed_transfer_syntaxes_not_supported");
  EXPECT_EQ(provider_reason_name(4), "");
  EXPECT_EQ(reject_reason_name(4), "protocol_version_not_supported");
  EXPECT_EQ(reject_reason_name(8), "authentication_type_not_recognized");
  EXPECT_EQ(reject_reason_name(9), "invalid_checksum");
  EXPECT_EQ(reject_reason_name(10), "");
}

TEST(Names, AuthTypesAndLevels) {
  EXPECT_EQ(auth_type_name(ts::kAuthTypeGssNegotiate), "spnego");
  EXPECT_EQ(auth_type_name(ts::kAuthTypeWinnt), "ntlmssp");
  EXPECT_EQ(auth_type_name(ts::kAuthTypeGssKerberos), "kerberos");
  EXPECT_EQ(auth_type_name(ts::kAuthTypeNetlogon), "netlogon");
  EXPECT_EQ(auth_type_name(3), "");
  EXPECT_EQ(auth_level_name(ts::kAuthLevelConnect), "connect");
  EXPECT_EQ(auth_level_name(ts::kAuthLevelPktIntegrity), "packet_integrity");
  EXPECT_EQ(auth_level_name(ts::kAuthLevelPktPrivacy), "packet_privacy");
  EXPECT_EQ(auth_level_name(7), "");
}

TEST(Names, TransferSyntaxes) {
  EXPECT_EQ(transfer_syntax_name(to_syntax(ts::kNdrSyntax)), "NDR");
  EXPECT_EQ(transfer_syntax_name(to_syntax(ts::kNdr64Syntax)), "NDR64");
  EXPECT_EQ(transfer_syntax_name(to_syntax(ts::kBindTimeFeatureNegotiation)), "bind_time_feature_negotiation");
  // Any feature bits in the 4th group (MS-RPCE 3.3.1.5.3).
  const auto other_bits = *Uuid::parse("6cb71c2c-9812-4540-0100-000000000000");
  EXPECT_TRUE(is_bind_time_feature_negotiation(other_bits));
  EXPECT_FALSE(is_bind_time_feature_negotiation(to_uuid(ts::kNdrSyntax.uuid)));
  EXPECT_FALSE(is_bind_time_feature_negotiation(*Uuid::parse("6cb71c2c-9812-4541-0300-000000000000")));
  EXPECT_EQ(transfer_syntax_name(to_syntax(ts::kEpmInterface)), "");
}

TEST(Names, InterfacesAndOperations) {
  EXPECT_EQ(epm_uuid().to_string(), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  EXPECT_EQ(epm_uuid(), to_uuid(ts::kEpmInterface.uuid));
  EXPECT_EQ(interface_name(epm_uuid()), "EPMv4");
  EXPECT_EQ(interface_name(*Uuid::parse("12345778-1234-abcd-ef00-0123456789ab")), "LSARPC");
  EXPECT_EQ(interface_name(to_uuid(ts::kNdrSyntax.uuid)), "");
  EXPECT_EQ(operation_name(epm_uuid(), 2), "ept_lookup");
  EXPECT_EQ(operation_name(epm_uuid(), 3), "ept_map");
  EXPECT_EQ(operation_name(epm_uuid(), 7), "");
  EXPECT_EQ(operation_name(*Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe"), 0), "MtaBind");
  EXPECT_EQ(operation_name(*Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 3), "");
}

}  // namespace
}  // namespace rpctrace::dcerpc
