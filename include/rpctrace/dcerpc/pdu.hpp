// Parsers of connection-oriented PDUs. Bytes in, value out; no state, no I/O.
//
// parse_common_header(): the 16-octet header, validated (rpc_vers 5, minor 0/1, a
//   connection-oriented ptype, packed_drep, frag_length >= header + the ptype's fixed part,
//   auth_length + 8 fits). need_more when fewer than 16 octets are given.
// frame_pdu(): the framer. complete (consumed = frag_length) only when the whole PDU is
//   present; need_more with the total otherwise. The only parser that returns need_more.
// parse_pdu(): exactly frag_length octets in; the body parsers each get a bounded reader, so
//   running out of bytes there is malformed, never need_more. The returned view's spans point
//   into `pdu` and live as long as it does.
#pragma once

#include "rpctrace/common/result.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

using HeaderResult = common::ParseResult<CommonHeader, Reason>;
using PduResult = common::ParseResult<PduView, Reason>;

HeaderResult parse_common_header(Bytes data);
// The checks that make frag_length trustworthy (version, minor, PTYPE, drep, frag_length >= 16),
// without those parse_pdu() reports as a malformed body. Used by the framer while in sync.
HeaderResult parse_framing_header(Bytes data);
HeaderResult frame_pdu(Bytes data);
PduResult parse_pdu(Bytes pdu);
// A PDU the capture cut short (snap length, lost segment): `partial` holds its first octets
// (at least 16, fewer than frag_length). Returns what those octets hold: the header, the fixed
// fields of request/response/fault when present, bind/bind_ack bodies when they parse whole,
// with `truncated` set. Malformed only when the header itself is.
PduResult parse_pdu_prefix(Bytes partial);

// Fixed body octets of a packet type (after the common header), C706 §12.6.4.
std::size_t fixed_body_size(PacketType t, std::uint8_t pfc_flags);

// Body parsers (exposed for tests and fuzzing): `r` holds exactly the body (between the
// common header and the auth padding/sec_trailer) with the PDU's integer byte order.
common::ParseResult<Bind, Reason> parse_bind(common::ByteReader r);
// For a bind cut short by the capture: the fixed fields and every context captured whole.
Bind parse_bind_prefix(common::ByteReader& r);
// bind_ack's sec_addr is followed by padding to a 4-octet boundary counted from the start of
// the PDU: `body_offset` is where the body starts in the PDU (16).
common::ParseResult<BindAck, Reason> parse_bind_ack(common::ByteReader r, std::size_t body_offset);
common::ParseResult<BindNak, Reason> parse_bind_nak(common::ByteReader r);
common::ParseResult<SecTrailer, Reason> parse_sec_trailer(common::ByteReader r);

}  // namespace rpctrace::dcerpc
