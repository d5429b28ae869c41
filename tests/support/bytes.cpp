// Byte buffers for the test builders (see bytes.hpp).
#include "support/bytes.hpp"

#include <algorithm>
#include <stdexcept>

namespace rpctrace::testsupport {

Bytes ByteWriter::take() {
  Bytes out = std::move(out_);
  out_.clear();
  return out;
}

ByteWriter& ByteWriter::u8(std::uint8_t v) {
  out_.push_back(std::byte{v});
  return *this;
}

ByteWriter& ByteWriter::put(std::uint64_t v, std::size_t width, Endian order) {
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t shift = order == Endian::little ? i * 8 : (width - 1 - i) * 8;
    out_.push_back(static_cast<std::byte>((v >> shift) & 0xffU));
  }
  return *this;
}

void ByteWriter::patch(std::size_t offset, std::uint64_t v, std::size_t width) {
  if (width > out_.size() || offset > out_.size() - width) {
    throw std::invalid_argument("ByteWriter::patch past the end");
  }
  for (std::size_t i = 0; i < width; ++i) {
    const std::size_t shift = order_ == Endian::little ? i * 8 : (width - 1 - i) * 8;
    out_[offset + i] = static_cast<std::byte>((v >> shift) & 0xffU);
  }
}

void ByteWriter::patch_u16(std::size_t offset, std::uint16_t v) { patch(offset, v, 2); }
void ByteWriter::patch_u32(std::size_t offset, std::uint32_t v) { patch(offset, v, 4); }

ByteWriter& ByteWriter::bytes(std::span<const std::byte> b) {
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}

ByteWriter& ByteWriter::text(std::string_view s) {
  for (char c : s) out_.push_back(static_cast<std::byte>(c));
  return *this;
}

ByteWriter& ByteWriter::zeros(std::size_t n) {
  out_.insert(out_.end(), n, std::byte{0});
  return *this;
}

ByteWriter& ByteWriter::align(std::size_t alignment, std::size_t origin) {
  if (origin > out_.size()) throw std::invalid_argument("ByteWriter::align origin past the end");
  return zeros(padding_for(out_.size() - origin, alignment));
}

Bytes text_bytes(std::string_view s) { return ByteWriter{}.text(s).take(); }

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Bytes hex_bytes(std::string_view hex) {
  Bytes out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    const int v = hex_value(c);
    if (v < 0) throw std::invalid_argument("hex_bytes: not a hex digit");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::byte>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("hex_bytes: odd number of digits");
  return out;
}

Bytes concat(std::initializer_list<std::span<const std::byte>> parts) {
  Bytes out;
  for (auto part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes slice(std::span<const std::byte> b, std::size_t offset, std::size_t length) {
  if (offset >= b.size()) return {};
  const std::size_t n = std::min(length, b.size() - offset);
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(offset),
               b.begin() + static_cast<std::ptrdiff_t>(offset + n));
}

std::size_t padding_for(std::size_t length, std::size_t alignment) {
  if (alignment == 0) throw std::invalid_argument("padding_for: alignment 0");
  return (alignment - length % alignment) % alignment;
}

std::uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Bytes SplitMix64::bytes(std::size_t n) {
  Bytes out;
  out.reserve(n);
  while (out.size() < n) {
    std::uint64_t v = next();
    for (int i = 0; i < 8 && out.size() < n; ++i, v >>= 8) {
      out.push_back(static_cast<std::byte>(v & 0xffU));
    }
  }
  return out;
}

}  // namespace rpctrace::testsupport
