// The text of an RTS PDU (RPC over HTTP v2, MS-RPCH 2.2.3-2.2.4): its name in the connection
// setup, its Flags and its commands with their values.
#include <fmt/format.h>

#include <variant>

#include "pdu_text.hpp"

namespace rpctrace::report {

namespace {

using namespace dcerpc::rts;

// "Version 1", "Cookie 9a1d4c52-...", "ReceiveWindowSize 65536", ...
std::string command_text(const dcerpc::RtsCommand& c) {
  const std::string_view name = dcerpc::to_string(dcerpc::command_type(c));
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, ReceiveWindowSize>)
          return fmt::format("{} {}", name, v.receive_window_size);
        else if constexpr (std::is_same_v<T, FlowControlAck>)
          return fmt::format("{} (BytesReceived {}, AvailableWindow {}, ChannelCookie {})", name,
                             v.bytes_received, v.available_window, v.channel_cookie.to_string());
        else if constexpr (std::is_same_v<T, ConnectionTimeout>)
          return fmt::format("{} {} ms", name, v.connection_timeout);
        else if constexpr (std::is_same_v<T, Cookie>)
          return fmt::format("{} {}", name, v.cookie.to_string());
        else if constexpr (std::is_same_v<T, ChannelLifetime>)
          return fmt::format("{} {}", name, v.channel_lifetime);
        else if constexpr (std::is_same_v<T, ClientKeepalive>)
          return fmt::format("{} {} ms", name, v.client_keepalive);
        else if constexpr (std::is_same_v<T, Version>)
          return fmt::format("{} {}", name, v.version);
        else if constexpr (std::is_same_v<T, Padding>)
          return fmt::format("{} {} octets", name, v.conformance_count);
        else if constexpr (std::is_same_v<T, ClientAddress>)
          return fmt::format("{} {}", name, v.client_address.to_string());
        else if constexpr (std::is_same_v<T, AssociationGroupId>)
          return fmt::format("{} {}", name, v.association_group_id.to_string());
        else if constexpr (std::is_same_v<T, Destination>)
          return fmt::format("{} {}", name, dcerpc::forward_destination_name(v.destination));
        else if constexpr (std::is_same_v<T, PingTrafficSentNotify>)
          return fmt::format("{} {}", name, v.ping_traffic_sent);
        else
          return std::string(name);  // Empty, ANCE, NegativeANCE: the type is all there is
      },
      c);
}

// "CONN/A1"; "IN_R1/A1 or IN_R2/A1"; "" for none.
std::string rts_names_text(const std::vector<dcerpc::RtsPduName>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += dcerpc::to_string(names[i]);
  }
  return out;
}

}  // namespace

void rts_pdu_text(const analysis::ReportedPdu& p, PduText& t) {
  const auto* r = std::get_if<dcerpc::Rts>(&p.event.body);
  if (r == nullptr) return;
  std::string name = rts_names_text(p.rts_names);
  if (name.empty()) name = "(a layout MS-RPCH 2.2.4 does not name)";
  if (r->error) name = "(commands not decoded)";
  t.summary =
      fmt::format("MSRPC: c/o RPC RTS {}: flags {}", name, dcerpc::rts_flags_string(r->flags));
  if (r->error) {
    t.details.push_back(
        fmt::format("commands: {} ({})", dcerpc::describe(*r->error), r->error_detail));
    return;
  }
  if (p.rts_names.size() == 1)
    t.details.push_back(std::string(dcerpc::rts_pdu_spec(p.rts_names[0]).description));
  std::string commands;
  for (const auto& c : r->commands) commands += (commands.empty() ? "" : ", ") + command_text(c);
  if (!commands.empty()) t.details.push_back(std::move(commands));
}

}  // namespace rpctrace::report
