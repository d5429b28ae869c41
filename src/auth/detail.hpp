// Internal to the auth layer: the decoders of each security provider, the ASN.1 DER reader
// that Kerberos and SPNEGO share, and the name text conversions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rpctrace/auth/auth_value.hpp"
#include "rpctrace/common/text.hpp"

namespace rpctrace::auth::detail {

using TokenResult = common::ParseResult<Token, Reason>;

TokenResult decode_ntlmssp(Bytes value);
TokenResult decode_kerberos(Bytes value);
TokenResult decode_kdc_message(Bytes value);
TokenResult decode_netlogon(Bytes value);
AuthResult decode_spnego(Bytes value);

// A mechanism token whose provider is known only from its first octets (inside SPNEGO, or a
// per-message token under auth_type 9): NTLMSSP, Kerberos, or malformed.
TokenResult decode_any_token(Bytes value);

// Names as UTF-8 for reports (common/text.hpp), bounded by kMaxNameOctets.
inline bool utf16le_to_utf8(Bytes in, std::string& out) {
  return common::utf16le_to_text(in, out, kMaxNameOctets);
}
inline bool oem_to_utf8(Bytes in, std::string& out) {
  return common::oem_to_text(in, out, kMaxNameOctets);
}
inline bool utf8_to_text(Bytes in, std::string& out) {
  return common::utf8_to_text(in, out, kMaxNameOctets);
}

// ASN.1 DER (X.690) for Kerberos and SPNEGO: definite lengths only (DER forbids the others),
// low tag numbers only (RFC 4120 and RFC 4178 use none above 30). The decoders follow fixed
// paths into it (no recursion), so nesting is bounded by the code.
struct Tlv {
  std::uint8_t tag = 0;  // the identifier octet: class, constructed bit and number
  Bytes content;
};
class Der {
 public:
  explicit Der(Bytes data) : data_(data) {}
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool at_end() const { return pos_ >= data_.size(); }
  [[nodiscard]] std::size_t offset() const { return pos_; }
  // The next TLV; an empty one with ok() false when it is not well formed.
  Tlv next();
  // The next TLV when it has `tag` (consumed); nothing when another tag comes next.
  bool next_if(std::uint8_t tag, Tlv& out);

 private:
  Bytes data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};
// Context-specific constructed tag [n] (0xa0 + n), and the APPLICATION forms.
constexpr std::uint8_t context_tag(unsigned n) { return static_cast<std::uint8_t>(0xa0 + n); }
constexpr std::uint8_t application_tag(unsigned n) { return static_cast<std::uint8_t>(0x60 + n); }
inline constexpr std::uint8_t kDerInteger = 0x02;
inline constexpr std::uint8_t kDerOctetString = 0x04;
inline constexpr std::uint8_t kDerOid = 0x06;
inline constexpr std::uint8_t kDerEnumerated = 0x0a;
inline constexpr std::uint8_t kDerGeneralString = 0x1b;
inline constexpr std::uint8_t kDerSequence = 0x30;

// The content of the SEQUENCE that `content` starts with (a constructed field's one member).
bool der_sequence(Bytes content, Bytes& body);
// An INTEGER's value when it fits in 32 bits.
bool der_int32(Bytes content, std::int32_t& out);
// An OBJECT IDENTIFIER as dotted decimal ("1.2.840.113554.1.2.2"); empty when malformed.
std::string oid_to_string(Bytes content);
// The mechanism an OID names ("Kerberos", "NTLMSSP", ...), or empty.
std::string_view mechanism_name(std::string_view dotted_oid);

// The GSS-API InitialContextToken framing (RFC 2743 3.1): [APPLICATION 0] { thisMech OID,
// innerContextToken }.
struct GssFraming {
  std::string mech_oid;  // dotted
  Bytes inner;
};
bool gss_framing(Bytes value, GssFraming& out);

}  // namespace rpctrace::auth::detail
