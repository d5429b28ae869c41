// The Netlogon secure channel as an RPC security provider (MS-NRPC 2.2.1.3): NL_AUTH_MESSAGE
// in the bind (the client's domain and computer names) and NL_AUTH_SIGNATURE /
// NL_AUTH_SHA2_SIGNATURE on each call (the algorithms; the sequence number is encrypted).
#include <fmt/format.h>

#include "detail.hpp"

namespace rpctrace::auth::detail {

namespace {

constexpr std::uint32_t kNegotiateRequest = 0;   // NL_NEGOTIATE_REQUEST_MESSAGE
constexpr std::uint32_t kNegotiateResponse = 1;  // NL_NEGOTIATE_RESPONSE_MESSAGE
constexpr std::uint16_t kSignHmacMd5 = 0x0077;
constexpr std::uint16_t kSignHmacSha256 = 0x0013;
// NL_AUTH_MESSAGE Flags: which names follow, in this order (2.2.1.3.1).
constexpr std::uint32_t kOemDomain = 0x01, kOemComputer = 0x02, kDnsDomain = 0x04, kDnsHost = 0x08,
                        kUtf8Computer = 0x10;

TokenResult malformed(Reason why, std::string detail) {
  return TokenResult::malformed(why, 0, std::move(detail));
}

// A null-terminated OEM string.
bool oem_string(common::ByteReader& r, std::string& out) {
  Bytes rest = r.rest();
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != std::byte{0}) continue;
    r.skip(i + 1);
    return oem_to_utf8(rest.first(i), out);
  }
  r.fail();
  return false;
}

// A DNS name in RFC 1035 3.1 label form; MS-NRPC allows compression pointers (RFC 1035 4.1.4)
// into the same buffer. Pointers are followed at most 16 times, so a loop cannot hang.
bool dns_name(common::ByteReader& r, Bytes buffer, std::string& out) {
  out.clear();
  common::ByteReader cur = r;
  bool jumped = false;
  for (int hops = 0; hops < 16;) {
    std::uint8_t len = cur.u8();
    if (!cur.ok()) break;
    if (len == 0) {
      if (!jumped) r = cur;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      std::size_t target = ((len & 0x3fu) << 8) | cur.u8();
      if (!cur.ok() || target >= buffer.size()) break;
      if (!jumped) r = cur;
      jumped = true;
      ++hops;
      cur = common::ByteReader(buffer.subspan(target), common::ByteOrder::little);
      continue;
    }
    std::string label;
    if (!oem_to_utf8(cur.bytes(len), label) || !cur.ok()) break;
    if (!out.empty()) out += '.';
    out += label;
    if (out.size() > kMaxNameOctets) break;
  }
  r.fail();
  return false;
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
    if (!r.ok()) return malformed(Reason::truncated, "NL_AUTH_SIGNATURE shorter than 8 octets");
    return TokenResult::complete(std::move(t), value.size());
  }
  std::uint32_t type = r.u32();
  std::uint32_t flags = r.u32();
  if (!r.ok()) return malformed(Reason::truncated, "NL_AUTH_MESSAGE shorter than 8 octets");
  if (type != kNegotiateRequest && type != kNegotiateResponse)
    return malformed(Reason::unknown_message, fmt::format("MessageType {}", type));
  t.message = type == kNegotiateRequest ? "negotiate request" : "negotiate response";
  t.flags = flags;
  Bytes buffer = r.rest();
  common::ByteReader b(buffer, common::ByteOrder::little);
  std::string ignored;
  bool ok = true;
  if (flags & kOemDomain) ok = ok && oem_string(b, t.domain);
  if (flags & kOemComputer) ok = ok && oem_string(b, t.workstation);
  // The DNS names are read (to check them) and shown only where no NetBIOS name came.
  std::string dns_domain, dns_host;
  if (flags & kDnsDomain) ok = ok && dns_name(b, buffer, dns_domain);
  if (flags & kDnsHost) ok = ok && dns_name(b, buffer, dns_host);
  if (flags & kUtf8Computer) ok = ok && dns_name(b, buffer, ignored);
  if (t.domain.empty()) t.domain = std::move(dns_domain);
  if (t.workstation.empty()) t.workstation = std::move(dns_host);
  if (!ok) return malformed(Reason::truncated, "NL_AUTH_MESSAGE name past the buffer");
  return TokenResult::complete(std::move(t), value.size());
}

}  // namespace rpctrace::auth::detail
