// Diagnosis, part 5: RPC over HTTP v2 (MS-RPCH), Outlook Anywhere's carrier. Before any PDU
// reaches the RPC server, the RPC proxy (IIS) must accept both channel requests, and the
// virtual connection must be set up (3.2.1.5.3): the client sends CONN/A1 on the OUT channel
// and CONN/B1 on the IN channel; the outbound proxy answers CONN/A3 once it has opened its own
// connection to the server (CONN/A2), and CONN/C2 once the server confirmed both channels
// (CONN/C1). Where this stops is the finding:
// - rpc_proxy_refused: a channel request answered by an HTTP error: 401 (authentication),
//   403 (IIS refuses the /rpc directory), 503 "RPC Error: <hex>" (the proxy will not forward
//   to the server and port the URI names, 2.1.2.1.3-2.1.2.1.4 and 3.2.3.5.11);
// - virtual_connection_incomplete: the OUT channel answered 200, then no CONN/A3 (the proxy
//   never reached the server), or CONN/A3 without CONN/C2 (the server never had both channels);
// - https_encrypted: TLS on 443 without keys; said once per server name, never guessed at.
#include <fmt/format.h>

#include <charconv>
#include <string>

#include "diagnosis_text.hpp"
#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

namespace {

// "RPC Error: 6c1" (MS-RPCH 2.1.2.1.3): the proxy's error, a Win32 code in hex.
std::optional<std::uint32_t> rpc_error(std::string_view reason) {
  constexpr std::string_view kPrefix = "RPC Error: ";
  if (!reason.starts_with(kPrefix)) return std::nullopt;
  reason.remove_prefix(kPrefix.size());
  std::uint32_t code = 0;
  auto [end, ec] = std::from_chars(reason.data(), reason.data() + reason.size(), code, 16);
  if (ec != std::errc() || end == reason.data()) return std::nullopt;
  return code;
}

std::string refused_next_step(std::uint32_t status, const std::string& target) {
  switch (status) {
    case 401:
      return "the proxy's /rpc virtual directory wants an authentication the client did not "
             "give or that failed: compare Outlook Anywhere's authentication method (Basic, "
             "NTLM, Negotiate) on the client and on the proxy, check the account, and read the "
             "IIS log's sub-status on the proxy";
    case 403:
      return "IIS refuses the /rpc virtual directory: SSL required on a plain HTTP request "
             "(403.4), a client certificate required, or an address restriction; check the "
             "directory's settings on the proxy";
    case 503:
      return fmt::format(
          "the RPC proxy will not forward to {}: the server name and port must be listed in "
          "its ValidPorts value (HKLM\\SOFTWARE\\Microsoft\\Rpc\\RpcProxy) and the server must "
          "be reachable from the proxy; check the name the client asks for in the URI",
          target.empty() ? "the server the URI names" : target);
    default:
      return "read the proxy's IIS log for this request";
  }
}

}  // namespace

void Diagnosis::http_event(Conv& c, const FrameRecord& f, const CarrierEvent& e) {
  if (e.kind == CarrierEventKind::http_request) {
    if (e.command == "RPC_IN_DATA") c.http.in_channel = true;
    if (!e.proxy_target.empty()) c.http.proxy_target = e.proxy_target;
    if (http_requests_.size() >= kMaxHttpRequests) http_requests_.erase(http_requests_.begin());
    http_requests_[f.frame] = HttpRequest{e.command, e.text, e.proxy_target};
    return;
  }
  HttpRequest request{"an RPC over HTTP request", "", c.http.proxy_target};
  if (e.request_frame) {
    if (auto it = http_requests_.find(*e.request_frame); it != http_requests_.end()) {
      request = std::move(it->second);
      http_requests_.erase(it);
    }
  }
  if (e.status == 200) {
    if (request.method == "RPC_OUT_DATA") c.http.out_answer = f.frame;
    return;
  }
  if (e.status < 400) return;
  c.http.refused = true;
  Finding x = make_finding(Severity::error, FindingKind::rpc_proxy_refused, c.client, c.server,
                           std::nullopt);
  if (e.request_frame) x.frames.push_back(*e.request_frame);
  x.frames.push_back(f.frame);
  std::string why = fmt::format("HTTP {} {}", e.status, e.text);
  if (auto code = rpc_error(e.text))
    why += fmt::format(" ({})", dcerpc::format_status(*code, dcerpc::ReturnType::werror));
  x.message = fmt::format("the RPC proxy {} refused the {} channel{}: {}", c.server.to_string(),
                          request.method == "RPC_IN_DATA"    ? "IN"
                          : request.method == "RPC_OUT_DATA" ? "OUT"
                                                             : "RPC over HTTP",
                          request.proxy_target.empty() ? "" : " to " + request.proxy_target, why);
  x.evidence =
      e.request_frame
          ? fmt::format("{} {} in frame {}, answered in frame {}", request.method, request.target,
                        common::FrameNo{*e.request_frame}, common::FrameNo{f.frame})
          : fmt::format("{} in frame {} (its request was not captured)", why,
                        common::FrameNo{f.frame});
  x.next_step = refused_next_step(e.status, request.proxy_target);
  add_grouped(fmt::format("{}|{}|{}|{}|{}", to_string(x.kind), c.client.address.to_string(),
                          c.server.to_string(), e.status, request.proxy_target),
              std::move(x));
}

