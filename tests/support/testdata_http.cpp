// testdata/ scenarios for RPC over HTTP (MS-RPCH), written by hand because no peer in Debian
// serves it: Outlook Anywhere style traffic of an Outlook client to an Exchange RPC proxy.
//   http_v2_exchange.pcap  RPC over HTTP v2 on port 80: the OUT channel (RPC_OUT_DATA,
//                          CONN/A1; 200 Success, CONN/A3, CONN/C2) and the IN channel
//                          (RPC_IN_DATA, CONN/B1), then an NTLM-signed EMSMDB session whose
//                          requests ride the IN channel and whose answers ride the OUT
//                          channel, a FlowControlAck on the IN channel, FIN on both
//   http_v1_593.pcap       RPC over HTTP v1 without a proxy: the legacy server response
//                          "ncacn_http/1.0" on the endpoint mapper (593) and on 6001, an
//                          ept_map with ncacn_http towers, an EMSMDB call
//   http_tls_443.pcap      the same v2 channels inside TLS 1.2 (resumed session, SNI and
//                          ALPN in clear, everything else opaque records)
//   http_v2_failures.pcap  401 from IIS, 503 "RPC Error" for a refused server, and a
//                          virtual connection that never gets CONN/A3 and is reset
//
// Every RTS PDU comes from rts_builder (MS-RPCH §2.2.3-2.2.4); the HTTP headers follow MS-RPCH
// §2.1.2.1; TLS follows RFC 5246 with RFC 6066 server_name and RFC 7301 ALPN. The capture point
// is the client; the client and the proxy are Windows hosts (TTL 128, windows 65535).
#include <fmt/format.h>

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "support/epm_builder.hpp"
#include "support/ntlmssp_builder.hpp"
#include "support/rts_builder.hpp"
#include "support/testdata_common.hpp"
#include "support/tower_builder.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr Timestamp kStart{1213088400, 0};  // 2008-06-10T09:00:00Z
constexpr std::uint64_t kMs = 1000;
constexpr std::uint64_t kRtt = 18 * kMs;  // client <-> proxy round trip (Internet)

