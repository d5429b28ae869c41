// Tables of protocol constants. Sources: C706 (chapter 12 and appendices E and O),
// MS-RPCE 2.2.1.1.7/8, 2.2.2.4, 2.2.2.5, 2.2.4.12, MS-RPCH 2.2.3.6.1, MS-ERREF 2.1/2.2.
#include "rpctrace/dcerpc/names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace rpctrace::dcerpc {

namespace {

struct StatusEntry {
  std::uint32_t code;
  std::string_view name;
};

// Sorted by code for binary search (names_test looks up every entry through it).
constexpr StatusEntry kStatus[] = {
    {0x00000005, "ERROR_ACCESS_DENIED"},
    {0x00000006, "ERROR_INVALID_HANDLE"},
    {0x00000008, "ERROR_NOT_ENOUGH_MEMORY"},
    {0x00000057, "ERROR_INVALID_PARAMETER"},
    {0x0000006d, "ERROR_BROKEN_PIPE"},
    {0x000000e8, "ERROR_NO_DATA"},
    {0x000006a4, "RPC_S_INVALID_STRING_BINDING"},
    {0x000006a6, "RPC_S_INVALID_BINDING"},
    {0x000006a7, "RPC_S_PROTSEQ_NOT_SUPPORTED"},
    {0x000006b3, "RPC_S_NOT_LISTENING"},
    {0x000006b5, "RPC_S_UNKNOWN_IF"},
    {0x000006ba, "RPC_S_SERVER_UNAVAILABLE"},
    {0x000006bb, "RPC_S_SERVER_TOO_BUSY"},
    {0x000006be, "RPC_S_CALL_FAILED"},
    {0x000006bf, "RPC_S_CALL_FAILED_DNE"},
    {0x000006c0, "RPC_S_PROTOCOL_ERROR"},
    {0x000006c2, "RPC_S_UNSUPPORTED_TRANS_SYN"},
    {0x000006c4, "RPC_S_UNSUPPORTED_TYPE"},
    {0x000006d1, "RPC_S_PROCNUM_OUT_OF_RANGE"},
    {0x000006d3, "RPC_S_UNKNOWN_AUTHN_SERVICE"},
    {0x000006d8, "EPT_S_CANT_PERFORM_OP"},
    {0x000006d9, "EPT_S_NOT_REGISTERED"},
    {0x000006e5, "RPC_S_NO_CONTEXT_AVAILABLE"},
    {0x000006ef, "RPC_X_SS_IN_NULL_CONTEXT"},
    {0x000006f1, "RPC_X_SS_CONTEXT_DAMAGED"},
    {0x000006f4, "RPC_X_NULL_REF_POINTER"},
    {0x000006f7, "RPC_X_BAD_STUB_DATA"},
    {0x0000071a, "RPC_S_CALL_CANCELLED"},
    {0x0000071d, "RPC_S_UNSUPPORTED_AUTHN_LEVEL"},
    {0x00000721, "RPC_S_SEC_PKG_ERROR"},
    {0x00000723, "RPC_X_INVALID_ES_ACTION"},
    {0x0000077b, "RPC_S_INVALID_ASYNC_CALL"},
    {0x16c9a0d6, "ept_s_not_registered"},
    {0x1c000001, "nca_s_fault_int_div_by_zero"},
    {0x1c000002, "nca_s_fault_addr_error"},
    {0x1c000003, "nca_s_fault_fp_div_zero"},
    {0x1c000004, "nca_s_fault_fp_underflow"},
    {0x1c000005, "nca_s_fault_fp_overflow"},
    {0x1c000006, "nca_s_fault_invalid_tag"},
    {0x1c000007, "nca_s_fault_invalid_bound"},
    {0x1c000008, "nca_s_rpc_version_mismatch"},
    {0x1c000009, "nca_s_unspec_reject"},
    {0x1c00000a, "nca_s_bad_actid"},
    {0x1c00000b, "nca_s_who_are_you_failed"},
    {0x1c00000c, "nca_s_manager_not_entered"},
    {0x1c00000d, "nca_s_fault_cancel"},
    {0x1c00000e, "nca_s_fault_ill_inst"},
    {0x1c00000f, "nca_s_fault_fp_error"},
    {0x1c000010, "nca_s_fault_int_overflow"},
    {0x1c000012, "nca_s_fault_unspec"},
    {0x1c000013, "nca_s_fault_remote_comm_failure"},
    {0x1c000014, "nca_s_fault_pipe_empty"},
    {0x1c000015, "nca_s_fault_pipe_closed"},
    {0x1c000016, "nca_s_fault_pipe_order"},
    {0x1c000017, "nca_s_fault_pipe_discipline"},
    {0x1c000018, "nca_s_fault_pipe_comm_error"},
    {0x1c000019, "nca_s_fault_pipe_memory"},
    {0x1c00001a, "nca_s_fault_context_mismatch"},
    {0x1c00001b, "nca_s_fault_remote_no_memory"},
    {0x1c00001c, "nca_s_invalid_pres_context_id"},
    {0x1c00001d, "nca_s_unsupported_authn_level"},
    {0x1c00001f, "nca_s_invalid_checksum"},
    {0x1c000020, "nca_s_invalid_crc"},
    {0x1c000021, "nca_s_fault_user_defined"},
    {0x1c000022, "nca_s_fault_tx_open_failed"},
    {0x1c000023, "nca_s_fault_codeset_conv_error"},
    {0x1c000024, "nca_s_fault_object_not_found"},
    {0x1c000025, "nca_s_fault_no_client_stub"},
    {0x1c010001, "nca_s_comm_failure"},
    {0x1c010002, "nca_s_op_rng_error"},
    {0x1c010003, "nca_s_unk_if"},
    {0x1c010006, "nca_s_wrong_boot_time"},
    {0x1c010009, "nca_s_you_crashed"},
    {0x1c01000b, "nca_s_proto_error"},
    {0x1c010013, "nca_s_out_args_too_big"},
    {0x1c010014, "nca_s_server_too_busy"},
    {0x1c010015, "nca_s_fault_string_too_long"},
    {0x1c010017, "nca_s_unsupported_type"},
    {0x80004002, "E_NOINTERFACE"},
    {0x80004005, "E_FAIL"},
    {0x80010108, "RPC_E_DISCONNECTED"},
    {0x80010114, "RPC_E_INVALID_OBJECT"},
    {0x80070005, "E_ACCESSDENIED"},
    {0x80070057, "E_INVALIDARG"},
};

struct InterfaceEntry {
  std::string_view uuid;
  std::string_view name;
};

// A few interfaces needed to label the core timeline; the full table is data (issue 4).
constexpr InterfaceEntry kInterfaces[] = {
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "EPMv4"},             // C706 appendix O
    {"afa8bd80-7d8a-11c9-bef4-08002b102989", "MGMT"},              // C706 appendix Q
    {"000001a0-0000-0000-c000-000000000046", "ISystemActivator"},  // MS-DCOM 1.9
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", "IOXIDResolver"},     // MS-DCOM 1.9
    {"00000143-0000-0000-c000-000000000046", "IRemUnknown2"},      // MS-DCOM 1.9
    {"9e8ee830-4459-11ce-979b-00aa005ffebe", "MTA"},               // KB159298
    {"a4f1db00-ca47-1067-b31f-00dd010662da", "EMSMDB"},            // MS-OXCRPC 1.9
    {"f5cc5a18-4264-101a-8c59-08002b2f8426", "NSPI"},              // MS-NSPI 1.9
    {"1544f5e0-613c-11d1-93df-00c04fd7bd09", "RFR"},               // MS-OXABREF 1.9
    {"12345778-1234-abcd-ef00-0123456789ab", "LSARPC"},            // MS-LSAD 1.9
    {"12345778-1234-abcd-ef00-0123456789ac", "SAMR"},              // MS-SAMR 1.9
    {"12345678-1234-abcd-ef00-01234567cffb", "NETLOGON"},          // MS-NRPC 1.9
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "DRSUAPI"},           // MS-DRSR 1.9
    {"367abb81-9844-35f1-ad32-98f038001003", "SVCCTL"},            // MS-SCMR 1.9
};

