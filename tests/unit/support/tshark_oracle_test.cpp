// The builders checked against tshark (skipped when it is not installed): a capture built here
// must decode with no malformed packet, good checksums, and the field values we put in.
#include <gtest/gtest.h>

#include "support/epm_builder.hpp"
#include "support/pdu_builder.hpp"
#include "support/tcp_script.hpp"
#include "support/testdata_common.hpp"
#include "support/tower_builder.hpp"
#include "tshark_runner.hpp"

namespace rpctrace::testsupport {
namespace {

// Checksum validation on, and out-of-order TCP reassembly (tshark 4.0 leaves it off).
constexpr std::string_view kPrefs =
    "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
    "-o tcp.reassemble_out_of_order:TRUE -d tcp.port==6001,dcerpc";

Bytes epm_capture(Endian order, LinkType link_type) {
  Capture cap(link_type);
  TcpScript tcp(cap, tcp_config("10.9.9.1", 50000, 100, "10.9.9.2", 135, 900));
  tcp.handshake();
  PduBuilder bind = epm_bind(7);
  PduBuilder bind_ack = epm_bind_ack(7, 0x77, "135");
  PduBuilder request(Ptype::request);
  request.call_id(8).opnum(kOpnumEptMap).stub(ept_map_request_stub(kExchangeMtaInterface, order));
  PduBuilder response(Ptype::response);
  response.call_id(8).stub(
      ept_map_response_stub(kExchangeMtaInterface, 4764, {10, 9, 9, 2}, order));
  if (order == Endian::big) {
    for (PduBuilder* p : {&bind, &bind_ack, &request, &response}) p->big_endian();
  }
  tcp.send(Direction::to_server, bind.build());
  tcp.send(Direction::to_client, bind_ack.build());
  tcp.send(Direction::to_server, request.build());
  tcp.send(Direction::to_client, response.build());
  tcp.close();
  return cap.to_pcap();
}

// Frames tshark marks malformed or with an expert item of error severity.
std::string problems(std::span<const std::byte> capture) {
  return run_tshark(capture, std::string(kPrefs) +
                                 " -Y \"_ws.malformed || _ws.expert.severity == error || "
                                 "tcp.checksum.status == 0 || ip.checksum.status == 0\"");
}

TEST(TsharkOracle, EpmLookupDecodesCleanlyInBothByteOrders) {
  if (!tshark_available()) GTEST_SKIP() << "tshark not installed";
  for (const Endian order : {Endian::little, Endian::big}) {
    const Bytes pcap = epm_capture(order, LinkType::ethernet);
    EXPECT_EQ(problems(pcap), "");
    const std::string fields =
        run_tshark(pcap, std::string(kPrefs) +
                             " -Y dcerpc -T fields -e dcerpc.pkt_type -e dcerpc.cn_call_id -e "
                             "dcerpc.drep.byteorder -e epm.proto.tcp_port -e epm.proto.ip -e "
                             "tcp.checksum.status");
    EXPECT_EQ(lines_of(fields).size(), 4u) << fields;
    const std::string order_value = order == Endian::little ? "1" : "0";
    EXPECT_EQ(lines_of(fields)[0], "11\t7\t" + order_value + "\t\t\t1") << fields;
    EXPECT_EQ(lines_of(fields)[3], "2\t8\t" + order_value + "\t4764\t10.9.9.2\t1") << fields;
  }
}

TEST(TsharkOracle, EveryLinkTypeDecodes) {
  if (!tshark_available()) GTEST_SKIP() << "tshark not installed";
  for (const LinkType t :
       {LinkType::null, LinkType::raw, LinkType::loop, LinkType::linux_sll, LinkType::linux_sll2}) {
    const Bytes pcap = epm_capture(Endian::little, t);
    EXPECT_EQ(problems(pcap), "") << static_cast<int>(t);
    EXPECT_EQ(lines_of(run_tshark(pcap, "-Y epm")).size(), 2u) << static_cast<int>(t);
  }
}

TEST(TsharkOracle, Ipv6ExtensionHeadersVlansAndUdpChecksums) {
  if (!tshark_available()) GTEST_SKIP() << "tshark not installed";
  Capture cap;
  TcpScriptConfig c = tcp_config("fd00::1", 50001, 1, "fd00::2", 135, 2);
  Ipv6Extension hop;
  hop.type = Ipv6ExtensionType::hop_by_hop;
  Ipv6Extension dst;
  dst.type = Ipv6ExtensionType::destination_options;
  c.ip.ipv6_extensions = {hop, dst};
  c.vlans = {VlanTag{0x88a8, 1, 10}, VlanTag{0x8100, 2, 20}};
  TcpScript tcp(cap, c);
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  cap.add(build_udp_frame(LinkType::ethernet, LinkHeader{}, IpAddress::parse("10.0.0.1"),
                          IpAddress::parse("10.0.0.2"), UdpDatagram{1000, 2000, text_bytes("x")}));
  const Bytes pcap = cap.to_pcap();
  EXPECT_EQ(problems(pcap), "");
  EXPECT_EQ(run_tshark(pcap, std::string(kPrefs) +
                                 " -Y dcerpc -T fields -e ieee8021ad.id -e vlan.id -e ipv6.nxt "
                                 "-e ipv6.hopopts.nxt -e ipv6.dstopts.nxt -e tcp.checksum.status"),
            "10\t20\t0\t60\t6\t1\n");
  EXPECT_EQ(run_tshark(pcap, std::string(kPrefs) + " -Y udp -T fields -e udp.checksum.status"),
            "1\n");
}

TEST(TsharkOracle, FragmentedRequestAndResponseReassemble) {
  if (!tshark_available()) GTEST_SKIP() << "tshark not installed";
  Capture cap;
  TcpScript tcp(cap, tcp_config("10.9.9.1", 50002, 100, "10.9.9.2", 135, 900));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  tcp.send(Direction::to_client, epm_bind_ack(1, 1, "135").build());
  tcp.send(Direction::to_server,
           build_all(fragment(ept_map_request(2, kExchangeMtaInterface),
                              ept_map_request_stub(kExchangeMtaInterface), std::size_t{3})));
  tcp.send(Direction::to_client,
           build_all(fragment(ept_map_response(2, kExchangeMtaInterface, 135, {1, 2, 3, 4}),
                              ept_map_response_stub(kExchangeMtaInterface, 135, {1, 2, 3, 4}),
                              std::size_t{2})));
  const Bytes pcap = cap.to_pcap();
  EXPECT_EQ(problems(pcap), "");
  EXPECT_EQ(run_tshark(pcap, std::string(kPrefs) + " -Y epm.proto.ip -T fields -e epm.proto.ip"),
            "0.0.0.0\n1.2.3.4\n");
}

TEST(TsharkOracle, AllNonHostileTestCapturesDecodeCleanly) {
  if (!tshark_available()) GTEST_SKIP() << "tshark not installed";
  for (const TestCapture& c : all_test_captures()) {
    if (c.file_name.starts_with("hostile_") || c.file_name == "not_a_capture.pcap") continue;
    EXPECT_EQ(problems(c.bytes), "") << c.file_name;
  }
}

TEST(TsharkOracle, HostileCapturesAreMalformedWhereIntended) {
  if (!tshark_available()) GTEST_SKIP() << "tshark not installed";
  for (const TestCapture& c : all_test_captures()) {
    if (c.file_name == "hostile_random_after_header.pcap" ||
        c.file_name == "hostile_auth_length.pcap") {
      EXPECT_NE(problems(c.bytes), "") << c.file_name;
    }
  }
}

}  // namespace
}  // namespace rpctrace::testsupport
