// decode_frame(), continued: one test per SkipReason, and the truncation sweep (tcpdump's rule:
// a frame may be cut at any byte, so every prefix must decode to a "truncated" reason for the
// layer the cut falls in, or to a segment whose headers were all captured).
// Split from packet_decoder_test.cpp to keep both files under 400 lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "frames.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;

constexpr int kNull = 0, kEthernet = 1, kRaw = 12, kLoop = 108, kSll = 113, kIpv4 = 228,
              kIpv6 = 229, kSll2 = 276;

struct SkipCase {
  std::string name;
  int link_type;
  Buffer frame;
  SkipReason reason;
};

Buffer eth4() {
  return ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment());
}
Buffer eth6() {
  return ts::build_tcp_frame(ts::LinkType::ethernet, {}, client6(), server6(), segment());
}
Buffer prefix(const Buffer& b, std::size_t n) {
  return Buffer(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}
Buffer with_u8(Buffer b, std::size_t offset, std::uint8_t v) {
  set_u8(b, offset, v);
  return b;
}
Buffer with_u16(Buffer b, std::size_t offset, std::uint16_t v) {
  set_u16(b, offset, v);
  return b;
}

void run(const std::vector<SkipCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto o = decode(c.link_type, c.frame);
    EXPECT_NE(o.carrier, pcap::Carrier::tcp);
    EXPECT_EQ(o.reason, c.reason) << to_string(o.reason) << " " << o.detail;
    // Bad headers name the field and value; truncation is a fact about the capture, no text.
    if (c.reason == SkipReason::bad_ip_header || c.reason == SkipReason::bad_tcp_header) {
      EXPECT_FALSE(o.detail.empty());
    }
  }
}

// --- Link layer: cut inside the header, or a payload that is not IP. ---
TEST(DecodeFrameSkip, TruncatedLinkAndNonIp) {
  const Buffer arp = ts::concat({prefix(eth4(), 12), ts::hex_bytes("0806"), Buffer(28)});
  const Buffer sll =
      ts::build_tcp_frame(ts::LinkType::linux_sll, {}, client4(), server4(), segment());
  const Buffer sll2 =
      ts::build_tcp_frame(ts::LinkType::linux_sll2, {}, client4(), server4(), segment());
  run({
      {"ethernet 13 octets", kEthernet, prefix(eth4(), 13), SkipReason::truncated_link},
      {"VLAN tag cut", kEthernet,
       prefix(ts::build_tcp_frame(ts::LinkType::ethernet, vlans({0x8100}), client4(), server4(),
                                  segment()),
              16),
       SkipReason::truncated_link},
      {"SLL 15 octets", kSll, prefix(sll, 15), SkipReason::truncated_link},
      {"SLL2 19 octets", kSll2, prefix(sll2, 19), SkipReason::truncated_link},
      {"NULL 3 octets", kNull, ts::hex_bytes("020000"), SkipReason::truncated_link},
      {"LOOP 3 octets", kLoop, ts::hex_bytes("000000"), SkipReason::truncated_link},
      {"raw empty", kRaw, Buffer{}, SkipReason::truncated_link},
      {"ethernet ARP", kEthernet, arp, SkipReason::non_ip},
      {"SLL ARP", kSll, with_u16(sll, 14, 0x0806), SkipReason::non_ip},
      {"SLL2 ARP", kSll2, with_u16(sll2, 0, 0x0806), SkipReason::non_ip},
      {"raw version 5", kRaw, with_u8(ip4(), 0, 0x55), SkipReason::non_ip},
      {"NULL AF 7", kNull, ts::concat({u32_le(7), ip4()}), SkipReason::non_ip},
      {"LOOP AF 7", kLoop, ts::concat({u32_be(7), ip4()}), SkipReason::non_ip},
      {"LOOP little-endian AF_INET (LOOP is network order)", kLoop, ts::concat({u32_le(2), ip4()}),
       SkipReason::non_ip},
  });
}

