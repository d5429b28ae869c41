// The head of an HTTP/1.x message (RFC 9112: start line, header fields, the empty line) from the
// first octets of a TCP direction, and what RPC over HTTP (MS-RPCH) puts in it: the RPC_IN_DATA
// and RPC_OUT_DATA requests of v2 (2.1.2.1.1, 2.1.2.1.2), the RPC_CONNECT request of v1
// (2.1.1.1.1), the RPC proxy URI (2.2.2) and the legacy server response "ncacn_http/1.0"
// (2.1.1.2.1, 2.1.2.2.1).
//
// parse_message_head(): complete (consumed = header_length, where the body starts) once the
//   empty line that ends the header block is there; need_more (the octets needed so far, at
//   least one more) while it could still come within Limits::max_header_bytes; malformed as soon
//   as the octets cannot be an HTTP/1.x message head (binary data fails on its first line), or
//   the head outgrows a limit. The returned value owns its strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/result.hpp"

namespace rpctrace::http {

using common::Bytes;

// --- Resource policy ---
struct Limits {
  // Start line, header fields and the empty line. Windows' RPC proxy requests are a few hundred
  // octets; IIS refuses heads past 16 KiB by default, so this leaves room.
  std::size_t max_header_bytes = 32768;
  std::size_t max_fields = 128;
};

// Why the octets are not (or no longer) an HTTP/1.x message head. Closed set; each is counted.
enum class Reason : std::uint8_t {
  bad_start_line,      // not "method SP target SP HTTP/x.y" nor "HTTP/x.y SP 3DIGIT SP reason"
  bad_field_line,      // no colon, an empty or non-token name, whitespace before the colon
  bad_field_value,     // a control character (NUL, bare CR, ...) in a field value
  bad_content_length,  // Content-Length not digits, too large, or two different values
  header_too_long,     // no empty line within Limits::max_header_bytes
  too_many_fields,     // more header fields than Limits::max_fields
  not_legacy_server_response,  // match_legacy_server_response(): not "ncacn_http/1.0"
  count_
};
inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::count_);
std::string_view to_string(Reason r);
std::string_view describe(Reason r);

enum class MessageKind : std::uint8_t { request, response };

struct HeaderField {
  std::string name;   // as sent (compare without case: RFC 9110 5.1)
  std::string value;  // leading and trailing whitespace removed (RFC 9112 5.1)
  friend bool operator==(const HeaderField&, const HeaderField&) = default;
};

// The head of one message. Strings hold the octets as sent, which the parser has checked are
// printable ASCII, SP/HTAB or (in values and the reason phrase only) obs-text 0x80-0xFF;
// writers escape the latter.
struct MessageHead {
  MessageKind kind = MessageKind::request;
  // request-line (RFC 9112 3): method, request-target; status-line (4): status-code,
  // reason-phrase (may be empty).
  std::string method;
  std::string target;
  std::uint16_t status_code = 0;
  std::string reason_phrase;
  // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3).
  std::uint8_t version_major = 1;
  std::uint8_t version_minor = 1;
  std::vector<HeaderField> fields;  // in order; an obs-fold continuation joins its field
  std::optional<std::uint64_t> content_length;  // RFC 9112 6.3, RFC 9110 8.6
  std::optional<std::string> host;              // the first Host field (RFC 9110 7.2)
  // Octets from the start of the data up to and including the empty line: the body starts here.
  std::size_t header_length = 0;

  // The first field of that name (ASCII case-insensitive), or null.
  [[nodiscard]] const HeaderField* field(std::string_view name) const;
  [[nodiscard]] std::string version() const;  // "HTTP/1.1"
};

using MessageResult = common::ParseResult<MessageHead, Reason>;
MessageResult parse_message_head(Bytes data, const Limits& limits = {});

// --- RPC over HTTP (MS-RPCH) ---

// The methods of MS-RPCH: RPC_IN_DATA opens an IN channel and RPC_OUT_DATA an OUT channel (v2,
// 2.1.2.1.1, 2.1.2.1.2; both also carry echo requests, 2.1.2.1.5); RPC_CONNECT is v1 (2.1.1.1.1).
// Methods are case-sensitive (RFC 9110 9.1).
enum class RpcMethod : std::uint8_t { none, rpc_in_data, rpc_out_data, rpc_connect };
RpcMethod rpc_method(std::string_view method);
std::string_view to_string(RpcMethod m);  // "RPC_IN_DATA", ...; "" for none
// A request whose method is RPC_IN_DATA or RPC_OUT_DATA.
bool is_rpc_over_http_v2(const MessageHead& m);
// A request whose method is RPC_CONNECT.
bool is_rpc_over_http_v1(const MessageHead& m);

// MS-RPCH 2.2.2: the RPC server behind the proxy, from the request URI's query.
struct RpcProxyTarget {
  enum class Path : std::uint8_t {
    rpc,           // "/rpc/rpcproxy.dll" (nocert-path)
    rpc_withcert,  // "/rpcwithcert/rpcproxy.dll" (withcert-path: client certificate auth)
    none,          // the target was "server:port" alone (as v1 RPC_CONNECT requests send it)
  };
  Path path = Path::rpc;
  std::string server_name;  // DNS name, IPv4/IPv6 literal or NetBIOS name
  std::uint16_t server_port = 0;
  friend bool operator==(const RpcProxyTarget&, const RpcProxyTarget&) = default;
};
// MS-RPCH 2.2.2 facts: server-name is shorter than 1,024 characters; server-port 1*6(DIGIT).
inline constexpr std::size_t kMaxServerNameLength = 1023;
inline constexpr std::size_t kMaxServerPortDigits = 6;
// "/rpc/rpcproxy.dll?exch01.contoso.com:6001" (origin-form), the same in absolute-form
// ("http://proxy/rpc/rpcproxy.dll?..."), or "server:port" alone. The path is compared without
// case (IIS serves it so). The port must fit 16 bits. nullopt when the target is none of these.
std::optional<RpcProxyTarget> parse_rpc_proxy_target(std::string_view target);
// The target of an RPC_IN_DATA, RPC_OUT_DATA or RPC_CONNECT request; nullopt otherwise.
std::optional<RpcProxyTarget> rpc_proxy_target(const MessageHead& m);

// MS-RPCH 2.1.1.2.1 / 2.1.2.2.1: the server's first octets on a connection from a proxy.
inline constexpr std::string_view kLegacyServerResponse = "ncacn_http/1.0";
struct LegacyServerResponse {};
// complete (consumed 14) when `data` starts with "ncacn_http/1.0"; need_more while it is a
// strict prefix of it; malformed (not_legacy_server_response) otherwise.
common::ParseResult<LegacyServerResponse, Reason> match_legacy_server_response(Bytes data);

}  // namespace rpctrace::http
