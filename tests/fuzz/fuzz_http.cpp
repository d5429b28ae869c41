// Fuzz target: the RPC over HTTP parsers (MS-RPCH). The first octet chooses what the rest is:
//   0  an RTS body; the next octet's bit 0 picks the byte order, bit 1 a command limit of 4,
//      bits 2-4 a vantage for classify_rts()
//   1  the first octets of an HTTP direction: message head, RPC proxy target, legacy response
//   2  the first octets of a TLS direction: ClientHello (tiny limits) and record start
//   3  a whole connection-oriented PDU, whose RTS body is decoded as a caller would
// Every result is checked against the contract: consumed within the input, need_more asking for
// more than was given, commands as many as NumberOfCommands, names matching the flags.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/pdu.hpp"
#include "rpctrace/dcerpc/rts.hpp"
#include "rpctrace/http/message.hpp"
#include "rpctrace/http/tls.hpp"

namespace {

using namespace rpctrace;

void check_rts(common::Bytes body, common::ByteOrder order, const dcerpc::RtsLimits& limits,
               const dcerpc::RtsVantage& where) {
  auto r = dcerpc::parse_rts_body(body, order, limits);
  if (r.is_need_more()) __builtin_trap();  // a body parser never asks for more
  if (r.is_malformed()) {
    if (r.error().offset > body.size()) __builtin_trap();
    (void)dcerpc::describe(r.error().reason);
    return;
  }
  const auto& b = r.value();
  if (r.consumed() > body.size() || b.commands.size() != b.number_of_commands) __builtin_trap();
  std::string text = dcerpc::rts_flags_string(b.flags);
  for (const auto& c : b.commands) text += dcerpc::to_string(dcerpc::command_type(c));
  for (dcerpc::RtsPduName n : dcerpc::classify_rts(b, where)) {
    const auto& spec = dcerpc::rts_pdu_spec(n);
    if (spec.flags != b.flags || spec.commands.size() != b.commands.size()) __builtin_trap();
  }
}

dcerpc::RtsVantage vantage(std::uint8_t bits) {
  switch (bits % 5) {
    case 0:
      return {};
    case 1:
      return dcerpc::rts_vantage(dcerpc::RtsLeg::client_proxy, dcerpc::RtsChannel::in, true);
    case 2:
      return dcerpc::rts_vantage(dcerpc::RtsLeg::client_proxy, dcerpc::RtsChannel::out, false);
    case 3:
      return dcerpc::rts_vantage(dcerpc::RtsLeg::proxy_server, dcerpc::RtsChannel::out, false);
    default:
      return dcerpc::rts_vantage(dcerpc::RtsLeg::proxy_server, dcerpc::RtsChannel::in, true);
  }
}

void check_http(common::Bytes data) {
  http::Limits limits;
  limits.max_header_bytes = 4096;
  limits.max_fields = 16;
  auto r = http::parse_message_head(data, limits);
  if (r.is_need_more() && (r.needed() <= data.size() || data.size() >= limits.max_header_bytes))
    __builtin_trap();
  if (r.is_complete()) {
    const auto& m = r.value();
    if (r.consumed() != m.header_length || m.header_length > data.size() ||
        m.fields.size() > limits.max_fields)
      __builtin_trap();
    (void)http::rpc_proxy_target(m);
    (void)http::parse_rpc_proxy_target(m.target);
    (void)m.field("Host");
    (void)m.version();
  }
  auto legacy = http::match_legacy_server_response(data);
  if (legacy.is_complete() && legacy.consumed() > data.size()) __builtin_trap();
  // The same octets as a request target.
  std::string target;
  for (std::byte b : data.first(data.size() < 2048 ? data.size() : 2048))
    target.push_back(static_cast<char>(b));
  auto t = http::parse_rpc_proxy_target(target);
  if (t && t->server_name.size() > http::kMaxServerNameLength) __builtin_trap();
}

void check_tls(common::Bytes data) {
  http::TlsLimits limits;
  limits.max_client_hello_length = 4096;
  limits.max_client_hello_records = 4;
  auto r = http::parse_client_hello(data, limits);
  if (r.is_need_more() && r.needed() <= data.size()) __builtin_trap();
  if (r.is_complete()) {
    if (r.consumed() > data.size() || r.value().records > limits.max_client_hello_records)
      __builtin_trap();
    (void)http::tls_version_name(r.value().legacy_version);
  }
  auto s = http::parse_tls_record_start(data);
  if (s.is_need_more() && s.needed() <= data.size()) __builtin_trap();
  if (s.is_complete() && s.consumed() > data.size()) __builtin_trap();
}

void check_pdu(common::Bytes data) {
  auto p = dcerpc::parse_pdu(data);
  if (!p.is_complete() || p.value().header.ptype != dcerpc::PacketType::rts) return;
  const auto& h = p.value().header;
  check_rts(data.subspan(dcerpc::kCommonHeaderSize, h.frag_length - dcerpc::kCommonHeaderSize),
            h.packed_drep.integer_order(), {}, {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  auto rest = std::as_bytes(std::span(data, size)).subspan(1);
  switch (data[0] % 4) {
    case 0: {
      if (rest.empty()) return 0;
      const auto control = static_cast<std::uint8_t>(rest[0]);
      dcerpc::RtsLimits limits;
      if (control & 2) limits.max_commands = 4;
      check_rts(rest.subspan(1), (control & 1) ? common::ByteOrder::big : common::ByteOrder::little,
                limits, vantage(static_cast<std::uint8_t>(control >> 2)));
      break;
    }
    case 1:
      check_http(rest);
      break;
    case 2:
      check_tls(rest);
      break;
    default:
      check_pdu(rest);
      break;
  }
  return 0;
}
