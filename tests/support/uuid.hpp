// DCE UUIDs and presentation syntax identifiers for the test builders (C706 appendix A).
//
// A Uuid keeps the RFC 4122 fields; write() puts time_low, time_mid and time_hi_and_version in
// the writer's integer order (NDR follows the PDU's drep, C706 §14.2), write_le() always
// little-endian (tower floors, C706 appendix L). The other 8 octets are never swapped.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/bytes.hpp"

namespace rpctrace::testsupport {

struct Uuid {
  std::uint32_t time_low = 0;
  std::uint16_t time_mid = 0;
  std::uint16_t time_hi_and_version = 0;
  // clock_seq_hi_and_reserved, clock_seq_low, node[6]
  std::array<std::uint8_t, 8> clock_seq_and_node{};

  friend bool operator==(const Uuid&, const Uuid&) = default;

  // "e1af8308-5d1f-11c9-91a4-08002b14a0fa", either case. Throws std::invalid_argument on any
  // other text (a compile error when used in a constant expression).
  static constexpr Uuid parse(std::string_view text);

  void write(ByteWriter& w) const;
  void write_le(ByteWriter& w) const;
  // 8-4-4-4-12, lower case.
  [[nodiscard]] std::string to_string() const;
};

// An interface or transfer syntax: UUID plus version (C706 §12.6.3.1 p_syntax_id_t).
struct SyntaxId {
  Uuid uuid;
  std::uint16_t major = 0;
  std::uint16_t minor = 0;

  friend bool operator==(const SyntaxId&, const SyntaxId&) = default;
  // uuid then if_version as one u32 = major | minor << 16, both in the writer's order.
  void write(ByteWriter& w) const;
};

constexpr Uuid Uuid::parse(std::string_view text) {
  // 36 characters with dashes at 8, 13, 18 and 23.
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    throw std::invalid_argument("Uuid::parse: not 8-4-4-4-12");
  }
  auto nibble = [](char c) -> std::uint32_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint32_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint32_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint32_t>(c - 'A' + 10);
    throw std::invalid_argument("Uuid::parse: not a hex digit");
  };
  auto field = [&](std::size_t pos, std::size_t digits) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < digits; ++i) v = v * 16 + nibble(text[pos + i]);
    return v;
  };
  Uuid u;
  u.time_low = field(0, 8);
  u.time_mid = static_cast<std::uint16_t>(field(9, 4));
  u.time_hi_and_version = static_cast<std::uint16_t>(field(14, 4));
  u.clock_seq_and_node[0] = static_cast<std::uint8_t>(field(19, 2));
  u.clock_seq_and_node[1] = static_cast<std::uint8_t>(field(21, 2));
  for (std::size_t i = 0; i < 6; ++i) {
    u.clock_seq_and_node[2 + i] = static_cast<std::uint8_t>(field(24 + 2 * i, 2));
  }
  return u;
}

inline constexpr Uuid kNilUuid{};
// NDR transfer syntax: C706 appendix I (transfer syntax identifiers), used as v2.0 on the wire.
inline constexpr SyntaxId kNdrSyntax{Uuid::parse("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2, 0};
// NDR64, MS-RPCE §2.2.5.
inline constexpr SyntaxId kNdr64Syntax{Uuid::parse("71710533-beba-4937-8319-b5dbef9ccc36"), 1, 0};
// Bind time feature negotiation, MS-RPCE §3.3.1.5.3: the 4th group carries the bitmask
// (here 0x0003: security context multiplexing + keep connection on orphan).
inline constexpr SyntaxId kBindTimeFeatureNegotiation{
    Uuid::parse("6cb71c2c-9812-4540-0300-000000000000"), 1, 0};
// The endpoint mapper's interface (ept), C706 appendix O; MS-RPCE §2.2.1.2.
inline constexpr SyntaxId kEpmInterface{Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), 3, 0};

}  // namespace rpctrace::testsupport
