// Test-local frame pieces for the pcap layer's tests: one TCP segment in every encapsulation,
// and the headers the support builders do not make (IPv4 options, IPv6 routing/AH/mobility
// headers, big-endian NULL headers), written field by field with ByteWriter.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "rpctrace/common/address.hpp"
#include "rpctrace/pcap/packet.hpp"
#include "support/bytes.hpp"
#include "support/packet_builder.hpp"

namespace rpctrace::pcap::testframes {

namespace ts = testsupport;
using Buffer = ts::Bytes;

inline ts::IpAddress client4() { return ts::IpAddress::parse("10.0.0.1"); }
inline ts::IpAddress server4() { return ts::IpAddress::parse("10.0.0.2"); }
inline ts::IpAddress client6() { return ts::IpAddress::parse("fd00::1"); }
inline ts::IpAddress server6() { return ts::IpAddress::parse("fd00::2"); }

// The segment every test sends: 40000 -> 135, seq 1000, ack 2000, PSH|ACK, window 8192.
inline ts::TcpSegment segment(std::string_view payload = "hello") {
  ts::TcpSegment s;
  s.src_port = 40000;
  s.dst_port = 135;
  s.seq = 1000;
  s.ack = 2000;
  s.flags = ts::kTcpAck | ts::kTcpPsh;
  s.window = 8192;
  s.payload = ts::text_bytes(payload);
  return s;
}

inline Buffer tcp4(const ts::TcpSegment& s = segment()) {
  return ts::build_tcp(s, client4(), server4());
}
inline Buffer tcp6(const ts::TcpSegment& s = segment()) {
  return ts::build_tcp(s, client6(), server6());
}
inline Buffer ip4(const ts::TcpSegment& s = segment()) {
  return ts::build_ip(client4(), server4(), ts::kIpProtoTcp, tcp4(s));
}
inline Buffer ip6(const ts::TcpSegment& s = segment()) {
  return ts::build_ip(client6(), server6(), ts::kIpProtoTcp, tcp6(s));
}

// RFC 791 §3.1 header with `options` (a multiple of 4 octets); total length computed unless
// given. Checksum left 0: the decoder does not validate it.
inline Buffer ipv4_with_options(const Buffer& options, const Buffer& payload,
                                std::uint8_t protocol = ts::kIpProtoTcp,
                                std::optional<std::uint16_t> total_length = {}) {
  ts::ByteWriter w(ts::Endian::big);
  const auto ihl = static_cast<std::uint8_t>((20 + options.size()) / 4);
  w.u8(static_cast<std::uint8_t>(0x40 | ihl)).u8(0);
  w.u16(total_length.value_or(static_cast<std::uint16_t>(20 + options.size() + payload.size())));
  w.u16(0).u16(0x4000).u8(64).u8(protocol).u16(0);
  w.u32(0x0a000001).u32(0x0a000002).bytes(options).bytes(payload);
  return w.take();
}

// RFC 8200 §3 fixed header with `first_next_header`; `rest` is every extension header and the
// upper-layer packet. Payload length computed unless given.
inline Buffer ipv6_packet(std::uint8_t first_next_header, const Buffer& rest,
                          std::optional<std::uint16_t> payload_length = {}) {
  ts::ByteWriter w(ts::Endian::big);
  w.u32(6u << 28).u16(payload_length.value_or(static_cast<std::uint16_t>(rest.size())));
  w.u8(first_next_header).u8(64);
  const ts::IpAddress src = client6(), dst = server6();  // octets() views into them
  for (std::uint8_t b : src.octets()) w.u8(b);
  for (std::uint8_t b : dst.octets()) w.u8(b);
  w.bytes(rest);
  return w.take();
}

// RFC 8200 §4.3-§4.4 style header (hop-by-hop, routing, destination options; also mobility,
// HIP, shim6): next header, length in 8-octet units not counting the first 8, zeros.
inline Buffer ext8(std::uint8_t next_header, std::size_t total_octets) {
  ts::ByteWriter w(ts::Endian::big);
  w.u8(next_header).u8(static_cast<std::uint8_t>(total_octets / 8 - 1)).zeros(total_octets - 2);
  return w.take();
}
// RFC 4302 §2.2: AH payload length is in 4-octet units, minus 2.
inline Buffer ext_ah(std::uint8_t next_header, std::size_t total_octets) {
  ts::ByteWriter w(ts::Endian::big);
  w.u8(next_header).u8(static_cast<std::uint8_t>(total_octets / 4 - 2)).zeros(total_octets - 2);
  return w.take();
}
// RFC 8200 §4.5: fragment offset in 8-octet units << 3, M flag in bit 0.
inline Buffer ext_fragment(std::uint8_t next_header, std::uint16_t offset_units, bool more) {
  ts::ByteWriter w(ts::Endian::big);
  w.u8(next_header).u8(0).u16(static_cast<std::uint16_t>(offset_units << 3 | (more ? 1 : 0)));
  w.u32(0x1234);
  return w.take();
}

inline Buffer u32_be(std::uint32_t v) { return ts::ByteWriter(ts::Endian::big).u32(v).take(); }
inline Buffer u32_le(std::uint32_t v) { return ts::ByteWriter(ts::Endian::little).u32(v).take(); }

inline ts::LinkHeader vlans(std::initializer_list<std::uint16_t> tpids) {
  ts::LinkHeader h;
  std::uint16_t vid = 100;
  for (std::uint16_t t : tpids) h.vlans.push_back(ts::VlanTag{t, 0, vid++});
  return h;
}

inline std::string text(common::Bytes b) {
  std::string s;
  for (std::byte x : b) s += static_cast<char>(x);
  return s;
}

inline DecodeOutcome decode(int link_type, const Buffer& frame) {
  return decode_frame(link_type, common::Bytes(frame));
}

inline void set_u8(Buffer& b, std::size_t offset, std::uint8_t v) { b.at(offset) = std::byte{v}; }
inline void set_u16(Buffer& b, std::size_t offset, std::uint16_t v) {
  b.at(offset) = static_cast<std::byte>(v >> 8);
  b.at(offset + 1) = static_cast<std::byte>(v & 0xff);
}

}  // namespace rpctrace::pcap::testframes
