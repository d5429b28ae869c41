// Fuzz target: the auth verifier decoders (NTLMSSP, Kerberos, SPNEGO, Netlogon) and the KDC
// message decoder (port 88). The first octet picks the auth_type, or (255) the KDC decoder.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rpctrace/auth/auth_value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr std::array<std::uint8_t, 5> kTypes{9, 10, 16, 68, 0};
  if (size == 0) return 0;
  auto value = std::as_bytes(std::span(data + 1, size - 1));
  if (data[0] == 255) {
    auto k = rpctrace::auth::decode_kdc_message(value);
    if (k.is_complete() && (k.value().realm.size() > rpctrace::auth::kMaxNameOctets ||
                            k.value().service.size() > rpctrace::auth::kMaxNameOctets))
      __builtin_trap();
    return 0;
  }
  auto r = rpctrace::auth::decode_auth_value(kTypes[data[0] % kTypes.size()], value);
  if (r.is_complete() && r.value().token) {
    const auto& t = *r.value().token;
    for (const auto* s : {&t.domain, &t.user, &t.workstation, &t.realm, &t.service})
      if (s->size() > rpctrace::auth::kMaxNameOctets) __builtin_trap();
  }
  return 0;
}
