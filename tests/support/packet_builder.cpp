// Frames for test captures (see packet_builder.hpp).
#include "support/packet_builder.hpp"

#include <arpa/inet.h>

#include <stdexcept>
#include <string>

namespace rpctrace::testsupport {
namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr std::uint16_t kArphrdEther = 1;
// BSD address families as the NULL/LOOP headers carry them. AF_INET6 differs between BSDs;
// 24 (NetBSD/OpenBSD) is one libpcap and Wireshark both accept.
constexpr std::uint32_t kBsdAfInet = 2;
constexpr std::uint32_t kBsdAfInet6 = 24;

void require_same_family(const IpAddress& src, const IpAddress& dst) {
  if (src.is_v6() != dst.is_v6()) throw std::invalid_argument("IP family mismatch");
}

void put_address(ByteWriter& w, const IpAddress& a) {
  for (std::uint8_t b : a.octets()) w.u8(b);
}

// Sum of the RFC 9293 §3.1 / RFC 8200 §8.1 pseudo-header, before folding.
std::uint32_t pseudo_header_sum(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                                std::size_t length) {
  ByteWriter w(Endian::big);
  put_address(w, src);
  put_address(w, dst);
  if (src.is_v6()) {
    w.u32(static_cast<std::uint32_t>(length)).zeros(3).u8(protocol);
  } else {
    w.u8(0).u8(protocol).u16(static_cast<std::uint16_t>(length));
  }
  std::uint32_t sum = 0;
  const Bytes& b = w.view();
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
    sum += (std::to_integer<std::uint32_t>(b[i]) << 8) | std::to_integer<std::uint32_t>(b[i + 1]);
  }
  return sum;
}

bool is_ipv6_packet(std::span<const std::byte> ip_packet) {
  return !ip_packet.empty() && (std::to_integer<unsigned>(ip_packet[0]) >> 4) == 6;
}

// Hop-by-hop / destination options: next header, length in 8-octet units beyond the first 8,
// options, then Pad1 or PadN so the header is a multiple of 8 (RFC 8200 §4.2, §4.3).
void put_options_header(ByteWriter& w, std::uint8_t next, const Bytes& options) {
  const std::size_t pad = padding_for(2 + options.size(), 8);
  const std::size_t total = 2 + options.size() + pad;
  w.u8(next).u8(static_cast<std::uint8_t>(total / 8 - 1)).bytes(options);
  if (pad == 1) {
    w.u8(0);  // Pad1
  } else if (pad > 1) {
    w.u8(1).u8(static_cast<std::uint8_t>(pad - 2)).zeros(pad - 2);  // PadN
  }
}

Bytes build_ipv4(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                 std::span<const std::byte> payload, const IpOptions& o) {
  ByteWriter w(Endian::big);
  std::uint16_t frag = static_cast<std::uint16_t>(o.fragment_offset & 0x1fffU);
  if (o.dont_fragment) frag = static_cast<std::uint16_t>(frag | 0x4000U);
  if (o.more_fragments) frag = static_cast<std::uint16_t>(frag | 0x2000U);
  w.u8(0x45)  // version 4, IHL 5 (no options)
      .u8(o.tos)
      .u16(static_cast<std::uint16_t>(20 + payload.size()))
      .u16(o.identification)
      .u16(frag)
      .u8(o.ttl)
      .u8(protocol)
      .u16(0);  // header checksum, patched below
  put_address(w, src);
  put_address(w, dst);
  w.patch_u16(10, o.ipv4_checksum.value_or(internet_checksum(w.view())));
  w.bytes(payload);
  return w.take();
}

