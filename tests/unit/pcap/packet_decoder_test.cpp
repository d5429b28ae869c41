// decode_frame(): every link type it accepts (libpcap DLT_ values, tcpdump.org LINKTYPE_ list),
// IPv4 (RFC 791) options, padding, TSO and fragments, the IPv6 extension header chain (RFC 8200
// §4, RFC 4302 AH, RFC 6946 atomic fragments), and the TCP header (RFC 9293 §3.1).
// The skip reasons and the truncation sweep are in packet_decoder_skip_test.cpp.
#include <gtest/gtest.h>

#include <vector>

#include "frames.hpp"
#include "rpctrace/pcap/limits.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;

constexpr int kNull = 0, kEthernet = 1, kRaw = 12, kRawOpenBsd = 14, kLinktypeRaw = 101,
              kLoop = 108, kSll = 113, kIpv4 = 228, kIpv6 = 229, kSll2 = 276;

// The fields of segment() as decoded from a frame whose addresses are v4 or v6.
void expect_segment(const DecodeOutcome& o, bool v6, std::string_view payload = "hello") {
  ASSERT_EQ(o.carrier, pcap::Carrier::tcp) << to_string(o.reason) << ": " << o.detail;
  EXPECT_EQ(o.segment.src.to_string(), v6 ? "fd00::1" : "10.0.0.1");
  EXPECT_EQ(o.segment.dst.to_string(), v6 ? "fd00::2" : "10.0.0.2");
  EXPECT_EQ(o.segment.src_port, 40000);
  EXPECT_EQ(o.segment.dst_port, 135);
  EXPECT_EQ(o.segment.seq, 1000u);
  EXPECT_EQ(o.segment.ack, 2000u);
  EXPECT_EQ(o.segment.flags, tcp_flag::ack | tcp_flag::psh);
  EXPECT_EQ(o.segment.window, 8192);
  EXPECT_EQ(o.segment.header_length, 20);
  EXPECT_EQ(text(o.segment.payload), payload);
  EXPECT_EQ(o.segment.payload_length, payload.size());
  EXPECT_FALSE(o.segment.payload_truncated());
}

struct LinkCase {
  std::string name;
  int link_type;
  Buffer frame;
  bool v6;
};

Buffer frame4(ts::LinkType lt, const ts::LinkHeader& h = {}) {
  return ts::build_tcp_frame(lt, h, client4(), server4(), segment());
}
Buffer frame6(ts::LinkType lt, const ts::LinkHeader& h = {}) {
  return ts::build_tcp_frame(lt, h, client6(), server6(), segment());
}