// --- UDP (RFC 768): datagrams go up as such, with their ports, payload and TTL. ---
TEST(DecodeFrame, UdpDatagramsInEveryIpVersion) {
  ts::UdpDatagram udp;
  udp.src_port = 1024;
  udp.dst_port = 88;
  udp.payload = ts::text_bytes("krb");
  ts::IpOptions options;
  options.ttl = 61;
  const std::vector<std::pair<std::string, std::pair<int, Buffer>>> frames = {
      {"IPv4",
       {kEthernet,
        ts::build_udp_frame(ts::LinkType::ethernet, {}, client4(), server4(), udp, options)}},
      {"IPv6",
       {kRaw, ts::build_ip(client6(), server6(), ts::kIpProtoUdp,
                           ts::build_udp(udp, client6(), server6()), options)}},
      {"IPv6 after hop-by-hop",
       {kRaw, ipv6_packet(0, ts::concat({ext8(ts::kIpProtoUdp, 8),
                                         ts::build_udp(udp, client6(), server6())}))}},
  };
  for (const auto& [name, f] : frames) {
    SCOPED_TRACE(name);
    auto o = decode(f.first, f.second);
    ASSERT_EQ(o.carrier, pcap::Carrier::udp);
    EXPECT_EQ(o.datagram.src_port, 1024);
    EXPECT_EQ(o.datagram.dst_port, 88);
    EXPECT_EQ(o.datagram.payload_length, 3u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(o.datagram.payload.data()),
                          o.datagram.payload.size()),
              "krb");
    if (name == "IPv4") {
      EXPECT_EQ(o.datagram.ttl, 61);
    }
  }
}

// --- IP layer (RFC 791 §3.1, RFC 8200 §3): cut, inconsistent, fragment, not TCP. ---
TEST(DecodeFrameSkip, IpReasons) {
  ts::UdpDatagram udp;
  udp.src_port = 1024;
  udp.dst_port = 135;
  udp.payload = ts::text_bytes("cl");
  const std::uint8_t tcp = ts::kIpProtoTcp;
  run({
      {"IPv4 19 octets", kRaw, prefix(ip4(), 19), SkipReason::truncated_ip},
      {"IPv4 options cut", kRaw, prefix(ipv4_with_options(Buffer(8), tcp4()), 24),
       SkipReason::truncated_ip},
      {"IPv6 39 octets", kRaw, prefix(ip6(), 39), SkipReason::truncated_ip},
      {"IPv6 extension header cut", kRaw,
       prefix(ipv6_packet(0, ts::concat({ext8(tcp, 16), tcp6()})), 50), SkipReason::truncated_ip},
      {"IPv6 fragment header cut", kRaw,
       prefix(ipv6_packet(44, ts::concat({ext_fragment(tcp, 0, false), tcp6()})), 44),
       SkipReason::truncated_ip},
      {"ethertype IPv4, version 6", kEthernet, with_u16(eth6(), 12, 0x0800),
       SkipReason::bad_ip_header},
      {"LINKTYPE_IPV4 carrying IPv6", kIpv4, ip6(), SkipReason::bad_ip_header},
      {"LINKTYPE_IPV6 carrying IPv4", kIpv6, ip4(), SkipReason::bad_ip_header},
      {"IHL 4", kRaw, with_u8(ip4(), 0, 0x44), SkipReason::bad_ip_header},
      {"total length 19 < IHL", kRaw, with_u16(ip4(), 2, 19), SkipReason::bad_ip_header},
      {"total length 20 < IHL 24", kRaw, ipv4_with_options(Buffer(4), tcp4(), tcp, 20),
       SkipReason::bad_ip_header},
      {"IPv6 extension longer than payload length", kRaw,
       ipv6_packet(0, ts::concat({ext8(tcp, 16), tcp6()}), 8), SkipReason::bad_ip_header},
      {"IPv4 MF", kRaw, with_u16(ip4(), 6, 0x2000), SkipReason::ip_fragment},
      {"IPv4 offset 1", kRaw, with_u16(ip4(), 6, 0x0001), SkipReason::ip_fragment},
      // A UDP header cut short or longer than the IP payload: no adapter can read it.
      {"IPv4 UDP cut in its header", kRaw,
       ipv4_with_options({}, ts::hex_bytes("04000087"), ts::kIpProtoUdp), SkipReason::udp},
      {"IPv4 UDP length past the IP payload", kRaw,
       ipv4_with_options({}, ts::hex_bytes("0400008700400000"), ts::kIpProtoUdp), SkipReason::udp},
      {"IPv4 ICMP", kRaw, ipv4_with_options({}, ts::hex_bytes("0800f7ff00000000"), 1),
       SkipReason::other_transport},
      {"IPv6 ICMPv6", kRaw, ipv6_packet(58, ts::hex_bytes("8000000000000000")),
       SkipReason::other_transport},
      {"IPv6 ESP", kRaw, ipv6_packet(50, Buffer(24)), SkipReason::other_transport},
      {"IPv6 no next header", kRaw, ipv6_packet(59, Buffer{}), SkipReason::other_transport},
  });
}

