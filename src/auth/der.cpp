// ASN.1 DER reading for Kerberos and SPNEGO tokens (X.690 8.1), and the GSS-API framing.
#include <fmt/format.h>

#include <array>

#include "detail.hpp"

namespace rpctrace::auth::detail {

Tlv Der::next() {
  if (!ok_ || pos_ >= data_.size()) {
    ok_ = false;
    return {};
  }
  common::ByteReader r(data_.subspan(pos_), common::ByteOrder::big);
  std::uint8_t tag = r.u8();
  if ((tag & 0x1f) == 0x1f) {  // high tag numbers: not used by the protocols decoded here
    ok_ = false;
    return {};
  }
  std::uint8_t first = r.u8();
  std::size_t length = first;
  if (first & 0x80) {
    unsigned octets = first & 0x7f;
    // 0x80 is the indefinite form, which DER forbids; more than 4 length octets cannot fit
    // in any auth_value (auth_length is 16 bits).
    if (octets == 0 || octets > 4) {
      ok_ = false;
      return {};
    }
    length = 0;
    for (unsigned i = 0; i < octets; ++i) length = (length << 8) | r.u8();
  }
  if (!r.ok() || length > r.remaining()) {
    ok_ = false;
    return {};
  }
  Tlv t{tag, r.bytes(length)};
  pos_ += r.position();
  return t;
}

bool Der::next_if(std::uint8_t tag, Tlv& out) {
  if (!ok_ || at_end() || std::to_integer<std::uint8_t>(data_[pos_]) != tag) return false;
  out = next();
  return ok_;
}

bool der_sequence(Bytes content, Bytes& body) {
  Der d(content);
  Tlv seq;
  if (!d.next_if(kDerSequence, seq)) return false;
  body = seq.content;
  return true;
}

bool der_int32(Bytes content, std::int32_t& out) {
  if (content.empty() || content.size() > 4) return false;
  // Two's complement, big-endian: start from the sign.
  std::uint32_t v = (std::to_integer<unsigned>(content[0]) & 0x80) ? 0xffffffffu : 0u;
  for (std::byte b : content) v = (v << 8) | std::to_integer<std::uint32_t>(b);
  out = static_cast<std::int32_t>(v);
  return true;
}

std::string oid_to_string(Bytes content) {
  // X.690 8.19: base-128 arcs, the first octet group holding 40 * arc1 + arc2.
  std::string out;
  std::uint64_t arc = 0;
  bool first = true, in_arc = false;
  for (std::byte b : content) {
    auto v = std::to_integer<unsigned>(b);
    if (arc > (std::uint64_t{1} << 56)) return {};  // an arc past 64 bits: not an OID we name
    arc = (arc << 7) | (v & 0x7f);
    in_arc = (v & 0x80) != 0;
    if (in_arc) continue;
    if (first) {
      std::uint64_t a1 = arc < 80 ? arc / 40 : 2;
      out = fmt::format("{}.{}", a1, arc - a1 * 40);
      first = false;
    } else {
      out += fmt::format(".{}", arc);
    }
    arc = 0;
  }
  return in_arc ? std::string{} : out;
}

std::string_view mechanism_name(std::string_view oid) {
  struct Known {
    std::string_view oid, name;
  };
  // RFC 1964 / RFC 4121; MS-KILE 1.9 (the OID early Windows sent by mistake, still offered);
  // MS-NLMP 1.9; RFC 4178; MS-NEGOEX 1.9; draft-swift-win2k-krb-user2user's user-to-user OID.
  static constexpr std::array<Known, 6> kKnown{{
      {"1.2.840.113554.1.2.2", "Kerberos"},
      {"1.2.840.48018.1.2.2", "MS Kerberos"},
      {"1.3.6.1.4.1.311.2.2.10", "NTLMSSP"},
      {"1.3.6.1.5.5.2", "SPNEGO"},
      {"1.3.6.1.4.1.311.2.2.30", "NEGOEX"},
      {"1.2.840.113554.1.2.2.3", "Kerberos user-to-user"},
  }};
  for (const auto& k : kKnown)
    if (k.oid == oid) return k.name;
  return {};
}

bool gss_framing(Bytes value, GssFraming& out) {
  Der outer(value);
  Tlv app;
  if (!outer.next_if(application_tag(0), app)) return false;
  Der inner(app.content);
  Tlv oid;
  if (!inner.next_if(kDerOid, oid)) return false;
  out.mech_oid = oid_to_string(oid.content);
  out.inner = app.content.subspan(inner.offset());
  return !out.mech_oid.empty();
}

}  // namespace rpctrace::auth::detail
