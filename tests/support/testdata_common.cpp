// Shared pieces of the testdata/ scenarios (see testdata_common.hpp).
#include "support/testdata_common.hpp"

#include <utility>

#include "support/epm_builder.hpp"
#include "support/tower_builder.hpp"

namespace rpctrace::testsupport {

TestCapture pcap_capture(std::string file_name, const Capture& capture,
                         const PcapFileOptions& options) {
  return TestCapture{std::move(file_name), capture.to_pcap(options), capture.frames().size()};
}

TestCapture pcapng_capture(std::string file_name, const Capture& capture,
                           const PcapFileOptions& options) {
  return TestCapture{std::move(file_name), capture.to_pcapng(options), capture.frames().size()};
}

TcpScriptConfig tcp_config(std::string_view client_ip, std::uint16_t client_port,
                           std::uint32_t client_isn, std::string_view server_ip,
                           std::uint16_t server_port, std::uint32_t server_isn) {
  TcpScriptConfig c;
  c.client.address = IpAddress::parse(client_ip);
  c.client.port = client_port;
  c.client.isn = client_isn;
  c.client.syn_window = 8192;
  c.client.mac = MacAddress{0x02, 0x00, 0x0a, 0x00, 0x00, 0x01};
  c.server.address = IpAddress::parse(server_ip);
  c.server.port = server_port;
  c.server.isn = server_isn;
  c.server.mac = MacAddress{0x02, 0x00, 0x0a, 0x00, 0x00, 0x02};
  return c;
}

PduBuilder epm_bind(std::uint32_t call_id) {
  PduBuilder b(Ptype::bind);
  b.call_id(call_id).context(ContextElement{0, kEpmInterface, {kNdrSyntax}});
  return b;
}

PduBuilder epm_bind_ack(std::uint32_t call_id, std::uint32_t assoc_group_id,
                        std::string_view sec_addr) {
  PduBuilder b(Ptype::bind_ack);
  b.call_id(call_id).assoc_group_id(assoc_group_id).sec_addr(sec_addr).result(ContextResult{});
  return b;
}

Bytes ept_map_request_stub(const SyntaxId& interface_id, Endian order) {
  EptMapRequest r;
  r.map_tower = tcp_ip_tower(interface_id, 0, {0, 0, 0, 0});
  return build_ept_map_request(r, order);
}

Bytes ept_map_response_stub(const SyntaxId& interface_id, std::uint16_t port,
                            std::array<std::uint8_t, 4> address, Endian order) {
  EptMapResponse r;
  r.towers.push_back(tcp_ip_tower(interface_id, port, address));
  return build_ept_map_response(r, order);
}

PduBuilder ept_map_request(std::uint32_t call_id, const SyntaxId& interface_id) {
  PduBuilder b(Ptype::request);
  b.call_id(call_id).opnum(kOpnumEptMap).stub(ept_map_request_stub(interface_id));
  return b;
}

PduBuilder ept_map_response(std::uint32_t call_id, const SyntaxId& interface_id, std::uint16_t port,
                            std::array<std::uint8_t, 4> address) {
  PduBuilder b(Ptype::response);
  b.call_id(call_id).stub(ept_map_response_stub(interface_id, port, address));
  return b;
}

void epm_lookup_conversation(TcpScript& tcp, std::uint32_t first_call_id) {
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(first_call_id).build());
  tcp.send(Direction::to_client, epm_bind_ack(first_call_id, 0x1000, "135").build());
  tcp.send(Direction::to_server, ept_map_request(first_call_id + 1, kExchangeMtaInterface).build());
  tcp.send(Direction::to_client,
           ept_map_response(first_call_id + 1, kExchangeMtaInterface, 4764, {10, 1, 1, 2}).build());
  tcp.close();
}

std::vector<TestCapture> all_test_captures() {
  std::vector<TestCapture> all;
  for (auto group : {kb159298_captures, hostile_captures, reassembly_captures, link_type_captures,
                     pdu_captures, diagnose_captures, http_captures,
                     cl_captures}) {
    for (TestCapture& c : group()) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace rpctrace::testsupport