// --- Link layers: each encapsulation of the same segment decodes to the same fields. ---
TEST(DecodeFrame, DecodesTheSameSegmentOverEveryLinkType) {
  using L = ts::LinkType;
  const std::vector<LinkCase> cases = {
      {"ethernet v4", kEthernet, frame4(L::ethernet), false},
      {"ethernet v6", kEthernet, frame6(L::ethernet), true},
      {"802.1Q", kEthernet, frame4(L::ethernet, vlans({0x8100})), false},
      {"QinQ 88a8+8100", kEthernet, frame6(L::ethernet, vlans({0x88a8, 0x8100})), true},
      {"QinQ 9100+8100", kEthernet, frame4(L::ethernet, vlans({0x9100, 0x8100})), false},
      {"kMaxVlanTags tags", kEthernet, frame4(L::ethernet, vlans({0x88a8, 0x8100, 0x8100, 0x8100})),
       false},
      {"SLL v4", kSll, frame4(L::linux_sll), false},
      {"SLL v6", kSll, frame6(L::linux_sll), true},
      {"SLL2 v4", kSll2, frame4(L::linux_sll2), false},
      {"SLL2 v6", kSll2, frame6(L::linux_sll2), true},
      {"DLT_RAW 12 v4", kRaw, ip4(), false},
      {"DLT_RAW 12 v6", kRaw, ip6(), true},
      {"DLT_RAW 14 v4", kRawOpenBsd, ip4(), false},
      {"DLT_RAW 14 v6", kRawOpenBsd, ip6(), true},
      {"LINKTYPE_RAW 101 v4", kLinktypeRaw, ip4(), false},
      {"LINKTYPE_RAW 101 v6", kLinktypeRaw, ip6(), true},
      {"NULL little-endian AF_INET", kNull, ts::concat({u32_le(2), ip4()}), false},
      {"NULL big-endian AF_INET", kNull, ts::concat({u32_be(2), ip4()}), false},
      {"NULL little-endian AF_INET6 Linux 10", kNull, ts::concat({u32_le(10), ip6()}), true},
      {"NULL little-endian AF_INET6 BSD 24", kNull, ts::concat({u32_le(24), ip6()}), true},
      {"NULL little-endian AF_INET6 FreeBSD 28", kNull, ts::concat({u32_le(28), ip6()}), true},
      {"NULL big-endian AF_INET6 macOS 30", kNull, ts::concat({u32_be(30), ip6()}), true},
      {"LOOP AF_INET", kLoop, ts::concat({u32_be(2), ip4()}), false},
      {"LOOP AF_INET6 24", kLoop, ts::concat({u32_be(24), ip6()}), true},
      {"LINKTYPE_IPV4 228", kIpv4, ip4(), false},
      {"LINKTYPE_IPV6 229", kIpv6, ip6(), true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(is_supported_link_type(c.link_type));
    expect_segment(decode(c.link_type, c.frame), c.v6);
  }
}

TEST(DecodeFrame, BuilderNullAndLoopFramesDecode) {
  expect_segment(decode(kNull, frame4(ts::LinkType::null)), false);
  expect_segment(decode(kNull, frame6(ts::LinkType::null)), true);
  expect_segment(decode(kLoop, frame6(ts::LinkType::loop)), true);
}

TEST(DecodeFrame, OtherLinkTypesAreNotSupported) {
  for (int dlt : {2, 9, 105, 127, 147, 228 + 2, 275, -1}) {
    SCOPED_TRACE(dlt);
    EXPECT_FALSE(is_supported_link_type(dlt));
    auto o = decode(dlt, ip4());
    EXPECT_NE(o.carrier, pcap::Carrier::tcp);
    EXPECT_EQ(o.reason, SkipReason::unknown_link_type);
  }
}

// --- IPv4 (RFC 791 §3.1): IHL covers options; total length bounds the payload. ---
TEST(DecodeFrame, Ipv4OptionsAreSkippedByIhl) {
  // Router Alert (RFC 2113): 94 04 00 00; then 40 octets of NOPs + EOL (IHL 15, the maximum).
  expect_segment(decode(kRaw, ipv4_with_options(ts::hex_bytes("94040000"), tcp4())), false);
  Buffer max_options(40, std::byte{0x01});
  max_options.back() = std::byte{0x00};
  expect_segment(decode(kRaw, ipv4_with_options(max_options, tcp4())), false);
}

TEST(DecodeFrame, EthernetPaddingPastTheTotalLengthIsNotPayload) {
  // 14 + 20 + 20 + 2 = 56 octets: the sender pads to the 60-octet minimum (IEEE 802.3).
  Buffer two = ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("hi"));
  two.resize(60);
  expect_segment(decode(kEthernet, two), false, "hi");
  Buffer empty = ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment(""));
  empty.resize(60);
  expect_segment(decode(kEthernet, empty), false, "");
  // IPv6: the payload length bounds it the same way (here a 4-octet trailer).
  Buffer v6 = frame6(ts::LinkType::ethernet);
  v6.resize(v6.size() + 4);
  expect_segment(decode(kEthernet, v6), true);
}

TEST(DecodeFrame, Ipv4TotalLengthZeroMeansTheRestOfTheFrame) {
  // TCP segmentation offload leaves total length 0 in captures taken on the sender.
  Buffer f = frame4(ts::LinkType::ethernet);
  set_u16(f, 14 + 2, 0);
  expect_segment(decode(kEthernet, f), false);
}

