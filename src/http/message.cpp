// HTTP/1.x message heads (RFC 9112 2-5; RFC 9110 5, 8.6) and the RPC over HTTP pieces of
// MS-RPCH 2.1 and 2.2.2 built on them.
#include "rpctrace/http/message.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace rpctrace::http {

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::bad_start_line:
      return "bad_start_line";
    case Reason::bad_field_line:
      return "bad_field_line";
    case Reason::bad_field_value:
      return "bad_field_value";
    case Reason::bad_content_length:
      return "bad_content_length";
    case Reason::header_too_long:
      return "header_too_long";
    case Reason::too_many_fields:
      return "too_many_fields";
    case Reason::not_legacy_server_response:
      return "not_legacy_server_response";
    case Reason::count_:
      break;
  }
  return "unknown";
}

std::string_view describe(Reason r) {
  switch (r) {
    case Reason::bad_start_line:
      return "not an HTTP/1.x request-line or status-line";
    case Reason::bad_field_line:
      return "a header field line without a token name and a colon";
    case Reason::bad_field_value:
      return "a control character in a header field value";
    case Reason::bad_content_length:
      return "Content-Length not a single decimal number";
    case Reason::header_too_long:
      return "no end of the header block within the header limit";
    case Reason::too_many_fields:
      return "more header fields than the field limit";
    case Reason::not_legacy_server_response:
      return "not the legacy server response ncacn_http/1.0";
    case Reason::count_:
      break;
  }
  return "unknown";
}

namespace {

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA.
bool is_tchar(std::uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool is_vchar(std::uint8_t c) { return c >= 0x21 && c <= 0x7e; }
bool is_obs_text(std::uint8_t c) { return c >= 0x80; }
bool is_ows(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}
bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equals_nocase(s.substr(0, prefix.size()), prefix);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// One line of the head, read through the reader up to LF. RFC 9112 2.2: the terminator is
// CRLF, and a recipient MAY take a bare LF; the CR before the LF is dropped here, and any other
// CR stays in the text, where the line's own check rejects it (a bare CR is invalid).
struct Line {
  std::string text;
  std::size_t offset = 0;  // of its first octet in the data
  bool complete = false;   // its LF was read
};

Line read_line(common::ByteReader& r) {
  Line line;
  line.offset = r.position();
  while (r.remaining() > 0) {
    const std::uint8_t c = r.u8();
    if (c == '\n') {
      line.complete = true;
      if (!line.text.empty() && line.text.back() == '\r') line.text.pop_back();
      return line;
    }
    line.text.push_back(static_cast<char>(c));
  }
  return line;
}

// Whether `line` (complete or not) can still begin a request-line or status-line: a method
// token (or "HTTP/..."), then SP-separated visible characters; obs-text only after the second
// SP (the reason phrase). A trailing CR may be the first half of a CRLF still to come. This is
// what rejects binary streams (DCE/RPC, TLS) on their first octet.
bool could_be_start_line(std::string_view line, bool complete) {
  if (!complete && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t spaces = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<std::uint8_t>(line[i]);
    if (c == ' ') {
      if (i == 0) return false;
      ++spaces;
      continue;
    }
    if (spaces == 0) {
      if (!is_tchar(c) && c != '/') return false;  // "HTTP/1.1" has a '/' in its first word
    } else if (spaces >= 2 && (c == '\t' || is_obs_text(c))) {
      continue;  // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
    } else if (!is_vchar(c)) {
      return false;
    }
  }
  return true;
}

// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3); this parser reads 1.x only.
bool parse_version(std::string_view v, MessageHead& m) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return false;
  if (v[5] != '1' || v[7] < '0' || v[7] > '9') return false;
  m.version_major = 1;
  m.version_minor = static_cast<std::uint8_t>(v[7] - '0');
  return true;
}

bool parse_start_line(std::string_view line, MessageHead& m) {
  if (!could_be_start_line(line, true)) return false;
  if (line.substr(0, 5) == "HTTP/") {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4); the SP
    // before an empty reason is often left out, and clients accept that.
    if (line.size() < 12 || line[8] != ' ' || !parse_version(line.substr(0, 8), m)) return false;
    std::uint16_t code = 0;
    for (std::size_t i = 9; i < 12; ++i) {
      if (line[i] < '0' || line[i] > '9') return false;
      code = static_cast<std::uint16_t>(code * 10 + (line[i] - '0'));
    }
    if (line.size() > 12 && line[12] != ' ') return false;
    m.kind = MessageKind::response;
    m.status_code = code;
    m.reason_phrase = std::string(line.size() > 13 ? line.substr(13) : std::string_view{});
    return true;
  }
  // request-line = method SP request-target SP HTTP-version (RFC 9112 3), single spaces.
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  const std::string_view method = line.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(),
                   [](char c) { return is_tchar(static_cast<std::uint8_t>(c)); }))
    return false;
  if (!parse_version(line.substr(sp2 + 1), m)) return false;
  m.kind = MessageKind::request;
  m.method = std::string(method);
  m.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  return true;
}

