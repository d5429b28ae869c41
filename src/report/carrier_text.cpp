// Text lines for a carrier's own steps (SMB session setup, tree connect, a pipe's create and
// close) and the pipe a PDU travelled in.
#include <fmt/format.h>

#include "pdu_text.hpp"
#include "rpctrace/common/address.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::report {

std::string channel_label(const analysis::ChannelFacts& c) {
  if (!c.name.empty()) return c.name;
  return fmt::format("pipe {}", c.id);
}

PduText format_event(const analysis::CarrierEvent& e) {
  PduText t;
  // RPC over HTTP: the request line and the status line, as sent.
  if (e.kind == analysis::CarrierEventKind::http_request) {
    t.summary = fmt::format("{}: {}", e.command, e.text);
    if (auto colon = e.proxy_target.rfind(':'); colon != std::string::npos)
      t.details.push_back(fmt::format("the RPC proxy is asked to forward to RPC server {} port {}",
                                      e.proxy_target.substr(0, colon),
                                      e.proxy_target.substr(colon + 1)));
    return t;
  }
  if (e.kind == analysis::CarrierEventKind::tls_client_hello) {
    t.summary = fmt::format("{}: server_name {}{}", e.command, e.text.empty() ? "(none)" : e.text,
                            e.alpn.empty() ? "" : ", ALPN " + e.alpn);
    t.details.emplace_back(
        "encrypted from here on: if this is RPC over HTTPS, its calls cannot be decoded without "
        "keys");
    return t;
  }
  if (e.kind == analysis::CarrierEventKind::http_response) {
    t.summary = fmt::format("{} {} {}", e.command, e.status, e.text);
    if (e.request_frame)
      t.details.push_back(
          fmt::format("answers request in frame {}", common::FrameNo{*e.request_frame}));
    return t;
  }
  if (!e.response) {
    t.summary =
        e.text.empty() ? e.command + " request" : fmt::format("{} request: {}", e.command, e.text);
    return t;
  }
  t.summary = fmt::format("{} response: {}", e.command,
                          dcerpc::format_status(e.status, dcerpc::ReturnType::ntstatus));
  if (!e.text.empty()) t.summary += fmt::format(", {}", e.text);
  if (e.kind == analysis::CarrierEventKind::open && e.channel)
    t.summary += fmt::format(", pipe {} (handle {})", e.channel->id, e.channel->handle);
  if (e.request_frame) {
    std::string line =
        fmt::format("answers request in frame {}", common::FrameNo{*e.request_frame});
    if (e.latency_us) line += ", " + common::format_seconds(*e.latency_us) + " s later";
    t.details.push_back(std::move(line));
  }
  return t;
}

}  // namespace rpctrace::report
