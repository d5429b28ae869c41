// Link, IP and TCP header decoding: one captured frame in, one TCP segment view (or a skip
// reason) out. Pure: no I/O, no state, no allocation.
//
// Link types: Ethernet (with 802.1Q / 802.1ad / QinQ tags), Linux cooked SLL and SLL2, raw IP,
// BSD loopback (DLT_NULL, host byte order) and OpenBSD loopback (DLT_LOOP, network order),
// LINKTYPE_IPV4 / LINKTYPE_IPV6. IPv4 (RFC 791) and IPv6 (RFC 8200, extension headers skipped).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::pcap {

using common::Bytes;

// Why a frame did not yield a TCP segment. Closed set; every value is counted and named in the
// closing statistics.
enum class SkipReason : std::uint8_t {
  unknown_link_type,  // the capture's link type is not one we decode
  truncated_link,     // snap length cut the frame inside the link-layer header
  non_ip,             // link-layer payload is not IPv4/IPv6 (ARP, LLC, ...)
  truncated_ip,       // snap length cut the frame inside the IP header
  bad_ip_header,      // IP version/header length/total length inconsistent
  ip_fragment,        // IP fragment (not reassembled)
  udp,                // UDP datagram no adapter takes (Kerberos on 88, connectionless DCE/RPC)
  other_transport,    // ICMP and every other IP protocol
  truncated_tcp,      // snap length cut the frame inside the TCP header
  bad_tcp_header,     // TCP data offset < 5 or past the end of the IP payload
  count_
};
inline constexpr std::size_t kSkipReasonCount = static_cast<std::size_t>(SkipReason::count_);
std::string_view to_string(SkipReason r);
std::string_view describe(SkipReason r);

// TCP flag bits (RFC 9293 §3.1).
namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10,
                              urg = 0x20, ece = 0x40, cwr = 0x80;
}

// A decoded TCP segment. A View: its payload points into the frame buffer and lives only
// until the next frame is read.
struct TcpSegmentView {
  common::IpAddress src, dst;
  std::uint16_t src_port = 0, dst_port = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;
  std::uint8_t flags = 0;
  std::uint8_t header_length = 0;    // TCP header incl. options, octets
  Bytes payload;                     // the captured payload bytes
  std::uint32_t payload_length = 0;  // payload length on the wire (>= payload.size())
  // The IPv4 TTL or IPv6 hop limit: a reset whose TTL differs from its sender's other
  // packets came from another device on the path (diagnose).
  std::uint8_t ttl = 0;
  [[nodiscard]] bool payload_truncated() const { return payload.size() < payload_length; }
};

// A decoded UDP datagram (RFC 768). A View, like TcpSegmentView.
struct UdpDatagramView {
  common::IpAddress src, dst;
  std::uint16_t src_port = 0, dst_port = 0;
  Bytes payload;                     // the captured payload bytes
  std::uint32_t payload_length = 0;  // from the UDP length field (>= payload.size())
  std::uint8_t ttl = 0;
  [[nodiscard]] bool payload_truncated() const { return payload.size() < payload_length; }
};

// What a frame carried up to the transport layer: a TCP segment, a UDP datagram, or nothing
// decoded (then a SkipReason says why).
enum class Carrier : std::uint8_t { none, tcp, udp };

struct DecodeOutcome {
  Carrier carrier = Carrier::none;
  SkipReason reason = SkipReason::unknown_link_type;  // when carrier is none
  std::string detail;  // short text naming the field/value, set only for bad headers
  TcpSegmentView segment;
  UdpDatagramView datagram;
};

// `link_type` is libpcap's DLT value (pcap_datalink()); `data` the captured bytes.
DecodeOutcome decode_frame(int link_type, Bytes data);

// True when `link_type` is one decode_frame understands.
bool is_supported_link_type(int link_type);

}  // namespace rpctrace::pcap
