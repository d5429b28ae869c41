// RTS PDUs of RPC over HTTP v2 (MS-RPCH §2.2.3.5 commands, §2.2.3.6 PDU structure, §2.2.4
// the named PDUs) for tests, built from the spec alone.
//
// An RTS PDU is a connection-oriented common header with PTYPE 20 (rts), call_id 0 and both
// fragment flags, then Flags (u16) and NumberOfCommands (u16), then the commands: each a u32
// CommandType and a type-specific body. MS-RPCH §2.2.3.6.1 requires little-endian everywhere;
// RtsCommands can also write big-endian integers (with packed_drep 0x00 on the PDU) so that a
// parser can be tested on what the spec forbids.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "support/bytes.hpp"
#include "support/pdu_builder.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

// RTS header Flags, MS-RPCH §2.2.3.6.1.
inline constexpr std::uint16_t kRtsFlagNone = 0x0000;
inline constexpr std::uint16_t kRtsFlagPing = 0x0001;
inline constexpr std::uint16_t kRtsFlagOtherCmd = 0x0002;
inline constexpr std::uint16_t kRtsFlagRecycleChannel = 0x0004;
inline constexpr std::uint16_t kRtsFlagInChannel = 0x0008;
inline constexpr std::uint16_t kRtsFlagOutChannel = 0x0010;
inline constexpr std::uint16_t kRtsFlagEof = 0x0020;
inline constexpr std::uint16_t kRtsFlagEcho = 0x0040;

// CommandType values, MS-RPCH §2.2.3.5.
enum class RtsCommandType : std::uint32_t {
  receive_window_size = 0x0,
  flow_control_ack = 0x1,
  connection_timeout = 0x2,
  cookie = 0x3,
  channel_lifetime = 0x4,
  client_keepalive = 0x5,
  version = 0x6,
  empty = 0x7,
  padding = 0x8,
  negative_ance = 0x9,
  ance = 0xa,
  client_address = 0xb,
  association_group_id = 0xc,
  destination = 0xd,
  ping_traffic_sent_notify = 0xe,
};

// Forward destinations, MS-RPCH §2.2.3.3.
enum class ForwardDestination : std::uint32_t {
  fd_client = 0,
  fd_in_proxy = 1,
  fd_server = 2,
  fd_out_proxy = 3,
};

// The RPC over HTTP v2 version every sender SHOULD announce (§2.2.3.5.7).
inline constexpr std::uint32_t kRtsVersion = 1;

// Flow Control Acknowledgment structure, MS-RPCH §2.2.3.4: 24 octets.
struct FlowControlAcknowledgment {
  std::uint32_t bytes_received = 0;
  std::uint32_t available_window = 0;
  Uuid channel_cookie;
};

// A list of RTS commands. Each setter appends one command and counts it; integers follow the
// list's byte order. RTS cookies (§2.2.3.1, 16 octets) are written like an NDR UUID: the first
// three fields in the list's order, the last eight octets as they are.
class RtsCommands {
 public:
  explicit RtsCommands(Endian order = Endian::little) : w_(order) {}

  RtsCommands& receive_window_size(std::uint32_t v);                  // §2.2.3.5.1
  RtsCommands& flow_control_ack(const FlowControlAcknowledgment& v);  // §2.2.3.5.2
  RtsCommands& connection_timeout(std::uint32_t v);                   // §2.2.3.5.3, ms
  RtsCommands& cookie(const Uuid& v);                                 // §2.2.3.5.4
  RtsCommands& channel_lifetime(std::uint32_t v);                     // §2.2.3.5.5, octets
  RtsCommands& client_keepalive(std::uint32_t v);                     // §2.2.3.5.6, ms
  RtsCommands& version(std::uint32_t v = kRtsVersion);                // §2.2.3.5.7
  RtsCommands& empty();                                               // §2.2.3.5.8
  // §2.2.3.5.9: ConformanceCount, then that many zero octets.
  RtsCommands& padding(std::uint32_t conformance_count);
  RtsCommands& negative_ance();  // §2.2.3.5.10
  RtsCommands& ance();           // §2.2.3.5.11
  // §2.2.3.5.12 with §2.2.3.2: AddressType (0 IPv4, 1 IPv6), the address octets in the order
  // given, then 12 octets of padding.
  RtsCommands& client_address(std::array<std::uint8_t, 4> ipv4);
  RtsCommands& client_address(std::array<std::uint8_t, 16> ipv6);
  RtsCommands& association_group_id(const Uuid& v);        // §2.2.3.5.13
  RtsCommands& destination(ForwardDestination v);          // §2.2.3.5.14
  RtsCommands& ping_traffic_sent_notify(std::uint32_t v);  // §2.2.3.5.15
  // Any CommandType with any body, for unknown or malformed commands.
  RtsCommands& raw(std::uint32_t command_type, std::span<const std::byte> body);