Bytes build_ipv6(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
                 std::span<const std::byte> payload, const IpOptions& o) {
  ByteWriter ext(Endian::big);
  for (std::size_t i = 0; i < o.ipv6_extensions.size(); ++i) {
    const Ipv6Extension& e = o.ipv6_extensions[i];
    const std::uint8_t next = i + 1 < o.ipv6_extensions.size()
                                  ? static_cast<std::uint8_t>(o.ipv6_extensions[i + 1].type)
                                  : protocol;
    if (e.type == Ipv6ExtensionType::fragment) {
      // RFC 8200 §4.5: next header, reserved, offset << 3 | M, identification.
      const auto off =
          static_cast<std::uint16_t>((e.fragment_offset * 8U) | (e.more_fragments ? 1U : 0U));
      ext.u8(next).u8(0).u16(off).u32(e.identification);
    } else {
      put_options_header(ext, next, e.options);
    }
  }
  const std::uint8_t first_next =
      o.ipv6_extensions.empty() ? protocol : static_cast<std::uint8_t>(o.ipv6_extensions[0].type);
  ByteWriter w(Endian::big);
  w.u32((6U << 28) | (std::uint32_t{o.tos} << 20) | (o.flow_label & 0xfffffU))
      .u16(static_cast<std::uint16_t>(ext.size() + payload.size()))
      .u8(first_next)
      .u8(o.ttl);
  put_address(w, src);
  put_address(w, dst);
  w.bytes(ext.view()).bytes(payload);
  return w.take();
}

}  // namespace

IpAddress IpAddress::parse(std::string_view text) {
  const std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.octets_.data()) == 1) return a;
  if (inet_pton(AF_INET6, s.c_str(), a.octets_.data()) == 1) {
    a.v6_ = true;
    return a;
  }
  throw std::invalid_argument("IpAddress::parse: " + s);
}

std::span<const std::uint8_t> IpAddress::octets() const {
  return std::span<const std::uint8_t>(octets_.data(), v6_ ? 16 : 4);
}

Bytes tcp_mss_option(std::uint16_t mss) {
  return ByteWriter(Endian::big).u8(2).u8(4).u16(mss).take();
}

std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial) {
  std::uint64_t sum = initial;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    std::uint32_t word = std::to_integer<std::uint32_t>(data[i]) << 8;
    if (i + 1 < data.size()) word |= std::to_integer<std::uint32_t>(data[i + 1]);
    sum += word;
  }
  while (sum >> 16) sum = (sum & 0xffffU) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffffU);
}

Bytes build_tcp(const TcpSegment& s, const IpAddress& src, const IpAddress& dst) {
  require_same_family(src, dst);
  const std::size_t options_len = s.options.size() + padding_for(s.options.size(), 4);
  const std::size_t header_len = 20 + options_len;
  if (header_len > 60) throw std::invalid_argument("TCP options longer than 40 octets");
  ByteWriter w(Endian::big);
  w.u16(s.src_port)
      .u16(s.dst_port)
      .u32(s.seq)
      .u32(s.ack)
      .u8(static_cast<std::uint8_t>((header_len / 4) << 4))  // data offset
      .u8(s.flags)
      .u16(s.window)
      .u16(0)  // checksum, patched below
      .u16(s.urgent_pointer)
      .bytes(s.options)
      .zeros(options_len - s.options.size())  // EOL padding
      .bytes(s.payload);
  const std::uint16_t sum =
      internet_checksum(w.view(), pseudo_header_sum(src, dst, kIpProtoTcp, w.size()));
  w.patch_u16(16, s.checksum.value_or(sum));
  return w.take();
}

Bytes build_udp(const UdpDatagram& d, const IpAddress& src, const IpAddress& dst) {
  require_same_family(src, dst);
  ByteWriter w(Endian::big);
  w.u16(d.src_port)
      .u16(d.dst_port)
      .u16(static_cast<std::uint16_t>(8 + d.payload.size()))
      .u16(0)
      .bytes(d.payload);
  std::uint16_t sum =
      internet_checksum(w.view(), pseudo_header_sum(src, dst, kIpProtoUdp, w.size()));
  if (sum == 0) sum = 0xffff;  // RFC 768: a computed zero is sent as all ones
  w.patch_u16(6, sum);
  return w.take();
}

