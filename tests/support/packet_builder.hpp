// Frames for test captures: link layer (Ethernet with any number of 802.1Q/802.1ad tags, Linux
// SLL/SLL2, raw IP, BSD NULL/LOOP) around IPv4 (RFC 791) or IPv6 (RFC 8200, with hop-by-hop,
// destination options and fragment extension headers) around TCP (RFC 9293) or UDP (RFC 768).
//
// Lengths and checksums are computed (IPv4 header checksum, TCP/UDP checksum over the
// pseudo-header), so tshark with checksum validation on reports them good. Overrides exist
// for tests that need a wrong value.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "support/bytes.hpp"
#include "support/pcap_writer.hpp"

namespace rpctrace::testsupport {

using MacAddress = std::array<std::uint8_t, 6>;

class IpAddress {
 public:
  IpAddress() = default;
  // "10.1.1.1" or "fd00::1"; throws std::invalid_argument otherwise.
  static IpAddress parse(std::string_view text);
  [[nodiscard]] bool is_v6() const { return v6_; }
  // 4 or 16 octets, network order.
  [[nodiscard]] std::span<const std::uint8_t> octets() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> octets_{};
  bool v6_ = false;
};

// IEEE 802.1Q tag: TPID 0x8100 (C-tag) or 0x88a8 (802.1ad S-tag), then PCP/DEI/VID.
struct VlanTag {
  std::uint16_t tpid = 0x8100;
  std::uint8_t pcp = 0;
  std::uint16_t vid = 0;
};

// Link-layer fields; which of them are used depends on the LinkType.
struct LinkHeader {
  MacAddress src_mac{0x02, 0, 0, 0, 0, 0x01};
  MacAddress dst_mac{0x02, 0, 0, 0, 0, 0x02};
  std::vector<VlanTag> vlans;        // Ethernet only, outermost first
  std::uint8_t sll_packet_type = 0;  // SLL/SLL2: 0 to us, 4 outgoing
  std::uint32_t sll2_interface_index = 1;
};

enum class Ipv6ExtensionType : std::uint8_t {
  hop_by_hop = 0,
  fragment = 44,
  destination_options = 60,
};

struct Ipv6Extension {
  Ipv6ExtensionType type = Ipv6ExtensionType::hop_by_hop;
  // hop_by_hop / destination_options: option TLVs; padded with PadN to a multiple of 8.
  Bytes options;
  // fragment: offset in 8-octet units, M flag, identification.
  std::uint16_t fragment_offset = 0;
  bool more_fragments = false;
  std::uint32_t identification = 0;
};

struct IpOptions {
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;                        // IPv4 TOS / IPv6 traffic class
  std::uint16_t identification = 0;            // IPv4
  bool dont_fragment = true;                   // IPv4
  std::uint16_t fragment_offset = 0;           // IPv4, 8-octet units
  bool more_fragments = false;                 // IPv4
  std::optional<std::uint16_t> ipv4_checksum;  // override
  std::uint32_t flow_label = 0;                // IPv6
  std::vector<Ipv6Extension> ipv6_extensions;  // in order, before the upper-layer header
};

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;

struct TcpSegment {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = kTcpAck;
  std::uint16_t window = 8192;
  Bytes options;  // padded with EOL to a multiple of 4
  Bytes payload;
  std::uint16_t urgent_pointer = 0;
  std::optional<std::uint16_t> checksum;  // override
};

struct UdpDatagram {
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  Bytes payload;
};

// RFC 9293 §3.2 MSS option: kind 2, length 4, value.
Bytes tcp_mss_option(std::uint16_t mss);
// RFC 1071 one's-complement sum, folded and complemented; `initial` adds a pseudo-header sum.
std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial = 0);

// Transport header + payload with its checksum over the pseudo-header for src/dst.
Bytes build_tcp(const TcpSegment& segment, const IpAddress& src, const IpAddress& dst);
Bytes build_udp(const UdpDatagram& datagram, const IpAddress& src, const IpAddress& dst);
// IP header(s) + payload; src and dst must be of the same family.
Bytes build_ip(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol,
               std::span<const std::byte> payload, const IpOptions& options = {});
// Wraps an IP packet in the link-layer header of `link_type`.
Bytes encapsulate(LinkType link_type, const LinkHeader& link, std::span<const std::byte> ip_packet);

Bytes build_tcp_frame(LinkType link_type, const LinkHeader& link, const IpAddress& src,
                      const IpAddress& dst, const TcpSegment& segment,
                      const IpOptions& options = {});
Bytes build_udp_frame(LinkType link_type, const LinkHeader& link, const IpAddress& src,
                      const IpAddress& dst, const UdpDatagram& datagram,
                      const IpOptions& options = {});
// Splits an upper-layer packet (e.g. build_tcp's output) into IP fragments carrying at most
// `fragment_size` octets each (rounded down to a multiple of 8). IPv4 uses the header's
// offset/MF fields (RFC 791 §3.2); IPv6 appends a fragment extension header (RFC 8200 §4.5).
std::vector<Bytes> build_ip_fragment_frames(LinkType link_type, const LinkHeader& link,
                                            const IpAddress& src, const IpAddress& dst,
                                            std::uint8_t protocol,
                                            std::span<const std::byte> upper_layer,
                                            std::size_t fragment_size, std::uint32_t identification,
                                            const IpOptions& options = {});

}  // namespace rpctrace::testsupport
