// Sixteen octets (a UUID, an IPv6 address) compared as two 64-bit halves instead of with a call
// to memcmp: the flow look-up of every frame, the interface checks of every PDU and the names
// tables' binary searches compare them (memcmp was 5 % of a JSON Lines run).
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>

namespace rpctrace::common::octets16 {

using Octets = std::array<std::uint8_t, 16>;

// Octets [at, at + 8) as loaded: for equality.
inline std::uint64_t half(const Octets& o, std::size_t at) {
  std::uint64_t v;
  std::memcpy(&v, o.data() + at, sizeof v);
  return v;
}

// The same as a big-endian integer: ordered as the octets are.
inline std::uint64_t ordered_half(const Octets& o, std::size_t at) {
  const std::uint64_t v = half(o, at);
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
  return v;
}

inline bool equal(const Octets& a, const Octets& b) {
  return half(a, 0) == half(b, 0) && half(a, 8) == half(b, 8);
}

// Lexicographic order of the octets, as std::array's operator<=> gives it.
inline std::strong_ordering compare(const Octets& a, const Octets& b) {
  if (auto c = ordered_half(a, 0) <=> ordered_half(b, 0); c != 0) return c;
  return ordered_half(a, 8) <=> ordered_half(b, 8);
}

}  // namespace rpctrace::common::octets16