constexpr SyntaxId kEmsmdb{Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662da"), 0, 81};
constexpr std::uint16_t kEcDoConnectEx = 10;
constexpr std::uint16_t kEcDoRpcExt2 = 11;
constexpr std::string_view kUserDn =
    "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jsmith";

// Virtual connection of http_v2_exchange.pcap (RTS cookies are UUIDs, MS-RPCH §2.2.3.1).
constexpr Uuid kVirtualConnectionCookie = Uuid::parse("9a1d4c52-7e03-4f6b-8c21-5b0e6d3f7a10");
constexpr Uuid kOutChannelCookie = Uuid::parse("3c7f2e81-1b94-4d0a-a6e5-0f28c94b1d22");
constexpr Uuid kInChannelCookie = Uuid::parse("e4b90a17-5c6d-4e28-9f13-7a0d2c8e6b33");
constexpr Uuid kAssociationGroupCookie = Uuid::parse("51f0c3a9-2d7e-4b86-b04a-c3e9176d5f44");

// Values of the virtual connection: MS-RPCH leaves them to the implementation.
constexpr std::uint32_t kReceiveWindow = 0x10000;       // CONN/A1, CONN/C2
constexpr std::uint32_t kChannelLifetime = 0x40000000;  // CONN/B1: 1 GiB, the IN request's size
constexpr std::uint32_t kClientKeepalive = 300000;      // CONN/B1: 5 minutes
constexpr std::uint32_t kConnectionTimeout = 120000;    // CONN/A3, CONN/C2: 2 minutes

constexpr std::uint32_t kNtlmFlags = kNtlmNegotiateUnicode | kNtlmNegotiateOem |
                                     kNtlmRequestTarget | kNtlmNegotiateSign | kNtlmNegotiateNtlm |
                                     kNtlmNegotiateAlwaysSign;

void wait(Capture& cap, std::uint64_t usec) { cap.clock().advance(usec); }

// Windows client and server: windows 65535, MSS 1460, TTL 128; ISNs from the client port.
TcpScriptConfig windows_conn(std::string_view client_ip, std::uint16_t client_port,
                             std::string_view server_ip, std::uint16_t server_port) {
  const std::uint32_t isn = 0x6b210000U + client_port * 0x1f3d5U;
  TcpScriptConfig c =
      tcp_config(client_ip, client_port, isn, server_ip, server_port, ~isn ^ 0x00c0ffeeU);
  c.client.window = 65535;
  c.client.syn_window = 65535;
  c.server.window = 65535;
  c.ip.ttl = 128;
  c.ip.identification = static_cast<std::uint16_t>(client_port * 7U);
  return c;
}

// The three-way handshake as the client sees it: the SYN/ACK one round trip after the SYN.
void connect(Capture& cap, TcpScript& tcp) {
  TcpSegment syn;
  syn.seq = tcp.config().client.isn;
  syn.flags = kTcpSyn;
  syn.window = 65535;
  syn.options = tcp_mss_option(1460);
  tcp.raw(Direction::to_server, syn);
  wait(cap, kRtt);
  TcpSegment syn_ack;
  syn_ack.seq = tcp.config().server.isn;
  syn_ack.ack = tcp.config().client.isn + 1;
  syn_ack.flags = kTcpSyn | kTcpAck;
  syn_ack.window = 65535;
  syn_ack.options = tcp_mss_option(1460);
  tcp.raw(Direction::to_client, syn_ack);
  tcp.ack(Direction::to_server);
}

// Data one way, the peer's ACK one round trip (client data) or at once (server data) later.
void send_acked(Capture& cap, TcpScript& tcp, Direction from, std::span<const std::byte> data) {
  tcp.send(from, data);
  if (from == Direction::to_server) wait(cap, kRtt);
  tcp.ack(from == Direction::to_server ? Direction::to_client : Direction::to_server);
}

// Server FIN first (the proxy closes after an error answer), then the client's.
void server_close(TcpScript& tcp) {
  tcp.fin(Direction::to_client);
  tcp.ack(Direction::to_server);
  tcp.fin(Direction::to_server);
  tcp.ack(Direction::to_client);
}

// ---- HTTP (MS-RPCH §2.1.2.1) ------------------------------------------------------------------

// IN channel request (§2.1.2.1.1, Content-Length 1 GiB) or OUT channel request (§2.1.2.1.2,
// Content-Length 76). The URL carries the RPC server and port (§2.2.2). The request line says
// HTTP/1.1 (our choice; §2.1.2.1.1 and §2.1.2.1.2 say a client SHOULD set Protocol to 1.0).
Bytes channel_request(std::string_view method, std::string_view server, std::string_view host,
                      std::uint32_t content_length) {
  return text_bytes(
      fmt::format("{} /rpc/rpcproxy.dll?{}:6001 HTTP/1.1\r\n"
                  "Accept: application/rpc\r\n"
                  "User-Agent: MSRPC\r\n"
                  "Host: {}\r\n"
                  "Content-Length: {}\r\n"
                  "Connection: Keep-Alive\r\n"
                  "Cache-Control: no-cache\r\n"
                  "Pragma: no-cache\r\n"
                  "\r\n",
                  method, server, host, content_length));
}

constexpr std::uint32_t kInChannelContentLength = 1073741824;  // 1 GiB, within 128 KiB..2 GiB
constexpr std::uint32_t kOutChannelContentLength = 76;         // a non-replacement OUT channel

// OUT channel response, success case (§2.1.2.1.4).
Bytes out_channel_response() {
  return text_bytes(
      "HTTP/1.1 200 Success\r\n"
      "Content-Type: application/rpc\r\n"
      "Content-Length: 1073741824\r\n"
      "\r\n");
}

// ---- NDR stubs of MS-OXCRPC ---------------------------------------------------------------------

// [string] char*: max_count, offset, actual_count, characters, NUL.
void ndr_string(ByteWriter& w, std::string_view s) {
  w.align(4);
  const auto n = static_cast<std::uint32_t>(s.size() + 1);
  w.u32(n).u32(0).u32(n).text(s).u8(0);
}

// The session context handle (CXH): attributes 0 and a UUID.
void session_handle(ByteWriter& w) {
  w.u32(0);
  Uuid::parse("0b6e2c44-93a1-4f0e-8d57-16c2e9a0b7d5").write(w);
}

// MS-OXCRPC §3.1.4.1 EcDoConnectEx [in]: Outlook 2007 (12.0.6211) asking for jsmith's mailbox.
Bytes ec_do_connect_ex_request() {
  ByteWriter w;
  ndr_string(w, kUserDn);
  w.align(4).u32(0).u32(0x1d0c3a7e).u32(0).u32(1252).u32(0x409).u32(0x409).u32(0xffffffff);
  w.u16(1);                     // usFCanConvertCodePages
  w.u16(12).u16(0).u16(6211);   // rgwClientVersion
  w.align(4).u32(0);            // pulTimeStamp
  w.u32(0).u32(0).u32(0x1008);  // rgbAuxIn (max_count 0), cbAuxIn, pcbAuxOut
  return w.take();
}

// [out]: the handle, polling values, DN prefix and display name, Exchange 2007 SP1 versions.
Bytes ec_do_connect_ex_response() {
  ByteWriter w;
  session_handle(w);
  w.u32(60000).u32(6).u32(10000).u16(0x0001);  // pcmsPollsMax, pcRetry, pcmsRetryDelay, picxr
  w.align(4).u32(0x00020000);
  ndr_string(w, "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)");
  w.align(4).u32(0x00020004);
  ndr_string(w, "John Smith");
  w.align(2).u16(8).u16(1).u16(240);  // rgwServerVersion: 8.1.240 (Exchange 2007 SP1)
  w.u16(12).u16(0).u16(6211);         // rgwBestVersion
  w.align(4).u32(0x484e4a10);         // pulTimeStamp
  w.u32(0).u32(0).u32(0);             // rgbAuxOut: empty
  w.u32(0).u32(0);                    // pcbAuxOut, return value ecSuccess
  return w.take();
}

// RPC_HEADER_EXT (MS-OXCRPC §2.2.2.1: Version 0, Flags Last) + SplitMix64 ROP octets.
Bytes rop_buffer(std::size_t rop_size, std::uint64_t seed) {
  ByteWriter w;
  const auto n = static_cast<std::uint16_t>(rop_size);
  w.u16(0).u16(0x0004).u16(n).u16(n).bytes(SplitMix64(seed).bytes(rop_size));
  return w.take();
}

// MS-OXCRPC §3.1.4.2 EcDoRpcExt2 [in] and [out].
Bytes ec_do_rpc_ext2_request(std::size_t rop_size, std::uint64_t seed) {
  const Bytes in = rop_buffer(rop_size, seed);
  const auto n = static_cast<std::uint32_t>(in.size());
  ByteWriter w;
  session_handle(w);
  w.u32(0).u32(n).bytes(in);       // pulFlags, rgbIn
  w.align(4).u32(n).u32(0x40000);  // cbIn, pcbOut
  w.u32(0).u32(0).u32(0x1008);     // rgbAuxIn, cbAuxIn, pcbAuxOut
  return w.take();
}

Bytes ec_do_rpc_ext2_response(std::size_t rop_size, std::uint64_t seed) {
  const Bytes out = rop_buffer(rop_size, seed);
  const auto n = static_cast<std::uint32_t>(out.size());
  ByteWriter w;
  session_handle(w);
  w.u32(0).u32(n).u32(0).u32(n).bytes(out);  // pulFlags, rgbOut
  w.align(4).u32(n);                         // pcbOut
  w.u32(0).u32(0).u32(0).u32(0);             // rgbAuxOut (empty), pcbAuxOut
  w.u32(9).u32(0);                           // pulTransTime, ecSuccess
  return w.take();
}

// ---- DCE/RPC PDUs -----------------------------------------------------------------------------

PduBuilder emsmdb_bind(std::optional<Bytes> negotiate) {
  PduBuilder b(Ptype::bind);
  b.call_id(1).context(ContextElement{0, kEmsmdb, {kNdrSyntax}});
  if (negotiate) b.auth(make_auth_verifier(std::move(*negotiate), 4, kAuthTypeWinnt));
  return b;
}

PduBuilder emsmdb_bind_ack(std::uint32_t assoc_group_id, std::optional<Bytes> challenge) {
  PduBuilder b(Ptype::bind_ack);
  b.call_id(1).assoc_group_id(assoc_group_id).sec_addr("6001").result(ContextResult{});
  if (challenge) b.auth(make_auth_verifier(std::move(*challenge), 4, kAuthTypeWinnt));
  return b;
}

// A request or response; signed (NTLMSSP packet integrity, trailer 16-aligned) when `seq`
// is set.
Bytes call_pdu(Ptype ptype, std::uint32_t call_id, std::uint16_t opnum, Bytes stub,
               std::optional<std::uint32_t> seq) {
  PduBuilder b(ptype);
  b.call_id(call_id).stub(stub);
  if (ptype == Ptype::request) b.opnum(opnum);
  if (seq) b.auth(make_auth_verifier(ntlmssp_signature(*seq, 0x5a17c3e0U + *seq), 16));
  return b.build();
}

Capture new_capture(std::uint32_t hour) {
  return Capture(LinkType::ethernet, Clock{Timestamp{kStart.sec + hour * 3600, 0}, 80});
}

// ---- the captures -----------------------------------------------------------------------------

// The two channels of a v2 virtual connection up to CONN/B1 (frames of each channel: handshake,
// HTTP request header, RTS body, the proxy's ACK).
void open_channels(Capture& cap, TcpScript& out, TcpScript& in, std::string_view server,
                   std::string_view host) {
  connect(cap, out);
  out.send(Direction::to_server,
           channel_request("RPC_OUT_DATA", server, host, kOutChannelContentLength));
  send_acked(cap, out, Direction::to_server,
             rts_conn_a1(kVirtualConnectionCookie, kOutChannelCookie, kReceiveWindow).build());
  connect(cap, in);
  in.send(Direction::to_server,
          channel_request("RPC_IN_DATA", server, host, kInChannelContentLength));
  send_acked(cap, in, Direction::to_server,
             rts_conn_b1(kVirtualConnectionCookie, kInChannelCookie, kChannelLifetime,
                         kClientKeepalive, kAssociationGroupCookie)
                 .build());
}

// The EMSMDB session of http_v2_exchange.pcap: what the client sends on the IN channel and
// what comes back on the OUT channel (http_tls_443.pcap seals records of the same sizes).
struct Session {
  Bytes bind, bind_ack, auth3;
  std::array<Bytes, 3> requests, responses;
};

Session emsmdb_session() {
  Session s;
  s.bind = emsmdb_bind(
               ntlmssp_negotiate(kNtlmFlags | kNtlmOemDomainSupplied | kNtlmOemWorkstationSupplied,
                                 "CONTOSO", "WS010"))
               .build();
  s.bind_ack = emsmdb_bind_ack(0x0000c7d5,
                               ntlmssp_challenge(
                                   kNtlmNegotiateUnicode | kNtlmNegotiateSign | kNtlmNegotiateNtlm |
                                       kNtlmNegotiateAlwaysSign | kNtlmTargetTypeDomain,
                                   {0x7e, 0x21, 0x9c, 0x04, 0xd3, 0x58, 0xa6, 0x1b}, "CONTOSO"))
                   .build();
  PduBuilder auth3(Ptype::auth3);
  auth3.call_id(1).auth(make_auth_verifier(
      ntlmssp_authenticate(kNtlmFlags, SplitMix64(0x4a70).bytes(24), SplitMix64(0x4a71).bytes(24),
                           "CONTOSO", "jsmith", "WS010"),
      4, kAuthTypeWinnt));
  s.auth3 = auth3.build();
  s.requests = {call_pdu(Ptype::request, 2, kEcDoConnectEx, ec_do_connect_ex_request(), 0),
                call_pdu(Ptype::request, 3, kEcDoRpcExt2, ec_do_rpc_ext2_request(64, 0x6a01), 1),
                call_pdu(Ptype::request, 4, kEcDoRpcExt2, ec_do_rpc_ext2_request(48, 0x6a02), 2)};
  s.responses = {call_pdu(Ptype::response, 2, 0, ec_do_connect_ex_response(), 0),
                 call_pdu(Ptype::response, 3, 0, ec_do_rpc_ext2_response(1200, 0x6b01), 1),
                 call_pdu(Ptype::response, 4, 0, ec_do_rpc_ext2_response(320, 0x6b02), 2)};
  return s;
}

// Server work (proxy -> server -> proxy included) before each answer.
constexpr std::array<std::uint64_t, 3> kServerUsec{14 * kMs, 6 * kMs, 4 * kMs};

TestCapture v2_exchange() {
  Capture cap = new_capture(0);
  TcpScript out(cap, windows_conn("10.6.0.10", 1301, "10.6.0.5", 80));
  TcpScript in(cap, windows_conn("10.6.0.10", 1302, "10.6.0.5", 80));
  open_channels(cap, out, in, "exch01.contoso.com", "mail.contoso.com");
  // The outbound proxy reached the server (CONN/A2): 200 Success, then the server's CONN/A3;
  // CONN/C2 once the server has both channels (CONN/B2).
  wait(cap, 2 * kMs);
  out.send(Direction::to_client, out_channel_response());
  out.send(Direction::to_client, rts_conn_a3(kConnectionTimeout).build());
  out.ack(Direction::to_server);
  wait(cap, 1 * kMs);
  send_acked(cap, out, Direction::to_client,
             rts_conn_c2(kReceiveWindow, kConnectionTimeout).build());

  // EMSMDB over the virtual connection: requests on IN, answers on OUT. RTS PDUs are not
  // subject to flow control (MS-RPCH §3.2.1.1.5), so BytesReceived counts RPC PDUs only.
  const Session s = emsmdb_session();
  std::uint32_t out_rpc_bytes = 0;
  auto answer = [&](const Bytes& pdu, std::uint64_t server_usec) {
    wait(cap, server_usec);
    out_rpc_bytes += static_cast<std::uint32_t>(pdu.size());
    send_acked(cap, out, Direction::to_client, pdu);
  };
  wait(cap, 3 * kMs);
  send_acked(cap, in, Direction::to_server, s.bind);
  answer(s.bind_ack, 1 * kMs);
  wait(cap, 1 * kMs);
  in.send(Direction::to_server, s.auth3);
  for (std::size_t i = 0; i < 3; ++i) {
    if (i == 2) {
      // The client has consumed what came on the OUT channel: a FlowControlAck (§2.2.4.50)
      // for the OUT channel, sent on the IN channel, the whole window available again.
      send_acked(cap, in, Direction::to_server,
                 rts_flow_control_ack(
                     FlowControlAcknowledgment{out_rpc_bytes, kReceiveWindow, kOutChannelCookie})
                     .build());
    }
    if (i > 0) wait(cap, 30 * kMs);
    send_acked(cap, in, Direction::to_server, s.requests[i]);
    answer(s.responses[i], kServerUsec[i]);
  }
  wait(cap, 500 * kMs);
  in.close();
  out.close();
  return pcap_capture("http_v2_exchange.pcap", cap);
}

// ncacn_http tower (MS-RPCE §2.2.1.2.x floors; MS-RPCH §2.1: protocol identifier 0x1F):
// interface, NDR 2.0, RPC connection-oriented, HTTP port, IPv4 address.
Bytes http_tower(std::uint16_t port, std::array<std::uint8_t, 4> address) {
  return TowerBuilder{}
      .interface_floor(kEmsmdb)
      .transfer_syntax_floor(kNdrSyntax)
      .rpc_connection_oriented()
      .http(port)
      .ip(address)
      .build();
}

// MS-RPCH §2.1.1.2.1: the legacy server response, 14 ASCII octets without a terminator.
constexpr std::string_view kLegacyServerResponse = "ncacn_http/1.0";

TestCapture v1_593() {
  Capture cap = new_capture(1);
  // The endpoint mapper of ncacn_http (port 593, MS-RPCH §2.1).
  TcpScript epm(cap, windows_conn("10.6.1.10", 1401, "10.6.1.20", 593));
  connect(cap, epm);
  epm.send(Direction::to_client, text_bytes(kLegacyServerResponse));
  wait(cap, 1 * kMs);
  send_acked(cap, epm, Direction::to_server, epm_bind(1).build());
  epm.send(Direction::to_client, epm_bind_ack(1, 0x5d21, "593").build());
  wait(cap, 1 * kMs);
  EptMapRequest map;
  map.map_tower = http_tower(0, {0, 0, 0, 0});
  PduBuilder request(Ptype::request);
  request.call_id(2).opnum(kOpnumEptMap).stub(build_ept_map_request(map));
  send_acked(cap, epm, Direction::to_server, request.build());
  EptMapResponse answer;
  answer.towers.push_back(http_tower(6001, {10, 6, 1, 20}));
  PduBuilder response(Ptype::response);
  response.call_id(2).stub(build_ept_map_response(answer));
  epm.send(Direction::to_client, response.build());
  wait(cap, 1 * kMs);
  epm.close();

  wait(cap, 3 * kMs);
  TcpScript store(cap, windows_conn("10.6.1.10", 1402, "10.6.1.20", 6001));
  connect(cap, store);
  store.send(Direction::to_client, text_bytes(kLegacyServerResponse));
  wait(cap, 1 * kMs);
  send_acked(cap, store, Direction::to_server, emsmdb_bind(std::nullopt).build());
  store.send(Direction::to_client, emsmdb_bind_ack(0x5d22, std::nullopt).build());
  wait(cap, 1 * kMs);
  send_acked(cap, store, Direction::to_server,
             call_pdu(Ptype::request, 2, kEcDoConnectEx, ec_do_connect_ex_request(), {}));
  wait(cap, 12 * kMs);
  store.send(Direction::to_client,
             call_pdu(Ptype::response, 2, 0, ec_do_connect_ex_response(), {}));
  wait(cap, 200 * kMs);
  store.close();
  return pcap_capture("http_v1_593.pcap", cap);
}

// ---- TLS 1.2 (RFC 5246) -----------------------------------------------------------------------

constexpr std::uint8_t kTlsChangeCipherSpec = 20;
constexpr std::uint8_t kTlsAlert = 21;
constexpr std::uint8_t kTlsHandshake = 22;
constexpr std::uint8_t kTlsApplicationData = 23;
constexpr std::uint16_t kTls12 = 0x0303;
// AES-GCM records (RFC 5288 §3): 8-octet explicit nonce + ciphertext + 16-octet tag.
constexpr std::size_t kGcmOverhead = 24;

// TLSPlaintext / TLSCiphertext: type, version, u16 length, fragment (RFC 5246 §6.2).
Bytes tls_record(std::uint8_t type, std::span<const std::byte> fragment) {
  ByteWriter w(Endian::big);
  w.u8(type).u16(kTls12).u16(static_cast<std::uint16_t>(fragment.size())).bytes(fragment);
  return w.take();
}

// Handshake: msg_type, u24 length, body (RFC 5246 §7.4).
Bytes tls_handshake(std::uint8_t msg_type, std::span<const std::byte> body) {
  ByteWriter w(Endian::big);
  const auto n = static_cast<std::uint32_t>(body.size());
  w.u8(msg_type).u8(static_cast<std::uint8_t>(n >> 16)).u16(static_cast<std::uint16_t>(n));
  w.bytes(body);
  return w.take();
}

// An extension: u16 type, u16 length, data (RFC 5246 §7.4.1.4).
void tls_extension(ByteWriter& w, std::uint16_t type, std::span<const std::byte> data) {
  w.u16(type).u16(static_cast<std::uint16_t>(data.size())).bytes(data);
}

// ALPN extension_data (RFC 7301 §3.1): ProtocolNameList with one name.
Bytes alpn(std::string_view protocol) {
  ByteWriter w(Endian::big);
  w.u16(static_cast<std::uint16_t>(protocol.size() + 1))
      .u8(static_cast<std::uint8_t>(protocol.size()))
      .text(protocol);
  return w.take();
}

constexpr std::uint16_t kExtServerName = 0;              // RFC 6066 §3
constexpr std::uint16_t kExtSupportedGroups = 10;        // RFC 8422 §5.1.1
constexpr std::uint16_t kExtEcPointFormats = 11;         // RFC 8422 §5.1.2
constexpr std::uint16_t kExtSignatureAlgorithms = 13;    // RFC 5246 §7.4.1.4.1
constexpr std::uint16_t kExtAlpn = 16;                   // RFC 7301 §3.1
constexpr std::uint16_t kExtExtendedMasterSecret = 23;   // RFC 7627 §5.1
constexpr std::uint16_t kExtRenegotiationInfo = 0xff01;  // RFC 5746 §3.2
constexpr std::uint16_t kCipherEcdheRsaAes256GcmSha384 = 0xc030;

Bytes client_hello(std::string_view server_name, const Bytes& session_id, std::uint64_t seed) {
  ByteWriter w(Endian::big);
  w.u16(kTls12).bytes(SplitMix64(seed).bytes(32));
  w.u8(static_cast<std::uint8_t>(session_id.size())).bytes(session_id);
  const std::uint16_t suites[] = {0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024,
                                  0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014, 0xc013,
                                  0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a};
  w.u16(static_cast<std::uint16_t>(sizeof(suites)));
  for (std::uint16_t s : suites) w.u16(s);
  w.u8(1).u8(0);  // compression_methods: null

  ByteWriter ext(Endian::big);
  ByteWriter sni(Endian::big);  // ServerNameList: one host_name(0)
  sni.u16(static_cast<std::uint16_t>(server_name.size() + 3))
      .u8(0)
      .u16(static_cast<std::uint16_t>(server_name.size()))
      .text(server_name);
  tls_extension(ext, kExtServerName, sni.view());
  tls_extension(ext, kExtSupportedGroups, hex_bytes("0006 001d 0017 0018"));
  tls_extension(ext, kExtEcPointFormats, hex_bytes("01 00"));
  tls_extension(ext, kExtSignatureAlgorithms,
                hex_bytes("0014 0401 0501 0201 0403 0503 0203 0804 0805 0806 0601"));
  tls_extension(ext, kExtAlpn, alpn("http/1.1"));
  tls_extension(ext, kExtExtendedMasterSecret, {});
  tls_extension(ext, kExtRenegotiationInfo, hex_bytes("00"));
  w.u16(static_cast<std::uint16_t>(ext.size())).bytes(ext.view());
  return tls_record(kTlsHandshake, tls_handshake(1, w.view()));
}

// ServerHello resuming the client's session (RFC 5246 §7.3, abbreviated handshake).
Bytes server_hello(const Bytes& session_id, std::uint64_t seed) {
  ByteWriter w(Endian::big);
  w.u16(kTls12).bytes(SplitMix64(seed).bytes(32));
  w.u8(static_cast<std::uint8_t>(session_id.size())).bytes(session_id);
  w.u16(kCipherEcdheRsaAes256GcmSha384).u8(0);
  ByteWriter ext(Endian::big);
  tls_extension(ext, kExtRenegotiationInfo, hex_bytes("00"));
  tls_extension(ext, kExtAlpn, alpn("http/1.1"));
  tls_extension(ext, kExtExtendedMasterSecret, {});
  w.u16(static_cast<std::uint16_t>(ext.size())).bytes(ext.view());
  return tls_record(kTlsHandshake, tls_handshake(2, w.view()));
}

// ChangeCipherSpec, then Finished encrypted (12 octets verify_data + 4 header under GCM).
Bytes change_cipher_spec_and_finished(std::uint64_t seed) {
  return concat({tls_record(kTlsChangeCipherSpec, hex_bytes("01")),
                 tls_record(kTlsHandshake, SplitMix64(seed).bytes(16 + kGcmOverhead))});
}

// The ciphertext of `plaintext_size` octets of application data or alert.
Bytes sealed(std::uint8_t type, std::size_t plaintext_size, std::uint64_t seed) {
  return tls_record(type, SplitMix64(seed).bytes(plaintext_size + kGcmOverhead));
}

// One channel of RPC over HTTPS up to its opening: handshake, resumed TLS session, then one
// record per cleartext message of http_v2_exchange.pcap (sizes given), each side's ACK.
void tls_channel(Capture& cap, TcpScript& tcp, const Bytes& session_id, std::uint64_t seed,
                 std::span<const std::size_t> client_messages,
                 std::span<const std::size_t> server_messages) {
  connect(cap, tcp);
  tcp.send(Direction::to_server, client_hello("mail.contoso.com", session_id, seed));
  wait(cap, kRtt + 1 * kMs);
  tcp.send(Direction::to_client,
           concat({server_hello(session_id, seed + 1), change_cipher_spec_and_finished(seed + 2)}));
  tcp.send(Direction::to_server, change_cipher_spec_and_finished(seed + 3));
  std::uint64_t s = seed + 4;
  for (std::size_t n : client_messages)
    tcp.send(Direction::to_server, sealed(kTlsApplicationData, n, s++));
  wait(cap, kRtt);
  tcp.ack(Direction::to_client);
  for (std::size_t n : server_messages) {
    wait(cap, 1 * kMs);
    tcp.send(Direction::to_client, sealed(kTlsApplicationData, n, s++));
  }
  if (!server_messages.empty()) tcp.ack(Direction::to_server);
}

TestCapture tls_443() {
  Capture cap = new_capture(2);
  const Bytes session_id = SplitMix64(0x7150).bytes(32);
  const std::size_t out_request = channel_request("RPC_OUT_DATA", "exch01.contoso.com",
                                                  "mail.contoso.com", kOutChannelContentLength)
                                      .size();
  const std::size_t in_request = channel_request("RPC_IN_DATA", "exch01.contoso.com",
                                                 "mail.contoso.com", kInChannelContentLength)
                                     .size();
  TcpScript out(cap, windows_conn("10.6.2.10", 1601, "10.6.2.5", 443));
  TcpScript in(cap, windows_conn("10.6.2.10", 1602, "10.6.2.5", 443));
  // OUT: request header and CONN/A1; 200 Success, CONN/A3, CONN/C2 and three answers.
  const std::size_t out_client[] = {out_request, 76};
  const std::size_t out_server[] = {out_channel_response().size(), 28, 44};
  tls_channel(cap, out, session_id, 0x7200, out_client, out_server);
  // IN: request header and CONN/B1; then the session's PDUs one record each.
  const std::size_t in_client[] = {in_request, 104};
  tls_channel(cap, in, session_id, 0x7300, in_client, {});
  const Session s = emsmdb_session();
  std::uint64_t seed = 0x7400;
  auto exchange = [&](std::initializer_list<const Bytes*> requests, const Bytes& response,
                      std::uint64_t server_usec) {
    wait(cap, 3 * kMs);
    for (const Bytes* r : requests) {
      in.send(Direction::to_server, sealed(kTlsApplicationData, r->size(), seed++));
    }
    wait(cap, kRtt);
    in.ack(Direction::to_client);
    wait(cap, server_usec);
    send_acked(cap, out, Direction::to_client,
               sealed(kTlsApplicationData, response.size(), seed++));
  };
  exchange({&s.bind}, s.bind_ack, 1 * kMs);
  exchange({&s.auth3, &s.requests[0]}, s.responses[0], kServerUsec[0]);
  for (std::size_t i = 1; i < 3; ++i) exchange({&s.requests[i]}, s.responses[i], kServerUsec[i]);
  wait(cap, 500 * kMs);
  for (TcpScript* tcp : {&in, &out}) {
    tcp->send(Direction::to_server, sealed(kTlsAlert, 2, 0x7600));  // close_notify
    tcp->close();
  }
  return pcap_capture("http_tls_443.pcap", cap);
}

// ---- failures ---------------------------------------------------------------------------------

TestCapture v2_failures() {
  Capture cap = new_capture(3);
  const Bytes a1 = rts_conn_a1(kVirtualConnectionCookie, kOutChannelCookie, kReceiveWindow).build();
  // (a) IIS wants authentication before the request reaches the RPC proxy.
  TcpScript denied(cap, windows_conn("10.6.3.10", 1701, "10.6.3.5", 80));
  connect(cap, denied);
  denied.send(Direction::to_server, channel_request("RPC_OUT_DATA", "exch01.contoso.com",
                                                    "mail.contoso.com", kOutChannelContentLength));
  denied.send(Direction::to_server, a1);
  wait(cap, kRtt);
  const std::string body =
      "<html><head><title>401 Unauthorized</title></head>"
      "<body>Access is denied.</body></html>";
  denied.send(Direction::to_client, text_bytes(fmt::format("HTTP/1.1 401 Unauthorized\r\n"
                                                           "Content-Length: {}\r\n"
                                                           "Content-Type: text/html\r\n"
                                                           "Server: Microsoft-IIS/6.0\r\n"
                                                           "WWW-Authenticate: Negotiate\r\n"
                                                           "WWW-Authenticate: NTLM\r\n"
                                                           "\r\n{}",
                                                           body.size(), body)));
  server_close(denied);

  // (b) The RPC proxy refuses the server (not in its ValidPorts): the IN/OUT channel response
  // of an error (MS-RPCH §2.1.2.1.3, §2.1.2.1.4, §3.2.3.5.11): HTTP/1.0, status 503, reason
  // "RPC Error: " + hex code. The code is implementation-specific; ours is 0x6c1
  // (RPC_S_PROXY_ACCESS_DENIED, MS-ERREF). No EEInfo, so no message body.
  wait(cap, 2000 * kMs);
  TcpScript refused(cap, windows_conn("10.6.3.10", 1702, "10.6.3.5", 80));
  connect(cap, refused);
  refused.send(Direction::to_server, channel_request("RPC_OUT_DATA", "badhost.contoso.com",
                                                     "mail.contoso.com", kOutChannelContentLength));
  refused.send(Direction::to_server, a1);
  wait(cap, kRtt);
  refused.send(Direction::to_client,
               text_bytes("HTTP/1.0 503 RPC Error: 6c1\r\nContent-Length: 0\r\n\r\n"));
  server_close(refused);

  // (c) 200 Success on the OUT channel, then nothing: the server never sends CONN/A3, CONN/B1
  // on the IN channel is only ACKed; the client gives up 30 s later with RST on both.
  wait(cap, 2000 * kMs);
  TcpScript out(cap, windows_conn("10.6.3.10", 1703, "10.6.3.5", 80));
  TcpScript in(cap, windows_conn("10.6.3.10", 1704, "10.6.3.5", 80));
  open_channels(cap, out, in, "exch01.contoso.com", "mail.contoso.com");
  wait(cap, 2 * kMs);
  send_acked(cap, out, Direction::to_client, out_channel_response());
  wait(cap, 30000 * kMs);
  out.rst(Direction::to_server);
  in.rst(Direction::to_server);
  return pcap_capture("http_v2_failures.pcap", cap);
}

}  // namespace

std::vector<TestCapture> http_captures() {
  return {v2_exchange(), v1_593(), tls_443(), v2_failures()};
}

}  // namespace rpctrace::testsupport
