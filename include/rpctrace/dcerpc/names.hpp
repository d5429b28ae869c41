// Names of protocol constants: fault and reject status codes, bind results and reasons,
// authentication types and levels, well-known transfer syntaxes and interfaces.
// Unknown values return an empty string_view; callers print the number.
#pragma once

#include <cstdint>
#include <string_view>

#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

// Fault/status codes: nca_s_* (C706 appendix E), RPC_S_*/EPT_S_* and common Win32 and
// HRESULT codes (MS-ERREF 2.1, 2.2), DCE ept_s_* (C706 appendix O).
std::string_view status_name(std::uint32_t status);
// p_cont_def_result_t (C706 §12.6.3.1; negotiate_ack from MS-RPCE 2.2.2.4).
std::string_view result_name(std::uint16_t result);
// p_provider_reason_t (C706 §12.6.3.1).
std::string_view provider_reason_name(std::uint16_t reason);
// p_reject_reason_t for bind_nak (C706 §12.6.3.1, MS-RPCE 2.2.2.5 adds 8 and 9).
std::string_view reject_reason_name(std::uint16_t reason);
// auth_type (MS-RPCE 2.2.1.1.7) and auth_level (2.2.1.1.8).
std::string_view auth_type_name(std::uint8_t auth_type);
std::string_view auth_level_name(std::uint8_t auth_level);

// Transfer syntaxes: NDR 2.0 (C706 §14), NDR64 and bind time feature negotiation
// (MS-RPCE 2.2.4.12, 3.3.1.5.3). Empty when not one of them.
std::string_view transfer_syntax_name(const SyntaxId& s);
// The bind time feature negotiation syntax is 6cb71c2c-9812-4540-xxxx-000000000000, where
// the low octets carry the feature bits.
bool is_bind_time_feature_negotiation(const Uuid& u);

// A short interface name for the common interfaces ("EPMv4", "MGMT", ...); empty if unknown.
std::string_view interface_name(const Uuid& u);
// An operation name for (interface, opnum) where known ("ept_map"); empty otherwise.
std::string_view operation_name(const Uuid& u, std::uint16_t opnum);

// The endpoint mapper interface (C706 appendix O; MS-RPCE 2.2.1.2):
// e1af8308-5d1f-11c9-91a4-08002b14a0fa v3.0.
const Uuid& epm_uuid();

}  // namespace rpctrace::dcerpc
