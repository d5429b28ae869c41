// Names of protocol constants. The small closed sets (results, reasons, auth types and levels,
// PTYPEs, flags) are switches here, from C706 chapter 12 and MS-RPCE 2.2.1.1.7/8, 2.2.2.4,
// 2.2.2.5, 2.2.4.12 and MS-RPCH 2.2.3.6.1. Interface, operation and status names are data:
// src/dcerpc/data/*.tsv, each row citing its source, turned into sorted arrays at build time
// (generate.cmake) and binary-searched here. docs/names.md says how to add one.
#include "rpctrace/dcerpc/names.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <span>
#include <utility>

#include "names_data.hpp"

namespace rpctrace::dcerpc {

namespace {

namespace nd = names_data;

// A UUID's 16 octets as two big-endian integers (common/octets16.hpp): ordered as the octets
// are, as the tables are sorted. The look-ups run for every PDU a writer names.
struct UuidKey {
  std::uint64_t high;
  std::uint64_t low;
  std::uint16_t opnum;
  auto operator<=>(const UuidKey&) const = default;
};

UuidKey uuid_key(const std::array<std::uint8_t, 16>& octets, std::uint16_t opnum = 0) {
  return {common::octets16::ordered_half(octets, 0), common::octets16::ordered_half(octets, 8),
          opnum};
}

// Binary search in a table sorted by `key_of`; nullptr when `key` is not there.
template <typename Row, typename Key, typename KeyOf>
const Row* find_row(std::span<const Row> rows, const Key& key, KeyOf key_of) {
  auto it = std::lower_bound(rows.begin(), rows.end(), key,
                             [&](const Row& r, const Key& k) { return key_of(r) < k; });
  if (it != rows.end() && key_of(*it) == key) return &*it;
  return nullptr;
}

const nd::InterfaceRow* find_interface(const Uuid& u) {
  return find_row(nd::interfaces(), uuid_key(u.octets),
                  [](const nd::InterfaceRow& r) { return uuid_key(r.uuid); });
}

const nd::OperationRow* find_operation(const Uuid& u, std::uint16_t opnum) {
  return find_row(nd::operations(), uuid_key(u.octets, opnum),
                  [](const nd::OperationRow& r) { return uuid_key(r.uuid, r.opnum); });
}

const nd::StatusRow* find_status(std::uint32_t code) {
  return find_row(nd::statuses(), code, [](const nd::StatusRow& r) { return r.code; });
}

}  // namespace

const Uuid& epm_uuid() {
  static const Uuid u = *Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  return u;
}

std::string_view status_name(std::uint32_t status) {
  const auto* row = find_status(status);
  return row != nullptr ? row->name : std::string_view();
}

std::string_view status_meaning(std::uint32_t status) {
  const auto* row = find_status(status);
  return row != nullptr ? row->meaning : std::string_view();
}

std::optional<std::uint32_t> status_code(std::string_view name) {
  for (const auto& row : nd::statuses())
    if (row.name == name) return row.code;
  return std::nullopt;
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

std::string_view provider_reason_meaning(std::uint16_t reason) {
  switch (reason) {
    case 1:
      return "the server does not offer this interface (UUID and version): wrong server, or the "
             "service is not running";
    case 2:
      return "the server accepts none of the offered transfer syntaxes (NDR, NDR64)";
    case 3:
      return "the server hit a resource limit: retry later";
    default:
      return {};
  }
}

std::string_view reject_reason_meaning(std::uint16_t reason) {
  switch (reason) {
    case 1:
      return "the server is congested: retry later";
    case 2:
      return "the server hit a resource limit (too many associations or calls)";
    case 4:
      return "the server does not speak this RPC protocol version (5.0/5.1)";
    case 8:
      return "the server does not know the authentication service asked for (auth_type)";
    case 9:
      return "the authentication verifier did not check: wrong credentials or a tampered PDU";
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

TransferSyntax transfer_syntax_of(const SyntaxId& s) {
  static const Uuid ndr = *Uuid::parse("8a885d04-1ceb-11c9-9fe8-08002b104860");
  static const Uuid ndr64 = *Uuid::parse("71710533-beba-4937-8319-b5dbef9ccc36");
  if (s.uuid == ndr) return TransferSyntax::ndr;
  if (s.uuid == ndr64) return TransferSyntax::ndr64;
  if (is_bind_time_feature_negotiation(s.uuid))
    return TransferSyntax::bind_time_feature_negotiation;
  return TransferSyntax::other;
}

std::string_view transfer_syntax_name(const SyntaxId& s) {
  switch (transfer_syntax_of(s)) {
    case TransferSyntax::ndr:
      return "NDR";
    case TransferSyntax::ndr64:
      return "NDR64";
    case TransferSyntax::bind_time_feature_negotiation:
      return "bind_time_feature_negotiation";
    case TransferSyntax::other:
      break;
  }
  return {};
}

std::optional<Uuid> interface_by_name(std::string_view name) {
  for (const auto& row : nd::interfaces())
    if (row.name == name) return Uuid{row.uuid};
  return std::nullopt;
}

namespace {
bool same_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::vector<std::pair<Uuid, std::uint16_t>> operations_by_name(std::string_view name) {
  std::vector<std::pair<Uuid, std::uint16_t>> out;
  for (const auto& row : nd::operations())
    if (same_nocase(row.name, name)) out.emplace_back(Uuid{row.uuid}, row.opnum);
  return out;
}

std::vector<Uuid> interfaces_by_name(std::string_view name) {
  std::vector<Uuid> out;
  for (const auto& row : nd::interfaces())
    if (same_nocase(row.name, name)) out.push_back(Uuid{row.uuid});
  return out;
}

std::string_view interface_name(const Uuid& u) {
  const auto* row = find_interface(u);
  return row != nullptr ? row->name : std::string_view();
}

std::string_view interface_description(const Uuid& u) {
  const auto* row = find_interface(u);
  return row != nullptr ? row->description : std::string_view();
}

std::optional<SyntaxId> interface_version(const Uuid& u) {
  const auto* row = find_interface(u);
  if (row == nullptr) return std::nullopt;
  return SyntaxId{u, row->vers_major, row->vers_minor};
}

std::string_view operation_name(const Uuid& u, std::uint16_t opnum) {
  const auto* row = find_operation(u, opnum);
  return row != nullptr ? row->name : std::string_view();
}

ReturnType operation_returns(const Uuid& u, std::uint16_t opnum) {
  const auto* row = find_operation(u, opnum);
  if (row == nullptr) return ReturnType::unknown;
  static constexpr std::pair<std::string_view, ReturnType> kTypes[] = {
      {"NTSTATUS", ReturnType::ntstatus}, {"WERROR", ReturnType::werror},
      {"HRESULT", ReturnType::hresult},   {"error_status_t", ReturnType::error_status_t},
      {"void", ReturnType::none},
  };
  for (const auto& [name, type] : kTypes)
    if (row->returns == name) return type;
  return ReturnType::other;
}

std::string_view to_string(ReturnType t) {
  switch (t) {
    case ReturnType::ntstatus:
      return "NTSTATUS";
    case ReturnType::werror:
      return "WERROR";
    case ReturnType::hresult:
      return "HRESULT";
    case ReturnType::error_status_t:
      return "error_status_t";
    default:
      return {};
  }
}

bool is_status(ReturnType t) { return !to_string(t).empty(); }

namespace {

// The code spaces share one table (statuses.tsv); a name says which space a row is in (the
// generator checks codes are unique per space with the same prefixes).
bool is_ntstatus_name(std::string_view n) { return n.starts_with("STATUS_"); }
bool is_hresult_name(std::string_view n) {
  static constexpr std::string_view kPrefixes[] = {
      "E_",       "S_",      "RPC_E_",  "CO_E_",  "CO_S_", "WBEM_", "REGDB_E_",
      "CLASS_E_", "DISP_E_", "TYPE_E_", "STG_E_", "MK_E_", "CS_E_"};
  for (auto p : kPrefixes)
    if (n.starts_with(p)) return true;
  return false;
}

// The row of `code` in the space `in_space` accepts; nullptr when none.
template <typename Pred>
const nd::StatusRow* find_status_in(std::uint32_t code, Pred in_space) {
  const auto rows = nd::statuses();
  auto it = std::lower_bound(rows.begin(), rows.end(), code,
                             [](const nd::StatusRow& r, std::uint32_t c) { return r.code < c; });
  for (; it != rows.end() && it->code == code; ++it)
    if (in_space(it->name)) return &*it;
  return nullptr;
}

}  // namespace

StatusText return_code_text(std::uint32_t value, ReturnType type) {
  auto text = [](const nd::StatusRow* row) {
    return row != nullptr ? StatusText{std::string(row->name), row->meaning} : StatusText{};
  };
  switch (type) {
    case ReturnType::ntstatus:
      if (value == 0) return {"STATUS_SUCCESS", "the call succeeded"};
      return text(find_status_in(value, is_ntstatus_name));
    case ReturnType::hresult: {
      if (value == 0) return {"S_OK", "the call succeeded"};
      if (value == 1) return {"S_FALSE", "the call succeeded, with a negative answer"};
      if (const auto* row = find_status_in(value, is_hresult_name)) return text(row);
      if ((value & 0xffff0000u) == 0x80070000u) {  // HRESULT_FROM_WIN32 (MS-ERREF 2.1.2)
        StatusText win32 = return_code_text(value & 0xffffu, ReturnType::werror);
        if (!win32.name.empty()) win32.name = "HRESULT_FROM_WIN32(" + win32.name + ")";
        return win32;
      }
      return {};
    }
    case ReturnType::werror:
    case ReturnType::error_status_t:
      if (value == 0) return {"ERROR_SUCCESS", "the call succeeded"};
      // WERROR is a 16-bit Win32 code; error_status_t may also carry DCE codes (EPM's).
      if (type == ReturnType::werror && value > 0xffffu) return {};
      return text(find_status_in(
          value, [](std::string_view n) { return !is_ntstatus_name(n) && !is_hresult_name(n); }));
    default:
      return {};
  }
}

bool is_failure(std::uint32_t value, ReturnType type) {
  switch (type) {
    case ReturnType::ntstatus:
      return (value >> 30) == 3;
    case ReturnType::hresult:
      return (value >> 31) == 1;
    case ReturnType::werror:
    case ReturnType::error_status_t:
      return value != 0;
    default:
      return false;
  }
}

std::string format_return_code(std::uint32_t value, ReturnType type) {
  const StatusText t = return_code_text(value, type);
  if (t.name.empty()) return fmt::format(FMT_COMPILE("{} 0x{:X}"), to_string(type), value);
  return fmt::format(FMT_COMPILE("{} (0x{:X})"), t.name, value);
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

std::string format_status(std::uint32_t status) {
  auto name = status_name(status);
  if (status == 0) return "0x0 (success)";
  return name.empty() ? fmt::format(FMT_COMPILE("0x{:X}"), status)
                      : fmt::format(FMT_COMPILE("0x{:X} ({})"), status, name);
}

std::string format_status(std::uint32_t status, ReturnType space) {
  const StatusText t = return_code_text(status, space);
  if (status == 0 || t.name.empty()) return format_status(status);
  return fmt::format(FMT_COMPILE("0x{:X} ({})"), status, t.name);
}

std::string format_syntax(const SyntaxId& s, bool with_name) {
  std::string out;
  s.uuid.append_to(out, true);
  fmt::format_to(std::back_inserter(out), FMT_COMPILE(" v{}.{}"), s.major, s.minor);
  if (!with_name) return out;
  auto name = interface_name(s.uuid);
  if (name.empty()) name = transfer_syntax_name(s);
  if (!name.empty()) out += fmt::format(FMT_COMPILE(" ({})"), name);
  return out;
}

}  // namespace rpctrace::dcerpc