struct OperationEntry {
  std::uint16_t opnum;
  std::string_view name;
};

// Endpoint mapper operations, C706 appendix O (ept.idl); MS-RPCE 3.1.1.1.
constexpr OperationEntry kEpmOperations[] = {
    {0, "ept_insert"},
    {1, "ept_delete"},
    {2, "ept_lookup"},
    {3, "ept_map"},
    {4, "ept_lookup_handle_free"},
    {5, "ept_inq_object"},
    {6, "ept_mgmt_delete"},
};
// KB159298: the MTA's two-way bind.
constexpr OperationEntry kMtaOperations[] = {{0, "MtaBind"}, {1, "MtaBindBack"}};

}  // namespace

const Uuid& epm_uuid() {
  static const Uuid u = *Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  return u;
}

std::string_view status_name(std::uint32_t status) {
  auto it = std::lower_bound(std::begin(kStatus), std::end(kStatus), status,
                             [](const StatusEntry& e, std::uint32_t c) { return e.code < c; });
  if (it != std::end(kStatus) && it->code == status) return it->name;
  return {};
}

std::string_view result_name(std::uint16_t result) {
  switch (result) {
    case 0:
      return "acceptance";
    case 1:
      return "user_rejection";
    case 2:
      return "provider_rejection";
    case 3:
      return "negotiate_ack";
    default:
      return {};
  }
}