TEST(DecodeFrame, Ipv6PayloadLengthZeroMeansTheRestOfTheFrame) {
  expect_segment(decode(kRaw, ipv6_packet(ts::kIpProtoTcp, tcp6(), 0)), true);
}

TEST(DecodeFrame, Ipv4FragmentsAreCountedNotDecoded) {
  ts::IpOptions mf;
  mf.dont_fragment = false;
  mf.more_fragments = true;
  auto first = ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment(), mf);
  EXPECT_EQ(decode(kEthernet, first).reason, SkipReason::ip_fragment);
  EXPECT_NE(decode(kEthernet, first).carrier, pcap::Carrier::tcp);
  ts::IpOptions last;
  last.dont_fragment = false;
  last.fragment_offset = 3;
  auto later =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment(), last);
  EXPECT_EQ(decode(kEthernet, later).reason, SkipReason::ip_fragment);
  // The support builder's split of a segment: every piece is a fragment.
  auto pieces =
      ts::build_ip_fragment_frames(ts::LinkType::ethernet, {}, client4(), server4(),
                                   ts::kIpProtoTcp, tcp4(segment(std::string(40, 'x'))), 24, 7);
  ASSERT_GE(pieces.size(), 2u);
  for (const auto& p : pieces) EXPECT_EQ(decode(kEthernet, p).reason, SkipReason::ip_fragment);
}

