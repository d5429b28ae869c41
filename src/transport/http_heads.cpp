// HTTP heads of RPC over HTTP v2 channels (MS-RPCH 2.1.2.1), cut off before the PDU stream.
#include "http_heads.hpp"

#include <algorithm>
#include <string_view>

#include "rpctrace/http/message.hpp"
#include "rpctrace/http/tls.hpp"

namespace rpctrace::transport {

namespace {

// The start of an RPC over HTTP request line, or of any HTTP/1.x status line.
bool starts_with(common::Bytes data, std::string_view s) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  const std::size_t n = std::min(s.size(), text.size());
  return n >= 4 && text.substr(0, n) == s.substr(0, n);
}

bool looks_like_head(common::Bytes data, bool response_expected) {
  if (response_expected) return starts_with(data, "HTTP/1.");
  return starts_with(data, "RPC_IN_DATA ") || starts_with(data, "RPC_OUT_DATA ");
}

}  // namespace

HttpHead::Result HttpHead::data(common::Bytes data, bool stream_start, bool response_expected) {
  Result r;
  if (state_ == State::undecided)
    state_ = stream_start && looks_like_head(data, response_expected) ? State::head : State::pdus;
  if (state_ == State::pdus) {
    r.rest = data;
    return r;
  }
  if (state_ == State::skip) return r;
  std::vector<std::byte>& held = buffer_.get();
  held.insert(held.end(), data.begin(), data.end());
  http::MessageResult m = http::parse_message_head(held);
  if (m.is_need_more()) return r;
  if (m.is_malformed()) {  // not HTTP after all: the framer says what it is
    state_ = State::pdus;
    r.rest = data;
    buffer_.release();
    return r;
  }
  const http::MessageHead& h = m.value();
  analysis::CarrierEvent e;
  e.response = h.kind == http::MessageKind::response;
  e.kind = e.response ? analysis::CarrierEventKind::http_response
                      : analysis::CarrierEventKind::http_request;
  if (e.response) {
    e.command = h.version();
    e.status = h.status_code;
    e.text = h.reason_phrase;
  } else {
    e.command = h.method;
    e.text = h.target;
    if (h.host) e.text += " (Host " + *h.host + ")";
    if (auto t = http::rpc_proxy_target(h))
      e.proxy_target = t->server_name + ":" + std::to_string(t->server_port);
    r.rpc_over_http = http::is_rpc_over_http_v2(h);
  }
  // The body of a 200 response or of an RPC request is the PDU stream; any other body is not.
  const bool pdus = e.response ? h.status_code == 200 : r.rpc_over_http;
  r.event = std::move(e);
  state_ = pdus ? State::pdus : State::skip;
  // The octets after the head, out of this call's `data` (the head may span calls).
  const std::size_t before = held.size() - data.size();
  if (pdus && h.header_length >= before) r.rest = data.subspan(h.header_length - before);
  buffer_.release();
  return r;
}

std::optional<analysis::CarrierEvent> TlsHello::data(common::Bytes data, bool stream_start) {
  constexpr auto kHandshake = static_cast<std::byte>(http::TlsContentType::handshake);
  if (done_ || data.empty()) return std::nullopt;
  if (buffer_.empty() && (!stream_start || data[0] != kHandshake)) {
    done_ = true;
    return std::nullopt;
  }
  std::vector<std::byte>& held = buffer_.get();
  held.insert(held.end(), data.begin(), data.end());
  http::ClientHelloResult r = http::parse_client_hello(held);
  if (r.is_need_more()) return std::nullopt;  // parse_client_hello bounds what it asks for
  done_ = true;
  std::optional<analysis::CarrierEvent> out;
  if (r.is_complete()) {
    const http::ClientHello& h = r.value();
    analysis::CarrierEvent& e = out.emplace();
    e.kind = analysis::CarrierEventKind::tls_client_hello;
    e.command = "TLS ClientHello";
    e.text = h.server_name.value_or("");
    for (const auto& p : h.alpn) e.alpn += (e.alpn.empty() ? "" : ",") + p;
  }
  buffer_.release();
  return out;
}

}  // namespace rpctrace::transport
