// decode_frame(): link layer -> IPv4/IPv6 -> TCP, through one ByteReader per header.
//
// Link-layer layouts: Ethernet II / IEEE 802.1Q (VLAN tags 0x8100, 0x88a8, 0x9100), Linux
// cooked capture v1 (16 octets, protocol at offset 14) and v2 (20 octets, protocol at offset 0),
// BSD loopback (4-octet address family in the capturing host's byte order), OpenBSD DLT_LOOP
// (family in network order). IPv4: RFC 791; IPv6: RFC 8200 §4 extension header chain.
#include <fmt/format.h>

#include "rpctrace/pcap/limits.hpp"
#include "rpctrace/pcap/packet.hpp"

namespace rpctrace::pcap {

namespace {

using common::ByteOrder;
using common::ByteReader;

// libpcap DLT_* values (pcap/dlt.h). DLT_RAW is 12 on most systems, 14 on OpenBSD, and
// LINKTYPE_RAW (101) in files; libpcap maps the file's value to the DLT, so accept all three.
constexpr int kDltNull = 0, kDltEn10mb = 1, kDltRaw = 12, kDltRawOpenBsd = 14, kLinktypeRaw = 101,
              kDltLoop = 108, kDltLinuxSll = 113, kDltIpv4 = 228, kDltIpv6 = 229,
              kDltLinuxSll2 = 276;

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeIpv6 = 0x86dd, kEtherTypeVlan = 0x8100,
                        kEtherTypeQinQ = 0x88a8, kEtherTypeQinQOld = 0x9100;
constexpr std::uint8_t kIpProtoTcp = 6, kIpProtoUdp = 17;

enum class NetLayer { ipv4, ipv6, other, truncated };

DecodeOutcome skip(SkipReason r, std::string detail = {}) {
  DecodeOutcome o;
  o.carrier = Carrier::none;
  o.reason = r;
  o.detail = std::move(detail);
  return o;
}

NetLayer from_ethertype(std::uint16_t t) {
  if (t == kEtherTypeIpv4) return NetLayer::ipv4;
  if (t == kEtherTypeIpv6) return NetLayer::ipv6;
  return NetLayer::other;
}

// Address families seen in loopback headers: AF_INET is 2 everywhere; AF_INET6 is 10 (Linux),
// 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
NetLayer from_family(std::uint32_t family) {
  if (family == 2) return NetLayer::ipv4;
  if (family == 10 || family == 24 || family == 28 || family == 30) return NetLayer::ipv6;
  return NetLayer::other;
}

// Strips the link-layer header; returns which network layer follows.
NetLayer strip_link(int link_type, ByteReader& r) {
  switch (link_type) {
    case kDltEn10mb: {
      r.skip(12);  // destination and source MAC
      std::uint16_t type = r.u16be();
      for (std::size_t tags = 0; r.ok() && (type == kEtherTypeVlan || type == kEtherTypeQinQ ||
                                            type == kEtherTypeQinQOld);
           ++tags) {
        if (tags == kMaxVlanTags) return NetLayer::other;
        r.skip(2);  // tag control information
        type = r.u16be();
      }
      if (!r.ok()) return NetLayer::truncated;
      return from_ethertype(type);
    }
    case kDltLinuxSll: {
      r.skip(14);
      std::uint16_t type = r.u16be();
      if (!r.ok()) return NetLayer::truncated;
      return from_ethertype(type);
    }
    case kDltLinuxSll2: {
      std::uint16_t type = r.u16be();
      r.skip(18);
      if (!r.ok()) return NetLayer::truncated;
      return from_ethertype(type);
    }
    case kDltNull: {
      // Host byte order of the machine that captured: a family value fits in the low octets,
      // so a value above 0xFFFF means the other order.
      std::uint32_t family = r.u32le();
      if (!r.ok()) return NetLayer::truncated;
      if (family > 0xFFFF) family = __builtin_bswap32(family);
      return from_family(family);
    }
    case kDltLoop: {
      std::uint32_t family = r.u32be();
      if (!r.ok()) return NetLayer::truncated;
      return from_family(family);
    }
    case kDltRaw:
    case kDltRawOpenBsd:
    case kLinktypeRaw: {
      Bytes rest = r.rest();
      if (rest.empty()) return NetLayer::truncated;
      auto version = static_cast<std::uint8_t>(rest[0]) >> 4;
      if (version == 4) return NetLayer::ipv4;
      if (version == 6) return NetLayer::ipv6;
      return NetLayer::other;
    }
    case kDltIpv4:
      return NetLayer::ipv4;
    case kDltIpv6:
      return NetLayer::ipv6;
    default:
      return NetLayer::other;
  }
}

// Parses the UDP header from `r` (exactly the IP payload as captured); `wire_length` is the IP
// payload length on the wire. A header cut short or inconsistent is a UDP datagram no
// adapter can read: skipped as udp, as every other datagram no adapter takes.
DecodeOutcome decode_udp(ByteReader r, std::uint32_t wire_length, const common::IpAddress& src,
                         const common::IpAddress& dst, std::uint8_t ttl) {
  DecodeOutcome o;
  UdpDatagramView& u = o.datagram;
  u.src = src;
  u.dst = dst;
  u.src_port = r.u16be();
  u.dst_port = r.u16be();
  const std::uint16_t length = r.u16be();
  r.skip(2);  // checksum
  if (!r.ok() || length < 8 || length > wire_length) return skip(SkipReason::udp);
  u.payload_length = length - 8u;
  u.payload = r.bytes(std::min<std::size_t>(r.remaining(), u.payload_length));
  u.ttl = ttl;
  o.carrier = Carrier::udp;
  return o;
}

// Parses the TCP header from `r` (exactly the IP payload as captured); `wire_length` is the
// IP payload length on the wire.
DecodeOutcome decode_tcp(ByteReader r, std::uint32_t wire_length, const common::IpAddress& src,
                         const common::IpAddress& dst) {
  DecodeOutcome o;
  TcpSegmentView& s = o.segment;
  if (wire_length < 20 && r.remaining() >= wire_length)
    return skip(SkipReason::bad_tcp_header, fmt::format("TCP segment length {} < 20", wire_length));
  s.src = src;
  s.dst = dst;
  s.src_port = r.u16be();
  s.dst_port = r.u16be();
  s.seq = r.u32be();
  s.ack = r.u32be();
  std::uint8_t offset_byte = r.u8();
  s.flags = r.u8();
  s.window = r.u16be();
  r.skip(4);  // checksum, urgent pointer
  if (!r.ok()) return skip(SkipReason::truncated_tcp);
  std::uint8_t header_length = static_cast<std::uint8_t>((offset_byte >> 4) * 4);
  if (header_length < 20)
    return skip(SkipReason::bad_tcp_header, fmt::format("TCP data offset {} < 20", header_length));
  if (header_length > wire_length)
    return skip(SkipReason::bad_tcp_header,
                fmt::format("TCP data offset {} > segment length {}", header_length, wire_length));
  r.skip(header_length - 20u);  // options
  if (!r.ok()) return skip(SkipReason::truncated_tcp);
  s.header_length = header_length;
  s.payload_length = wire_length - header_length;
  Bytes rest = r.rest();
  s.payload = rest.size() > s.payload_length ? rest.first(s.payload_length) : rest;
  o.carrier = Carrier::tcp;
  return o;
}

DecodeOutcome decode_ipv4(ByteReader& r) {
  Bytes all = r.rest();
  std::uint8_t vihl = r.u8();
  r.skip(1);  // DSCP/ECN
  std::uint16_t total_length = r.u16be();
  r.skip(2);  // identification
  std::uint16_t flags_fragment = r.u16be();
  std::uint8_t ttl = r.u8();
  std::uint8_t protocol = r.u8();
  r.skip(2);  // checksum
  std::uint32_t src = r.u32be();
  std::uint32_t dst = r.u32be();
  if (!r.ok()) return skip(SkipReason::truncated_ip);
  if ((vihl >> 4) != 4)
    return skip(SkipReason::bad_ip_header, fmt::format("IPv4 version {} != 4", vihl >> 4));
  std::size_t header_length = static_cast<std::size_t>(vihl & 0x0f) * 4;
  if (header_length < 20)
    return skip(SkipReason::bad_ip_header,
                fmt::format("IPv4 header length {} < 20", header_length));
  // A total length of 0 is what TCP segmentation offload leaves in captures taken on the
  // sender (kerberos_tso.pcapng): the frame's own length is the best we have.
  std::size_t length = total_length == 0 ? all.size() : total_length;
  if (length < header_length)
    return skip(SkipReason::bad_ip_header,
                fmt::format("IPv4 total length {} < header length {}", length, header_length));
  r.skip(header_length - 20);  // options
  if (!r.ok()) return skip(SkipReason::truncated_ip);
  bool more_fragments = (flags_fragment & 0x2000) != 0;
  if (more_fragments || (flags_fragment & 0x1fff) != 0) return skip(SkipReason::ip_fragment);
  if (protocol != kIpProtoTcp && protocol != kIpProtoUdp) return skip(SkipReason::other_transport);
  // Ethernet pads short frames: bytes past the IP total length are not payload.
  std::size_t payload_wire = length - header_length;
  std::size_t captured = std::min(r.remaining(), payload_wire);
  if (protocol == kIpProtoUdp)
    return decode_udp(ByteReader(r.bytes(captured), common::ByteOrder::big),
                      static_cast<std::uint32_t>(payload_wire), common::IpAddress::v4(src),
                      common::IpAddress::v4(dst), ttl);
  DecodeOutcome o = decode_tcp(ByteReader(r.bytes(captured), common::ByteOrder::big),
                               static_cast<std::uint32_t>(payload_wire), common::IpAddress::v4(src),
                               common::IpAddress::v4(dst));
  o.segment.ttl = ttl;
  return o;
}

DecodeOutcome decode_ipv6(ByteReader& r) {
  std::uint32_t vtcfl = r.u32be();
  std::uint16_t payload_length = r.u16be();
  std::uint8_t next_header = r.u8();
  std::uint8_t hop_limit = r.u8();
  common::IpAddress src, dst;
  src.family = dst.family = common::IpAddress::Family::v6;
  Bytes s = r.bytes(16);
  Bytes d = r.bytes(16);
  if (!r.ok()) return skip(SkipReason::truncated_ip);
  if ((vtcfl >> 28) != 6)
    return skip(SkipReason::bad_ip_header, fmt::format("IPv6 version {} != 6", vtcfl >> 28));
  for (std::size_t i = 0; i < 16; ++i) {
    src.octets[i] = static_cast<std::uint8_t>(s[i]);
    dst.octets[i] = static_cast<std::uint8_t>(d[i]);
  }
  // Payload length 0 means a jumbogram (RFC 2675) or offloaded segment: use what was captured.
  std::size_t remaining_wire = payload_length == 0 ? r.remaining() : payload_length;
  for (std::size_t n = 0;; ++n) {
    bool extension = next_header == 0 || next_header == 43 || next_header == 44 ||
                     next_header == 51 || next_header == 60 || next_header == 135 ||
                     next_header == 139 || next_header == 140;
    if (extension && n == kMaxIpv6ExtensionHeaders)
      return skip(SkipReason::bad_ip_header, "more than 8 IPv6 extension headers");
    std::size_t ext_length = 0;
    switch (next_header) {
      case 0:      // hop-by-hop options
      case 43:     // routing
      case 60:     // destination options
      case 135:    // mobility
      case 139:    // HIP
      case 140: {  // shim6
        std::uint8_t nh = r.u8();
        std::uint8_t len = r.u8();
        ext_length = (static_cast<std::size_t>(len) + 1) * 8;
        r.skip(ext_length - 2);
        next_header = nh;
        break;
      }
      case 44: {  // fragment
        std::uint8_t nh = r.u8();
        r.skip(1);
        std::uint16_t offset_flags = r.u16be();
        r.skip(4);
        ext_length = 8;
        if (!r.ok()) return skip(SkipReason::truncated_ip);
        // An atomic fragment (offset 0, M clear) carries a whole datagram (RFC 6946).
        if ((offset_flags & 0xfff9) != 0) return skip(SkipReason::ip_fragment);
        next_header = nh;
        break;
      }
      case 51: {  // authentication header: length in 4-octet units, minus 2
        std::uint8_t nh = r.u8();
        std::uint8_t len = r.u8();
        ext_length = (static_cast<std::size_t>(len) + 2) * 4;
        r.skip(ext_length - 2);
        next_header = nh;
        break;
      }
      case kIpProtoTcp: {
        std::size_t captured = std::min(r.remaining(), remaining_wire);
        DecodeOutcome o = decode_tcp(ByteReader(r.bytes(captured), common::ByteOrder::big),
                                     static_cast<std::uint32_t>(remaining_wire), src, dst);
        o.segment.ttl = hop_limit;
        return o;
      }
      case kIpProtoUdp: {
        std::size_t captured = std::min(r.remaining(), remaining_wire);
        return decode_udp(ByteReader(r.bytes(captured), common::ByteOrder::big),
                          static_cast<std::uint32_t>(remaining_wire), src, dst, hop_limit);
      }
      default:  // ICMPv6, ESP (50: cannot see inside), no next header (59), ...
        return skip(SkipReason::other_transport);
    }
    if (!r.ok()) return skip(SkipReason::truncated_ip);
    if (ext_length > remaining_wire)
      return skip(SkipReason::bad_ip_header,
                  fmt::format("IPv6 extension header length {} > payload length {}", ext_length,
                              remaining_wire));
    remaining_wire -= ext_length;
  }
}

}  // namespace

bool is_supported_link_type(int link_type) {
  switch (link_type) {
    case kDltNull:
    case kDltEn10mb:
    case kDltRaw:
    case kDltRawOpenBsd:
    case kLinktypeRaw:
    case kDltLoop:
    case kDltLinuxSll:
    case kDltIpv4:
    case kDltIpv6:
    case kDltLinuxSll2:
      return true;
    default:
      return false;
  }
}

DecodeOutcome decode_frame(int link_type, Bytes data) {
  if (!is_supported_link_type(link_type)) return skip(SkipReason::unknown_link_type);
  ByteReader r(data, ByteOrder::big);
  switch (strip_link(link_type, r)) {
    case NetLayer::truncated:
      return skip(SkipReason::truncated_link);
    case NetLayer::other:
      return skip(SkipReason::non_ip);
    case NetLayer::ipv4:
      return decode_ipv4(r);
    case NetLayer::ipv6:
      return decode_ipv6(r);
  }
  return skip(SkipReason::non_ip);
}

std::string_view to_string(SkipReason r) {
  switch (r) {
    case SkipReason::unknown_link_type:
      return "unknown_link_type";
    case SkipReason::truncated_link:
      return "truncated_link";
    case SkipReason::non_ip:
      return "non_ip";
    case SkipReason::truncated_ip:
      return "truncated_ip";
    case SkipReason::bad_ip_header:
      return "bad_ip_header";
    case SkipReason::ip_fragment:
      return "ip_fragment";
    case SkipReason::udp:
      return "udp";
    case SkipReason::other_transport:
      return "other_transport";
    case SkipReason::truncated_tcp:
      return "truncated_tcp";
    case SkipReason::bad_tcp_header:
      return "bad_tcp_header";
    case SkipReason::count_:
      break;
  }
  return "?";
}

std::string_view describe(SkipReason r) {
  switch (r) {
    case SkipReason::unknown_link_type:
      return "link type not decoded";
    case SkipReason::truncated_link:
      return "cut by the snap length in the link-layer header";
    case SkipReason::non_ip:
      return "not IPv4 or IPv6 (ARP, LLC, ...)";
    case SkipReason::truncated_ip:
      return "cut by the snap length in the IP header";
    case SkipReason::bad_ip_header:
      return "bad IP header";
    case SkipReason::ip_fragment:
      return "IP fragment (not reassembled)";
    case SkipReason::udp:
      return "UDP that is neither Kerberos on port 88 nor connectionless DCE/RPC";
    case SkipReason::other_transport:
      return "neither TCP nor UDP (ICMP, ESP, ...)";
    case SkipReason::truncated_tcp:
      return "cut by the snap length in the TCP header";
    case SkipReason::bad_tcp_header:
      return "bad TCP header";
    case SkipReason::count_:
      break;
  }
  return "?";
}

}  // namespace rpctrace::pcap
