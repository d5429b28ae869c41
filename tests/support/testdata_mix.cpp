// reassembly_mix.pcap: one capture holding every TCP and DCE/RPC reassembly case the pipeline
// must survive, on separate connections whose frames interleave:
//   1 EPM on 135: bind over three segments; a 3-fragment request sent out of order with one
//     exact retransmission; a 2-fragment response in one segment (two PDUs, one segment); a
//     request whose second segment is retransmitted with different bytes.
//   2 big-endian drep EPM lookup, 802.1ad + 802.1Q tagged (S-VLAN 100, C-VLAN 200).
//   3 port 6001 (Exchange's RPC-over-HTTP port, which tshark gives to X11): bind, bind_ack,
//     request, response for the MTA interface.
//   4 no SYN: the capture starts mid-stream with a response PDU.
//   5 IPv6 (with a destination options header): a request whose middle segment is missing
//     from the capture while the receiver's ACK covers it, then further PDUs.
#include <optional>
#include <utility>

#include "support/epm_builder.hpp"
#include "support/testdata_common.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr std::array<std::uint8_t, 4> kMtaHost{192, 168, 10, 6};

// EPM lookup in big-endian NDR (every PDU and stub in drep 0x00), after the handshake.
void big_endian_lookup(TcpScript& tcp) {
  tcp.send(Direction::to_server, epm_bind(0x100).big_endian().build());
  tcp.send(Direction::to_client, epm_bind_ack(0x100, 0x3000, "135").big_endian().build());
  tcp.send(Direction::to_server, PduBuilder(Ptype::request)
                                     .big_endian()
                                     .call_id(0x101)
                                     .opnum(kOpnumEptMap)
                                     .stub(ept_map_request_stub(kExchangeMtaInterface, Endian::big))
                                     .build());
  tcp.send(Direction::to_client,
           PduBuilder(Ptype::response)
               .big_endian()
               .call_id(0x101)
               .stub(ept_map_response_stub(kExchangeMtaInterface, 4764, kMtaHost, Endian::big))
               .build());
  tcp.close();
}

Retransmission retransmission(std::size_t segment, std::size_t after,
                              std::optional<Bytes> payload) {
  Retransmission r;
  r.segment = segment;
  r.after = after;
  r.payload = std::move(payload);
  return r;
}

PduBuilder mta_request(std::uint32_t call_id, std::size_t stub_size) {
  PduBuilder b(Ptype::request);
  b.call_id(call_id).opnum(0).stub(SplitMix64(call_id).bytes(stub_size));
  return b;
}

PduBuilder mta_response(std::uint32_t call_id, std::size_t stub_size) {
  PduBuilder b(Ptype::response);
  b.call_id(call_id).stub(SplitMix64(call_id + 0x1000).bytes(stub_size));
  return b;
}

}  // namespace

