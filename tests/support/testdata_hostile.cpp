// Hostile and broken captures for the statistics line and the exit status: a garbage PDU
// body, a frag_length far beyond the data, an auth_length beyond frag_length, a snaplen that
// cuts every PDU, and a file that is not a capture at all.
#include <algorithm>

#include "support/epm_builder.hpp"
#include "support/testdata_common.hpp"

namespace rpctrace::testsupport {
namespace {

TcpScriptConfig hostile_config(std::uint16_t client_port) {
  return tcp_config("192.168.50.10", client_port, 0x10000000U + client_port, "192.168.50.20", 135,
                    0x20000000U + client_port);
}

// A valid 16-octet bind header claiming frag_length 72, then 56 seeded random octets, then a
// valid ept_map request: the framer stays in step, the bind body parser must reject.
TestCapture random_after_header() {
  Capture cap;
  TcpScript tcp(cap, hostile_config(49800));
  tcp.handshake();
  Bytes bind = epm_bind(1).build();
  const Bytes noise = SplitMix64(0xbadbeef).bytes(bind.size() - 16);
  std::copy(noise.begin(), noise.end(), bind.begin() + 16);
  tcp.send(Direction::to_server, bind);
  tcp.ack(Direction::to_client);
  tcp.send(Direction::to_server, ept_map_request(2, kExchangeMtaInterface).build());
  tcp.ack(Direction::to_client);
  tcp.close();
  return pcap_capture("hostile_random_after_header.pcap", cap);
}

// A request header claiming frag_length 0xffff with 3 octets behind it, then FIN.
TestCapture frag_length_ffff() {
  Capture cap;
  TcpScript tcp(cap, hostile_config(49801));
  tcp.handshake();
  const Bytes pdu = PduBuilder(Ptype::request).call_id(1).frag_length(0xffff).build();
  tcp.send(Direction::to_server, slice(pdu, 0, 19));
  tcp.close();
  return pcap_capture("hostile_frag_length_ffff.pcap", cap);
}

// bind, bind_ack, then a request whose auth_length (0x1000) exceeds its frag_length (72).
TestCapture auth_length_beyond_frag_length() {
  Capture cap;
  TcpScript tcp(cap, hostile_config(49802));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  tcp.send(Direction::to_client, epm_bind_ack(1, 0x2000, "135").build());
  PduBuilder request(Ptype::request);
  request.call_id(2)
      .opnum(kOpnumEptMap)
      .stub(SplitMix64(0xa17).bytes(24))
      .auth(make_auth_verifier(SplitMix64(0xa18).bytes(16)))
      .auth_length(0x1000);
  tcp.send(Direction::to_server, request.build());
  tcp.ack(Direction::to_client);
  tcp.close();
  return pcap_capture("hostile_auth_length.pcap", cap);
}

// A whole EPM lookup captured with snaplen 96: every PDU-carrying frame is cut.
TestCapture truncated_snaplen() {
  Capture cap;
  TcpScript tcp(cap, hostile_config(49803));
  epm_lookup_conversation(tcp, 1);
  return pcap_capture("truncated_snaplen.pcap", cap, PcapFileOptions{.snaplen = 96});
}

TestCapture not_a_capture() {
  return TestCapture{"not_a_capture.pcap",
                     text_bytes("This is a text file, not a packet capture.\n"), 0};
}

}  // namespace

std::vector<TestCapture> hostile_captures() {
  return {random_after_header(), frag_length_ffff(), auth_length_beyond_frag_length(),
          truncated_snaplen(), not_a_capture()};
}

}  // namespace rpctrace::testsupport
