// Uuid: a 16-octet DCE UUID value, stored in the canonical (big-endian, RFC 4122) octet order.
//
// On the wire time_low, time_mid and time_hi_and_version follow the PDU's integer
// representation (C706 appendix A); read_uuid() applies it so stored values compare equal
// whatever the sender's drep.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/octets16.hpp"

namespace rpctrace::common {

struct Uuid {
  std::array<std::uint8_t, 16> octets{};

  friend bool operator==(const Uuid& a, const Uuid& b) {
    return octets16::equal(a.octets, b.octets);
  }
  friend std::strong_ordering operator<=>(const Uuid& a, const Uuid& b) {
    return octets16::compare(a.octets, b.octets);
  }
  [[nodiscard]] bool is_nil() const;
  // 8-4-4-4-12 hex; upper case as Network Monitor and the KB print it, lower case for JSON.
  [[nodiscard]] std::string to_string(bool upper = false) const;
  // Appends the same text to `out` without allocating a string of its own.
  void append_to(std::string& out, bool upper = false) const;
  // Parses "e1af8308-5d1f-11c9-91a4-08002b14a0fa" (either case); nullopt when not a UUID.
  static std::optional<Uuid> parse(std::string_view text);
};

// Reads a UUID whose first three fields follow the reader's byte order.
Uuid read_uuid(ByteReader& r);

struct UuidHash {
  std::size_t operator()(const Uuid& u) const noexcept;
};

}  // namespace rpctrace::common
