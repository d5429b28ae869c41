// Shared pieces of the testdata/ scenarios (make_testdata): the catalogue entry type and the
// EPM exchanges most captures carry. Each scenario file builds one group of captures.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/bytes.hpp"
#include "support/capture.hpp"
#include "support/pdu_builder.hpp"
#include "support/tcp_script.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

struct TestCapture {
  std::string file_name;
  Bytes bytes;
  std::size_t frames = 0;
};

TestCapture pcap_capture(std::string file_name, const Capture& capture,
                         const PcapFileOptions& options = {});
TestCapture pcapng_capture(std::string file_name, const Capture& capture,
                           const PcapFileOptions& options = {});

// Exchange MTA interface of KB159298. Version 2.0: impacket's rpcmap interface database
// lists it so; the KB names no version.
inline constexpr SyntaxId kExchangeMtaInterface{Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe"),
                                                2, 0};

// A TCP/IPv4-or-6 conversation config: client and server address, port and ISN; windows 8760
// (client SYN 8192), MSS 1460, distinct MACs.
TcpScriptConfig tcp_config(std::string_view client_ip, std::uint16_t client_port,
                           std::uint32_t client_isn, std::string_view server_ip,
                           std::uint16_t server_port, std::uint32_t server_isn);

// bind with one context (EPM v3.0, NDR 2.0, p_cont_id 0): 72 octets.
PduBuilder epm_bind(std::uint32_t call_id);
// bind_ack accepting NDR with the given sec_addr.
PduBuilder epm_bind_ack(std::uint32_t call_id, std::uint32_t assoc_group_id,
                        std::string_view sec_addr);
// ept_map stubs asking for / answering `interface_id` over ncacn_ip_tcp.
Bytes ept_map_request_stub(const SyntaxId& interface_id, Endian order = Endian::little);
Bytes ept_map_response_stub(const SyntaxId& interface_id, std::uint16_t port,
                            std::array<std::uint8_t, 4> address, Endian order = Endian::little);
// request (opnum 3) / response PDUs carrying those stubs.
PduBuilder ept_map_request(std::uint32_t call_id, const SyntaxId& interface_id);
PduBuilder ept_map_response(std::uint32_t call_id, const SyntaxId& interface_id, std::uint16_t port,
                            std::array<std::uint8_t, 4> address);

// handshake, EPM bind/bind_ack, ept_map request/response, FIN teardown on one connection.
void epm_lookup_conversation(TcpScript& tcp, std::uint32_t first_call_id);

// The scenario groups; each returns its captures in a fixed order.
std::vector<TestCapture> kb159298_captures();
std::vector<TestCapture> hostile_captures();
std::vector<TestCapture> reassembly_captures();
std::vector<TestCapture> link_type_captures();
std::vector<TestCapture> pdu_captures();
// Captures for `rpctrace diagnose`, one per finding (testdata_diagnose.cpp).
std::vector<TestCapture> diagnose_captures();
// Connectionless DCE/RPC over UDP, ncadg_ip_udp (testdata_cl.cpp).
std::vector<TestCapture> cl_captures();
// RPC over HTTP v1/v2 and over TLS (testdata_http.cpp).
std::vector<TestCapture> http_captures();
// All of the above.
std::vector<TestCapture> all_test_captures();

}  // namespace rpctrace::testsupport
