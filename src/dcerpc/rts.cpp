// RTS PDU bodies (MS-RPCH 2.2.3.5 commands, 2.2.3.6 structure) and the RTS PDU names of 2.2.4.
#include "rpctrace/dcerpc/rts.hpp"

#include <fmt/format.h>

#include <array>

#include "rpctrace/dcerpc/limits.hpp"

namespace rpctrace::dcerpc {

std::string rts_flags_string(std::uint16_t flags) {
  static constexpr std::array<std::pair<std::uint16_t, std::string_view>, 7> kNames{{
      {rts_flag::ping, "RTS_FLAG_PING"},
      {rts_flag::other_cmd, "RTS_FLAG_OTHER_CMD"},
      {rts_flag::recycle_channel, "RTS_FLAG_RECYCLE_CHANNEL"},
      {rts_flag::in_channel, "RTS_FLAG_IN_CHANNEL"},
      {rts_flag::out_channel, "RTS_FLAG_OUT_CHANNEL"},
      {rts_flag::eof, "RTS_FLAG_EOF"},
      {rts_flag::echo, "RTS_FLAG_ECHO"},
  }};
  if (flags == rts_flag::none) return "RTS_FLAG_NONE";
  std::string out;
  std::uint16_t known = 0;
  for (const auto& [bit, name] : kNames) {
    known = static_cast<std::uint16_t>(known | bit);
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  const auto unknown = static_cast<std::uint16_t>(flags & ~known);
  if (unknown != 0) {
    if (!out.empty()) out += '|';
    out += fmt::format("0x{:04x}", unknown);
  }
  return out;
}

std::string_view to_string(RtsCommandType t) {
  switch (t) {
    case RtsCommandType::receive_window_size:
      return "ReceiveWindowSize";
    case RtsCommandType::flow_control_ack:
      return "FlowControlAck";
    case RtsCommandType::connection_timeout:
      return "ConnectionTimeout";
    case RtsCommandType::cookie:
      return "Cookie";
    case RtsCommandType::channel_lifetime:
      return "ChannelLifetime";
    case RtsCommandType::client_keepalive:
      return "ClientKeepalive";
    case RtsCommandType::version:
      return "Version";
    case RtsCommandType::empty:
      return "Empty";
    case RtsCommandType::padding:
      return "Padding";
    case RtsCommandType::negative_ance:
      return "NegativeANCE";
    case RtsCommandType::ance:
      return "ANCE";
    case RtsCommandType::client_address:
      return "ClientAddress";
    case RtsCommandType::association_group_id:
      return "AssociationGroupId";
    case RtsCommandType::destination:
      return "Destination";
    case RtsCommandType::ping_traffic_sent_notify:
      return "PingTrafficSentNotify";
  }
  return "unknown";
}

std::string_view forward_destination_name(std::uint32_t destination) {
  switch (destination) {
    case static_cast<std::uint32_t>(ForwardDestination::fd_client):
      return "FDClient";
    case static_cast<std::uint32_t>(ForwardDestination::fd_in_proxy):
      return "FDInProxy";
    case static_cast<std::uint32_t>(ForwardDestination::fd_server):
      return "FDServer";
    case static_cast<std::uint32_t>(ForwardDestination::fd_out_proxy):
      return "FDOutProxy";
    default:
      return "unknown";
  }
}

std::string_view to_string(RtsReason r) {
  switch (r) {
    case RtsReason::body_truncated:
      return "body_truncated";
    case RtsReason::too_many_commands:
      return "too_many_commands";
    case RtsReason::count_too_large:
      return "count_too_large";
    case RtsReason::command_truncated:
      return "command_truncated";
    case RtsReason::unknown_command_type:
      return "unknown_command_type";
    case RtsReason::bad_address_type:
      return "bad_address_type";
    case RtsReason::padding_too_large:
      return "padding_too_large";
    case RtsReason::count_:
      break;
  }
  return "unknown";
}

std::string_view describe(RtsReason r) {
  switch (r) {
    case RtsReason::body_truncated:
      return "RTS body shorter than Flags and NumberOfCommands";
    case RtsReason::too_many_commands:
      return "NumberOfCommands above the command limit";
    case RtsReason::count_too_large:
      return "NumberOfCommands commands cannot fit in the RTS body";
    case RtsReason::command_truncated:
      return "an RTS command runs past the PDU";
    case RtsReason::unknown_command_type:
      return "an RTS CommandType MS-RPCH does not define";
    case RtsReason::bad_address_type:
      return "ClientAddress AddressType neither IPv4 (0) nor IPv6 (1)";
    case RtsReason::padding_too_large:
      return "Padding ConformanceCount above 0xFFFF";
    case RtsReason::count_:
      break;
  }
  return "unknown";
}

namespace {

using Result = RtsResult;

// Reads one command's fields after its CommandType; the reader is left failed when they run
// past the body.
std::optional<common::Malformed<RtsReason>> read_command(common::ByteReader& r, std::uint32_t type,
                                                         std::size_t type_offset,
                                                         std::vector<RtsCommand>& out) {
  switch (static_cast<RtsCommandType>(type)) {
    case RtsCommandType::receive_window_size:
      out.emplace_back(rts::ReceiveWindowSize{r.u32()});
      break;
    case RtsCommandType::flow_control_ack: {
      rts::FlowControlAck ack;
      ack.bytes_received = r.u32();
      ack.available_window = r.u32();
      ack.channel_cookie = common::read_uuid(r);
      out.emplace_back(ack);
      break;
    }
    case RtsCommandType::connection_timeout:
      out.emplace_back(rts::ConnectionTimeout{r.u32()});
      break;
    case RtsCommandType::cookie:
      out.emplace_back(rts::Cookie{common::read_uuid(r)});
      break;
    case RtsCommandType::channel_lifetime:
      out.emplace_back(rts::ChannelLifetime{r.u32()});
      break;
    case RtsCommandType::client_keepalive:
      out.emplace_back(rts::ClientKeepalive{r.u32()});
      break;
    case RtsCommandType::version:
      out.emplace_back(rts::Version{r.u32()});
      break;
    case RtsCommandType::empty:
      out.emplace_back(rts::Empty{});
      break;
    case RtsCommandType::padding: {
      std::uint32_t conformance_count = r.u32();
      if (r.ok() && conformance_count > kRtsMaxConformanceCount)
        return common::Malformed<RtsReason>{
            RtsReason::padding_too_large, type_offset + kRtsCommandTypeSize,
            fmt::format("Padding ConformanceCount {} > {} (MS-RPCH 2.2.3.5.9)", conformance_count,
                        kRtsMaxConformanceCount)};
      r.skip(conformance_count);  // the padding octets, ignored on receipt
      out.emplace_back(rts::Padding{conformance_count});
      break;
    }
    case RtsCommandType::negative_ance:
      out.emplace_back(rts::NegativeAnce{});
      break;
    case RtsCommandType::ance:
      out.emplace_back(rts::Ance{});
      break;
    case RtsCommandType::client_address: {
      rts::ClientAddress a;
      a.address_type = r.u32();
      if (!r.ok()) break;
      // 2.2.3.2: the AddressType decides the address's length, so no other value can be
      // skipped.
      std::size_t length = 0;
      if (a.address_type == 0) {
        a.client_address.family = common::IpAddress::Family::v4;
        length = 4;
      } else if (a.address_type == 1) {
        a.client_address.family = common::IpAddress::Family::v6;
        length = 16;
      } else {
        return common::Malformed<RtsReason>{
            RtsReason::bad_address_type, type_offset + kRtsCommandTypeSize,
            fmt::format("ClientAddress AddressType {} not 0 (IPv4) or 1 (IPv6)", a.address_type)};
      }
      common::Bytes octets = r.bytes(length);
      for (std::size_t i = 0; i < octets.size(); ++i)
        a.client_address.octets[i] = static_cast<std::uint8_t>(octets[i]);
      r.skip(kRtsClientAddressPadding);
      out.emplace_back(a);
      break;
    }
    case RtsCommandType::association_group_id:
      out.emplace_back(rts::AssociationGroupId{common::read_uuid(r)});
      break;
    case RtsCommandType::destination:
      out.emplace_back(rts::Destination{r.u32()});
      break;
    case RtsCommandType::ping_traffic_sent_notify:
      out.emplace_back(rts::PingTrafficSentNotify{r.u32()});
      break;
    default:
      return common::Malformed<RtsReason>{
          RtsReason::unknown_command_type, type_offset,
          fmt::format("CommandType 0x{:x} not defined (MS-RPCH 2.2.3.5 ends at 0xe)", type)};
  }
  return std::nullopt;
}

}  // namespace

RtsResult parse_rts_body(common::Bytes body, common::ByteOrder order, const RtsLimits& limits) {
  common::ByteReader r(body, order);
  RtsBody out;
  out.flags = r.u16();
  out.number_of_commands = r.u16();
  if (!r.ok())
    return Result::malformed(RtsReason::body_truncated, 0,
                             fmt::format("RTS body of {} octets < {} (Flags, NumberOfCommands)",
                                         body.size(), kRtsFixed));
  // Check the count before looping: against the policy, then against what the body can hold.
  if (out.number_of_commands > limits.max_commands)
    return Result::malformed(
        RtsReason::too_many_commands, 2,
        fmt::format("NumberOfCommands {} > limit {}", out.number_of_commands, limits.max_commands));
  if (static_cast<std::size_t>(out.number_of_commands) * kRtsCommandTypeSize > r.remaining())
    return Result::malformed(
        RtsReason::count_too_large, 2,
        fmt::format("NumberOfCommands {} needs at least {} octets, {} remain",
                    out.number_of_commands, out.number_of_commands * kRtsCommandTypeSize,
                    r.remaining()));
  std::vector<RtsCommand> commands;
  for (std::uint16_t i = 0; i < out.number_of_commands; ++i) {
    const std::size_t type_offset = r.position();
    const std::uint32_t type = r.u32();
    if (!r.ok()) break;
    if (auto error = read_command(r, type, type_offset, commands))
      return Result::from(std::move(*error));
    if (!r.ok())
      return Result::malformed(
          RtsReason::command_truncated, type_offset,
          fmt::format("command {} ({}) runs past the RTS body of {} octets", i,
                      to_string(static_cast<RtsCommandType>(type)), body.size()));
  }
  if (!r.ok())
    return Result::malformed(RtsReason::command_truncated, body.size(),
                             "the commands run past the RTS body");
  out.commands = std::move(commands);
  return Result::complete(std::move(out), r.position());
}

// --- MS-RPCH 2.2.4: the named RTS PDUs ---

std::string_view to_string(RtsParty p) {
  switch (p) {
    case RtsParty::client:
      return "client";
    case RtsParty::inbound_proxy:
      return "inbound proxy";
    case RtsParty::outbound_proxy:
      return "outbound proxy";
    case RtsParty::server:
      return "server";
  }
  return "unknown";
}

std::string_view to_string(RtsChannel c) { return c == RtsChannel::in ? "IN" : "OUT"; }

namespace {

using T = RtsCommandType;
using P = RtsParty;
using N = RtsPduName;
constexpr RtsChannel kIn = RtsChannel::in;
constexpr RtsChannel kOut = RtsChannel::out;

// Command layouts, shared by the PDUs that have them.
constexpr T kVersionCookies2Rws[] = {T::version, T::cookie, T::cookie, T::receive_window_size};
constexpr T kConnA2[] = {T::version, T::cookie, T::cookie, T::channel_lifetime,
                         T::receive_window_size};
constexpr T kConnectionTimeout[] = {T::connection_timeout};
constexpr T kConnB1[] = {T::version,          T::cookie,           T::cookie,
                         T::channel_lifetime, T::client_keepalive, T::association_group_id};
constexpr T kConnB2[] = {T::version,
                         T::cookie,
                         T::cookie,
                         T::receive_window_size,
                         T::connection_timeout,
                         T::association_group_id,
                         T::client_address};
constexpr T kRwsVersion[] = {T::receive_window_size, T::version};
constexpr T kVersionRwsTimeout[] = {T::version, T::receive_window_size, T::connection_timeout};
constexpr T kVersionCookies3[] = {T::version, T::cookie, T::cookie, T::cookie};
constexpr T kInR1A2[] = {
    T::version, T::cookie, T::cookie, T::cookie, T::receive_window_size, T::connection_timeout};
constexpr T kDestVersionRwsTimeout[] = {T::destination, T::version, T::receive_window_size,
                                        T::connection_timeout};
constexpr T kCookie[] = {T::cookie};
constexpr T kEmpty[] = {T::empty};
constexpr T kRws[] = {T::receive_window_size};
constexpr T kDestination[] = {T::destination};
constexpr T kVersionCookies3Rws[] = {T::version, T::cookie, T::cookie, T::cookie,
                                     T::receive_window_size};
constexpr T kOutR1A4[] = {T::version,
                          T::cookie,
                          T::cookie,
                          T::cookie,
                          T::channel_lifetime,
                          T::receive_window_size,
                          T::connection_timeout};
constexpr T kDestVersionTimeout[] = {T::destination, T::version, T::connection_timeout};
constexpr T kDestCookie[] = {T::destination, T::cookie};
constexpr T kAnce[] = {T::ance};
constexpr T kDestAnce[] = {T::destination, T::ance};
constexpr T kDestCookieVersion[] = {T::destination, T::cookie, T::version};
constexpr T kNegativeAnce[] = {T::negative_ance};
constexpr T kClientKeepalive[] = {T::client_keepalive};
constexpr T kPingTrafficSentNotify[] = {T::ping_traffic_sent_notify};
constexpr T kFlowControlAck[] = {T::flow_control_ack};
constexpr T kDestFlowControlAck[] = {T::destination, T::flow_control_ack};
constexpr std::span<const T> kNoCommands{};

// Hops (MS-RPCH 2.2.4.x, first sentence of each section).
constexpr RtsHop kClientToOutProxy[] = {{P::client, P::outbound_proxy, kOut}};
constexpr RtsHop kOutProxyToServer[] = {{P::outbound_proxy, P::server, kOut}};
constexpr RtsHop kOutProxyToClient[] = {{P::outbound_proxy, P::client, kOut}};
constexpr RtsHop kServerToOutProxy[] = {{P::server, P::outbound_proxy, kOut}};
constexpr RtsHop kClientToInProxy[] = {{P::client, P::inbound_proxy, kIn}};
constexpr RtsHop kInProxyToServer[] = {{P::inbound_proxy, P::server, kIn}};
constexpr RtsHop kServerToInProxy[] = {{P::server, P::inbound_proxy, kIn}};
// 2.2.4.48: the echo response comes from either proxy; 2.2.4.49: pings go client to inbound
// proxy and outbound proxy to client.
constexpr RtsHop kEchoHops[] = {{P::inbound_proxy, P::client, kIn},
                                {P::outbound_proxy, P::client, kOut}};
constexpr RtsHop kPingHops[] = {{P::client, P::inbound_proxy, kIn},
                                {P::outbound_proxy, P::client, kOut}};
constexpr std::span<const RtsHop> kAnyHop{};

using F = std::uint16_t;
constexpr F kNone = rts_flag::none;
constexpr F kOutCh = rts_flag::out_channel;
constexpr F kInCh = rts_flag::in_channel;
constexpr F kRecycle = rts_flag::recycle_channel;

// MS-RPCH 2.2.4.2 through 2.2.4.51, in section order (the index is the RtsPduName).
constexpr RtsPduSpec kSpecs[] = {
    {N::conn_a1, "2.2.4.2", kNone, kVersionCookies2Rws, kClientToOutProxy,
     "client opens the OUT channel: virtual connection and OUT channel cookies"},
    {N::conn_a2, "2.2.4.3", kOutCh, kConnA2, kOutProxyToServer,
     "outbound proxy opens the OUT channel to the server"},
    {N::conn_a3, "2.2.4.4", kNone, kConnectionTimeout, kOutProxyToClient,
     "outbound proxy gives the client the OUT channel's connection timeout"},
    {N::conn_b1, "2.2.4.5", kNone, kConnB1, kClientToInProxy,
     "client opens the IN channel: virtual connection and IN channel cookies"},
    {N::conn_b2, "2.2.4.6", kInCh, kConnB2, kInProxyToServer,
     "inbound proxy opens the IN channel to the server, with the client's address"},
    {N::conn_b3, "2.2.4.7", kNone, kRwsVersion, kServerToInProxy,
     "server tells the inbound proxy the virtual connection is established"},
    {N::conn_c1, "2.2.4.8", kNone, kVersionRwsTimeout, kServerToOutProxy,
     "server tells the outbound proxy the virtual connection is established"},
    {N::conn_c2, "2.2.4.9", kNone, kVersionRwsTimeout, kOutProxyToClient,
     "outbound proxy tells the client the virtual connection is established"},
    {N::in_r1_a1, "2.2.4.10", kRecycle, kVersionCookies3, kClientToInProxy,
     "client opens a successor IN channel (IN channel recycling)"},
    {N::in_r1_a2, "2.2.4.11", kInCh | kRecycle, kInR1A2, kInProxyToServer,
     "successor inbound proxy opens the successor IN channel to the server"},
    {N::in_r1_a3, "2.2.4.12", kNone, kDestVersionRwsTimeout, kServerToOutProxy,
     "server accepts the successor IN channel, via the outbound proxy to the client"},
    {N::in_r1_a4, "2.2.4.13", kNone, kDestVersionRwsTimeout, kOutProxyToClient,
     "outbound proxy tells the client the successor IN channel is accepted"},
    {N::in_r1_a5, "2.2.4.14", kNone, kCookie, kClientToInProxy,
     "client tells the predecessor inbound proxy to hand over to the successor IN channel"},
    {N::in_r1_a6, "2.2.4.15", kNone, kCookie, kInProxyToServer,
     "predecessor inbound proxy tells the server the successor IN channel's cookie"},
    {N::in_r1_b1, "2.2.4.16", kNone, kEmpty, kInProxyToServer,
     "predecessor inbound proxy ends the predecessor IN channel"},
    {N::in_r1_b2, "2.2.4.17", kNone, kRws, kServerToInProxy,
     "server completes the successor IN channel with its receive window"},
    {N::in_r2_a1, "2.2.4.18", kRecycle, kVersionCookies3, kClientToInProxy,
     "client opens a successor IN channel on the same inbound proxy"},
    {N::in_r2_a2, "2.2.4.19", kNone, kCookie, kInProxyToServer,
     "inbound proxy tells the server the successor IN channel's cookie"},
    {N::in_r2_a3, "2.2.4.20", kNone, kDestination, kServerToOutProxy,
     "server accepts the successor IN channel, via the outbound proxy to the client"},
    {N::in_r2_a4, "2.2.4.21", kNone, kDestination, kOutProxyToClient,
     "outbound proxy tells the client the successor IN channel is accepted"},
    {N::in_r2_a5, "2.2.4.22", kNone, kCookie, kClientToInProxy,
     "client switches the inbound proxy to the successor IN channel"},
    {N::out_r1_a1, "2.2.4.23", kRecycle, kDestination, kServerToOutProxy,
     "server starts OUT channel recycling"},
    {N::out_r1_a2, "2.2.4.24", kRecycle, kDestination, kOutProxyToClient,
     "outbound proxy asks the client for a successor OUT channel"},
    {N::out_r1_a3, "2.2.4.25", kRecycle, kVersionCookies3Rws, kClientToOutProxy,
     "client opens a successor OUT channel"},
    {N::out_r1_a4, "2.2.4.26", kRecycle | kOutCh, kOutR1A4, kOutProxyToServer,
     "successor outbound proxy opens the successor OUT channel to the server"},
    {N::out_r1_a5, "2.2.4.27", kOutCh, kDestVersionTimeout, kServerToOutProxy,
     "server accepts the successor OUT channel, via the predecessor outbound proxy"},
    {N::out_r1_a6, "2.2.4.28", kOutCh, kDestVersionTimeout, kOutProxyToClient,
     "predecessor outbound proxy tells the client the successor OUT channel is accepted"},
    {N::out_r1_a7, "2.2.4.29", kOutCh, kDestCookie, kClientToInProxy,
     "client sends the successor OUT channel's cookie to the server, via the inbound proxy"},
    {N::out_r1_a8, "2.2.4.30", kOutCh, kDestCookie, kInProxyToServer,
     "inbound proxy forwards the successor OUT channel's cookie to the server"},
    {N::out_r1_a9, "2.2.4.31", kNone, kAnce, kServerToOutProxy,
     "server tells the predecessor outbound proxy the successor OUT channel is up"},
    {N::out_r1_a10, "2.2.4.32", kNone, kAnce, kOutProxyToClient,
     "predecessor outbound proxy tells the client the successor OUT channel is up"},
    {N::out_r1_a11, "2.2.4.33", kNone, kAnce, kClientToOutProxy,
     "client tells the successor outbound proxy the successor OUT channel is up"},
    {N::out_r2_a1, "2.2.4.34", kRecycle, kDestination, kServerToOutProxy,
     "server starts OUT channel recycling"},
    {N::out_r2_a2, "2.2.4.35", kRecycle, kDestination, kOutProxyToClient,
     "outbound proxy asks the client for a successor OUT channel"},
    {N::out_r2_a3, "2.2.4.36", kRecycle, kVersionCookies3Rws, kClientToOutProxy,
     "client opens a successor OUT channel on the same outbound proxy"},
    {N::out_r2_a4, "2.2.4.37", kNone, kCookie, kOutProxyToServer,
     "outbound proxy tells the server the successor OUT channel's cookie"},
    {N::out_r2_a5, "2.2.4.38", kNone, kDestAnce, kServerToOutProxy,
     "server accepts the successor OUT channel, via the outbound proxy to the client"},
    {N::out_r2_a6, "2.2.4.39", kNone, kDestAnce, kOutProxyToClient,
     "outbound proxy tells the client the successor OUT channel is accepted"},
    {N::out_r2_a7, "2.2.4.40", kOutCh, kDestCookieVersion, kClientToInProxy,
     "client sends the successor OUT channel's cookie to the server, via the inbound proxy"},
    {N::out_r2_a8, "2.2.4.41", kOutCh, kDestCookie, kInProxyToServer,
     "inbound proxy forwards the successor OUT channel's cookie to the server"},
    {N::out_r2_b1, "2.2.4.42", kNone, kAnce, kServerToOutProxy,
     "server tells the outbound proxy the successor OUT channel is up"},
    {N::out_r2_b2, "2.2.4.43", kNone, kNegativeAnce, kServerToOutProxy,
     "server tells the outbound proxy the successor OUT channel failed"},
    {N::out_r2_b3, "2.2.4.44", rts_flag::eof, kAnce, kOutProxyToClient,
     "outbound proxy ends the predecessor OUT channel: the successor is up"},
    // 2.2.4.45: Empty or Padding, whichever makes it as long as OUT_R1/A11 (see matches()).
    {N::out_r2_c1, "2.2.4.45", rts_flag::ping, kEmpty, kClientToOutProxy,
     "client fills the successor OUT channel request's declared content length"},
    {N::keep_alive, "2.2.4.46", rts_flag::other_cmd, kClientKeepalive, kClientToInProxy,
     "client sets the inbound proxy's keep-alive interval towards the server"},
    {N::ping_traffic_sent_notify, "2.2.4.47", rts_flag::other_cmd, kPingTrafficSentNotify,
     kOutProxyToServer, "outbound proxy reports the ping octets it sent the client"},
    {N::echo, "2.2.4.48", rts_flag::echo, kNoCommands, kEchoHops,
     "proxy answers an echo request (proxy discovery)"},
    {N::ping, "2.2.4.49", rts_flag::ping, kNoCommands, kPingHops, "keep-alive ping"},
    {N::flow_control_ack, "2.2.4.50", rts_flag::other_cmd, kFlowControlAck, kAnyHop,
     "flow control acknowledgment of received octets"},
    {N::flow_control_ack_with_destination, "2.2.4.51", rts_flag::other_cmd, kDestFlowControlAck,
     kAnyHop, "flow control acknowledgment, forwarded to its destination"},
};
static_assert(std::size(kSpecs) == kRtsPduNameCount, "one spec per RtsPduName");

bool matches(const RtsPduSpec& s, std::uint16_t flags, std::span<const RtsCommandType> commands) {
  if (flags != s.flags || commands.size() != s.commands.size()) return false;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (commands[i] == s.commands[i]) continue;
    // 2.2.4.45: OUT_R2/C1 carries an Empty command or a Padding command.
    if (s.name == N::out_r2_c1 && commands[i] == T::padding) continue;
    return false;
  }
  return true;
}

bool sent_there(const RtsPduSpec& s, const RtsVantage& where) {
  if (s.hops.empty()) return true;
  for (const RtsHop& h : s.hops) {
    if (where.sender && *where.sender != h.sender) continue;
    if (where.receiver && *where.receiver != h.receiver) continue;
    if (where.channel && *where.channel != h.channel) continue;
    return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(RtsPduName n) {
  static constexpr std::string_view kNames[] = {
      "CONN/A1",        "CONN/A2",
      "CONN/A3",        "CONN/B1",
      "CONN/B2",        "CONN/B3",
      "CONN/C1",        "CONN/C2",
      "IN_R1/A1",       "IN_R1/A2",
      "IN_R1/A3",       "IN_R1/A4",
      "IN_R1/A5",       "IN_R1/A6",
      "IN_R1/B1",       "IN_R1/B2",
      "IN_R2/A1",       "IN_R2/A2",
      "IN_R2/A3",       "IN_R2/A4",
      "IN_R2/A5",       "OUT_R1/A1",
      "OUT_R1/A2",      "OUT_R1/A3",
      "OUT_R1/A4",      "OUT_R1/A5",
      "OUT_R1/A6",      "OUT_R1/A7",
      "OUT_R1/A8",      "OUT_R1/A9",
      "OUT_R1/A10",     "OUT_R1/A11",
      "OUT_R2/A1",      "OUT_R2/A2",
      "OUT_R2/A3",      "OUT_R2/A4",
      "OUT_R2/A5",      "OUT_R2/A6",
      "OUT_R2/A7",      "OUT_R2/A8",
      "OUT_R2/B1",      "OUT_R2/B2",
      "OUT_R2/B3",      "OUT_R2/C1",
      "Keep-Alive",     "Ping Traffic Sent Notify",
      "Echo",           "Ping",
      "FlowControlAck", "FlowControlAckWithDestination",
  };
  static_assert(std::size(kNames) == kRtsPduNameCount, "one name per RtsPduName");
  const auto i = static_cast<std::size_t>(n);
  return i < kRtsPduNameCount ? kNames[i] : "unknown";
}

const RtsPduSpec& rts_pdu_spec(RtsPduName name) {
  const auto i = static_cast<std::size_t>(name);
  return kSpecs[i < kRtsPduNameCount ? i : 0];
}

std::span<const RtsPduSpec> rts_pdu_specs() { return kSpecs; }

RtsVantage rts_vantage(RtsLeg leg, RtsChannel channel, bool from_initiator) {
  const RtsParty proxy = channel == RtsChannel::in ? P::inbound_proxy : P::outbound_proxy;
  // The client opens its connections to the proxies; each proxy opens its own to the server.
  const RtsParty initiator = leg == RtsLeg::client_proxy ? P::client : proxy;
  const RtsParty responder = leg == RtsLeg::client_proxy ? proxy : P::server;
  RtsVantage v;
  v.sender = from_initiator ? initiator : responder;
  v.receiver = from_initiator ? responder : initiator;
  v.channel = channel;
  return v;
}

std::vector<RtsPduName> classify_rts(std::uint16_t flags, std::span<const RtsCommandType> commands,
                                     const RtsVantage& where) {
  std::vector<RtsPduName> out;
  for (const RtsPduSpec& s : kSpecs)
    if (matches(s, flags, commands) && sent_there(s, where)) out.push_back(s.name);
  return out;
}

std::vector<RtsPduName> classify_rts(std::uint16_t flags, std::span<const RtsCommand> commands,
                                     const RtsVantage& where) {
  // No named PDU has more than 7 commands (2.2.4.6, 2.2.4.26): a longer body names nothing.
  std::array<RtsCommandType, 8> types{};
  if (commands.size() > types.size()) return {};
  for (std::size_t i = 0; i < commands.size(); ++i) types[i] = command_type(commands[i]);
  return classify_rts(flags, std::span(types.data(), commands.size()), where);
}

std::vector<RtsPduName> classify_rts(const RtsBody& body, const RtsVantage& where) {
  return classify_rts(body.flags, std::span<const RtsCommand>(body.commands), where);
}

}  // namespace rpctrace::dcerpc
