// RtsCommands and the named RTS PDUs (see rts_builder.hpp); MS-RPCH §2.2.3 and §2.2.4.
#include "support/rts_builder.hpp"

namespace rpctrace::testsupport {

RtsCommands& RtsCommands::type(RtsCommandType t) {
  w_.u32(static_cast<std::uint32_t>(t));
  ++count_;
  return *this;
}

RtsCommands& RtsCommands::receive_window_size(std::uint32_t v) {
  type(RtsCommandType::receive_window_size).w_.u32(v);
  return *this;
}

RtsCommands& RtsCommands::flow_control_ack(const FlowControlAcknowledgment& v) {
  type(RtsCommandType::flow_control_ack).w_.u32(v.bytes_received).u32(v.available_window);
  v.channel_cookie.write(w_);
  return *this;
}

RtsCommands& RtsCommands::connection_timeout(std::uint32_t v) {
  type(RtsCommandType::connection_timeout).w_.u32(v);
  return *this;
}

RtsCommands& RtsCommands::cookie(const Uuid& v) {
  type(RtsCommandType::cookie);
  v.write(w_);
  return *this;
}

RtsCommands& RtsCommands::channel_lifetime(std::uint32_t v) {
  type(RtsCommandType::channel_lifetime).w_.u32(v);
  return *this;
}

RtsCommands& RtsCommands::client_keepalive(std::uint32_t v) {
  type(RtsCommandType::client_keepalive).w_.u32(v);
  return *this;
}

RtsCommands& RtsCommands::version(std::uint32_t v) {
  type(RtsCommandType::version).w_.u32(v);
  return *this;
}

RtsCommands& RtsCommands::empty() { return type(RtsCommandType::empty); }

RtsCommands& RtsCommands::padding(std::uint32_t conformance_count) {
  type(RtsCommandType::padding).w_.u32(conformance_count).zeros(conformance_count);
  return *this;
}

RtsCommands& RtsCommands::negative_ance() { return type(RtsCommandType::negative_ance); }

RtsCommands& RtsCommands::ance() { return type(RtsCommandType::ance); }

RtsCommands& RtsCommands::client_address(std::array<std::uint8_t, 4> ipv4) {
  type(RtsCommandType::client_address).w_.u32(0);
  for (std::uint8_t octet : ipv4) w_.u8(octet);
  w_.zeros(12);
  return *this;
}

RtsCommands& RtsCommands::client_address(std::array<std::uint8_t, 16> ipv6) {
  type(RtsCommandType::client_address).w_.u32(1);
  for (std::uint8_t octet : ipv6) w_.u8(octet);
  w_.zeros(12);
  return *this;
}

RtsCommands& RtsCommands::association_group_id(const Uuid& v) {
  type(RtsCommandType::association_group_id);
  v.write(w_);
  return *this;
}

RtsCommands& RtsCommands::destination(ForwardDestination v) {
  type(RtsCommandType::destination).w_.u32(static_cast<std::uint32_t>(v));
  return *this;
}

RtsCommands& RtsCommands::ping_traffic_sent_notify(std::uint32_t v) {
  type(RtsCommandType::ping_traffic_sent_notify).w_.u32(v);
  return *this;
}

RtsCommands& RtsCommands::raw(std::uint32_t command_type, std::span<const std::byte> body) {
  w_.u32(command_type).bytes(body);
  ++count_;
  return *this;
}

PduBuilder rts_pdu(std::uint16_t flags, const RtsCommands& commands) {
  PduBuilder b(Ptype::rts);
  // §2.2.3.6.1: call_id 0, PFC_FIRST_FRAG | PFC_LAST_FRAG and no other flag.
  b.call_id(0)
      .pfc_flags(kPfcFirstFrag | kPfcLastFrag)
      .packed_drep(commands.order() == Endian::little ? kDrepLittleEndian : kDrepBigEndian)
      .rts_flags(flags)
      .number_of_commands(commands.count())
      .rts_commands(commands.bytes());
  return b;
}

PduBuilder rts_conn_a1(const Uuid& virtual_connection_cookie, const Uuid& out_channel_cookie,
                       std::uint32_t receive_window_size, std::uint32_t version) {
  RtsCommands c;
  c.version(version)
      .cookie(virtual_connection_cookie)
      .cookie(out_channel_cookie)
      .receive_window_size(receive_window_size);
  return rts_pdu(kRtsFlagNone, c);
}

PduBuilder rts_conn_a2(const Uuid& virtual_connection_cookie, const Uuid& out_channel_cookie,
                       std::uint32_t channel_lifetime, std::uint32_t receive_window_size,
                       std::uint32_t version) {
  RtsCommands c;
  c.version(version)
      .cookie(virtual_connection_cookie)
      .cookie(out_channel_cookie)
      .channel_lifetime(channel_lifetime)
      .receive_window_size(receive_window_size);
  return rts_pdu(kRtsFlagOutChannel, c);
}

PduBuilder rts_conn_a3(std::uint32_t connection_timeout) {
  RtsCommands c;
  c.connection_timeout(connection_timeout);
  return rts_pdu(kRtsFlagNone, c);
}

PduBuilder rts_conn_b1(const Uuid& virtual_connection_cookie, const Uuid& in_channel_cookie,
                       std::uint32_t channel_lifetime, std::uint32_t client_keepalive,
                       const Uuid& association_group_id, std::uint32_t version) {
  RtsCommands c;
  c.version(version)
      .cookie(virtual_connection_cookie)
      .cookie(in_channel_cookie)
      .channel_lifetime(channel_lifetime)
      .client_keepalive(client_keepalive)
      .association_group_id(association_group_id);
  return rts_pdu(kRtsFlagNone, c);
}

PduBuilder rts_conn_b2(const Uuid& virtual_connection_cookie, const Uuid& in_channel_cookie,
                       std::uint32_t receive_window_size, std::uint32_t connection_timeout,
                       const Uuid& association_group_id, std::array<std::uint8_t, 4> client,
                       std::uint32_t version) {
  RtsCommands c;
  c.version(version)
      .cookie(virtual_connection_cookie)
      .cookie(in_channel_cookie)
      .receive_window_size(receive_window_size)
      .connection_timeout(connection_timeout)
      .association_group_id(association_group_id)
      .client_address(client);
  return rts_pdu(kRtsFlagInChannel, c);
}

PduBuilder rts_conn_c1(std::uint32_t receive_window_size, std::uint32_t connection_timeout,
                       std::uint32_t version) {
  RtsCommands c;
  c.version(version)
      .receive_window_size(receive_window_size)
      .connection_timeout(connection_timeout);
  return rts_pdu(kRtsFlagNone, c);
}

PduBuilder rts_conn_c2(std::uint32_t receive_window_size, std::uint32_t connection_timeout,
                       std::uint32_t version) {
  return rts_conn_c1(receive_window_size, connection_timeout, version);
}

PduBuilder rts_echo() { return rts_pdu(kRtsFlagEcho, RtsCommands{}); }

PduBuilder rts_ping() { return rts_pdu(kRtsFlagPing, RtsCommands{}); }

PduBuilder rts_flow_control_ack(const FlowControlAcknowledgment& ack) {
  RtsCommands c;
  c.flow_control_ack(ack);
  return rts_pdu(kRtsFlagOtherCmd, c);
}

}  // namespace rpctrace::testsupport