  [[nodiscard]] Endian order() const { return w_.order(); }
  [[nodiscard]] std::uint16_t count() const { return count_; }
  [[nodiscard]] const Bytes& bytes() const { return w_.view(); }

 private:
  RtsCommands& type(RtsCommandType t);
  ByteWriter w_;
  std::uint16_t count_ = 0;
};

// An RTS PDU carrying `commands` with header Flags `flags`: call_id 0, first | last frag,
// packed_drep from the commands' byte order, NumberOfCommands = commands.count(). The
// returned builder can still override any field (frag_length, number_of_commands, ...).
PduBuilder rts_pdu(std::uint16_t flags, const RtsCommands& commands);

// The named PDUs of MS-RPCH §2.2.4 used between client and proxies, little-endian.
// CONN/A1 (§2.2.4.2), client -> outbound proxy: Version, VirtualConnectionCookie,
// OUTChannelCookie, ReceiveWindowSize. 76 octets.
PduBuilder rts_conn_a1(const Uuid& virtual_connection_cookie, const Uuid& out_channel_cookie,
                       std::uint32_t receive_window_size, std::uint32_t version = kRtsVersion);
// CONN/A2 (§2.2.4.3), outbound proxy -> server, RTS_FLAG_OUT_CHANNEL: Version,
// VirtualConnectionCookie, OUTChannelCookie, ChannelLifetime, ReceiveWindowSize.
PduBuilder rts_conn_a2(const Uuid& virtual_connection_cookie, const Uuid& out_channel_cookie,
                       std::uint32_t channel_lifetime, std::uint32_t receive_window_size,
                       std::uint32_t version = kRtsVersion);
// CONN/A3 (§2.2.4.4), outbound proxy -> client: ConnectionTimeout. 28 octets.
PduBuilder rts_conn_a3(std::uint32_t connection_timeout);
// CONN/B1 (§2.2.4.5), client -> inbound proxy: Version, VirtualConnectionCookie,
// INChannelCookie, ChannelLifetime, ClientKeepalive, AssociationGroupId. 104 octets.
PduBuilder rts_conn_b1(const Uuid& virtual_connection_cookie, const Uuid& in_channel_cookie,
                       std::uint32_t channel_lifetime, std::uint32_t client_keepalive,
                       const Uuid& association_group_id, std::uint32_t version = kRtsVersion);
// CONN/B2 (§2.2.4.6), inbound proxy -> server, RTS_FLAG_IN_CHANNEL: Version,
// VirtualConnectionCookie, INChannelCookie, ReceiveWindowSize, ConnectionTimeout,
// AssociationGroupId, ClientAddress (IPv4).
PduBuilder rts_conn_b2(const Uuid& virtual_connection_cookie, const Uuid& in_channel_cookie,
                       std::uint32_t receive_window_size, std::uint32_t connection_timeout,
                       const Uuid& association_group_id, std::array<std::uint8_t, 4> client,
                       std::uint32_t version = kRtsVersion);
// CONN/C1 (§2.2.4.8, server -> outbound proxy) and CONN/C2 (§2.2.4.9, outbound proxy ->
// client): Version, ReceiveWindowSize, ConnectionTimeout. 44 octets each.
PduBuilder rts_conn_c1(std::uint32_t receive_window_size, std::uint32_t connection_timeout,
                       std::uint32_t version = kRtsVersion);
PduBuilder rts_conn_c2(std::uint32_t receive_window_size, std::uint32_t connection_timeout,
                       std::uint32_t version = kRtsVersion);
// Echo (§2.2.4.48, RTS_FLAG_ECHO) and Ping (§2.2.4.49, RTS_FLAG_PING): no commands, 20 octets.
PduBuilder rts_echo();
PduBuilder rts_ping();
// FlowControlAck (§2.2.4.50), RTS_FLAG_OTHER_CMD: one FlowControlAck command. 48 octets.
PduBuilder rts_flow_control_ack(const FlowControlAcknowledgment& ack);

}  // namespace rpctrace::testsupport
