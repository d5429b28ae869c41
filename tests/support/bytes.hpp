// Byte buffers for the test builders: an append-only writer that knows its integer byte order,
// hex and text helpers, and a seeded PRNG for "random" bytes that are the same on every run.
//
// Test support only: malformed *builder input* (bad hex text, a bad UUID string) throws
// std::invalid_argument; packet bytes are never parsed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace rpctrace::testsupport {

using Bytes = std::vector<std::byte>;

enum class Endian : std::uint8_t { little, big };

class ByteWriter {
 public:
  explicit ByteWriter(Endian order = Endian::little) : order_(order) {}

  [[nodiscard]] Endian order() const { return order_; }
  [[nodiscard]] std::size_t size() const { return out_.size(); }
  [[nodiscard]] const Bytes& view() const { return out_; }
  // Moves the buffer out; the writer is empty afterwards.
  [[nodiscard]] Bytes take();

  ByteWriter& u8(std::uint8_t v);
  // In the writer's order.
  ByteWriter& u16(std::uint16_t v) { return put(v, 2, order_); }
  ByteWriter& u32(std::uint32_t v) { return put(v, 4, order_); }
  ByteWriter& u64(std::uint64_t v) { return put(v, 8, order_); }
  // In a fixed order, whatever the writer's (spec exceptions: towers, network headers).
  ByteWriter& u16_le(std::uint16_t v) { return put(v, 2, Endian::little); }
  ByteWriter& u16_be(std::uint16_t v) { return put(v, 2, Endian::big); }
  ByteWriter& u32_le(std::uint32_t v) { return put(v, 4, Endian::little); }
  ByteWriter& u32_be(std::uint32_t v) { return put(v, 4, Endian::big); }
  ByteWriter& bytes(std::span<const std::byte> b);
  // Characters as octets, no terminator.
  ByteWriter& text(std::string_view s);
  ByteWriter& zeros(std::size_t n);
  // Appends zero octets until (size() - origin) is a multiple of `alignment` (>= 1).
  ByteWriter& align(std::size_t alignment, std::size_t origin = 0);
  // Overwrites an already written field, in the writer's order.
  void patch_u16(std::size_t offset, std::uint16_t v);
  void patch_u32(std::size_t offset, std::uint32_t v);

 private:
  ByteWriter& put(std::uint64_t v, std::size_t width, Endian order);
  void patch(std::size_t offset, std::uint64_t v, std::size_t width);

  Endian order_;
  Bytes out_;
};

// The characters of `s` as octets.
Bytes text_bytes(std::string_view s);
// "05 00 0b 03" or "05000b03": pairs of hex digits, whitespace ignored.
Bytes hex_bytes(std::string_view hex);
Bytes concat(std::initializer_list<std::span<const std::byte>> parts);
// Bytes [offset, offset + length) of `b`, clamped to its end.
Bytes slice(std::span<const std::byte> b, std::size_t offset, std::size_t length);
// Number of zero octets that pad `length` up to a multiple of `alignment`.
std::size_t padding_for(std::size_t length, std::size_t alignment);

// SplitMix64 (Steele, Lea, Flood 2014): a fixed, platform-independent sequence per seed, unlike
// the std:: distributions, whose output the standard leaves to the library.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  Bytes bytes(std::size_t n);

 private:
  std::uint64_t state_;
};

}  // namespace rpctrace::testsupport
