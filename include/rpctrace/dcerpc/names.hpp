// Names of protocol constants: fault and reject status codes, bind results and reasons,
// authentication types and levels, well-known transfer syntaxes, interfaces and operations.
// Unknown values return an empty string_view; callers print the number. Every returned view
// points at static storage and lives as long as the program. Interface, operation and status
// names come from the tables in src/dcerpc/data/ (docs/names.md); lookups are binary searches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

// Fault/status codes: nca_s_* (C706 appendix E), RPC_S_*/EPT_S_* and common Win32 and
// HRESULT codes (MS-ERREF 2.1, 2.2), DCE ept_s_*/rpc_s_* (C706 appendix O, DCE 1.1 rpcsts).
std::string_view status_name(std::uint32_t status);
// One sentence on what the status means and what to check ("the endpoint mapper has no
// endpoint for this interface: ..."); empty when the code is unknown.
std::string_view status_meaning(std::uint32_t status);
// The code of the status with this name in the table ("ERROR_ACCESS_DENIED",
// "ept_s_not_registered"); nullopt when the table has none.
std::optional<std::uint32_t> status_code(std::string_view name);
// p_cont_def_result_t (C706 §12.6.3.1; negotiate_ack from MS-RPCE 2.2.2.4).
std::string_view result_name(std::uint16_t result);
// p_provider_reason_t (C706 §12.6.3.1).
std::string_view provider_reason_name(std::uint16_t reason);
// p_reject_reason_t for bind_nak (C706 §12.6.3.1, MS-RPCE 2.2.2.5 adds 8 and 9).
std::string_view reject_reason_name(std::uint16_t reason);
// What a rejected context or a bind_nak means for a person trying to fix it (our words); empty
// when the reason carries no advice.
std::string_view provider_reason_meaning(std::uint16_t reason);
std::string_view reject_reason_meaning(std::uint16_t reason);
// auth_type (MS-RPCE 2.2.1.1.7) and auth_level (2.2.1.1.8).
std::string_view auth_type_name(std::uint8_t auth_type);
std::string_view auth_level_name(std::uint8_t auth_level);
namespace auth_level {  // RPC_C_AUTHN_LEVEL_*, MS-RPCE 2.2.1.1.8
inline constexpr std::uint8_t default_level = 0, none = 1, connect = 2, call = 3, pkt = 4,
                              pkt_integrity = 5, pkt_privacy = 6;
}

// Transfer syntaxes: NDR 2.0 (C706 §14), NDR64 and bind time feature negotiation
// (MS-RPCE 2.2.4.12, 3.3.1.5.3).
enum class TransferSyntax : std::uint8_t { other, ndr, ndr64, bind_time_feature_negotiation };
TransferSyntax transfer_syntax_of(const SyntaxId& s);
// "NDR", "NDR64", "bind_time_feature_negotiation"; empty when not one of them.
std::string_view transfer_syntax_name(const SyntaxId& s);
// The bind time feature negotiation syntax is 6cb71c2c-9812-4540-xxxx-000000000000, where
// the low octets carry the feature bits.
bool is_bind_time_feature_negotiation(const Uuid& u);

// A short interface name ("EPMv4", "SAMR", "EMSMDB", ...); empty if unknown.
std::string_view interface_name(const Uuid& u);
// A one-line description of the interface ("Security Account Manager (SAMR)"); empty if unknown.
std::string_view interface_description(const Uuid& u);
// The interface UUID with the version its source document gives; nullopt if unknown. The
// tables hold one row per UUID: no interface changes its name between versions.
std::optional<SyntaxId> interface_version(const Uuid& u);
// An operation name for (interface, opnum) as the interface's spec spells it ("ept_map",
// "SamrConnect5"); empty otherwise. DCOM interfaces count the IUnknown methods (opnums 0-2)
// as their own, so their first method of their own is opnum 3 (MS-DCOM 3.1.1.5.8).
std::string_view operation_name(const Uuid& u, std::uint16_t opnum);

// What an operation's IDL declares it returns. The four-octet status types travel as the last
// four octets of the response stub (NDR: the return value is marshalled last, C706 14.3.12).
enum class ReturnType : std::uint8_t {
  unknown,  // the operation is not in the tables
  ntstatus,
  werror,  // DWORD, NET_API_STATUS, WERROR, a Win32 error in a long
  hresult,
  error_status_t,
  none,  // void
  other,
};
ReturnType operation_returns(const Uuid& u, std::uint16_t opnum);
// "NTSTATUS", "WERROR", "HRESULT", "error_status_t"; empty for the others.
std::string_view to_string(ReturnType t);
// Whether the type is a four-octet status read from the response stub.
bool is_status(ReturnType t);
// The name and meaning of `value` read as `type`: STATUS_* for NTSTATUS, Win32 names for WERROR
// and error_status_t (DCE codes too for the latter), HRESULTs, with HRESULT_FROM_WIN32 codes
// (0x8007xxxx) named after their Win32 code. Empty when the tables do not know it.
struct StatusText {
  std::string name;
  std::string_view meaning;
};
StatusText return_code_text(std::uint32_t value, ReturnType type);
// Whether `value` read as `type` reports a failure: NTSTATUS severity error (MS-ERREF 2.3),
// an HRESULT with its severity bit (2.1), any other non-zero value.
bool is_failure(std::uint32_t value, ReturnType type);
// "STATUS_NONE_MAPPED (0xC0000073)"; "NTSTATUS 0xC0001234" when the tables do not know it.
std::string format_return_code(std::uint32_t value, ReturnType type);

// "E1AF8308-5D1F-11C9-91A4-08002B14A0FA v3.0 (EPMv4)": the UUID (upper case, as Network
// Monitor prints it), the version, and the interface or transfer syntax name when known.
std::string format_syntax(const SyntaxId& s, bool with_name = true);
// "0x0 (success)", "0x16C9A0D6 (ept_s_not_registered)", "0x1234": a status with its name.
std::string format_status(std::uint32_t status);
// The same, naming the code from one space first (an SMB status is an NTSTATUS: 0x103 is
// STATUS_PENDING there, ERROR_NO_MORE_ITEMS in a fault); other spaces when it has no name there.
std::string format_status(std::uint32_t status, ReturnType space);

// The endpoint mapper interface (C706 appendix O; MS-RPCE 2.2.1.2):
// e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0.
const Uuid& epm_uuid();
// The interface with this short name in the names table ("MTA", "EMSMDB"); nullopt when the
// table has none. For the few interfaces the analysis treats specially, so their UUIDs are
// written once, in the table.
std::optional<Uuid> interface_by_name(std::string_view name);
// Every (interface, opnum) of the operations table with this name, compared without regard to
// case ("SamrConnect5", "ept_map"); empty when none has it.
std::vector<std::pair<Uuid, std::uint16_t>> operations_by_name(std::string_view name);
// Every interface of the table whose short name is this one, compared without regard to case.
std::vector<Uuid> interfaces_by_name(std::string_view name);

}  // namespace rpctrace::dcerpc
