// DCE UUIDs for the test builders (see uuid.hpp).
#include "support/uuid.hpp"

#include <fmt/format.h>

namespace rpctrace::testsupport {

void Uuid::write(ByteWriter& w) const {
  w.u32(time_low).u16(time_mid).u16(time_hi_and_version);
  for (std::uint8_t b : clock_seq_and_node) w.u8(b);
}

void Uuid::write_le(ByteWriter& w) const {
  w.u32_le(time_low).u16_le(time_mid).u16_le(time_hi_and_version);
  for (std::uint8_t b : clock_seq_and_node) w.u8(b);
}

std::string Uuid::to_string() const {
  const auto& n = clock_seq_and_node;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                     time_low, time_mid, time_hi_and_version, n[0], n[1], n[2], n[3], n[4], n[5],
                     n[6], n[7]);
}

void SyntaxId::write(ByteWriter& w) const {
  uuid.write(w);
  w.u32(static_cast<std::uint32_t>(major) | (static_cast<std::uint32_t>(minor) << 16));
}

}  // namespace rpctrace::testsupport