// --- IPv6 extension headers (RFC 8200 §4): every kind the decoder walks, then TCP. ---
TEST(DecodeFrame, Ipv6ExtensionHeadersAreWalked) {
  struct Case {
    const char* name;
    std::uint8_t first;
    Buffer chain;
  };
  const std::uint8_t tcp = ts::kIpProtoTcp;
  const std::vector<Case> cases = {
      {"hop-by-hop", 0, ts::concat({ext8(tcp, 8), tcp6()})},
      {"destination options 16", 60, ts::concat({ext8(tcp, 16), tcp6()})},
      {"routing", 43, ts::concat({ext8(tcp, 24), tcp6()})},
      {"atomic fragment", 44, ts::concat({ext_fragment(tcp, 0, false), tcp6()})},
      {"AH", 51, ts::concat({ext_ah(tcp, 24), tcp6()})},
      {"mobility", 135, ts::concat({ext8(tcp, 8), tcp6()})},
      {"HIP", 139, ts::concat({ext8(tcp, 8), tcp6()})},
      {"shim6", 140, ts::concat({ext8(tcp, 8), tcp6()})},
      {"hop-by-hop, routing, fragment, AH, destination options", 0,
       ts::concat({ext8(43, 8), ext8(44, 8), ext_fragment(51, 0, false), ext_ah(60, 16),
                   ext8(tcp, 8), tcp6()})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_segment(decode(kRaw, ipv6_packet(c.first, c.chain)), true);
  }
}

TEST(DecodeFrame, BuilderIpv6ExtensionHeadersAreWalked) {
  ts::IpOptions o;
  ts::Ipv6Extension hop;
  hop.type = ts::Ipv6ExtensionType::hop_by_hop;
  hop.options = ts::hex_bytes("05020000");  // Router Alert (RFC 2711)
  ts::Ipv6Extension frag;
  frag.type = ts::Ipv6ExtensionType::fragment;
  ts::Ipv6Extension dst;
  dst.type = ts::Ipv6ExtensionType::destination_options;
  o.ipv6_extensions = {hop, frag, dst};
  expect_segment(decode(kEthernet, ts::build_tcp_frame(ts::LinkType::ethernet, {}, client6(),
                                                       server6(), segment(), o)),
                 true);
}

TEST(DecodeFrame, Ipv6NonAtomicFragmentsAreCounted) {
  const std::uint8_t tcp = ts::kIpProtoTcp;
  auto first = ipv6_packet(44, ts::concat({ext_fragment(tcp, 0, true), tcp6()}));
  EXPECT_EQ(decode(kRaw, first).reason, SkipReason::ip_fragment);
  auto later = ipv6_packet(44, ts::concat({ext_fragment(tcp, 5, false), tcp6()}));
  EXPECT_EQ(decode(kRaw, later).reason, SkipReason::ip_fragment);
  auto built = ts::build_ip_fragment_frames(ts::LinkType::raw, {}, client6(), server6(), tcp,
                                            tcp6(segment(std::string(40, 'x'))), 24, 9);
  ASSERT_GE(built.size(), 2u);
  for (const auto& p : built) EXPECT_EQ(decode(kRaw, p).reason, SkipReason::ip_fragment);
}

// kMaxIpv6ExtensionHeaders is how many headers are walked before giving up: that many are
// decoded, one more is a bad header (limits.hpp; the message says "more than 8").
TEST(DecodeFrame, Ipv6ExtensionHeaderLimit) {
  auto chain_of = [](std::size_t n) {
    Buffer rest = tcp6();
    std::uint8_t next = ts::kIpProtoTcp;
    for (std::size_t i = 0; i < n; ++i) {
      rest = ts::concat({ext8(next, 8), rest});
      next = 60;  // destination options
    }
    return ipv6_packet(next, rest);
  };
  for (std::size_t n : {kMaxIpv6ExtensionHeaders - 1, kMaxIpv6ExtensionHeaders}) {
    SCOPED_TRACE(std::to_string(n) + " extension headers");
    expect_segment(decode(kRaw, chain_of(n)), true);
  }
  auto over = decode(kRaw, chain_of(kMaxIpv6ExtensionHeaders + 1));
  EXPECT_NE(over.carrier, pcap::Carrier::tcp);
  EXPECT_EQ(over.reason, SkipReason::bad_ip_header);
  EXPECT_NE(over.detail.find("extension headers"), std::string::npos) << over.detail;
}

// kMaxVlanTags tags are walked (see the link-type table); one more is not IP to us.
TEST(DecodeFrame, MoreThanMaxVlanTagsIsNonIp) {
  auto o = decode(kEthernet,
                  frame4(ts::LinkType::ethernet, vlans({0x88a8, 0x8100, 0x8100, 0x8100, 0x8100})));
  EXPECT_NE(o.carrier, pcap::Carrier::tcp);
  EXPECT_EQ(o.reason, SkipReason::non_ip);
}

// --- TCP header (RFC 9293 §3.1): options and every flag bit pass through. ---
TEST(DecodeFrame, TcpOptionsAndFlags) {
  ts::TcpSegment s = segment("payload");
  s.options = ts::concat({ts::tcp_mss_option(1460), ts::hex_bytes("0101080a0000000100000002")});
  s.flags = 0xff;
  s.window = 65535;
  s.seq = 0xffffffff;
  s.ack = 0x80000000;
  const Buffer frame = ts::build_ip(client4(), server4(), ts::kIpProtoTcp, tcp4(s));
  auto o = decode(kRaw, frame);  // o.segment.payload views into `frame`
  ASSERT_EQ(o.carrier, pcap::Carrier::tcp);
  EXPECT_EQ(o.segment.header_length, 36);
  EXPECT_EQ(o.segment.flags, 0xff);
  EXPECT_EQ(o.segment.window, 65535);
  EXPECT_EQ(o.segment.seq, 0xffffffffu);
  EXPECT_EQ(o.segment.ack, 0x80000000u);
  EXPECT_EQ(text(o.segment.payload), "payload");
}

TEST(DecodeFrame, PayloadCutBySnapLengthIsTruncatedNotMalformed) {
  Buffer f = frame4(ts::LinkType::ethernet);
  f.resize(f.size() - 3);  // "he" of "hello" captured
  auto o = decode(kEthernet, f);
  ASSERT_EQ(o.carrier, pcap::Carrier::tcp);
  EXPECT_EQ(text(o.segment.payload), "he");
  EXPECT_EQ(o.segment.payload_length, 5u);
  EXPECT_TRUE(o.segment.payload_truncated());
}

}  // namespace
}  // namespace rpctrace::pcap
