// Connectionless PDU parser (C706 §12.5.1 header, §12.5.3 bodies). The header is read in the
// sender's byte order (its drep); the body length `len` is checked against the datagram.
#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/dcerpc/cl.hpp"

namespace rpctrace::dcerpc {

namespace {

std::string flags_string(std::uint8_t flags, const std::string_view (&names)[8]) {
  std::string out;
  for (int bit = 0; bit < 8; ++bit) {
    if ((flags & (1u << bit)) == 0) continue;
    if (!out.empty()) out += '|';
    out += names[bit];
  }
  return out;
}

ClPduResult body_error(ClReason reason, std::size_t offset, std::string detail) {
  return ClPduResult::malformed(reason, offset, std::move(detail));
}

}  // namespace

std::string cl_flags1_string(std::uint8_t flags) {
  static constexpr std::string_view kNames[8] = {"reserved_01", "lastfrag",   "frag",
                                                 "nofack",      "maybe",      "idempotent",
                                                 "broadcast",   "reserved_80"};
  return flags_string(flags, kNames);
}

std::string cl_flags2_string(std::uint8_t flags) {
  static constexpr std::string_view kNames[8] = {"reserved_01", "cancel_pending", "reserved_04",
                                                 "reserved_08", "reserved_10",    "reserved_20",
                                                 "reserved_40", "reserved_80"};
  return flags_string(flags, kNames);
}

std::string_view to_string(ClReason r) {
  static constexpr std::string_view kNames[] = {
      "cl_header_truncated", "cl_bad_rpc_vers",    "cl_bad_ptype",      "cl_bad_drep",
      "cl_bad_length",       "cl_body_truncated", "cl_count_too_large"};
  static_assert(std::size(kNames) == kClReasonCount);
  auto i = static_cast<std::size_t>(r);
  return i < std::size(kNames) ? kNames[i] : "cl_unknown";
}

std::string_view describe(ClReason r) {
  static constexpr std::string_view kText[] = {
      "connectionless PDUs shorter than their 80-octet header",
      "connectionless PDUs with rpc_vers not 4",
      "connectionless PDUs with an unknown packet type",
      "connectionless PDUs with an undefined data representation",
      "connectionless PDUs whose body length runs past the datagram",
      "connectionless PDU bodies shorter than their fields",
      "connectionless fack bodies whose selack_len runs past the body"};
  static_assert(std::size(kText) == kClReasonCount);
  auto i = static_cast<std::size_t>(r);
  return i < std::size(kText) ? kText[i] : "unknown";
}

ClHeaderResult parse_cl_header(Bytes data) {
  if (data.size() < kClHeaderSize) return ClHeaderResult::need_more(kClHeaderSize);
  common::ByteReader r(data.first(kClHeaderSize));
  ClHeader h;
  h.rpc_vers = r.u8();
  const std::uint8_t ptype = r.u8();
  h.flags1 = r.u8();
  h.flags2 = r.u8();
  for (int i = 0; i < 3; ++i) h.drep.octets[i] = r.u8();
  h.drep.octets[3] = 0;
  h.serial_hi = r.u8();
  if (h.rpc_vers != kClRpcVers)
    return ClHeaderResult::malformed(ClReason::bad_rpc_vers, 0,
                                     fmt::format("rpc_vers {} != 4", h.rpc_vers));
  if (ptype > kClMaxPtype)
    return ClHeaderResult::malformed(
        ClReason::bad_ptype, 1, fmt::format("ptype {} is not a connectionless PDU", ptype));
  h.ptype = static_cast<PacketType>(ptype);
  // As the connection-oriented header (C706 §14.1): integer order 0/1, character set 0/1,
  // floating point 0-3; the third octet is reserved.
  const auto& d = h.drep.octets;
  if ((d[0] >> 4) > 1 || (d[0] & 0x0f) > 1 || d[1] > 3 || d[2] != 0)
    return ClHeaderResult::malformed(
        ClReason::bad_drep, 4,
        fmt::format("drep {:02x}{:02x}{:02x} undefined", d[0], d[1], d[2]));
  r.set_order(h.drep.integer_order());
  h.object = common::read_uuid(r);
  h.if_id = common::read_uuid(r);
  h.act_id = common::read_uuid(r);
  h.server_boot = r.u32();
  h.if_vers = r.u32();
  h.seqnum = r.u32();
  h.opnum = r.u16();
  h.ihint = r.u16();
  h.ahint = r.u16();
  h.len = r.u16();
  h.fragnum = r.u16();
  h.auth_proto = r.u8();
  h.serial_lo = r.u8();
  return ClHeaderResult::complete(h, kClHeaderSize);
}

common::ParseResult<ClFack, ClReason> parse_cl_fack(common::ByteReader r) {
  using Result = common::ParseResult<ClFack, ClReason>;
  ClFack f;
  f.vers = r.u8();
  r.skip(1);  // pad
  f.window_size = r.u16();
  f.max_tsdu = r.u32();
  f.max_frag_size = r.u32();
  f.serial_num = r.u16();
  f.selack_len = r.u16();
  if (!r.ok())
    return Result::malformed(ClReason::body_truncated, r.position(),
                             fmt::format("fack body of {} octets < 16", r.size()));
  if (f.selack_len > kMaxSelackWords ||
      static_cast<std::size_t>(f.selack_len) * 4 > r.remaining())
    return Result::malformed(ClReason::count_too_large, 14,
                             fmt::format("selack_len {} past the {} octets left", f.selack_len,
                                         r.remaining()));
  f.selack.reserve(f.selack_len);
  for (std::uint16_t i = 0; i < f.selack_len; ++i) f.selack.push_back(r.u32());
  return Result::complete(std::move(f), r.position());
}

ClPduResult parse_cl_pdu(Bytes data, std::size_t wire_length) {
  ClHeaderResult hr = parse_cl_header(data);
  if (hr.is_need_more())
    return body_error(ClReason::header_truncated, 0,
                      fmt::format("{} octets < 80 (connectionless header)", data.size()));
  if (hr.is_malformed()) return ClPduResult::from(hr.error());
  ClPduView v;
  v.header = hr.take();
  const ClHeader& h = v.header;
  wire_length = std::max(wire_length, data.size());
  const std::size_t body_end = kClHeaderSize + h.len;
  if (body_end > wire_length)
    return body_error(ClReason::bad_length, 74,
                      fmt::format("len {} runs past the {}-octet datagram", h.len, wire_length));
  v.captured = data.size();
  v.truncated = body_end > data.size();
  Bytes body = data.subspan(kClHeaderSize, std::min(body_end, data.size()) - kClHeaderSize);
  if (!v.truncated && data.size() > body_end) {
    Bytes after = data.subspan(body_end);
    if (h.auth_proto != 0)
      v.auth_verifier = after;
    else
      v.trailing = after.size();
  }
  common::ByteReader r(body, h.drep.integer_order());
  switch (h.ptype) {
    case PacketType::request:
    case PacketType::response:
      v.stub = body;
      break;
    case PacketType::fault:
    case PacketType::reject: {
      if (v.truncated && body.size() < 4) break;  // cut before its status: header only
      ClStatus s{r.u32()};
      if (!r.ok())
        return body_error(ClReason::body_truncated, kClHeaderSize,
                          fmt::format("{} body of {} octets < 4", to_string(h.ptype), h.len));
      v.body = s;
      break;
    }
    case PacketType::fack:
    case PacketType::nocall: {
      // A fack may come without a body (implementations before the fack body, C706
      // §12.5.3.4); a nocall carries one only when it acknowledges fragments (§12.5.3.5).
      if (body.empty() || v.truncated) break;
      auto f = parse_cl_fack(r);
      if (!f.is_complete()) {
        auto e = f.error();
        e.offset += kClHeaderSize;
        return ClPduResult::from(std::move(e));
      }
      v.body = f.take();
      break;
    }
    case PacketType::cl_cancel: {
      if (v.truncated) break;
      ClCancel c;
      c.vers = r.u32();
      c.cancel_id = r.u32();
      if (!r.ok())
        return body_error(ClReason::body_truncated, kClHeaderSize,
                          fmt::format("cancel body of {} octets < 8", h.len));
      v.body = c;
      break;
    }
    case PacketType::cancel_ack: {
      if (v.truncated) break;
      ClCancelAck c;
      c.vers = r.u32();
      c.cancel_id = r.u32();
      // boolean32 in C706; some implementations send a single octet.
      c.server_is_accepting = r.remaining() >= 4 ? r.u32() != 0 : r.u8() != 0;
      if (!r.ok())
        return body_error(ClReason::body_truncated, kClHeaderSize,
                          fmt::format("cancel_ack body of {} octets < 9", h.len));
      v.body = c;
      break;
    }
    default:  // ping, working, ack: no body
      break;
  }
  return ClPduResult::complete(std::move(v), std::min(body_end, data.size()));
}

}  // namespace rpctrace::dcerpc
