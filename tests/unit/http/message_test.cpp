// Tests of src/http/message.cpp: HTTP/1.x message heads (RFC 9112) as RPC over HTTP sends them
// (MS-RPCH 2.1.1.1.1, 2.1.2.1.1-2.1.2.1.6), every malformed path and limit, the RPC proxy URI
// (2.2.2) and the legacy server response (2.1.2.2.1). Messages are written from those sections.
#include "rpctrace/http/message.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "support/bytes.hpp"

namespace rpctrace::http {

void PrintTo(Reason r, std::ostream* os) { *os << to_string(r); }

namespace {

namespace ts = testsupport;

// The octets of `s` as the span the parser takes (kept alive by the caller's string).
Bytes view(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

MessageHead head_of(std::string_view text, const Limits& limits = {}) {
  MessageResult r = parse_message_head(view(text), limits);
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  return r.is_complete() ? r.take() : MessageHead{};
}

Reason reason_of(std::string_view text, const Limits& limits = {}) {
  MessageResult r = parse_message_head(view(text), limits);
  EXPECT_TRUE(r.is_malformed()) << text;
  return r.is_malformed() ? r.error().reason : Reason::count_;
}

// MS-RPCH 2.1.2.1.1: the IN channel request, as a Windows client sends it, then the first
// octets of its body (a CONN/B1 RTS PDU).
constexpr std::string_view kInChannelRequest =
    "RPC_IN_DATA /rpc/rpcproxy.dll?exch01.contoso.com:6001 HTTP/1.1\r\n"
    "Accept: application/rpc\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: Keep-Alive\r\n"
    "Content-Length: 1073741824\r\n"
    "Host: mail.contoso.com\r\n"
    "Pragma: No-cache\r\n"
    "Pragma: SessionId=33ff5cb4-4b4e-4d8a-a3e9-1d9f6e2b7c80\r\n"
    "User-Agent: MSRPC\r\n"
    "\r\n";

TEST(HttpMessage, InChannelRequest) {
  const std::string data = std::string(kInChannelRequest) + std::string("\x05\x00\x14\x03", 4);
  MessageResult r = parse_message_head(view(data));
  ASSERT_TRUE(r.is_complete());
  const MessageHead& m = r.value();
  EXPECT_EQ(r.consumed(), kInChannelRequest.size());
  EXPECT_EQ(m.header_length, kInChannelRequest.size());
  EXPECT_EQ(m.kind, MessageKind::request);
  EXPECT_EQ(m.method, "RPC_IN_DATA");
  EXPECT_EQ(m.target, "/rpc/rpcproxy.dll?exch01.contoso.com:6001");
  EXPECT_EQ(m.version(), "HTTP/1.1");
  ASSERT_EQ(m.fields.size(), 8u);
  EXPECT_EQ(m.fields[6], (HeaderField{"Pragma", "SessionId=33ff5cb4-4b4e-4d8a-a3e9-1d9f6e2b7c80"}));
  EXPECT_EQ(m.content_length, 1073741824u);
  EXPECT_EQ(m.host, "mail.contoso.com");
  ASSERT_NE(m.field("user-agent"), nullptr);
  EXPECT_EQ(m.field("USER-AGENT")->value, "MSRPC");
  EXPECT_EQ(m.field("Cookie"), nullptr);
  EXPECT_TRUE(is_rpc_over_http_v2(m));
  EXPECT_FALSE(is_rpc_over_http_v1(m));
  EXPECT_EQ(rpc_method(m.method), RpcMethod::rpc_in_data);
  EXPECT_EQ(rpc_proxy_target(m),
            (RpcProxyTarget{RpcProxyTarget::Path::rpc, "exch01.contoso.com", 6001}));
}

// MS-RPCH 2.1.2.1.2 and 2.1.2.1.4: the OUT channel request (Content-Length 76, one CONN/A1)
// and its success response, "HTTP/1.1 200 Success" with Content-Type application/rpc.
TEST(HttpMessage, OutChannelRequestAndResponse) {
  const MessageHead req = head_of(
      "RPC_OUT_DATA /rpcwithcert/rpcproxy.dll?10.0.0.9:6004 HTTP/1.1\r\n"
      "Accept: application/rpc\r\nContent-Length: 76\r\nHost: proxy\r\n\r\n");
  EXPECT_TRUE(is_rpc_over_http_v2(req));
  EXPECT_EQ(req.content_length, 76u);
  EXPECT_EQ(rpc_proxy_target(req),
            (RpcProxyTarget{RpcProxyTarget::Path::rpc_withcert, "10.0.0.9", 6004}));
  const MessageHead resp = head_of(
      "HTTP/1.1 200 Success\r\nContent-Type: application/rpc\r\nContent-Length: "
      "1073741824\r\n\r\n");
  EXPECT_EQ(resp.kind, MessageKind::response);
  EXPECT_EQ(resp.status_code, 200);
  EXPECT_EQ(resp.reason_phrase, "Success");
  EXPECT_EQ(resp.content_length, 1073741824u);
  EXPECT_FALSE(is_rpc_over_http_v2(resp));
  EXPECT_EQ(rpc_proxy_target(resp), std::nullopt);
}

// MS-RPCH 2.1.2.1.3: "503 RPC Error: <hex>" on HTTP/1.0; and the 401 of an IIS front end.
TEST(HttpMessage, ErrorResponses) {
  const MessageHead e = head_of("HTTP/1.0 503 RPC Error: 6BA\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(e.status_code, 503);
  EXPECT_EQ(e.reason_phrase, "RPC Error: 6BA");
  EXPECT_EQ(e.version_minor, 0);
  const MessageHead u = head_of(
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: NTLM\r\n"
      "Content-Length: 1293\r\n\r\n");
  EXPECT_EQ(u.status_code, 401);
  EXPECT_EQ(u.fields.size(), 3u);
  // RFC 9112 4: an empty reason, with or without its SP.
  EXPECT_EQ(head_of("HTTP/1.1 204 \r\n\r\n").reason_phrase, "");
  EXPECT_EQ(head_of("HTTP/1.1 204\r\n\r\n").status_code, 204);
}

// MS-RPCH 2.1.1.1.1: RPC over HTTP v1, "RPC_CONNECT server:port", no Content-Length.
TEST(HttpMessage, RpcConnectOfVersion1) {
  const MessageHead m = head_of(
      "RPC_CONNECT exch01.contoso.com:593 HTTP/1.0\r\nUser-Agent: RPC\r\nPragma: No-cache\r\n\r\n");
  EXPECT_TRUE(is_rpc_over_http_v1(m));
  EXPECT_FALSE(is_rpc_over_http_v2(m));
  EXPECT_EQ(m.content_length, std::nullopt);
  EXPECT_EQ(rpc_proxy_target(m),
            (RpcProxyTarget{RpcProxyTarget::Path::none, "exch01.contoso.com", 593}));
  EXPECT_EQ(to_string(rpc_method("RPC_CONNECT")), "RPC_CONNECT");
  EXPECT_EQ(rpc_method("rpc_connect"), RpcMethod::none);  // methods are case-sensitive
}

// RFC 9112 2.2: bare LF ends lines too, and empty lines before the request-line are skipped.
TEST(HttpMessage, BareLfAndLeadingEmptyLines) {
  const std::string_view text = "\r\n\nGET / HTTP/1.1\nHost: a\n\n";
  const MessageHead m = head_of(text);
  EXPECT_EQ(m.method, "GET");
  EXPECT_EQ(m.host, "a");
  EXPECT_EQ(m.header_length, text.size());
}

// RFC 9112 5.2: an obs-fold continues the field before it, joined with one SP.
TEST(HttpMessage, ObsFoldJoinsThePreviousField) {
  const MessageHead m = head_of("HTTP/1.1 200 OK\r\nX-Long: one\r\n   two\r\n\tthree\r\n\r\n");
  ASSERT_EQ(m.fields.size(), 1u);
  EXPECT_EQ(m.fields[0].value, "one two three");
}

TEST(HttpMessage, FieldValuesAreTrimmedAndKeepObsText) {
  const MessageHead m = head_of("HTTP/1.1 200 OK\r\nA:\t x y \t\r\nB:\r\nC: caf\xc3\xa9\r\n\r\n");
  EXPECT_EQ(m.fields[0].value, "x y");
  EXPECT_EQ(m.fields[1].value, "");
  EXPECT_EQ(m.fields[2].value, "caf\xc3\xa9");
}

// Every strict prefix of a complete head waits for more octets, never fails.
TEST(HttpMessage, EveryPrefixNeedsMore) {
  for (std::size_t n = 0; n < kInChannelRequest.size(); ++n) {
    MessageResult r = parse_message_head(view(kInChannelRequest.substr(0, n)));
    ASSERT_TRUE(r.is_need_more()) << n;
    EXPECT_GT(r.needed(), n);
  }
}

// Binary streams fail on their first octet: DCE/RPC (05 00), TLS (16 03 01), NUL.
TEST(HttpMalformed, BinaryDataFailsAtOnce) {
  for (std::string_view s : {std::string_view("\x05", 1), std::string_view("\x16\x03\x01", 3),
                             std::string_view("\0", 1), std::string_view(" GET", 4)}) {
    MessageResult r = parse_message_head(view(s));
    ASSERT_TRUE(r.is_malformed());
    EXPECT_EQ(r.error().reason, Reason::bad_start_line);
  }
  // A method token then a control character, before any line end.
  EXPECT_EQ(reason_of("RPC_IN_DATA /\x01"), Reason::bad_start_line);
}

TEST(HttpMalformed, BadStartLine) {
  for (std::string_view s :
       {"GET / HTTP/2.0\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n",
        "GET /\r\n\r\n", "GET / HTTP/1.x\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1  200 OK\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\r\n\r\n", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"})
    EXPECT_EQ(reason_of(s), Reason::bad_start_line) << s;
}

TEST(HttpMalformed, BadFieldLine) {
  for (std::string_view s : {"GET / HTTP/1.1\r\nHost\r\n\r\n", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
                             "GET / HTTP/1.1\r\n: a\r\n\r\n", "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
                             "GET / HTTP/1.1\r\nHo\x01st: a\r\n\r\n"})
    EXPECT_EQ(reason_of(s), Reason::bad_field_line) << s;
}

TEST(HttpMalformed, BadFieldValue) {
  const std::string with_nul = std::string("GET / HTTP/1.1\r\nA: x") + '\0' + "y\r\n\r\n";
  EXPECT_EQ(reason_of(with_nul), Reason::bad_field_value);
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nA: x\ry\r\n\r\n"), Reason::bad_field_value);
  EXPECT_EQ(reason_of("GET / HTTP/1.1\r\nA: x\r\n y\x7f\r\n\r\n"), Reason::bad_field_value);
}

// RFC 9110 8.6: digits only; a list of one repeated value is that value.
TEST(HttpMalformed, BadContentLength) {
  EXPECT_EQ(head_of("HTTP/1.1 200 OK\r\nContent-Length: 42, 42\r\n\r\n").content_length, 42u);
  EXPECT_EQ(
      head_of("HTTP/1.1 200 OK\r\nContent-Length: 7\r\ncontent-length: 7\r\n\r\n").content_length,
      7u);
  EXPECT_EQ(
      head_of("HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n").content_length,
      9999999999999999999u);
  for (std::string_view v : {"abc", "12, 13", "-1", "", "1 2", "12345678901234567890", "0x10"})
    EXPECT_EQ(reason_of("HTTP/1.1 200 OK\r\nContent-Length: " + std::string(v) + "\r\n\r\n"),
              Reason::bad_content_length)
        << v;
  EXPECT_EQ(reason_of("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n"),
            Reason::bad_content_length);
}

// The header limit, hit with the limit lowered: at the limit it passes, one under it fails,
// and an incomplete head that already fills the window is refused rather than awaited.
TEST(HttpMalformed, HeaderTooLong) {
  const std::string_view text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  Limits limits;
  limits.max_header_bytes = text.size();
  EXPECT_TRUE(parse_message_head(view(text), limits).is_complete());
  limits.max_header_bytes = text.size() - 1;
  EXPECT_EQ(reason_of(text, limits), Reason::header_too_long);
  EXPECT_EQ(reason_of(text.substr(0, text.size() - 1), limits), Reason::header_too_long);
  EXPECT_TRUE(parse_message_head(view(text.substr(0, text.size() - 2)), limits).is_need_more());
}

TEST(HttpMalformed, TooManyFields) {
  const std::string_view text = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  Limits limits;
  limits.max_fields = 3;
  EXPECT_EQ(head_of(text, limits).fields.size(), 3u);
  limits.max_fields = 2;
  EXPECT_EQ(reason_of(text, limits), Reason::too_many_fields);
}

TEST(HttpMalformed, EveryReasonHasANameAndADescription) {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    EXPECT_NE(to_string(static_cast<Reason>(i)), "unknown");
    EXPECT_NE(describe(static_cast<Reason>(i)), "unknown");
  }
}

// --- MS-RPCH 2.2.2 ---------------------------------------------------------------------------
TEST(RpcProxyTarget, FormsOfTheUri) {
  using P = RpcProxyTarget::Path;
  EXPECT_EQ(parse_rpc_proxy_target("/rpc/rpcproxy.dll?exch01.contoso.com:6001"),
            (RpcProxyTarget{P::rpc, "exch01.contoso.com", 6001}));
  EXPECT_EQ(parse_rpc_proxy_target("/RPC/RpcProxy.dll?EXCH01:6002"),
            (RpcProxyTarget{P::rpc, "EXCH01", 6002}));
  EXPECT_EQ(parse_rpc_proxy_target("http://mail.contoso.com/rpc/rpcproxy.dll?10.1.1.2:593"),
            (RpcProxyTarget{P::rpc, "10.1.1.2", 593}));
  EXPECT_EQ(parse_rpc_proxy_target("/rpcwithcert/rpcproxy.dll?[fe80::1]:6004"),
            (RpcProxyTarget{P::rpc_withcert, "fe80::1", 6004}));
  EXPECT_EQ(parse_rpc_proxy_target("/rpc/rpcproxy.dll?fe80::1:6004"),
            (RpcProxyTarget{P::rpc, "fe80::1", 6004}));
  EXPECT_EQ(parse_rpc_proxy_target("exch01:593"), (RpcProxyTarget{P::none, "exch01", 593}));
  EXPECT_EQ(parse_rpc_proxy_target("/rpc/rpcproxy.dll?a:0"), (RpcProxyTarget{P::rpc, "a", 0}));
  EXPECT_EQ(parse_rpc_proxy_target("/rpc/rpcproxy.dll?a:065535"),
            (RpcProxyTarget{P::rpc, "a", 65535}));
}

TEST(RpcProxyTarget, Refused) {
  for (std::string_view t :
       {"", "/", "/rpc/rpcproxy.dll", "/rpc/rpcproxy.dll?", "/rpc/rpcproxy.dll?server",
        "/rpc/rpcproxy.dll?:6001", "/rpc/rpcproxy.dll?server:", "/rpc/rpcproxy.dll?server:65536",
        "/rpc/rpcproxy.dll?server:1234567", "/rpc/rpcproxy.dll?server:60x1",
        "/owa/rpcproxy.dll?server:6001", "/rpc/rpcproxy.dllx?server:6001", "http://proxy",
        "server/x:593", "/rpc/rpcproxy.dll?a/b:1", "/rpc/rpcproxy.dll?[]:1"})
    EXPECT_EQ(parse_rpc_proxy_target(t), std::nullopt) << t;
  // server-name is shorter than 1,024 characters.
  const std::string longest(kMaxServerNameLength, 'a');
  EXPECT_NE(parse_rpc_proxy_target(longest + ":1"), std::nullopt);
  EXPECT_EQ(parse_rpc_proxy_target(longest + "a:1"), std::nullopt);
}

// --- MS-RPCH 2.1.2.2.1 ------------------------------------------------------------------------
TEST(LegacyServerResponse, MatchesWaitsAndRefuses) {
  const std::string_view then_pdu("ncacn_http/1.0\x05\x00\x0c\x03", 18);
  auto r = match_legacy_server_response(view(then_pdu));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), 14u);
  for (std::size_t n = 0; n < kLegacyServerResponse.size(); ++n) {
    auto partial = match_legacy_server_response(view(kLegacyServerResponse.substr(0, n)));
    ASSERT_TRUE(partial.is_need_more()) << n;
    EXPECT_EQ(partial.needed(), 14u);
  }
  auto other = match_legacy_server_response(view("ncacn_http/2.0"));
  ASSERT_TRUE(other.is_malformed());
  EXPECT_EQ(other.error().reason, Reason::not_legacy_server_response);
  EXPECT_EQ(other.error().offset, 11u);
  EXPECT_TRUE(match_legacy_server_response(view("\x05")).is_malformed());
}

}  // namespace
}  // namespace rpctrace::http
