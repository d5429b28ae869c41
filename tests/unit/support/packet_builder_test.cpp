// Tests for tests/support/packet_builder.hpp: lengths, checksums and header layouts.
#include "support/packet_builder.hpp"

#include <gtest/gtest.h>

#include "frame_fields.hpp"

namespace rpctrace::testsupport {
namespace {

const IpAddress kA = IpAddress::parse("10.1.1.1");
const IpAddress kB = IpAddress::parse("10.1.1.2");
const IpAddress kA6 = IpAddress::parse("fd00::1");
const IpAddress kB6 = IpAddress::parse("fd00::2");

TcpSegment segment_with_payload(std::size_t n) {
  TcpSegment s;
  s.src_port = 3464;
  s.dst_port = 135;
  s.seq = 562005064;
  s.ack = 875064832;
  s.flags = kTcpAck | kTcpPsh;
  s.window = 8760;
  s.payload = SplitMix64(n).bytes(n);
  return s;
}

// Sum over the pseudo-header plus the segment as sent: 0 when the checksum is right.
std::uint16_t verify_transport(const IpAddress& src, const IpAddress& dst, std::uint8_t proto,
                               std::span<const std::byte> segment) {
  ByteWriter pseudo(Endian::big);
  for (std::uint8_t b : src.octets()) pseudo.u8(b);
  for (std::uint8_t b : dst.octets()) pseudo.u8(b);
  if (src.is_v6()) {
    pseudo.u32(static_cast<std::uint32_t>(segment.size())).zeros(3).u8(proto);
  } else {
    pseudo.u8(0).u8(proto).u16(static_cast<std::uint16_t>(segment.size()));
  }
  return internet_checksum(concat({pseudo.view(), segment}));
}

TEST(InternetChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2; the checksum is its complement.
  EXPECT_EQ(internet_checksum(hex_bytes("0001f203f4f5f6f7")), 0x220d);
  EXPECT_EQ(internet_checksum(hex_bytes("0001f203f4f5f6")), static_cast<std::uint16_t>(~0xdcfbU));
}

TEST(IpAddress, ParsesBothFamiliesAndRejectsText) {
  EXPECT_FALSE(kA.is_v6());
  EXPECT_EQ(kA.octets().size(), 4u);
  EXPECT_TRUE(kA6.is_v6());
  EXPECT_EQ(kA6.octets().size(), 16u);
  EXPECT_THROW(IpAddress::parse("ExchangeB"), std::invalid_argument);
}

TEST(BuildTcp, HeaderLengthOptionsAndChecksum) {
  TcpSegment s = segment_with_payload(0);
  s.flags = kTcpSyn;
  s.options = tcp_mss_option(1460);
  const Bytes tcp = build_tcp(s, kA, kB);
  ASSERT_EQ(tcp.size(), 24u);
  EXPECT_EQ(tcp[12], std::byte{0x60});  // data offset 6 words
  EXPECT_EQ(slice(tcp, 20, 4), hex_bytes("020405b4"));
  EXPECT_EQ(verify_transport(kA, kB, kIpProtoTcp, tcp), 0);
}

TEST(BuildTcp, OddOptionLengthIsPaddedAndChecksumOverOddPayloadHolds) {
  TcpSegment s = segment_with_payload(157);
  s.options = hex_bytes("010101");  // three NOPs
  const Bytes tcp = build_tcp(s, kA6, kB6);
  EXPECT_EQ(tcp.size(), 24u + 157);
  EXPECT_EQ(verify_transport(kA6, kB6, kIpProtoTcp, tcp), 0);
}

TEST(BuildTcp, ChecksumOverrideIsWrittenAsGiven) {
  TcpSegment s = segment_with_payload(4);
  s.checksum = 0xdead;
  EXPECT_EQ(slice(build_tcp(s, kA, kB), 16, 2), hex_bytes("dead"));
}

TEST(BuildIp, Ipv4TotalLengthFlagsAndHeaderChecksum) {
  const Bytes payload = SplitMix64(9).bytes(33);
  IpOptions o;
  o.identification = 0x1234;
  const Bytes ip = build_ip(kA, kB, kIpProtoTcp, payload, o);
  ASSERT_EQ(ip.size(), 53u);
  EXPECT_EQ(be_at(ip, 2, 2), 53u);
  EXPECT_EQ(be_at(ip, 4, 2), 0x1234u);
  EXPECT_EQ(be_at(ip, 6, 2), 0x4000u);  // DF
  EXPECT_EQ(internet_checksum(slice(ip, 0, 20)), 0);
  EXPECT_EQ(slice(ip, 20, 33), payload);
}

TEST(BuildIp, Ipv6ExtensionHeadersChainAndPad) {
  IpOptions o;
  Ipv6Extension hop;
  hop.type = Ipv6ExtensionType::hop_by_hop;
  Ipv6Extension dst;
  dst.type = Ipv6ExtensionType::destination_options;
  dst.options = hex_bytes("1e03aabbcc");  // an unknown option, 5 octets: header = 8 (PadN 1)
  o.ipv6_extensions = {hop, dst};
  const Bytes payload = SplitMix64(10).bytes(20);
  const Bytes ip = build_ip(kA6, kB6, kIpProtoTcp, payload, o);
  ASSERT_EQ(ip.size(), 40u + 8 + 8 + 20);
  EXPECT_EQ(be_at(ip, 4, 2), 36u);   // payload length counts extension headers
  EXPECT_EQ(be_at(ip, 6, 1), 0u);    // next header: hop-by-hop
  EXPECT_EQ(be_at(ip, 40, 1), 60u);  // hop-by-hop -> destination options
  EXPECT_EQ(be_at(ip, 41, 1), 0u);   // 8 octets
  EXPECT_EQ(slice(ip, 42, 6), hex_bytes("010400000000"));  // PadN, 4 octets
  EXPECT_EQ(be_at(ip, 48, 1), 6u);                         // destination options -> TCP
  EXPECT_EQ(slice(ip, 50, 6), hex_bytes("1e03aabbcc00"));  // option, then Pad1
  EXPECT_EQ(slice(ip, 56, 20), payload);
}

TEST(BuildIp, RejectsMixedFamilies) {
  EXPECT_THROW(build_ip(kA, kB6, kIpProtoTcp, {}), std::invalid_argument);
}

TEST(Encapsulate, EthernetWithStackedVlanTags) {
  LinkHeader link;
  link.vlans = {VlanTag{0x88a8, 0, 100}, VlanTag{0x8100, 5, 200}};
  const Bytes ip = build_ip(kA, kB, kIpProtoTcp, {});
  const Bytes frame = encapsulate(LinkType::ethernet, link, ip);
  ASSERT_EQ(frame.size(), 14u + 8 + 20);
  EXPECT_EQ(slice(frame, 12, 10), hex_bytes("88a8 0064 8100 a0c8 0800"));
  EXPECT_EQ(ethernet_payload_offset(frame), 22u);
}

TEST(Encapsulate, OtherLinkTypesCarryTheFamily) {
  const LinkHeader link;
  const Bytes v4 = build_ip(kA, kB, kIpProtoTcp, {});
  const Bytes v6 = build_ip(kA6, kB6, kIpProtoTcp, {});
  EXPECT_EQ(encapsulate(LinkType::raw, link, v4), v4);
  EXPECT_EQ(slice(encapsulate(LinkType::null, link, v4), 0, 4), hex_bytes("02000000"));
  EXPECT_EQ(slice(encapsulate(LinkType::loop, link, v6), 0, 4), hex_bytes("00000018"));
  const Bytes sll = encapsulate(LinkType::linux_sll, link, v6);
  EXPECT_EQ(sll.size(), 16u + 40);
  EXPECT_EQ(slice(sll, 14, 2), hex_bytes("86dd"));
  const Bytes sll2 = encapsulate(LinkType::linux_sll2, link, v4);
  EXPECT_EQ(sll2.size(), 20u + 20);
  EXPECT_EQ(slice(sll2, 0, 2), hex_bytes("0800"));
}

TEST(BuildTcpFrame, FieldsReadBack) {
  const Bytes frame =
      build_tcp_frame(LinkType::ethernet, LinkHeader{}, kA, kB, segment_with_payload(72));
  const TcpFields f = tcp_fields(frame);
  EXPECT_EQ(f.src_port, 3464);
  EXPECT_EQ(f.dst_port, 135);
  EXPECT_EQ(f.seq, 562005064u);
  EXPECT_EQ(f.ack, 875064832u);
  EXPECT_EQ(f.window, 8760);
  EXPECT_EQ(f.payload.size(), 72u);
}

TEST(BuildUdp, LengthAndChecksum) {
  const UdpDatagram d{1024, 135, SplitMix64(3).bytes(11)};
  const Bytes udp = build_udp(d, kA, kB);
  EXPECT_EQ(be_at(udp, 4, 2), 19u);
  EXPECT_EQ(verify_transport(kA, kB, kIpProtoUdp, udp), 0);
}

TEST(BuildIpFragmentFrames, Ipv4OffsetsAndMoreFragments) {
  const Bytes upper = build_tcp(segment_with_payload(100), kA, kB);  // 120 octets
  const auto frames =
      build_ip_fragment_frames(LinkType::raw, LinkHeader{}, kA, kB, kIpProtoTcp, upper, 50, 7);
  ASSERT_EQ(frames.size(), 3u);                    // 48 + 48 + 24
  EXPECT_EQ(be_at(frames[0], 6, 2), 0x2000u);      // MF, offset 0
  EXPECT_EQ(be_at(frames[1], 6, 2), 0x2000u + 6);  // MF, offset 48/8
  EXPECT_EQ(be_at(frames[2], 6, 2), 12u);          // last, offset 96/8
  EXPECT_EQ(be_at(frames[2], 2, 2), 20u + 24);
  Bytes joined;
  for (const Bytes& f : frames) {
    EXPECT_EQ(internet_checksum(slice(f, 0, 20)), 0);
    const Bytes part = slice(f, 20, f.size());
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, upper);
}

TEST(BuildIpFragmentFrames, Ipv6UsesFragmentHeader) {
  const Bytes upper = build_tcp(segment_with_payload(60), kA6, kB6);  // 80 octets
  const auto frames =
      build_ip_fragment_frames(LinkType::raw, LinkHeader{}, kA6, kB6, kIpProtoTcp, upper, 48, 9);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(be_at(frames[0], 6, 1), 44u);              // next header: fragment
  EXPECT_EQ(be_at(frames[0], 40, 1), 6u);              // fragment -> TCP
  EXPECT_EQ(be_at(frames[0], 42, 2), 1u);              // offset 0, M
  EXPECT_EQ(be_at(frames[1], 42, 2), (48u / 8) << 3);  // offset 6, last
  EXPECT_EQ(be_at(frames[1], 44, 4), 9u);
}

}  // namespace
}  // namespace rpctrace::testsupport