// RFC 9110 8.6: Content-Length = 1*DIGIT; a list of identical values may be taken as one.
std::optional<std::uint64_t> parse_content_length(std::string_view value) {
  std::optional<std::uint64_t> out;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    // 19 digits always fit 64 bits; nothing longer is a length anyone sends.
    if (item.empty() || item.size() > 19) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (out && *out != n) return std::nullopt;
    out = n;
    if (comma == std::string_view::npos) return out;
    value.remove_prefix(comma + 1);
  }
}

// RFC 9110 5.5: field-value octets are VCHAR, SP, HTAB or obs-text. NUL, CR and LF are the
// dangerous ones; the other controls are refused too, so no report line can be forged.
bool valid_field_value(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char ch) {
    const auto c = static_cast<std::uint8_t>(ch);
    return is_vchar(c) || c == ' ' || c == '\t' || is_obs_text(c);
  });
}

using Result = MessageResult;

}  // namespace

const HeaderField* MessageHead::field(std::string_view name) const {
  for (const HeaderField& f : fields)
    if (equals_nocase(f.name, name)) return &f;
  return nullptr;
}

std::string MessageHead::version() const {
  return fmt::format("HTTP/{}.{}", version_major, version_minor);
}

MessageResult parse_message_head(Bytes data, const Limits& limits) {
  // The head must end within max_header_bytes: read no further, so every bound below holds.
  const std::size_t window = std::min(data.size(), limits.max_header_bytes);
  common::ByteReader r(data.first(window));
  // Out of octets before the empty line: wait for more, unless the window is already full.
  auto incomplete = [&]() {
    if (data.size() >= limits.max_header_bytes)
      return Result::malformed(
          Reason::header_too_long, 0,
          fmt::format("no empty line within {} octets", limits.max_header_bytes));
    return Result::need_more(data.size() + 1);
  };

  // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line.
  Line line = read_line(r);
  while (line.complete && line.text.empty()) line = read_line(r);
  if (!could_be_start_line(line.text, line.complete))
    return Result::malformed(Reason::bad_start_line, line.offset,
                             "start line is not an HTTP/1.x request-line or status-line");
  if (!line.complete) return incomplete();
  MessageHead m;
  if (!parse_start_line(line.text, m))
    return Result::malformed(
        Reason::bad_start_line, line.offset,
        fmt::format("start line of {} octets is not HTTP/1.x", line.text.size()));

  bool bad_length = false;
  while (true) {
    line = read_line(r);
    if (!line.complete) return incomplete();
    if (line.text.empty()) break;  // the empty line: end of the header block
    if (is_ows(line.text.front())) {
      // obs-fold (RFC 9112 5.2): a continuation, replaced by SP. Whitespace before the first
      // field is refused (RFC 9112 2.2), since it could hide a field from other parsers.
      if (m.fields.empty())
        return Result::malformed(Reason::bad_field_line, line.offset,
                                 "whitespace between the start line and the first field");
      const std::string_view more = trim_ows(line.text);
      if (!valid_field_value(more))
        return Result::malformed(
            Reason::bad_field_value, line.offset,
            fmt::format("control character in field {}", m.fields.back().name));
      if (!more.empty()) {
        std::string& v = m.fields.back().value;
        if (!v.empty()) v += ' ';
        v += more;
      }
      continue;
    }
    // field-line = field-name ":" OWS field-value OWS (RFC 9112 5); no whitespace before ':'.
    const std::size_t colon = line.text.find(':');
    if (colon == std::string::npos || colon == 0)
      return Result::malformed(Reason::bad_field_line, line.offset, "field line without a name");
    const std::string_view name = std::string_view(line.text).substr(0, colon);
    if (!std::all_of(name.begin(), name.end(),
                     [](char c) { return is_tchar(static_cast<std::uint8_t>(c)); }))
      return Result::malformed(Reason::bad_field_line, line.offset,
                               fmt::format("field name of {} octets is not a token", name.size()));
    const std::string_view value = trim_ows(std::string_view(line.text).substr(colon + 1));
    if (!valid_field_value(value))
      return Result::malformed(Reason::bad_field_value, line.offset,
                               fmt::format("control character in field {}", name));
    if (m.fields.size() >= limits.max_fields)
      return Result::malformed(Reason::too_many_fields, line.offset,
                               fmt::format("more than {} header fields", limits.max_fields));
    m.fields.push_back(HeaderField{std::string(name), std::string(value)});
  }

  // Content-Length and Host, once the fields are whole (an obs-fold may extend them).
  for (const HeaderField& f : m.fields) {
    if (equals_nocase(f.name, "Content-Length")) {
      auto n = parse_content_length(f.value);
      if (!n || (m.content_length && *m.content_length != *n)) bad_length = true;
      if (n && !m.content_length) m.content_length = n;
    } else if (equals_nocase(f.name, "Host") && !m.host) {
      m.host = f.value;
    }
  }
  if (bad_length)
    return Result::malformed(Reason::bad_content_length, 0,
                             "Content-Length not one decimal number (RFC 9110 8.6)");
  const std::size_t header_length = r.position();
  m.header_length = header_length;
  return Result::complete(std::move(m), header_length);
}