// --- TCP header (RFC 9293 §3.1): data offset 5..15 words, within the segment. ---
TEST(DecodeFrameSkip, TcpReasons) {
  // Ethernet + IPv4: the TCP header starts at 34; data offset is the high nibble of octet 46.
  run({
      {"TCP header cut at 10", kEthernet, prefix(eth4(), 44), SkipReason::truncated_tcp},
      {"TCP options cut", kEthernet, prefix(with_u8(eth4(), 46, 0x60), 56),
       SkipReason::truncated_tcp},
      {"data offset 4", kEthernet, with_u8(eth4(), 46, 0x40), SkipReason::bad_tcp_header},
      {"data offset 0", kEthernet, with_u8(eth4(), 46, 0x00), SkipReason::bad_tcp_header},
      {"data offset 15 > segment 25", kEthernet, with_u8(eth4(), 46, 0xf0),
       SkipReason::bad_tcp_header},
      {"data offset 6 > segment 20", kRaw,
       with_u8(ts::build_ip(client4(), server4(), ts::kIpProtoTcp, tcp4(segment(""))), 32, 0x60),
       SkipReason::bad_tcp_header},
      {"segment 10 < 20", kRaw, ipv4_with_options({}, prefix(tcp4(), 10)),
       SkipReason::bad_tcp_header},
      {"IPv6 segment 12 < 20", kRaw, ipv6_packet(ts::kIpProtoTcp, prefix(tcp6(), 12)),
       SkipReason::bad_tcp_header},
  });
}

TEST(DecodeFrameSkip, EveryReasonHasADistinctNameAndDescription) {
  std::set<std::string_view> names, descriptions;
  for (std::size_t i = 0; i < kSkipReasonCount; ++i) {
    auto r = static_cast<SkipReason>(i);
    SCOPED_TRACE(i);
    EXPECT_NE(to_string(r), "?");
    EXPECT_NE(describe(r), "?");
    names.insert(to_string(r));
    descriptions.insert(describe(r));
  }
  EXPECT_EQ(names.size(), kSkipReasonCount);
  EXPECT_EQ(descriptions.size(), kSkipReasonCount);
  EXPECT_EQ(to_string(SkipReason::bad_tcp_header), "bad_tcp_header");
  EXPECT_EQ(to_string(SkipReason::truncated_tcp), "truncated_tcp");
}

// --- Truncation sweep: every strict prefix of a full frame, each in its own exact-size buffer
// (so ASan sees a one-byte over-read). ---
struct SweepCase {
  std::string name;
  int link_type;
  Buffer frame;
  std::size_t link_end;       // prefixes shorter than this: truncated_link
  std::size_t tcp_start;      // shorter than this: truncated_ip
  std::size_t payload_start;  // shorter than this: truncated_tcp
};

