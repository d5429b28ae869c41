// One small EPM bind/bind_ack conversation per link-layer type and file format, so the capture
// reader's decapsulation is tested on each; plus a capture of traffic that must be skipped
// (UDP, IPv4 and IPv6 fragments) around one TCP conversation that must not be.
#include <utility>

#include "support/testdata_common.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr Timestamp kStart = kTimestamp1997.plus_usec(7'200'000'000);

// handshake, bind, bind_ack, FIN teardown: 9 frames.
void bind_exchange(Capture& cap, bool ipv6) {
  TcpScript tcp(cap, ipv6
                         ? tcp_config("fd00::30", 49710, 0x01020304, "fd00::5", 135, 0x05060708)
                         : tcp_config("10.2.2.30", 49710, 0x01020304, "10.2.2.5", 135, 0x05060708));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  tcp.send(Direction::to_client, epm_bind_ack(1, 0x6000, "135").build());
  tcp.close();
}

Capture bind_conversation(LinkType link_type, bool ipv6) {
  Capture cap(link_type, Clock(kStart, 1000));
  bind_exchange(cap, ipv6);
  return cap;
}

// A UDP datagram to port 135 (ncadg, not ours), a TCP segment in IPv4 fragments and one in
// IPv6 fragments (rpctrace does not reassemble IP), then a normal EPM bind/bind_ack.
TestCapture skipped_traffic() {
  Capture cap(LinkType::ethernet, Clock(kStart, 1000));
  const IpAddress v4a = IpAddress::parse("10.2.2.40");
  const IpAddress v4b = IpAddress::parse("10.2.2.5");
  const IpAddress v6a = IpAddress::parse("fd00::40");
  const IpAddress v6b = IpAddress::parse("fd00::5");
  const LinkHeader link;
  cap.add(build_udp_frame(LinkType::ethernet, link, v4a, v4b,
                          UdpDatagram{49720, 135, SplitMix64(0x0d9).bytes(80)}));
  TcpSegment seg;
  seg.src_port = 49721;
  seg.dst_port = 135;
  seg.seq = 1000;
  seg.ack = 2000;
  seg.flags = kTcpAck | kTcpPsh;
  seg.payload = epm_bind(1).build();
  for (Bytes& f : build_ip_fragment_frames(LinkType::ethernet, link, v4a, v4b, kIpProtoTcp,
                                           build_tcp(seg, v4a, v4b), 48, 0x4242)) {
    cap.add(std::move(f));
  }
  for (Bytes& f : build_ip_fragment_frames(LinkType::ethernet, link, v6a, v6b, kIpProtoTcp,
                                           build_tcp(seg, v6a, v6b), 48, 0x4243)) {
    cap.add(std::move(f));
  }
  bind_exchange(cap, false);
  return pcap_capture("skipped_udp_ip_fragments.pcap", cap);
}

}  // namespace

std::vector<TestCapture> link_type_captures() {
  return {
      pcap_capture("linktype_sll.pcap", bind_conversation(LinkType::linux_sll, false)),
      pcap_capture("linktype_sll2.pcap", bind_conversation(LinkType::linux_sll2, false)),
      pcap_capture("linktype_raw.pcap", bind_conversation(LinkType::raw, false)),
      pcap_capture("linktype_null.pcap", bind_conversation(LinkType::null, false)),
      pcap_capture("linktype_loop_ipv6.pcap", bind_conversation(LinkType::loop, true)),
      pcapng_capture("epm_bind.pcapng", bind_conversation(LinkType::ethernet, false)),
      pcap_capture("epm_bind_swapped_nsec.pcap", bind_conversation(LinkType::ethernet, false),
                   PcapFileOptions{.byte_order = Endian::big, .nanosecond = true}),
      skipped_traffic(),
  };
}

}  // namespace rpctrace::testsupport
