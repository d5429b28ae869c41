// Common header validation and the PDU framer (C706 §12.6.3.1, §12.6.4).
#include <fmt/format.h>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::dcerpc {

bool is_connection_oriented(std::uint8_t ptype) {
  switch (ptype) {
    case 0:
    case 2:
    case 3:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
    case 19:
    case 20:
      return true;
    default:
      return false;
  }
}

std::size_t fixed_body_size(PacketType t, std::uint8_t pfc_flags) {
  switch (t) {
    case PacketType::request:
      return kRequestFixed + ((pfc_flags & pfc::object_uuid) ? kObjectUuidSize : 0);
    case PacketType::response:
      return kResponseFixed;
    case PacketType::fault:
      return kFaultFixed;
    case PacketType::bind:
    case PacketType::alter_context:
      return kBindFixed;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
      return kBindAckFixed;
    case PacketType::bind_nak:
      return kBindNakFixed;
    case PacketType::rts:
      return kRtsFixed;
    default:
      return 0;
  }
}

namespace {

// Reads and checks the common header. `strict` adds the checks that involve the PTYPE's fixed
// part and auth_length; without them the header is still good enough to trust frag_length
// (the framer then skips a PDU whose body is wrong by exactly frag_length and stays in sync).
HeaderResult read_header(Bytes data, bool strict) {
  if (data.size() < kCommonHeaderSize) return HeaderResult::need_more(kCommonHeaderSize);
  common::ByteReader r(data.first(kCommonHeaderSize));
  CommonHeader h;
  h.rpc_vers = r.u8();
  h.rpc_vers_minor = r.u8();
  std::uint8_t ptype = r.u8();
  h.pfc_flags = r.u8();
  for (auto& o : h.packed_drep.octets) o = r.u8();
  if (h.rpc_vers != 5)
    return HeaderResult::malformed(Reason::bad_rpc_vers, 0,
                                   fmt::format("rpc_vers {} != 5", h.rpc_vers));
  if (h.rpc_vers_minor > 1)
    return HeaderResult::malformed(Reason::bad_rpc_vers_minor, 1,
                                   fmt::format("rpc_vers_minor {} not 0 or 1", h.rpc_vers_minor));
  if (!is_connection_oriented(ptype))
    return HeaderResult::malformed(Reason::bad_ptype, 2,
                                   fmt::format("ptype {} is not a connection-oriented PDU", ptype));
  h.ptype = static_cast<PacketType>(ptype);
  // Integer order 0/1, character set 0/1, floating point 0-3 (C706 §14.1); octets 2-3 are
  // reserved and zero in every implementation we have seen.
  const auto& d = h.packed_drep.octets;
  if ((d[0] >> 4) > 1 || (d[0] & 0x0f) > 1 || d[1] > 3 || d[2] != 0 || d[3] != 0)
    return HeaderResult::malformed(
        Reason::bad_drep, 4,
        fmt::format("packed_drep {:02x}{:02x}{:02x}{:02x} undefined", d[0], d[1], d[2], d[3]));
  r.set_order(h.packed_drep.integer_order());
  h.frag_length = r.u16();
  h.auth_length = r.u16();
  h.call_id = r.u32();
  if (!strict) {
    if (h.frag_length < kCommonHeaderSize)
      return HeaderResult::malformed(
          Reason::frag_length_too_small, 8,
          fmt::format("frag_length {} < 16 (common header)", h.frag_length));
    return HeaderResult::complete(h, kCommonHeaderSize);
  }
  std::size_t minimum = kCommonHeaderSize + fixed_body_size(h.ptype, h.pfc_flags);
  if (h.frag_length < minimum)
    return HeaderResult::malformed(
        Reason::frag_length_too_small, 8,
        fmt::format("frag_length {} < {} ({} header)", h.frag_length, minimum, to_string(h.ptype)));
  if (h.auth_length > 0 &&
      static_cast<std::size_t>(h.auth_length) + kSecTrailerSize > h.frag_length - minimum)
    return HeaderResult::malformed(
        Reason::auth_length_too_large, 10,
        fmt::format("auth_length {} + 8 > {} octets after the {} header", h.auth_length,
                    h.frag_length - minimum, to_string(h.ptype)));
  return HeaderResult::complete(h, kCommonHeaderSize);
}

}  // namespace

HeaderResult parse_common_header(Bytes data) { return read_header(data, true); }
HeaderResult parse_framing_header(Bytes data) { return read_header(data, false); }

HeaderResult frame_pdu(Bytes data) {
  HeaderResult h = read_header(data, false);
  if (!h.is_complete()) return h;
  std::size_t frag_length = h.value().frag_length;
  if (data.size() < frag_length) return HeaderResult::need_more(frag_length);
  return HeaderResult::complete(h.take(), frag_length);
}

}  // namespace rpctrace::dcerpc