std::vector<TestCapture> reassembly_captures() {
  Capture cap(LinkType::ethernet, Clock(kTimestamp1997.plus_usec(3'600'000'000), 1000));
  TcpScript epm(cap,
                tcp_config("192.168.10.20", 49701, 0x11111111, "192.168.10.5", 135, 0x22222222));
  TcpScriptConfig be_config =
      tcp_config("192.168.20.30", 49702, 0x33333333, "192.168.20.5", 135, 0x44444444);
  be_config.vlans = {VlanTag{0x88a8, 0, 100}, VlanTag{0x8100, 0, 200}};
  TcpScript be(cap, be_config);
  TcpScript http(cap,
                 tcp_config("192.168.10.20", 49703, 0x55555555, "192.168.10.6", 6001, 0x66666666));
  TcpScript mid(cap,
                tcp_config("192.168.10.21", 49704, 0x77777777, "192.168.10.5", 135, 0x88888888));
  TcpScriptConfig v6_config = tcp_config("fd00::20", 49705, 0x99999999, "fd00::5", 135, 0xaaaaaaaa);
  Ipv6Extension destination_options;
  destination_options.type = Ipv6ExtensionType::destination_options;
  v6_config.ip.ipv6_extensions = {destination_options};
  TcpScript v6(cap, v6_config);

  // Connection 1, first half: bind over three segments, fragmented request out of order.
  epm.handshake();
  SendOptions three_segments;
  three_segments.split_at = {16, 40};
  epm.send(Direction::to_server, epm_bind(1).build(), three_segments);
  mid.send(Direction::to_client,
           ept_map_response(7, kExchangeMtaInterface, 4764, kMtaHost).build());
  epm.send(Direction::to_client, epm_bind_ack(1, 0x1000, "135").build());
  const std::vector<PduBuilder> request_fragments =
      fragment(ept_map_request(2, kExchangeMtaInterface),
               ept_map_request_stub(kExchangeMtaInterface), std::size_t{3});
  SendOptions out_of_order;
  out_of_order.split_at = {68, 136};  // one fragment (68 octets) per segment
  out_of_order.order = {0, 2, 1};
  out_of_order.retransmit = {retransmission(0, 2, std::nullopt)};
  epm.send(Direction::to_server, build_all(request_fragments), out_of_order);

  // Connections 2 and 3 start while 1 waits for its response.
  be.handshake();
  http.handshake();
  http.send(Direction::to_server,
            PduBuilder(Ptype::bind)
                .call_id(1)
                .context(ContextElement{0, kExchangeMtaInterface, {kNdrSyntax}})
                .build());
  epm.send(Direction::to_client,
           build_all(fragment(ept_map_response(2, kExchangeMtaInterface, 4764, kMtaHost),
                              ept_map_response_stub(kExchangeMtaInterface, 4764, kMtaHost),
                              std::size_t{2})));
  http.send(Direction::to_client, epm_bind_ack(1, 0x4000, "6001").build());
  mid.send(Direction::to_server, ept_map_request(8, kExchangeMtaInterface).build());

  // Connection 1: a request whose second segment comes again with different stub bytes.
  const Bytes request3 = ept_map_request(3, kExchangeMtaInterface).build();
  Bytes changed = slice(request3, 80, request3.size() - 80);
  changed[10] ^= std::byte{0xff};
  SendOptions conflicting;
  conflicting.split_at = {80};
  conflicting.retransmit = {retransmission(1, 1, changed)};
  epm.send(Direction::to_server, request3, conflicting);
  mid.send(Direction::to_client,
           ept_map_response(8, kExchangeMtaInterface, 4764, kMtaHost).build());
  epm.send(Direction::to_client,
           ept_map_response(3, kExchangeMtaInterface, 4764, kMtaHost).build());

  big_endian_lookup(be);
  http.send(Direction::to_server, mta_request(2, 40).build());
  http.send(Direction::to_client, mta_response(2, 24).build());

  // Connection 5: the request's middle segment is not in the capture; the server's ACK
  // covers it and the conversation goes on.
  v6.handshake();
  v6.send(Direction::to_server, epm_bind(1).build());
  v6.send(Direction::to_client, epm_bind_ack(1, 0x5000, "135").build());
  SendOptions lossy;
  lossy.split_at = {52, 104};
  lossy.drop = {1};
  v6.send(Direction::to_server, ept_map_request(2, kExchangeMtaInterface).build(), lossy);
  v6.ack(Direction::to_client);
  v6.send(Direction::to_client, ept_map_response(2, kExchangeMtaInterface, 4764, kMtaHost).build());
  v6.send(Direction::to_server, ept_map_request(3, kExchangeMtaInterface).build());
  v6.send(Direction::to_client, ept_map_response(3, kExchangeMtaInterface, 4764, kMtaHost).build());

  epm.close();
  http.close();
  mid.close();
  v6.close();
  return {pcap_capture("reassembly_mix.pcap", cap)};
}

}  // namespace rpctrace::testsupport
