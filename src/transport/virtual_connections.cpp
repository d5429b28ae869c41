// RPC over HTTP v2: the cookie that names a channel's virtual connection.
#include "virtual_connections.hpp"

#include <variant>

#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::transport {

std::optional<ChannelNaming> channel_naming(common::Bytes pdu) {
  auto h = dcerpc::parse_common_header(pdu);
  if (!h.is_complete() || h.value().ptype != dcerpc::PacketType::rts ||
      h.value().frag_length > pdu.size() || h.value().auth_length != 0)
    return std::nullopt;
  const dcerpc::CommonHeader& header = h.value();
  auto body = dcerpc::parse_rts_body(
      pdu.subspan(dcerpc::kCommonHeaderSize, header.frag_length - dcerpc::kCommonHeaderSize),
      header.packed_drep.integer_order());
  if (!body.is_complete()) return std::nullopt;
  const auto& c = body.value().commands;
  if (c.size() < 3 || !std::holds_alternative<dcerpc::rts::Version>(c[0]) ||
      !std::holds_alternative<dcerpc::rts::Cookie>(c[1]) ||
      !std::holds_alternative<dcerpc::rts::Cookie>(c[2]))
    return std::nullopt;
  ChannelNaming n;
  n.virtual_connection_cookie = std::get<dcerpc::rts::Cookie>(c[1]).cookie;
  const std::uint16_t flags = body.value().flags;
  if (flags & dcerpc::rts_flag::in_channel) n.channel = dcerpc::RtsChannel::in;
  if (flags & dcerpc::rts_flag::out_channel) n.channel = dcerpc::RtsChannel::out;
  return n;
}

}  // namespace rpctrace::transport
