// Decoders of endpoint mapper stubs. Stub bytes in (exactly one call's stub), value out;
// pure, bounded by epm/limits.hpp. The integer byte order of the NDR fields is the PDU's;
// tower octets are little-endian whatever it is (C706 appendix L).
#pragma once

#include "rpctrace/common/result.hpp"
#include "rpctrace/epm/types.hpp"

namespace rpctrace::epm {

// The transfer syntax a stub is in (the presentation context's, from the bind_ack).
enum class Syntax : std::uint8_t { ndr, ndr64 };

// Tower octets (tower_octet_string): floor_count then floors.
common::ParseResult<Tower, Reason> parse_tower(Bytes octets);
// ept_map (opnum 3) request and response stubs, NDR 2.0.
common::ParseResult<EptMapRequest, Reason> parse_ept_map_request(Bytes stub,
                                                                 common::ByteOrder order,
                                                                 Syntax syntax = Syntax::ndr);
common::ParseResult<EptMapResponse, Reason> parse_ept_map_response(Bytes stub,
                                                                   common::ByteOrder order,
                                                                   Syntax syntax = Syntax::ndr);

}  // namespace rpctrace::epm
