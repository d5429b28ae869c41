// RTS PDUs of RPC over HTTP v2 (MS-RPCH): the body after the common header (2.2.3.6: Flags,
// NumberOfCommands, then the commands of 2.2.3.5) decoded into owned values, and the names of
// the RTS PDUs of 2.2.4 recognised from their Flags and command sequence.
//
// parse_rts_body(): the octets after the 16-octet common header, beginning with Flags, in the
//   PDU's integer byte order. MS-RPCH 2.2.3.6.1 requires little-endian RTS PDUs; the drep is
//   honoured anyway, as for every other PDU, so a big-endian RTS PDU decodes to the same values.
//   complete (consumed = the octets up to the end of the last command; octets after it are left
//   unread, and a caller may flag them since frag_length should cover exactly the commands),
//   or malformed with an RtsReason. Never need_more: the framer already framed the PDU.
// classify_rts(): the RTS PDU names of 2.2.4 whose layout matches. Several PDUs share one
//   layout (CONN/C1 and CONN/C2, OUT_R1/A3 and OUT_R2/A3, ...), so the answer is a set, which
//   the caller narrows by saying who sent the PDU to whom on which channel (RtsVantage).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/result.hpp"
#include "rpctrace/common/uuid.hpp"

namespace rpctrace::dcerpc {

// --- Spec facts (MS-RPCH) ---
// 2.2.3.5: every command starts with its u32 CommandType; Empty, ANCE, NegativeANCE are nothing
// more, so no command is shorter.
inline constexpr std::size_t kRtsCommandTypeSize = 4;
// 2.2.3.5.9: Padding's ConformanceCount is at most 0xFFFF.
inline constexpr std::uint32_t kRtsMaxConformanceCount = 0xFFFF;
// 2.2.3.2.1, 2.2.3.2.2: a client address is followed by 12 octets of padding.
inline constexpr std::size_t kRtsClientAddressPadding = 12;

// --- Resource policy ---
struct RtsLimits {
  // Commands decoded per PDU. The longest named RTS PDUs (CONN/B2, OUT_R1/A4) carry 7.
  std::size_t max_commands = 32;
};

// RTS header Flags, MS-RPCH 2.2.3.6.1.
namespace rts_flag {
inline constexpr std::uint16_t none = 0x0000, ping = 0x0001, other_cmd = 0x0002,
                               recycle_channel = 0x0004, in_channel = 0x0008, out_channel = 0x0010,
                               eof = 0x0020, echo = 0x0040;
}
// "RTS_FLAG_RECYCLE_CHANNEL|RTS_FLAG_OUT_CHANNEL"; "RTS_FLAG_NONE" for 0; bits the spec does not
// define as "0x0080".
std::string rts_flags_string(std::uint16_t flags);

// CommandType values, MS-RPCH 2.2.3.5.
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
// The spec's names: "ReceiveWindowSize", "FlowControlAck", ... "PingTrafficSentNotify".
std::string_view to_string(RtsCommandType t);

// Forward destinations, MS-RPCH 2.2.3.3.
enum class ForwardDestination : std::uint32_t {
  fd_client = 0,
  fd_in_proxy = 1,
  fd_server = 2,
  fd_out_proxy = 3,
};
// "FDClient", "FDInProxy", "FDServer", "FDOutProxy"; "unknown" for other values.
std::string_view forward_destination_name(std::uint32_t destination);

// One struct per command, fields named as in MS-RPCH 2.2.3.5.x. RTS cookies (2.2.3.1: 16
// octets, which implementations MAY take from a UUID, and Windows does) are kept as Uuids read
// like every UUID of a PDU: time_low, time_mid, time_hi_and_version in the PDU's byte order.
namespace rts {
struct ReceiveWindowSize {  // 2.2.3.5.1, octets
  std::uint32_t receive_window_size = 0;
  friend bool operator==(const ReceiveWindowSize&, const ReceiveWindowSize&) = default;
};
struct FlowControlAck {  // 2.2.3.5.2, carrying the Flow Control Acknowledgment of 2.2.3.4
  std::uint32_t bytes_received = 0;
  std::uint32_t available_window = 0;
  common::Uuid channel_cookie;
  friend bool operator==(const FlowControlAck&, const FlowControlAck&) = default;
};
struct ConnectionTimeout {  // 2.2.3.5.3, milliseconds
  std::uint32_t connection_timeout = 0;
  friend bool operator==(const ConnectionTimeout&, const ConnectionTimeout&) = default;
};
struct Cookie {  // 2.2.3.5.4
  common::Uuid cookie;
  friend bool operator==(const Cookie&, const Cookie&) = default;
};
struct ChannelLifetime {  // 2.2.3.5.5, octets
  std::uint32_t channel_lifetime = 0;
  friend bool operator==(const ChannelLifetime&, const ChannelLifetime&) = default;
};
struct ClientKeepalive {  // 2.2.3.5.6, milliseconds (0 means 300,000)
  std::uint32_t client_keepalive = 0;
  friend bool operator==(const ClientKeepalive&, const ClientKeepalive&) = default;
};
struct Version {  // 2.2.3.5.7
  std::uint32_t version = 0;
  friend bool operator==(const Version&, const Version&) = default;
};
struct Empty {  // 2.2.3.5.8
  friend bool operator==(const Empty&, const Empty&) = default;
};
struct Padding {  // 2.2.3.5.9: ConformanceCount octets follow, ignored on receipt
  std::uint32_t conformance_count = 0;
  friend bool operator==(const Padding&, const Padding&) = default;
};
struct NegativeAnce {  // 2.2.3.5.10
  friend bool operator==(const NegativeAnce&, const NegativeAnce&) = default;
};
struct Ance {  // 2.2.3.5.11
  friend bool operator==(const Ance&, const Ance&) = default;
};
// 2.2.3.5.12 with 2.2.3.2: AddressType 0 (IPv4, 4 octets) or 1 (IPv6, 16 octets), then 12
// octets of padding. The spec calls the address "little-endian", which says nothing clear for an
// address; the octets are kept as they stand on the wire and read in network order (0a 00 00 05
// is 10.0.0.5), whatever the drep.
struct ClientAddress {
  std::uint32_t address_type = 0;
  common::IpAddress client_address;
  friend bool operator==(const ClientAddress&, const ClientAddress&) = default;
};
struct AssociationGroupId {  // 2.2.3.5.13, an RTS cookie
  common::Uuid association_group_id;
  friend bool operator==(const AssociationGroupId&, const AssociationGroupId&) = default;
};
struct Destination {  // 2.2.3.5.14, a ForwardDestination value (kept raw: see 2.2.3.3)
  std::uint32_t destination = 0;
  friend bool operator==(const Destination&, const Destination&) = default;
};
struct PingTrafficSentNotify {  // 2.2.3.5.15, octets
  std::uint32_t ping_traffic_sent = 0;
  friend bool operator==(const PingTrafficSentNotify&, const PingTrafficSentNotify&) = default;
};
}  // namespace rts

// One decoded command. The alternative's index is its CommandType value.
using RtsCommand =
    std::variant<rts::ReceiveWindowSize, rts::FlowControlAck, rts::ConnectionTimeout, rts::Cookie,
                 rts::ChannelLifetime, rts::ClientKeepalive, rts::Version, rts::Empty, rts::Padding,
                 rts::NegativeAnce, rts::Ance, rts::ClientAddress, rts::AssociationGroupId,
                 rts::Destination, rts::PingTrafficSentNotify>;
inline RtsCommandType command_type(const RtsCommand& c) {
  return static_cast<RtsCommandType>(c.index());
}

struct RtsBody {  // MS-RPCH 2.2.3.6
  std::uint16_t flags = 0;
  std::uint16_t number_of_commands = 0;
  std::vector<RtsCommand> commands;  // number_of_commands of them, in wire order
};

// Why an RTS body could not be decoded. Closed set; each value is counted.
enum class RtsReason : std::uint8_t {
  body_truncated,        // fewer than 4 octets for Flags and NumberOfCommands
  too_many_commands,     // NumberOfCommands above RtsLimits::max_commands
  count_too_large,       // NumberOfCommands commands cannot fit in the body (4 octets each)
  command_truncated,     // a command's fields run past the body
  unknown_command_type,  // CommandType above 0xE (PingTrafficSentNotify)
  bad_address_type,      // ClientAddress AddressType neither 0 (IPv4) nor 1 (IPv6)
  padding_too_large,     // Padding ConformanceCount above 0xFFFF
  count_
};
inline constexpr std::size_t kRtsReasonCount = static_cast<std::size_t>(RtsReason::count_);
std::string_view to_string(RtsReason r);
std::string_view describe(RtsReason r);

using RtsResult = common::ParseResult<RtsBody, RtsReason>;
RtsResult parse_rts_body(common::Bytes body, common::ByteOrder order, const RtsLimits& limits = {});

// --- The RTS PDUs of MS-RPCH 2.2.4 ---
enum class RtsPduName : std::uint8_t {
  conn_a1,
  conn_a2,
  conn_a3,
  conn_b1,
  conn_b2,
  conn_b3,
  conn_c1,
  conn_c2,
  in_r1_a1,
  in_r1_a2,
  in_r1_a3,
  in_r1_a4,
  in_r1_a5,
  in_r1_a6,
  in_r1_b1,
  in_r1_b2,
  in_r2_a1,
  in_r2_a2,
  in_r2_a3,
  in_r2_a4,
  in_r2_a5,
  out_r1_a1,
  out_r1_a2,
  out_r1_a3,
  out_r1_a4,
  out_r1_a5,
  out_r1_a6,
  out_r1_a7,
  out_r1_a8,
  out_r1_a9,
  out_r1_a10,
  out_r1_a11,
  out_r2_a1,
  out_r2_a2,
  out_r2_a3,
  out_r2_a4,
  out_r2_a5,
  out_r2_a6,
  out_r2_a7,
  out_r2_a8,
  out_r2_b1,
  out_r2_b2,
  out_r2_b3,
  out_r2_c1,
  keep_alive,
  ping_traffic_sent_notify,
  echo,
  ping,
  flow_control_ack,
  flow_control_ack_with_destination,
  count_
};
inline constexpr std::size_t kRtsPduNameCount = static_cast<std::size_t>(RtsPduName::count_);
// The spec's names: "CONN/A1", "IN_R1/B2", "Keep-Alive", "FlowControlAckWithDestination", ...
std::string_view to_string(RtsPduName n);

// The four roles of RPC over HTTP v2 (MS-RPCH 1.3.2).
enum class RtsParty : std::uint8_t { client, inbound_proxy, outbound_proxy, server };
std::string_view to_string(RtsParty p);  // "client", "inbound proxy", ...
// The channel a PDU travels on (the IN channel: RPC_IN_DATA and the inbound proxy's connection
// to the server; the OUT channel: RPC_OUT_DATA and the outbound proxy's connection).
enum class RtsChannel : std::uint8_t { in, out };
std::string_view to_string(RtsChannel c);  // "IN", "OUT"

// One hop a named PDU is sent on: from `sender` to `receiver` on `channel`.
struct RtsHop {
  RtsParty sender;
  RtsParty receiver;
  RtsChannel channel;
};

// A named RTS PDU as MS-RPCH 2.2.4 defines it.
struct RtsPduSpec {
  RtsPduName name;
  std::string_view section;                  // "2.2.4.2"
  std::uint16_t flags;                       // the Flags it MUST carry
  std::span<const RtsCommandType> commands;  // its commands, in order
  // Where it is sent. Empty for the FlowControlAck PDUs, which any recipient sends to its
  // sender (2.2.4.50, 2.2.4.51).
  std::span<const RtsHop> hops;
  std::string_view description;  // one line: "client opens the OUT channel ..."
};
// `name` must be one of the enumerators (not count_).
const RtsPduSpec& rts_pdu_spec(RtsPduName name);
std::span<const RtsPduSpec> rts_pdu_specs();  // all of them, in section order

// What the caller knows of where a PDU was seen; each unset member matches anything.
struct RtsVantage {
  std::optional<RtsParty> sender;
  std::optional<RtsParty> receiver;
  std::optional<RtsChannel> channel;
};
// The two kinds of TCP connection of a virtual connection (MS-RPCH 2.1.2): client to proxy
// (an RPC_IN_DATA or RPC_OUT_DATA request, HTTP or HTTPS) and proxy to server (plain TCP, which
// the proxy opens). `from_initiator`: the PDU travels from the side that opened the connection
// (the client, or the proxy). The channel of a proxy-to-server connection is the one its first
// PDU names (CONN/A2 carries RTS_FLAG_OUT_CHANNEL, CONN/B2 RTS_FLAG_IN_CHANNEL).
enum class RtsLeg : std::uint8_t { client_proxy, proxy_server };
RtsVantage rts_vantage(RtsLeg leg, RtsChannel channel, bool from_initiator);

// The names of the RTS PDUs with this layout (Flags and the command types in order, which
// MS-RPCH 2.2.4.1 says identify an RTS PDU), narrowed to those that can be sent as `where`
// says. Section order. Empty: no named PDU has this layout (or none is sent there). Values
// (cookies, the Destination) play no part: the layout is what 2.2.4.1 names.
std::vector<RtsPduName> classify_rts(std::uint16_t flags, std::span<const RtsCommandType> commands,
                                     const RtsVantage& where = {});
std::vector<RtsPduName> classify_rts(std::uint16_t flags, std::span<const RtsCommand> commands,
                                     const RtsVantage& where = {});
std::vector<RtsPduName> classify_rts(const RtsBody& body, const RtsVantage& where = {});

}  // namespace rpctrace::dcerpc