RpcMethod rpc_method(std::string_view method) {
  if (method == "RPC_IN_DATA") return RpcMethod::rpc_in_data;
  if (method == "RPC_OUT_DATA") return RpcMethod::rpc_out_data;
  if (method == "RPC_CONNECT") return RpcMethod::rpc_connect;
  return RpcMethod::none;
}

std::string_view to_string(RpcMethod m) {
  switch (m) {
    case RpcMethod::rpc_in_data:
      return "RPC_IN_DATA";
    case RpcMethod::rpc_out_data:
      return "RPC_OUT_DATA";
    case RpcMethod::rpc_connect:
      return "RPC_CONNECT";
    case RpcMethod::none:
      break;
  }
  return "";
}

bool is_rpc_over_http_v2(const MessageHead& m) {
  if (m.kind != MessageKind::request) return false;
  const RpcMethod method = rpc_method(m.method);
  return method == RpcMethod::rpc_in_data || method == RpcMethod::rpc_out_data;
}

bool is_rpc_over_http_v1(const MessageHead& m) {
  return m.kind == MessageKind::request && rpc_method(m.method) == RpcMethod::rpc_connect;
}

namespace {

// query = server-name ":" server-port (MS-RPCH 2.2.2). The port follows the last colon, so an
// IPv6 literal may stand bare or in brackets.
std::optional<RpcProxyTarget> parse_server_and_port(std::string_view query) {
  const std::size_t colon = query.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = query.substr(0, colon);
  const std::string_view port = query.substr(colon + 1);
  if (port.empty() || port.size() > kMaxServerPortDigits) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value > 0xffff) return std::nullopt;  // a TCP port (MS-RPCH 2.1: the endpoint)
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  if (name.empty() || name.size() > kMaxServerNameLength) return std::nullopt;
  for (char c : name)
    if (!is_vchar(static_cast<std::uint8_t>(c)) || c == '/' || c == '?' || c == '#')
      return std::nullopt;
  RpcProxyTarget t;
  t.server_name = std::string(name);
  t.server_port = static_cast<std::uint16_t>(value);
  return t;
}

}  // namespace

std::optional<RpcProxyTarget> parse_rpc_proxy_target(std::string_view target) {
  // absolute-form (RFC 9112 3.2.2), as sent through an HTTP proxy: drop scheme and authority.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (starts_with_nocase(target, scheme)) {
      target.remove_prefix(scheme.size());
      const std::size_t slash = target.find('/');
      if (slash == std::string_view::npos) return std::nullopt;
      target.remove_prefix(slash);
      break;
    }
  }
  if (target.empty()) return std::nullopt;
  if (target.front() != '/') {
    // "server:port" alone, as RPC over HTTP v1 clients send RPC_CONNECT.
    if (target.find_first_of("/?") != std::string_view::npos) return std::nullopt;
    auto t = parse_server_and_port(target);
    if (t) t->path = RpcProxyTarget::Path::none;
    return t;
  }
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return std::nullopt;  // 2.2.2: query MUST be present
  const std::string_view path = target.substr(0, question);
  RpcProxyTarget::Path kind;
  if (equals_nocase(path, "/rpc/rpcproxy.dll")) {
    kind = RpcProxyTarget::Path::rpc;
  } else if (equals_nocase(path, "/rpcwithcert/rpcproxy.dll")) {
    kind = RpcProxyTarget::Path::rpc_withcert;
  } else {
    return std::nullopt;
  }
  auto t = parse_server_and_port(target.substr(question + 1));
  if (t) t->path = kind;
  return t;
}

std::optional<RpcProxyTarget> rpc_proxy_target(const MessageHead& m) {
  if (!is_rpc_over_http_v2(m) && !is_rpc_over_http_v1(m)) return std::nullopt;
  return parse_rpc_proxy_target(m.target);
}

common::ParseResult<LegacyServerResponse, Reason> match_legacy_server_response(Bytes data) {
  using R = common::ParseResult<LegacyServerResponse, Reason>;
  common::ByteReader r(data);
  for (char expected : kLegacyServerResponse) {
    if (r.remaining() == 0) return R::need_more(kLegacyServerResponse.size());
    const std::size_t at = r.position();
    if (r.u8() != static_cast<std::uint8_t>(expected))
      return R::malformed(Reason::not_legacy_server_response, at,
                          "octets differ from \"ncacn_http/1.0\"");
  }
  return R::complete(LegacyServerResponse{}, kLegacyServerResponse.size());
}

}  // namespace rpctrace::http
