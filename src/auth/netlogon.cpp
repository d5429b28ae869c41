// The Netlogon secure channel as an RPC security provider (MS-NRPC 2.2.1.3): NL_AUTH_MESSAGE
// in the bind (the client's domain and computer names) and NL_AUTH_SIGNATURE /
// NL_AUTH_SHA2_SIGNATURE on each call (the algorithms; the sequence number is encrypted).
#include <fmt/format.h>

#include <optional>

#include "detail.hpp"

namespace rpctrace::auth::detail {

namespace {

constexpr std::uint32_t kNegotiateRequest = 0;   // NL_NEGOTIATE_REQUEST_MESSAGE
constexpr std::uint32_t kNegotiateResponse = 1;  // NL_NEGOTIATE_RESPONSE_MESSAGE
constexpr std::uint16_t kSignHmacMd5 = 0x0077;
constexpr std::uint16_t kSignHmacSha256 = 0x0013;
constexpr std::uint16_t kSealNone = 0xffff;
// NL_AUTH_MESSAGE Flags: which names follow, in this order (2.2.1.3.1).
constexpr std::uint32_t kOemDomain = 0x01, kOemComputer = 0x02, kDnsDomain = 0x04, kDnsHost = 0x08,
                        kUtf8Computer = 0x10;

TokenResult malformed(Reason why, std::string detail) {
  return TokenResult::malformed(why, 0, std::move(detail));
}

// Name errors: truncated (past the buffer, unterminated, a bad label or pointer) or too_long.
using NameError = std::optional<Reason>;

// A null-terminated OEM string.
NameError oem_string(common::ByteReader& r, std::string& out) {
  Bytes rest = r.rest();
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != std::byte{0}) continue;
    r.skip(i + 1);
    if (!oem_to_utf8(rest.first(i), out)) return Reason::too_long;
    return std::nullopt;
  }
  r.fail();
  return Reason::truncated;
}

// A DNS name in RFC 1035 3.1 label form (labels of at most 63 octets, UTF-8 as Samba writes
// them); compression pointers (RFC 1035 4.1.4) count from the start of the NL_AUTH_MESSAGE,
// as Samba writes and reads them. Pointers are followed at most 16 times, so a loop cannot
// hang.
NameError dns_name(common::ByteReader& r, Bytes message, std::string& out) {
  out.clear();
  common::ByteReader cur = r;
  bool jumped = false;
  for (int hops = 0; hops < 16;) {
    std::uint8_t len = cur.u8();
    if (!cur.ok()) break;
    if (len == 0) {
      if (!jumped) r = cur;
      return std::nullopt;
    }
    if ((len & 0xc0) == 0xc0) {
      std::size_t target = ((len & 0x3fu) << 8) | cur.u8();
      if (!cur.ok() || target >= message.size()) break;
      if (!jumped) r = cur;
      jumped = true;
      ++hops;
      cur = common::ByteReader(message.subspan(target), common::ByteOrder::little);
      continue;
    }
    if (len & 0xc0) break;  // 0x40 and 0x80 label types are reserved
    Bytes octets = cur.bytes(len);
    if (!cur.ok()) break;
    std::string label;
    if (!utf8_to_text(octets, label)) return Reason::too_long;
    if (!out.empty()) out += '.';
    out += label;
    if (out.size() > kMaxNameOctets) return Reason::too_long;
  }
  r.fail();
  return Reason::truncated;
}

// NL_AUTH_SIGNATURE is 24 octets with HMAC-MD5, NL_AUTH_SHA2_SIGNATURE 48 (8-octet header,
// SequenceNumber, an 8- or 32-octet Checksum), and both carry an 8-octet Confounder when
// sealed (MS-NRPC 2.2.1.3.2, 2.2.1.3.3).
std::size_t signature_size(std::uint16_t sign, std::uint16_t seal) {
  return (sign == kSignHmacSha256 ? 48u : 24u) + (seal != kSealNone ? 8u : 0u);
}

}  // namespace

TokenResult decode_netlogon(Bytes value) {
  Token t;
  t.mechanism = "Netlogon";
  common::ByteReader r(value, common::ByteOrder::little);
  std::uint16_t first16 = common::ByteReader(value, common::ByteOrder::little).u16();
  if (first16 == kSignHmacMd5 || first16 == kSignHmacSha256) {
    t.message = "signature";
    t.signature_algorithm = r.u16();
    t.seal_algorithm = r.u16();
    r.skip(2);  // Pad
    t.flags = r.u16();
    std::size_t need = signature_size(*t.signature_algorithm, *t.seal_algorithm);
    if (!r.ok() || value.size() < need)
      return malformed(Reason::truncated, fmt::format("NL_AUTH_SIGNATURE of {} octets, {} needed",
                                                      value.size(), need));
    return TokenResult::complete(std::move(t), value.size());
  }
  std::uint32_t type = r.u32();
  std::uint32_t flags = r.u32();
  if (!r.ok()) return malformed(Reason::truncated, "NL_AUTH_MESSAGE shorter than 8 octets");
  if (type != kNegotiateRequest && type != kNegotiateResponse)
    return malformed(Reason::unknown_message, fmt::format("MessageType {}", type));
  t.message = type == kNegotiateRequest ? "negotiate request" : "negotiate response";
  t.flags = flags;
  std::string ignored;
  NameError e;
  auto read = [&](bool present, auto&& reader) {
    if (present && !e) e = reader();
  };
  read(flags & kOemDomain, [&] { return oem_string(r, t.domain); });
  read(flags & kOemComputer, [&] { return oem_string(r, t.workstation); });
  // The DNS names are read (to check them) and shown only where no NetBIOS name came.
  std::string dns_domain, dns_host;
  read(flags & kDnsDomain, [&] { return dns_name(r, value, dns_domain); });
  read(flags & kDnsHost, [&] { return dns_name(r, value, dns_host); });
  read(flags & kUtf8Computer, [&] { return dns_name(r, value, ignored); });
  if (e) return malformed(*e, "NL_AUTH_MESSAGE name");
  if (t.domain.empty()) t.domain = std::move(dns_domain);
  if (t.workstation.empty()) t.workstation = std::move(dns_host);
  return TokenResult::complete(std::move(t), value.size());
}

}  // namespace rpctrace::auth::detail
