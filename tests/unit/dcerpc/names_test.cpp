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
  const char* want[] = {"request",   "ping",     "response",      "fault",
                        "working",   "nocall",   "reject",        "ack",
                        "cl_cancel", "fack",     "cancel_ack",    "bind",
                        "bind_ack",  "bind_nak", "alter_context", "alter_context_resp",
                        "auth3",     "shutdown", "co_cancel",     "orphaned",
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
  EXPECT_EQ(
      pfc_flags_string(0xff, PacketType::response),
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
  EXPECT_EQ(transfer_syntax_name(to_syntax(ts::kBindTimeFeatureNegotiation)),
            "bind_time_feature_negotiation");
  // Any feature bits in the 4th group (MS-RPCE 3.3.1.5.3).
  const auto other_bits = *Uuid::parse("6cb71c2c-9812-4540-0100-000000000000");
  EXPECT_TRUE(is_bind_time_feature_negotiation(other_bits));
  EXPECT_FALSE(is_bind_time_feature_negotiation(to_uuid(ts::kNdrSyntax.uuid)));
  EXPECT_FALSE(
      is_bind_time_feature_negotiation(*Uuid::parse("6cb71c2c-9812-4541-0300-000000000000")));
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
  EXPECT_EQ(operation_name(*Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 3),
            "LsarQuerySecurityObject");
  EXPECT_EQ(operation_name(*Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 1),
            "");  // not on the wire
}

// Every entry of the status table is found by the binary search: the table is sorted and its
// codes unique (MS-ERREF 2.1/2.2, C706 appendix E; checked by hand against those lists).
TEST(StatusNames, EveryEntryIsFoundByItsCode) {
  const std::pair<std::uint32_t, std::string_view> kExpected[] = {
      {0x00000005u, "ERROR_ACCESS_DENIED"},
      {0x00000006u, "ERROR_INVALID_HANDLE"},
      {0x00000008u, "ERROR_NOT_ENOUGH_MEMORY"},
      {0x00000057u, "ERROR_INVALID_PARAMETER"},
      {0x0000006du, "ERROR_BROKEN_PIPE"},
      {0x000000e8u, "ERROR_NO_DATA"},
      {0x000006a4u, "RPC_S_INVALID_STRING_BINDING"},
      {0x000006a6u, "RPC_S_INVALID_BINDING"},
      {0x000006a7u, "RPC_S_PROTSEQ_NOT_SUPPORTED"},
      {0x000006b3u, "RPC_S_NOT_LISTENING"},
      {0x000006b5u, "RPC_S_UNKNOWN_IF"},
      {0x000006bau, "RPC_S_SERVER_UNAVAILABLE"},
      {0x000006bbu, "RPC_S_SERVER_TOO_BUSY"},
      {0x000006beu, "RPC_S_CALL_FAILED"},
      {0x000006bfu, "RPC_S_CALL_FAILED_DNE"},
      {0x000006c0u, "RPC_S_PROTOCOL_ERROR"},
      {0x000006c2u, "RPC_S_UNSUPPORTED_TRANS_SYN"},
      {0x000006c4u, "RPC_S_UNSUPPORTED_TYPE"},
      {0x000006d1u, "RPC_S_PROCNUM_OUT_OF_RANGE"},
      {0x000006d3u, "RPC_S_UNKNOWN_AUTHN_SERVICE"},
      {0x000006d8u, "EPT_S_CANT_PERFORM_OP"},
      {0x000006d9u, "EPT_S_NOT_REGISTERED"},
      {0x000006e5u, "RPC_S_NO_CONTEXT_AVAILABLE"},
      {0x000006efu, "RPC_X_SS_IN_NULL_CONTEXT"},
      {0x000006f1u, "RPC_X_SS_CONTEXT_DAMAGED"},
      {0x000006f4u, "RPC_X_NULL_REF_POINTER"},
      {0x000006f7u, "RPC_X_BAD_STUB_DATA"},
      {0x0000071au, "RPC_S_CALL_CANCELLED"},
      {0x0000071du, "RPC_S_UNSUPPORTED_AUTHN_LEVEL"},
      {0x00000721u, "RPC_S_SEC_PKG_ERROR"},
      {0x00000723u, "RPC_X_INVALID_ES_ACTION"},
      {0x0000077bu, "RPC_S_INVALID_ASYNC_CALL"},
      {0x16c9a0d6u, "ept_s_not_registered"},
      {0x1c000001u, "nca_s_fault_int_div_by_zero"},
      {0x1c000002u, "nca_s_fault_addr_error"},
      {0x1c000003u, "nca_s_fault_fp_div_zero"},
      {0x1c000004u, "nca_s_fault_fp_underflow"},
      {0x1c000005u, "nca_s_fault_fp_overflow"},
      {0x1c000006u, "nca_s_fault_invalid_tag"},
      {0x1c000007u, "nca_s_fault_invalid_bound"},
      {0x1c000008u, "nca_s_rpc_version_mismatch"},
      {0x1c000009u, "nca_s_unspec_reject"},
      {0x1c00000au, "nca_s_bad_actid"},
      {0x1c00000bu, "nca_s_who_are_you_failed"},
      {0x1c00000cu, "nca_s_manager_not_entered"},
      {0x1c00000du, "nca_s_fault_cancel"},
      {0x1c00000eu, "nca_s_fault_ill_inst"},
      {0x1c00000fu, "nca_s_fault_fp_error"},
      {0x1c000010u, "nca_s_fault_int_overflow"},
      {0x1c000012u, "nca_s_fault_unspec"},
      {0x1c000013u, "nca_s_fault_remote_comm_failure"},
      {0x1c000014u, "nca_s_fault_pipe_empty"},
      {0x1c000015u, "nca_s_fault_pipe_closed"},
      {0x1c000016u, "nca_s_fault_pipe_order"},
      {0x1c000017u, "nca_s_fault_pipe_discipline"},
      {0x1c000018u, "nca_s_fault_pipe_comm_error"},
      {0x1c000019u, "nca_s_fault_pipe_memory"},
      {0x1c00001au, "nca_s_fault_context_mismatch"},
      {0x1c00001bu, "nca_s_fault_remote_no_memory"},
      {0x1c00001cu, "nca_s_invalid_pres_context_id"},
      {0x1c00001du, "nca_s_unsupported_authn_level"},
      {0x1c00001fu, "nca_s_invalid_checksum"},
      {0x1c000020u, "nca_s_invalid_crc"},
      {0x1c000021u, "nca_s_fault_user_defined"},
      {0x1c000022u, "nca_s_fault_tx_open_failed"},
      {0x1c000023u, "nca_s_fault_codeset_conv_error"},
      {0x1c000024u, "nca_s_fault_object_not_found"},
      {0x1c000025u, "nca_s_fault_no_client_stub"},
      {0x1c010001u, "nca_s_comm_failure"},
      {0x1c010002u, "nca_s_op_rng_error"},
      {0x1c010003u, "nca_s_unk_if"},
      {0x1c010006u, "nca_s_wrong_boot_time"},
      {0x1c010009u, "nca_s_you_crashed"},
      {0x1c01000bu, "nca_s_proto_error"},
      {0x1c010013u, "nca_s_out_args_too_big"},
      {0x1c010014u, "nca_s_server_too_busy"},
      {0x1c010015u, "nca_s_fault_string_too_long"},
      {0x1c010017u, "nca_s_unsupported_type"},
      {0x80004002u, "E_NOINTERFACE"},
      {0x80004005u, "E_FAIL"},
      {0x80010108u, "RPC_E_DISCONNECTED"},
      {0x80010114u, "RPC_E_INVALID_OBJECT"},
      {0x80070005u, "E_ACCESSDENIED"},
      {0x80070057u, "E_INVALIDARG"},
  };
  for (const auto& [code, name] : kExpected)
    EXPECT_EQ(rpctrace::dcerpc::status_name(code), name) << std::hex << code;
  EXPECT_EQ(rpctrace::dcerpc::status_name(0x0000076d),
            "");  // ERROR_INVALID_TIME: not an RPC status
}

}  // namespace
}  // namespace rpctrace::dcerpc