Bytes build_ip(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
               std::span<const std::byte> payload, const IpOptions& options) {
  require_same_family(src, dst);
  return src.is_v6() ? build_ipv6(src, dst, protocol, payload, options)
                     : build_ipv4(src, dst, protocol, payload, options);
}

Bytes encapsulate(LinkType link_type, const LinkHeader& link, std::span<const std::byte> ip) {
  const bool v6 = is_ipv6_packet(ip);
  const std::uint16_t ethertype = v6 ? kEtherTypeIpv6 : kEtherTypeIpv4;
  ByteWriter w(Endian::big);
  switch (link_type) {
    case LinkType::ethernet:
      for (std::uint8_t b : link.dst_mac) w.u8(b);
      for (std::uint8_t b : link.src_mac) w.u8(b);
      for (const VlanTag& t : link.vlans) {
        w.u16(t.tpid).u16(static_cast<std::uint16_t>((t.pcp & 0x7U) << 13 | (t.vid & 0xfffU)));
      }
      w.u16(ethertype);
      break;
    case LinkType::linux_sll:
      w.u16(link.sll_packet_type).u16(kArphrdEther).u16(6);
      for (std::uint8_t b : link.src_mac) w.u8(b);
      w.zeros(2).u16(ethertype);
      break;
    case LinkType::linux_sll2:
      w.u16(ethertype).u16(0).u32(link.sll2_interface_index).u16(kArphrdEther);
      w.u8(link.sll_packet_type).u8(6);
      for (std::uint8_t b : link.src_mac) w.u8(b);
      w.zeros(2);
      break;
    case LinkType::raw:
      break;
    case LinkType::null:
      // Host byte order of the capturing machine; ours is little-endian.
      w.u32_le(v6 ? kBsdAfInet6 : kBsdAfInet);
      break;
    case LinkType::loop:
      w.u32_be(v6 ? kBsdAfInet6 : kBsdAfInet);
      break;
  }
  w.bytes(ip);
  return w.take();
}

Bytes build_tcp_frame(LinkType link_type, const LinkHeader& link, const IpAddress& src,
                      const IpAddress& dst, const TcpSegment& segment, const IpOptions& options) {
  return encapsulate(link_type, link,
                     build_ip(src, dst, kIpProtoTcp, build_tcp(segment, src, dst), options));
}

Bytes build_udp_frame(LinkType link_type, const LinkHeader& link, const IpAddress& src,
                      const IpAddress& dst, const UdpDatagram& datagram, const IpOptions& options) {
  return encapsulate(link_type, link,
                     build_ip(src, dst, kIpProtoUdp, build_udp(datagram, src, dst), options));
}

std::vector<Bytes> build_ip_fragment_frames(LinkType link_type, const LinkHeader& link,
                                            const IpAddress& src, const IpAddress& dst,
                                            std::uint8_t protocol,
                                            std::span<const std::byte> upper_layer,
                                            std::size_t fragment_size, std::uint32_t identification,
                                            const IpOptions& options) {
  const std::size_t step = fragment_size / 8 * 8;
  if (step == 0) throw std::invalid_argument("fragment_size below 8");
  std::vector<Bytes> frames;
  for (std::size_t off = 0; off < upper_layer.size(); off += step) {
    const Bytes piece = slice(upper_layer, off, step);
    const bool more = off + step < upper_layer.size();
    IpOptions o = options;
    if (src.is_v6()) {
      Ipv6Extension frag;
      frag.type = Ipv6ExtensionType::fragment;
      frag.fragment_offset = static_cast<std::uint16_t>(off / 8);
      frag.more_fragments = more;
      frag.identification = identification;
      o.ipv6_extensions.push_back(frag);
    } else {
      o.identification = static_cast<std::uint16_t>(identification);
      o.dont_fragment = false;
      o.fragment_offset = static_cast<std::uint16_t>(off / 8);
      o.more_fragments = more;
    }
    frames.push_back(encapsulate(link_type, link, build_ip(src, dst, protocol, piece, o)));
  }
  return frames;
}

}  // namespace rpctrace::testsupport