void Diagnosis::rts(Conv& c, const ReportedPdu& p) {
  if (p.rts_names.size() != 1) return;
  const std::uint64_t frame = p.event.at.frame;
  switch (p.rts_names.front()) {
    case dcerpc::RtsPduName::conn_a1:
      c.http.conn_a1 = frame;
      break;
    case dcerpc::RtsPduName::conn_b1:
      c.http.conn_b1 = frame;
      break;
    case dcerpc::RtsPduName::conn_a3:
      c.http.conn_a3 = frame;
      break;
    case dcerpc::RtsPduName::conn_c2:
      c.http.conn_c2 = frame;
      break;
    default:
      break;
  }
}

// The conversation holding a virtual connection ended: how far its setup got.
void Diagnosis::virtual_connection_end(Conv& c, const Conversation& conv) {
  const auto& h = c.http;
  if (h.refused || !h.conn_a1 || !h.out_answer || (h.conn_a3 && h.conn_c2)) return;
  Finding x = make_finding(Severity::error, FindingKind::virtual_connection_incomplete, c.client,
                           c.server, std::nullopt);
  const std::string target = h.proxy_target.empty() ? "the RPC server" : h.proxy_target;
  for (auto fr : {h.conn_a1, h.out_answer, h.conn_b1, h.conn_a3})
    if (fr) x.frames.push_back(fr);
  std::string steps = fmt::format("CONN/A1 in frame {}, HTTP 200 on the OUT channel in frame {}",
                                  common::FrameNo{h.conn_a1}, common::FrameNo{h.out_answer});
  if (h.conn_b1) steps += fmt::format(", CONN/B1 in frame {}", common::FrameNo{h.conn_b1});
  if (!h.conn_a3) {
    x.message = fmt::format(
        "the RPC proxy {} accepted the OUT channel but never sent CONN/A3: it did not reach {}",
        c.server.to_string(), target);
    x.evidence = steps + fmt::format("; no CONN/A3 up to the end in frame {} ({})",
                                     common::FrameNo{conv.last_frame}, to_string(conv.end_reason));
    x.next_step = fmt::format(
        "from the proxy, check that {} resolves and that its port is open and listed in the "
        "proxy's ValidPorts; the proxy's own connection to the server is not in this capture",
        target);
  } else {
    x.message = fmt::format(
        "the virtual connection to {} through {} never completed: CONN/A3 came, CONN/C2 did not "
        "(the server never confirmed both channels)",
        target, c.server.to_string());
    x.evidence = steps + fmt::format(", CONN/A3 in frame {}; no CONN/C2 up to frame {}",
                                     common::FrameNo{h.conn_a3}, common::FrameNo{conv.last_frame});
    x.next_step = h.conn_b1 ? "the IN channel reached the proxy: check the inbound proxy's "
                              "connection to the server (a load balancer sending the two "
                              "channels to different proxies breaks this)"
                            : "the IN channel (RPC_IN_DATA with CONN/B1) is not in this "
                              "capture: check that the client sent it and that it reached "
                              "the same proxy";
  }
  add(std::move(x));
}

void Diagnosis::tls_hello(Conv& c, const FrameRecord& f, const CarrierEvent& e) {
  // Outlook Anywhere's port; RPC over HTTP is HTTP/1.1, never offered as h2 alone.
  if (c.server.port != 443 || e.alpn == "h2") return;
  Finding x =
      make_finding(Severity::info, FindingKind::https_encrypted, c.client, c.server, std::nullopt);
  x.frames.push_back(f.frame);
  x.message = fmt::format(
      "TLS to {} ({}): if this is RPC over HTTPS (Outlook Anywhere), its calls are encrypted "
      "and cannot be decoded",
      e.text.empty() ? "a server that sent no name" : e.text, c.server.to_string());
  x.evidence = fmt::format("ClientHello in frame {}{}", common::FrameNo{f.frame},
                           e.alpn.empty() ? "" : ", ALPN " + e.alpn);
  x.next_step =
      "capture between the RPC proxy and the RPC server (plain TCP on 6001-6004 or the "
      "dynamic ports), or on the proxy with the TLS keys";
  add_grouped(fmt::format("{}|{}|{}", to_string(x.kind), c.server.address.to_string(), e.text),
              std::move(x));
}

}  // namespace rpctrace::analysis
