// IpAddress and Endpoint: value types for IPv4/IPv6 addresses and address:port pairs.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpctrace/common/octets16.hpp"

namespace rpctrace::common {

struct IpAddress {
  enum class Family : std::uint8_t { v4 = 4, v6 = 6 };
  Family family = Family::v4;
  std::array<std::uint8_t, 16> octets{};  // v4 uses the first 4

  static IpAddress v4(std::uint32_t host_order);
  // As the defaulted operators would (family, then the octets in order), without memcmp.
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family == b.family && octets16::equal(a.octets, b.octets);
  }
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
    if (auto c = a.family <=> b.family; c != 0) return c;
    return octets16::compare(a.octets, b.octets);
  }
  [[nodiscard]] std::string to_string() const;
  // Appends the same text to `out` (no allocation for IPv4).
  void append_to(std::string& out) const;
  static std::optional<IpAddress> parse(std::string_view text);
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  // "10.1.1.2:135" or "[2001:db8::1]:135"
  [[nodiscard]] std::string to_string() const;
};

// Capture timestamp: seconds and microseconds since the epoch, from the capture file.
struct Timestamp {
  std::int64_t sec = 0;
  std::int32_t usec = 0;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
  [[nodiscard]] std::int64_t micros() const { return sec * 1000000 + usec; }
  // "2026-11-24T23:08:34.123456Z"
  [[nodiscard]] std::string to_iso8601() const;
};

// Microseconds as seconds with six decimals: "0.001234", "-0.000010".
std::string format_seconds(std::int64_t us);

// Formats timestamps as to_iso8601() does, caching the date and time of the last second seen:
// the JSON writer formats one per record, and consecutive records share their second.
class TimestampFormatter {
 public:
  void append(std::string& out, Timestamp ts);

 private:
  bool cached_ = false;
  std::int64_t cached_sec_ = 0;
  std::string prefix_;  // "2026-11-24T23:08:34."
};

}  // namespace rpctrace::common
