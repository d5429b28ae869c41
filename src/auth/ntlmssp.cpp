// NTLMSSP messages (MS-NLMP 2.2.1) and the message signature (2.2.2.9): the message type, the
// negotiated flags and the names. Challenge responses, the MIC and the encrypted session key
// are skipped, never read into the result.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>

#include "detail.hpp"

namespace rpctrace::auth::detail {

namespace {

constexpr std::array<unsigned char, 8> kSignature{'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
constexpr std::uint32_t kNegotiateUnicode = 0x00000001;  // NTLMSSP_NEGOTIATE_UNICODE
constexpr std::uint32_t kRequestTarget = 0x00000004;     // NTLMSSP_REQUEST_TARGET
constexpr std::uint32_t kOemDomainSupplied = 0x00001000;
constexpr std::uint32_t kOemWorkstationSupplied = 0x00002000;
constexpr std::size_t kChallengeMinSize = 32;   // through ServerChallenge (the oldest layout)
constexpr std::uint32_t kSignatureVersion = 1;  // NTLMSSP_MESSAGE_SIGNATURE Version
constexpr std::size_t kSignatureSize = 16;

// A payload reference (Len, MaxLen, BufferOffset; 2.2.1.1's DomainNameFields and kin).
// BufferOffset counts from the start of the message.
struct Range {
  std::uint32_t offset = 0, length = 0;
  [[nodiscard]] bool overlaps(const Range& o) const {
    return length > 0 && o.length > 0 && offset < o.offset + std::uint64_t{o.length} &&
           o.offset < offset + std::uint64_t{length};
  }
};
Range payload_range(common::ByteReader fields) {
  Range r;
  r.length = fields.u16();
  (void)fields.u16();  // MaxLen: informational
  r.offset = fields.u32();
  return fields.ok() ? r : Range{};
}

// `secret`: payload ranges a name must not overlap (responses, session key, MIC), so that no
// crafted offset can make them print as a name.
bool payload_name(Bytes message, common::ByteReader& fields, bool unicode, std::string& out,
                  Reason& why, std::span<const Range> secret = {}) {
  std::uint16_t len = fields.u16();
  (void)fields.u16();  // MaxLen: informational
  std::uint32_t offset = fields.u32();
  if (!fields.ok()) {
    why = Reason::truncated;
    return false;
  }
  if (len == 0) return true;
  if (offset > message.size() || len > message.size() - offset) {
    why = Reason::truncated;
    return false;
  }
  for (const Range& s : secret)
    if (Range{offset, len}.overlaps(s)) {
      why = Reason::bad_signature;
      return false;
    }
  Bytes text = message.subspan(offset, len);
  if (!(unicode ? utf16le_to_utf8(text, out) : oem_to_utf8(text, out))) {
    why = Reason::too_long;
    return false;
  }
  return true;
}

TokenResult malformed(Reason why, std::string detail) {
  return TokenResult::malformed(why, 0, std::move(detail));
}

}  // namespace

TokenResult decode_ntlmssp(Bytes value) {
  Token t;
  t.mechanism = "NTLMSSP";
  bool has_signature = value.size() >= kSignature.size() &&
                       std::equal(kSignature.begin(), kSignature.end(), value.begin(),
                                  [](unsigned char a, std::byte b) {
                                    return a == std::to_integer<unsigned char>(b);
                                  });
  if (!has_signature) {
    // Integrity and privacy: the verifier of each request and response is a 16-octet
    // NTLMSSP_MESSAGE_SIGNATURE starting with Version 1. Its checksum and sequence number may
    // be sealed (without extended session security), so neither is reported.
    common::ByteReader r(value, common::ByteOrder::little);
    if (value.size() == kSignatureSize && r.u32() == kSignatureVersion) {
      t.message = "signature";
      return TokenResult::complete(std::move(t), value.size());
    }
    return malformed(Reason::bad_signature, "not \"NTLMSSP\\0\" nor a 16-octet signature");
  }
  common::ByteReader r(value, common::ByteOrder::little);
  r.skip(kSignature.size());
  std::uint32_t type = r.u32();
  Reason why = Reason::truncated;
  switch (type) {
    case 1: {  // NEGOTIATE_MESSAGE: flags, then domain and workstation, always OEM (2.2.1.1)
      t.message = "negotiate";
      std::uint32_t flags = r.u32();
      t.flags = flags;
      // NT 4.0-era negotiates end after the flags; the names count only when their
      // *_SUPPLIED flag is set (otherwise the fields "MUST be ignored").
      if (r.ok() && r.remaining() >= 16) {
        common::ByteReader domain = r.sub(8), workstation = r.sub(8);
        if ((flags & kOemDomainSupplied) && !payload_name(value, domain, false, t.domain, why))
          return malformed(why, "NEGOTIATE DomainName past the message");
        if ((flags & kOemWorkstationSupplied) &&
            !payload_name(value, workstation, false, t.workstation, why))
          return malformed(why, "NEGOTIATE Workstation past the message");
      }
      break;
    }
    case 2: {  // CHALLENGE_MESSAGE: TargetName, flags, ServerChallenge (2.2.1.2)
      t.message = "challenge";
      common::ByteReader target = r.sub(8);
      std::uint32_t flags = r.u32();
      t.flags = flags;
      if (!r.ok() || value.size() < kChallengeMinSize)
        return malformed(Reason::truncated, "CHALLENGE shorter than 32 octets");
      r.skip(8);  // ServerChallenge: never read
      // TargetName is meaningful only when the client asked for it (NTLMSSP_REQUEST_TARGET).
      if ((flags & kRequestTarget) &&
          !payload_name(value, target, (flags & kNegotiateUnicode) != 0, t.domain, why))
        return malformed(why, "CHALLENGE TargetName past the message");
      break;
    }
    case 3: {  // AUTHENTICATE_MESSAGE (2.2.1.3)
      t.message = "authenticate";
      // The responses and the session key are located (offsets only), never read, so that
      // a name pointing into them is refused rather than printed.
      std::array<Range, 4> secret{payload_range(r.sub(8)), payload_range(r.sub(8))};
      common::ByteReader domain = r.sub(8), user = r.sub(8), workstation = r.sub(8);
      secret[2] = payload_range(r.sub(8));  // EncryptedRandomSessionKeyFields
      t.flags = r.u32();
      if (!r.ok()) return malformed(Reason::truncated, "AUTHENTICATE shorter than 64 octets");
      // The MIC (octets 72..87) can exist only when the whole payload starts after it.
      std::uint32_t first = ~0u;
      for (const Range& p : {secret[0], secret[1], secret[2], payload_range(domain),
                             payload_range(user), payload_range(workstation)})
        if (p.length > 0) first = std::min(first, p.offset);
      if (first >= 88 && first != ~0u) secret[3] = Range{72, 16};
      bool unicode = (*t.flags & kNegotiateUnicode) != 0;
      if (!payload_name(value, domain, unicode, t.domain, why, secret) ||
          !payload_name(value, user, unicode, t.user, why, secret) ||
          !payload_name(value, workstation, unicode, t.workstation, why, secret))
        return malformed(why, "AUTHENTICATE name field past the message or over a secret");
      break;
    }
    default:
      if (!r.ok()) return malformed(Reason::truncated, "no MessageType");
      return malformed(Reason::unknown_message, fmt::format("MessageType {}", type));
  }
  if (!r.ok()) return malformed(Reason::truncated, fmt::format("{} cut short", t.message));
  return TokenResult::complete(std::move(t), value.size());
}

}  // namespace rpctrace::auth::detail