std::string_view provider_reason_name(std::uint16_t reason) {
  switch (reason) {
    case 0:
      return "reason_not_specified";
    case 1:
      return "abstract_syntax_not_supported";
    case 2:
      return "proposed_transfer_syntaxes_not_supported";
    case 3:
      return "local_limit_exceeded";
    default:
      return {};
  }
}

std::string_view reject_reason_name(std::uint16_t reason) {
  switch (reason) {
    case 0:
      return "reason_not_specified";
    case 1:
      return "temporary_congestion";
    case 2:
      return "local_limit_exceeded";
    case 3:
      return "called_paddr_unknown";
    case 4:
      return "protocol_version_not_supported";
    case 5:
      return "default_context_not_supported";
    case 6:
      return "user_data_not_readable";
    case 7:
      return "no_psap_available";
    case 8:
      return "authentication_type_not_recognized";
    case 9:
      return "invalid_checksum";
    default:
      return {};
  }
}

std::string_view auth_type_name(std::uint8_t auth_type) {
  switch (auth_type) {
    case 0:
      return "none";
    case 1:
      return "dce_private";
    case 2:
      return "dce_public";
    case 4:
      return "dec_public";
    case 9:
      return "spnego";
    case 10:
      return "ntlmssp";
    case 14:
      return "schannel";
    case 16:
      return "kerberos";
    case 17:
      return "dpa";
    case 18:
      return "msn";
    case 20:
      return "kernel";
    case 21:
      return "digest";
    case 30:
      return "nego_extender";
    case 31:
      return "pku2u";
    case 100:
      return "mq";
    case 68:
      return "netlogon";
    case 255:
      return "default";
    default:
      return {};
  }
}

std::string_view auth_level_name(std::uint8_t auth_level) {
  switch (auth_level) {
    case 0:
      return "default";
    case 1:
      return "none";
    case 2:
      return "connect";
    case 3:
      return "call";
    case 4:
      return "packet";
    case 5:
      return "packet_integrity";
    case 6:
      return "packet_privacy";
    default:
      return {};
  }
}

bool is_bind_time_feature_negotiation(const Uuid& u) {
  static const Uuid prefix = *Uuid::parse("6cb71c2c-9812-4540-0000-000000000000");
  return std::equal(u.octets.begin(), u.octets.begin() + 8, prefix.octets.begin());
}

std::string_view transfer_syntax_name(const SyntaxId& s) {
  static const Uuid ndr = *Uuid::parse("8a885d04-1ceb-11c9-9fe8-08002b104860");
  static const Uuid ndr64 = *Uuid::parse("71710533-beba-4937-8319-b5dbef9ccc36");
  if (s.uuid == ndr) return "NDR";
  if (s.uuid == ndr64) return "NDR64";
  if (is_bind_time_feature_negotiation(s.uuid)) return "bind_time_feature_negotiation";
  return {};
}

std::string_view interface_name(const Uuid& u) {
  // Parsed once; the table is small enough that a linear scan beats a hash here.
  static const auto parsed = [] {
    std::vector<std::pair<Uuid, std::string_view>> v;
    for (const auto& e : kInterfaces) v.emplace_back(*Uuid::parse(e.uuid), e.name);
    return v;
  }();
  for (const auto& [uuid, name] : parsed)
    if (uuid == u) return name;
  return {};
}

