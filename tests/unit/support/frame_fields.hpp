// Test-local decoding of the frames the builders make (Ethernet, optional VLAN tags, IPv4 or
// IPv6 without extension headers, TCP), so tests can assert on seq/ack/flags/window/payload.
// Bounds-checked with .at(): a wrong frame fails the test with an exception, never reads past.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "support/bytes.hpp"

namespace rpctrace::testsupport {

struct TcpFields {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::size_t header_length = 0;
  Bytes payload;
};

inline std::uint32_t be_at(std::span<const std::byte> b, std::size_t offset, std::size_t width) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    if (offset + i >= b.size()) throw std::out_of_range("frame too short");
    v = (v << 8) | std::to_integer<std::uint32_t>(b[offset + i]);
  }
  return v;
}

// Offset of the IP header in an Ethernet frame, skipping any 802.1Q/802.1ad tags.
inline std::size_t ethernet_payload_offset(std::span<const std::byte> frame) {
  std::size_t off = 12;
  while (be_at(frame, off, 2) == 0x8100 || be_at(frame, off, 2) == 0x88a8) off += 4;
  return off + 2;
}

inline TcpFields tcp_fields_at(std::span<const std::byte> frame, std::size_t ip_offset) {
  const bool v6 = (be_at(frame, ip_offset, 1) >> 4) == 6;
  const std::size_t tcp = ip_offset + (v6 ? 40 : (be_at(frame, ip_offset, 1) & 0x0f) * 4);
  TcpFields f;
  f.src_port = static_cast<std::uint16_t>(be_at(frame, tcp, 2));
  f.dst_port = static_cast<std::uint16_t>(be_at(frame, tcp + 2, 2));
  f.seq = be_at(frame, tcp + 4, 4);
  f.ack = be_at(frame, tcp + 8, 4);
  f.header_length = (be_at(frame, tcp + 12, 1) >> 4) * 4;
  f.flags = static_cast<std::uint8_t>(be_at(frame, tcp + 13, 1));
  f.window = static_cast<std::uint16_t>(be_at(frame, tcp + 14, 2));
  f.payload = slice(frame, tcp + f.header_length, frame.size());
  return f;
}

inline TcpFields tcp_fields(std::span<const std::byte> ethernet_frame) {
  return tcp_fields_at(ethernet_frame, ethernet_payload_offset(ethernet_frame));
}

}  // namespace rpctrace::testsupport
