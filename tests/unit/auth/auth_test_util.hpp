// Test helpers for the auth decoders: DER TLVs built by hand (so the tests do not share the
// decoder's reading of X.690), OIDs as their content octets, and the decode call.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "rpctrace/auth/auth_value.hpp"
#include "support/bytes.hpp"

namespace rpctrace::authtest {

using testsupport::Bytes;

// A TLV with a definite length, long form from 128 octets on (X.690 8.1.3).
inline Bytes der(std::uint8_t tag, const Bytes& content) {
  Bytes out{std::byte{tag}};
  std::size_t n = content.size();
  if (n < 128) {
    out.push_back(static_cast<std::byte>(n));
  } else if (n < 256) {
    out.push_back(std::byte{0x81});
    out.push_back(static_cast<std::byte>(n));
  } else {
    out.push_back(std::byte{0x82});
    out.push_back(static_cast<std::byte>(n >> 8));
    out.push_back(static_cast<std::byte>(n & 0xff));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes octets(std::initializer_list<unsigned> v) {
  Bytes out;
  for (unsigned x : v) out.push_back(static_cast<std::byte>(x));
  return out;
}

// OID content octets (X.690 8.19), written out from the dotted forms in the comments.
inline const Bytes kOidKrb5 = octets({0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02});
inline const Bytes kOidMsKrb5 = octets({0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02});
inline const Bytes kOidNtlm = octets({0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a});
inline const Bytes kOidSpnego = octets({0x2b, 0x06, 0x01, 0x05, 0x05, 0x02});
inline const Bytes kOidKrb5U2U =
    octets({0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x03});

inline Bytes general_string(std::string_view s) { return der(0x1b, testsupport::text_bytes(s)); }
inline Bytes integer(unsigned v) { return der(0x02, octets({v})); }
inline Bytes ctx(unsigned n, const Bytes& content) {
  return der(static_cast<std::uint8_t>(0xa0 + n), content);
}
inline Bytes seq(std::initializer_list<Bytes> parts) { return der(0x30, cat(parts)); }

// PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF GeneralString }
inline Bytes principal(std::initializer_list<std::string_view> parts) {
  Bytes names;
  for (auto p : parts) {
    Bytes s = general_string(p);
    names.insert(names.end(), s.begin(), s.end());
  }
  return seq({ctx(0, integer(2)), ctx(1, der(0x30, names))});
}

inline auth::AuthValue decode_ok(std::uint8_t auth_type, const Bytes& value) {
  auto r = auth::decode_auth_value(auth_type, value);
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : std::string("?"));
  return r.is_complete() ? r.take() : auth::AuthValue{};
}

inline auth::Reason decode_fails(std::uint8_t auth_type, const Bytes& value) {
  auto r = auth::decode_auth_value(auth_type, value);
  EXPECT_TRUE(r.is_malformed());
  return r.is_malformed() ? r.error().reason : auth::Reason::count_;
}

}  // namespace rpctrace::authtest