std::string_view operation_name(const Uuid& u, std::uint16_t opnum) {
  auto find = [opnum](const auto& table) -> std::string_view {
    for (const auto& e : table)
      if (e.opnum == opnum) return e.name;
    return {};
  };
  if (u == epm_uuid()) return find(kEpmOperations);
  static const Uuid mta = *Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe");
  if (u == mta) return find(kMtaOperations);
  return {};
}

std::string_view to_string(PacketType t) {
  switch (t) {
    case PacketType::request:
      return "request";
    case PacketType::ping:
      return "ping";
    case PacketType::response:
      return "response";
    case PacketType::fault:
      return "fault";
    case PacketType::working:
      return "working";
    case PacketType::nocall:
      return "nocall";
    case PacketType::reject:
      return "reject";
    case PacketType::ack:
      return "ack";
    case PacketType::cl_cancel:
      return "cl_cancel";
    case PacketType::fack:
      return "fack";
    case PacketType::cancel_ack:
      return "cancel_ack";
    case PacketType::bind:
      return "bind";
    case PacketType::bind_ack:
      return "bind_ack";
    case PacketType::bind_nak:
      return "bind_nak";
    case PacketType::alter_context:
      return "alter_context";
    case PacketType::alter_context_resp:
      return "alter_context_resp";
    case PacketType::auth3:
      return "auth3";
    case PacketType::shutdown:
      return "shutdown";
    case PacketType::co_cancel:
      return "co_cancel";
    case PacketType::orphaned:
      return "orphaned";
    case PacketType::rts:
      return "rts";
  }
  return "unknown";
}

std::string pfc_flags_string(std::uint8_t flags, PacketType t) {
  static constexpr std::pair<std::uint8_t, std::string_view> kNames[] = {
      {pfc::first_frag, "first_frag"},
      {pfc::last_frag, "last_frag"},
      {pfc::pending_cancel, "pending_cancel"},
      {pfc::reserved_1, "reserved_1"},
      {pfc::conc_mpx, "conc_mpx"},
      {pfc::did_not_execute, "did_not_execute"},
      {pfc::maybe, "maybe"},
      {pfc::object_uuid, "object_uuid"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += '|';
    bool bind_like = t == PacketType::bind || t == PacketType::bind_ack ||
                     t == PacketType::alter_context || t == PacketType::alter_context_resp;
    out +=
        (bit == pfc::pending_cancel && bind_like) ? std::string_view("support_header_sign") : name;
  }
  return out;
}

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::bad_rpc_vers:
      return "bad_rpc_vers";
    case Reason::bad_rpc_vers_minor:
      return "bad_rpc_vers_minor";
    case Reason::bad_ptype:
      return "bad_ptype";
    case Reason::bad_drep:
      return "bad_drep";
    case Reason::frag_length_too_small:
      return "frag_length_too_small";
    case Reason::auth_length_too_large:
      return "auth_length_too_large";
    case Reason::body_truncated:
      return "body_truncated";
    case Reason::count_too_large:
      return "count_too_large";
    case Reason::bad_sec_addr:
      return "bad_sec_addr";
    case Reason::count_:
      break;
  }
  return "?";
}

std::string_view describe(Reason r) {
  switch (r) {
    case Reason::bad_rpc_vers:
      return "rpc_vers is not 5";
    case Reason::bad_rpc_vers_minor:
      return "rpc_vers_minor is not 0 or 1";
    case Reason::bad_ptype:
      return "not a connection-oriented packet type";
    case Reason::bad_drep:
      return "packed_drep undefined";
    case Reason::frag_length_too_small:
      return "frag_length smaller than the fixed header";
    case Reason::auth_length_too_large:
      return "auth_length + 8 larger than the PDU";
    case Reason::body_truncated:
      return "a field runs past the end of the PDU";
    case Reason::count_too_large:
      return "a count exceeds the octets that follow";
    case Reason::bad_sec_addr:
      return "sec_addr length past the end of the PDU";
    case Reason::count_:
      break;
  }
  return "?";
}

}  // namespace rpctrace::dcerpc