TEST(DecodeFrameSkip, TruncationSweepNeverReadsPastTheCut) {
  ts::TcpSegment with_mss = segment("payload!");
  with_mss.options = ts::tcp_mss_option(1460);
  const Buffer v4_options = ipv4_with_options(ts::hex_bytes("94040000"), tcp4(with_mss));
  const Buffer v6_ext =
      ipv6_packet(0, ts::concat({ext8(44, 8), ext_fragment(ts::kIpProtoTcp, 0, false), tcp6()}));
  const Buffer vlan_eth =
      ts::concat({prefix(eth4(), 12), ts::hex_bytes("8100 0064 0800"), v4_options});
  const std::vector<SweepCase> cases = {
      {"ethernet 802.1Q, IPv4 options, TCP MSS", kEthernet, vlan_eth, 18, 18 + 24, 18 + 24 + 24},
      {"SLL2, IPv6 hop-by-hop + fragment", kSll2,
       ts::concat({ts::hex_bytes("86dd 0000 00000001 0001 00 06 020000000001 0000"), v6_ext}), 20,
       20 + 56, 20 + 56 + 20},
      {"SLL IPv4", kSll,
       ts::build_tcp_frame(ts::LinkType::linux_sll, {}, client4(), server4(), segment()), 16, 36,
       56},
      {"NULL IPv6", kNull, ts::concat({u32_le(30), ip6()}), 4, 44, 64},
      {"LOOP IPv4", kLoop, ts::concat({u32_be(2), ip4()}), 4, 24, 44},
      {"raw IPv6", kRaw, ip6(), 1, 40, 60},
      {"LINKTYPE_IPV4", kIpv4, v4_options, 0, 24, 48},
  };
  for (const auto& c : cases) {
    const auto full = decode(c.link_type, c.frame);
    ASSERT_EQ(full.carrier, pcap::Carrier::tcp)
        << c.name << ": " << to_string(full.reason) << " " << full.detail;
    const std::size_t payload_length = c.frame.size() - c.payload_start;
    ASSERT_EQ(full.segment.payload_length, payload_length) << c.name;
    for (std::size_t n = 0; n < c.frame.size(); ++n) {
      SCOPED_TRACE(c.name + " cut at " + std::to_string(n));
      const auto cut = std::make_unique<std::byte[]>(n + 1);  // +1: never a null pointer
      std::copy_n(c.frame.begin(), n, cut.get());
      const auto o = decode_frame(c.link_type, common::Bytes(cut.get(), n));
      if (n < c.link_end) {
        EXPECT_EQ(o.reason, SkipReason::truncated_link);
      } else if (n < c.tcp_start) {
        EXPECT_EQ(o.reason, SkipReason::truncated_ip);
      } else if (n < c.payload_start) {
        EXPECT_EQ(o.reason, SkipReason::truncated_tcp);
      }
      if (n < c.payload_start) {
        EXPECT_NE(o.carrier, pcap::Carrier::tcp);
        continue;
      }
      ASSERT_EQ(o.carrier, pcap::Carrier::tcp) << to_string(o.reason);
      EXPECT_EQ(o.segment.seq, full.segment.seq);
      EXPECT_EQ(o.segment.ack, full.segment.ack);
      EXPECT_EQ(o.segment.src_port, full.segment.src_port);
      EXPECT_EQ(o.segment.window, full.segment.window);
      EXPECT_EQ(o.segment.header_length, full.segment.header_length);
      EXPECT_EQ(o.segment.payload_length, payload_length);
      EXPECT_EQ(o.segment.payload.size(), n - c.payload_start);
      EXPECT_TRUE(o.segment.payload_truncated());
      EXPECT_EQ(text(o.segment.payload), text(full.segment.payload).substr(0, n - c.payload_start));
    }
  }
}

}  // namespace
}  // namespace rpctrace::pcap
