// Connectionless DCE/RPC (ncadg_ip_udp): the 80-octet PDU header and the bodies of the
// connectionless packet types, C706 chapter 12 §12.5 (header §12.5.1, bodies §12.5.3), as owned
// values, and their parser. One datagram carries one PDU: no framing, no stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpctrace/common/result.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

// C706 §12.5.1: the connectionless header is 80 octets; rpc_vers is 4.
inline constexpr std::size_t kClHeaderSize = 80;
inline constexpr std::uint8_t kClRpcVers = 4;
// The highest connectionless packet type (cancel_ack, C706 §12.5.1 PTYPE values 0-10).
inline constexpr std::uint8_t kClMaxPtype = 10;
// selack_len of a fack is a u16; bounded here to what fits in a UDP datagram (65507 octets).
inline constexpr std::size_t kMaxSelackWords = 16376;

// flags1 and flags2 bits, C706 §12.5.1 (names as the spec gives them).
namespace cl_flags1 {
inline constexpr std::uint8_t reserved_01 = 0x01, lastfrag = 0x02, frag = 0x04, nofack = 0x08,
                              maybe = 0x10, idempotent = 0x20, broadcast = 0x40,
                              reserved_80 = 0x80;
}
namespace cl_flags2 {
inline constexpr std::uint8_t reserved_01 = 0x01, cancel_pending = 0x02;
}
// "lastfrag|frag|idempotent" (in bit order); empty for no flag set.
std::string cl_flags1_string(std::uint8_t flags);
std::string cl_flags2_string(std::uint8_t flags);

// dc_rpc_cl_pkt_hdr_t. The drep has three octets on the wire; the fourth is kept 0.
struct ClHeader {
  std::uint8_t rpc_vers = kClRpcVers;
  PacketType ptype = PacketType::request;
  std::uint8_t flags1 = 0;
  std::uint8_t flags2 = 0;
  DataRepresentation drep;
  std::uint8_t serial_hi = 0;
  Uuid object;
  Uuid if_id;
  Uuid act_id;
  std::uint32_t server_boot = 0;
  std::uint32_t if_vers = 0;  // major in the low 16 bits, minor in the high, as p_syntax_id_t
  std::uint32_t seqnum = 0;
  std::uint16_t opnum = 0;
  std::uint16_t ihint = 0;
  std::uint16_t ahint = 0;
  std::uint16_t len = 0;  // body octets after the header
  std::uint16_t fragnum = 0;
  std::uint8_t auth_proto = 0;
  std::uint8_t serial_lo = 0;

  [[nodiscard]] std::uint16_t serial() const {
    return static_cast<std::uint16_t>((serial_hi << 8) | serial_lo);
  }
  [[nodiscard]] SyntaxId interface() const {
    return {if_id, static_cast<std::uint16_t>(if_vers & 0xffff),
            static_cast<std::uint16_t>(if_vers >> 16)};
  }
  // A fragment of a call that is not the last: flags1 frag set and lastfrag clear.
  [[nodiscard]] bool more_fragments() const {
    return (flags1 & cl_flags1::frag) != 0 && (flags1 & cl_flags1::lastfrag) == 0;
  }
};

// fack, and a nocall that carries one (C706 §12.5.3.4, §12.5.3.5): the receiver's window.
struct ClFack {
  std::uint8_t vers = 0;
  std::uint16_t window_size = 0;
  std::uint32_t max_tsdu = 0;
  std::uint32_t max_frag_size = 0;
  std::uint16_t serial_num = 0;  // serial number of the fragment that induced it
  std::uint16_t selack_len = 0;
  std::vector<std::uint32_t> selack;  // selective acknowledgement bit masks
};
// fault and reject (C706 §12.5.3.2, §12.5.3.8): one status (nca_s_*, or a Win32 code).
struct ClStatus {
  std::uint32_t status = 0;
};
// cl_cancel (C706 §12.5.3.3).
struct ClCancel {
  std::uint32_t vers = 0;
  std::uint32_t cancel_id = 0;
};
// cancel_ack (C706 §12.5.3.1).
struct ClCancelAck {
  std::uint32_t vers = 0;
  std::uint32_t cancel_id = 0;
  bool server_is_accepting = false;
};
// request and response bodies are the stub (ClPduView::stub); ping, working, ack and a
// nocall without fack have none.
using ClBody = std::variant<NoBody, ClFack, ClStatus, ClCancel, ClCancelAck>;

// A parsed connectionless PDU. A View: stub and auth_verifier point into the datagram.
struct ClPduView {
  ClHeader header;
  ClBody body;
  Bytes stub;           // request/response body (the captured part when truncated)
  Bytes auth_verifier;  // octets after the body when auth_proto is set
  std::size_t trailing = 0;  // octets after the body with no auth_proto (padding)
  bool truncated = false;    // the capture cut the datagram inside the body
  std::size_t captured = 0;  // octets of the PDU captured
};

// Why a datagram is not a connectionless PDU, or its body is not readable.
enum class ClReason : std::uint8_t {
  header_truncated,  // fewer than 80 octets
  bad_rpc_vers,      // rpc_vers != 4
  bad_ptype,         // not a connectionless packet type (0-10)
  bad_drep,          // packed_drep outside the defined values
  bad_length,        // len runs past the datagram
  body_truncated,    // a fack/cancel/status body shorter than its fields
  count_too_large,   // selack_len past the body
  count_
};
inline constexpr std::size_t kClReasonCount = static_cast<std::size_t>(ClReason::count_);
std::string_view to_string(ClReason r);
std::string_view describe(ClReason r);

using ClHeaderResult = common::ParseResult<ClHeader, ClReason>;
using ClPduResult = common::ParseResult<ClPduView, ClReason>;

// The header alone, validated (version, ptype, drep). need_more under 80 octets.
ClHeaderResult parse_cl_header(Bytes data);
// One datagram's payload: `data` the captured octets, `wire_length` the UDP payload length on
// the wire (>= data.size()). A body the capture cut is returned with `truncated` set.
ClPduResult parse_cl_pdu(Bytes data, std::size_t wire_length);

// Body parsers (exposed for tests and fuzzing): `r` holds exactly the body, in its byte order.
common::ParseResult<ClFack, ClReason> parse_cl_fack(common::ByteReader r);

}  // namespace rpctrace::dcerpc
