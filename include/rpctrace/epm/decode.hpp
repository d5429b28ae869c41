// Decoders of endpoint mapper stubs. Stub bytes in (exactly one call's stub), value out;
// pure, bounded by epm/limits.hpp. The integer byte order of the NDR fields is the PDU's;
// tower octets are little-endian whatever it is (C706 appendix L).
//
// Every decoder returns complete (the value, and the octets consumed, which may be fewer
// than the stub holds) or malformed (a Reason, the stub offset, a detail); never need more,
// since the stub is whole. Returned values own their data.
#pragma once

#include <cstdint>
#include <variant>

#include "rpctrace/common/result.hpp"
#include "rpctrace/epm/types.hpp"

namespace rpctrace::epm {

// The transfer syntax a stub is in (the presentation context's, from the bind_ack).
enum class Syntax : std::uint8_t { ndr, ndr64 };

// ept.idl operation numbers (C706 appendix O; MS-RPCE 2.2.1.2).
namespace opnum {
inline constexpr std::uint16_t ept_insert = 0, ept_delete = 1, ept_lookup = 2, ept_map = 3,
                               ept_lookup_handle_free = 4, ept_inq_object = 5, ept_mgmt_delete = 6;
}

// Tower octets (tower_octet_string): floor_count then floors.
common::ParseResult<Tower, Reason> parse_tower(Bytes octets);

// One decoder per operation and direction, in NDR 2.0 or NDR64.
common::ParseResult<EptMapRequest, Reason> parse_ept_map_request(Bytes stub,
                                                                 common::ByteOrder order,
                                                                 Syntax syntax = Syntax::ndr);
common::ParseResult<EptMapResponse, Reason> parse_ept_map_response(Bytes stub,
                                                                   common::ByteOrder order,
                                                                   Syntax syntax = Syntax::ndr);
common::ParseResult<EptLookupRequest, Reason> parse_ept_lookup_request(Bytes stub,
                                                                       common::ByteOrder order,
                                                                       Syntax syntax = Syntax::ndr);
common::ParseResult<EptLookupResponse, Reason> parse_ept_lookup_response(
    Bytes stub, common::ByteOrder order, Syntax syntax = Syntax::ndr);
common::ParseResult<EptInsertRequest, Reason> parse_ept_insert_request(Bytes stub,
                                                                       common::ByteOrder order,
                                                                       Syntax syntax = Syntax::ndr);
common::ParseResult<EptDeleteRequest, Reason> parse_ept_delete_request(Bytes stub,
                                                                       common::ByteOrder order,
                                                                       Syntax syntax = Syntax::ndr);
common::ParseResult<EptLookupHandleFreeRequest, Reason> parse_ept_lookup_handle_free_request(
    Bytes stub, common::ByteOrder order, Syntax syntax = Syntax::ndr);
common::ParseResult<EptLookupHandleFreeResponse, Reason> parse_ept_lookup_handle_free_response(
    Bytes stub, common::ByteOrder order, Syntax syntax = Syntax::ndr);
common::ParseResult<EptInqObjectResponse, Reason> parse_ept_inq_object_response(
    Bytes stub, common::ByteOrder order, Syntax syntax = Syntax::ndr);
common::ParseResult<EptMgmtDeleteRequest, Reason> parse_ept_mgmt_delete_request(
    Bytes stub, common::ByteOrder order, Syntax syntax = Syntax::ndr);

using EpmValue =
    std::variant<EptInsertRequest, EptInsertResponse, EptDeleteRequest, EptDeleteResponse,
                 EptLookupRequest, EptLookupResponse, EptMapRequest, EptMapResponse,
                 EptLookupHandleFreeRequest, EptLookupHandleFreeResponse, EptInqObjectRequest,
                 EptInqObjectResponse, EptMgmtDeleteRequest, EptMgmtDeleteResponse>;

// Decodes the request (request = true) or response stub of ept.idl operation `opnum`.
// Opnums above 6 are malformed with Reason::unknown_opnum. ept_inq_object's request has no
// [in] data: any stub, even empty, gives an EptInqObjectRequest consuming 0 octets.
common::ParseResult<EpmValue, Reason> decode_epm_stub(std::uint16_t opnum, bool request, Bytes stub,
                                                      common::ByteOrder order, Syntax syntax);

}  // namespace rpctrace::epm
