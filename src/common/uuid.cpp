// Uuid formatting, parsing and the drep-aware wire reader (C706 appendix A).
#include "rpctrace/common/uuid.hpp"

#include <fmt/format.h>

namespace rpctrace::common {

bool Uuid::is_nil() const {
  for (auto o : octets)
    if (o != 0) return false;
  return true;
}

void Uuid::append_to(std::string& out, bool upper) const {
  // Hand-written: this runs for every PDU of the JSON output.
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char text[36];
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[pos++] = '-';
    text[pos++] = hex[octets[i] >> 4];
    text[pos++] = hex[octets[i] & 15];
  }
  out.append(text, sizeof text);
}

std::string Uuid::to_string(bool upper) const {
  std::string out;
  append_to(out, upper);
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid u;
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0 || out >= 16) return std::nullopt;
    u.octets[out++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return out == 16 ? std::optional<Uuid>(u) : std::nullopt;
}

Uuid read_uuid(ByteReader& r) {
  Uuid u;
  std::uint32_t time_low = r.u32();
  std::uint16_t time_mid = r.u16();
  std::uint16_t time_hi_and_version = r.u16();
  auto tail = r.array<8>();
  if (!r.ok()) return Uuid{};
  u.octets[0] = static_cast<std::uint8_t>(time_low >> 24);
  u.octets[1] = static_cast<std::uint8_t>(time_low >> 16);
  u.octets[2] = static_cast<std::uint8_t>(time_low >> 8);
  u.octets[3] = static_cast<std::uint8_t>(time_low);
  u.octets[4] = static_cast<std::uint8_t>(time_mid >> 8);
  u.octets[5] = static_cast<std::uint8_t>(time_mid);
  u.octets[6] = static_cast<std::uint8_t>(time_hi_and_version >> 8);
  u.octets[7] = static_cast<std::uint8_t>(time_hi_and_version);
  for (std::size_t i = 0; i < 8; ++i) u.octets[8 + i] = static_cast<std::uint8_t>(tail[i]);
  return u;
}

std::size_t UuidHash::operator()(const Uuid& u) const noexcept {
  // FNV-1a over the 16 octets: UUIDs are already well mixed, this only folds them.
  std::size_t h = 1469598103934665603ull;
  for (auto o : u.octets) {
    h ^= o;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace rpctrace::common
