// ByteReader: the one way every parser in rpctrace reads packet bytes.
//
// It knows its position, its end and its integer byte order. Every read checks the remaining
// length first; once a read fails the reader stays failed and every later read returns zero,
// so a run of reads needs a single ok() check at the end (the CodedInputStream pattern).
// Length fields become sub-readers (sub()), so no parser can read into its neighbour.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace rpctrace::common {

using Bytes = std::span<const std::byte>;

enum class ByteOrder : std::uint8_t { big, little };

class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(Bytes data, ByteOrder order = ByteOrder::little)
      : data_(data), order_(order) {}

  [[nodiscard]] bool ok() const { return !failed_; }
  [[nodiscard]] std::size_t position() const { return pos_; }
  [[nodiscard]] std::size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  [[nodiscard]] std::size_t size() const { return data_.size(); }
  [[nodiscard]] ByteOrder order() const { return order_; }
  void set_order(ByteOrder order) { order_ = order; }
  // Marks the reader failed without reading (a value read was out of its allowed range).
  void fail() { failed_ = true; }

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint16_t u16() { return u16(order_); }
  std::uint32_t u32() { return u32(order_); }
  std::uint64_t u64() { return u64(order_); }
  std::uint16_t u16(ByteOrder order) { return static_cast<std::uint16_t>(read_uint(2, order)); }
  std::uint32_t u32(ByteOrder order) { return static_cast<std::uint32_t>(read_uint(4, order)); }
  std::uint64_t u64(ByteOrder order) { return read_uint(8, order); }
  std::uint16_t u16be() { return u16(ByteOrder::big); }
  std::uint32_t u32be() { return u32(ByteOrder::big); }
  std::uint16_t u16le() { return u16(ByteOrder::little); }
  std::uint32_t u32le() { return u32(ByteOrder::little); }

  // A view of the next n bytes; empty (and the reader failed) when fewer remain.
  Bytes bytes(std::size_t n) {
    if (!need(n)) return {};
    Bytes out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  template <std::size_t N>
  std::array<std::byte, N> array() {
    std::array<std::byte, N> out{};
    Bytes b = bytes(N);
    for (std::size_t i = 0; i < b.size(); ++i) out[i] = b[i];
    return out;
  }
  void skip(std::size_t n) { (void)bytes(n); }
  // Advances to the next multiple of `alignment` counted from the start of this reader.
  void align(std::size_t alignment) {
    if (alignment == 0 || failed_) return;
    std::size_t rem = pos_ % alignment;
    if (rem != 0) skip(alignment - rem);
  }
  // A reader over the next n bytes, with the same byte order; this reader moves past them.
  ByteReader sub(std::size_t n) {
    Bytes b = bytes(n);
    ByteReader r(b, order_);
    if (failed_) r.failed_ = true;
    return r;
  }
  // Everything not yet read.
  [[nodiscard]] Bytes rest() const { return failed_ ? Bytes{} : data_.subspan(pos_); }
  [[nodiscard]] Bytes whole() const { return data_; }

 private:
  bool need(std::size_t n) {
    if (failed_) return false;
    if (n > data_.size() - pos_) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::uint64_t read_uint(std::size_t n, ByteOrder order) {
    if (!need(n)) return 0;
    std::uint64_t v = 0;
    if (order == ByteOrder::big) {
      for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<std::uint8_t>(data_[pos_ + i]);
    } else {
      for (std::size_t i = n; i > 0; --i)
        v = (v << 8) | static_cast<std::uint8_t>(data_[pos_ + i - 1]);
    }
    pos_ += n;
    return v;
  }

  Bytes data_{};
  std::size_t pos_ = 0;
  ByteOrder order_ = ByteOrder::little;
  bool failed_ = false;
};

}  // namespace rpctrace::common
