// testdata/ scenarios for `rpctrace diagnose` (issue 5: "why does Outlook say Mail:
// Connecting?"), one capture per finding, on an Exchange 2003-style network: Outlook on
// 10.5.0.20, the Exchange server 10.5.0.10, a global catalog 10.5.0.11 (and, for the MTA, a
// second Exchange server 10.5.0.12). Outlook asks the endpoint mapper (port 135) for an
// interface, then connects to the port it is given (RFR 1067, NSPI 1068, EMSMDB 1090: the
// source document's, seeds/000).
//   diag_mail_connecting.pcap        the source document's case: Directory works, the
//                                    store's dynamic port never answers a SYN (twice)
//   diag_dynamic_port_rst.pcap       the store's port answers the SYN with RST
//   diag_epm_unanswered.pcap         port 135 never answers
//   diag_epm_reset.pcap              port 135 answers with RST
//   diag_bind_refused.pcap           bind_nak, a rejected bind context, a rejected
//                                    alter_context context
//   diag_faults.pcap                 access denied, op_rng_error, an authentication failure
//                                    (fault 0x721), RST after auth3
//   diag_unanswered_and_slow.pcap    calls never answered, a slow call, fast calls
//   diag_tcp_trouble.pcap            data retransmissions, a zero window, RST mid-call
//   diag_rpc_over_http.pcap          binds and calls on the static ports 6001/6002/6004
//   diag_mta_twoway_incomplete.pcap  KB159298's MTA bind without the bind back
//   diag_healthy.pcap                a clean Outlook session
//
// Timing is Windows-like: LAN round trips under a millisecond, server work of 1-20 ms, SYN
// retransmissions 3 s and 6 s apart, a refused connect() retried twice 0.5 s apart. Stubs
// are small but well-formed NDR for the operations named (MS-OXABREF RfrGetNewDSA, MS-NSPI
// NspiBind, MS-OXCRPC EcDoConnectEx / EcDoRpcExt2); ROP buffers and the MTA stubs are
// SplitMix64 octets.
#include <fmt/format.h>

#include <array>
#include <string>

#include "support/epm_builder.hpp"
#include "support/ntlmssp_builder.hpp"
#include "support/testdata_common.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr Timestamp kStart{1142330400, 0};  // 2006-03-14T10:00:00Z

constexpr std::uint8_t kClientHost = 20;     // 10.5.0.20, Outlook
constexpr std::uint8_t kExchangeHost = 10;   // 10.5.0.10, Exchange (store, RFR)
constexpr std::uint8_t kGcHost = 11;         // 10.5.0.11, global catalog (NSPI)
constexpr std::uint8_t kExchangeBHost = 12;  // 10.5.0.12, a second Exchange server (MTA)
constexpr std::array<std::uint8_t, 4> kExchangeIp{10, 5, 0, 10};
constexpr std::array<std::uint8_t, 4> kGcIp{10, 5, 0, 11};
constexpr std::array<std::uint8_t, 4> kExchangeBIp{10, 5, 0, 12};

constexpr SyntaxId kRfr{Uuid::parse("1544f5e0-613c-11d1-93df-00c04fd7bd09"), 1, 0};
constexpr SyntaxId kNspi{Uuid::parse("f5cc5a18-4264-101a-8c59-08002b2f8426"), 56, 0};
constexpr SyntaxId kEmsmdb{Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662da"), 0, 81};

constexpr std::uint16_t kRfrGetNewDsa = 0;
constexpr std::uint16_t kNspiBind = 0;
constexpr std::uint16_t kEcDoConnectEx = 10;
constexpr std::uint16_t kEcDoRpcExt2 = 11;
constexpr std::uint16_t kEcDoAsyncConnectEx = 14;  // Exchange 2007's: not on this server
constexpr std::uint16_t kMtaBind = 0;

constexpr std::uint16_t kRfrPort = 1067;
constexpr std::uint16_t kNspiPort = 1068;
constexpr std::uint16_t kStorePort = 1090;

constexpr std::string_view kUserDn =
    "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=jsmith";

constexpr std::uint32_t kFaultAccessDenied = 0x00000005;
constexpr std::uint32_t kFaultOpRangeError = 0x1c010002;  // nca_s_op_rng_error
constexpr std::uint32_t kFaultSecPkgError = 0x00000721;   // RPC_S_SEC_PKG_ERROR

constexpr std::uint32_t kNtlmFlags = kNtlmNegotiateUnicode | kNtlmNegotiateOem |
                                     kNtlmRequestTarget | kNtlmNegotiateSign | kNtlmNegotiateNtlm |
                                     kNtlmNegotiateAlwaysSign;

// ---- timing and TCP -------------------------------------------------------------------------

constexpr std::uint64_t kMs = 1000;

void wait(Capture& cap, std::uint64_t usec) { cap.clock().advance(usec); }

std::string host(std::uint8_t last) { return fmt::format("10.5.0.{}", last); }

MacAddress mac_of(std::uint8_t last) { return MacAddress{0x02, 0x00, 0x0a, 0x05, 0x00, last}; }

// A connection between two Windows hosts: windows 65535, MSS 1460, TTL 128; ISNs and IP ids
// derived from the client port.
TcpScriptConfig conn(std::uint8_t client, std::uint16_t client_port, std::uint8_t server,
                     std::uint16_t server_port) {
  const std::uint32_t isn = 0x5a3c0000U + client_port * 0x10421U;
  TcpScriptConfig c =
      tcp_config(host(client), client_port, isn, host(server), server_port, ~isn + 0x7777U);
  c.client.window = 65535;
  c.client.syn_window = 65535;
  c.client.mac = mac_of(client);
  c.server.window = 65535;
  c.server.mac = mac_of(server);
  c.ip.ttl = 128;
  c.ip.identification = static_cast<std::uint16_t>(client_port * 13U);
  return c;
}

// A client SYN (as in the handshake) without an answer; sent again for each retransmission.
void lone_syn(TcpScript& tcp) {
  TcpSegment s;
  s.seq = tcp.config().client.isn;
  s.ack = 0;
  s.flags = kTcpSyn;
  s.window = 65535;
  s.options = tcp_mss_option(1460);
  tcp.raw(Direction::to_server, s);
}

// The server's answer to a SYN on a closed port: RST/ACK, seq 0, ack = ISN + 1, window 0.
void refuse_syn(TcpScript& tcp) {
  TcpSegment r;
  r.seq = 0;
  r.ack = tcp.config().client.isn + 1;
  r.flags = kTcpRst | kTcpAck;
  r.window = 0;
  tcp.raw(Direction::to_client, r);
}

// Windows' connect(): SYN, then retransmissions 3 s and 6 s later (TcpMaxConnectRetransmissions
// 2), nothing answering.
void unanswered_connect(Capture& cap, TcpScript& tcp) {
  lone_syn(tcp);
  wait(cap, 3000 * kMs);
  lone_syn(tcp);
  wait(cap, 6000 * kMs);
  lone_syn(tcp);
}

// Windows' connect() to a closed port: each RST is followed by another SYN 0.5 s later, three
// attempts in all.
void refused_connect(Capture& cap, TcpScript& tcp) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) wait(cap, 500 * kMs);
    lone_syn(tcp);
    refuse_syn(tcp);
  }
}

// ---- NDR stubs ------------------------------------------------------------------------------

// [string] char*: max_count, offset, actual_count, the characters and a NUL.
void ndr_string(ByteWriter& w, std::string_view s) {
  w.align(4);
  const auto n = static_cast<std::uint32_t>(s.size() + 1);
  w.u32(n).u32(0).u32(n).text(s).u8(0);
}

void context_handle(ByteWriter& w, std::uint32_t serial) {
  w.u32(0);
  Uuid u = Uuid::parse("c0a80000-7a1e-4d52-9d3e-2c3a5f6e0000");
  u.time_low += serial;
  u.write(w);
}

// MS-OXABREF 3.1.4.1 RfrGetNewDSA: ulFlags, pUserDN, ppszUnused (null), ppszServer (a
// pointer to a null pointer: "tell me a server").
Bytes rfr_get_new_dsa_request() {
  ByteWriter w;
  w.u32(0);
  ndr_string(w, kUserDn);
  w.align(4).u32(0).u32(0x00020000).u32(0);
  return w.take();
}

Bytes rfr_get_new_dsa_response(std::string_view server) {
  ByteWriter w;
  w.u32(0).u32(0x00020000).u32(0x00020004);
  ndr_string(w, server);
  w.align(4).u32(0);  // ecSuccess
  return w.take();
}

// MS-NSPI 3.1.4.1.1 NspiBind: dwFlags, STAT (code page 1252, locales 0x409), pServerGuid.
Bytes nspi_bind_request() {
  ByteWriter w;
  w.u32(0);
  w.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(1252).u32(0x409).u32(0x409);
  w.u32(0x00020000).zeros(16);
  return w.take();
}

Bytes nspi_bind_response(std::uint32_t serial) {
  ByteWriter w;
  w.u32(0x00020000);
  Uuid::parse("5d3c6a11-2b8e-4a4f-9c1d-0e5b7f2a9c11").write(w);
  context_handle(w, serial);
  w.u32(0);
  return w.take();
}

// MS-OXCRPC 3.1.4.1 EcDoConnectEx: szUserDN, ulFlags, ulConMod, cbLimit, ulCpid,
// ulLcidString, ulLcidSort, ulIcxrLink, usFCanConvertCodePages, rgwClientVersion (Outlook
// 2003, 11.0.5604), pulTimeStamp, rgbAuxIn (empty), cbAuxIn, pcbAuxOut.
Bytes ec_do_connect_ex_request() {
  ByteWriter w;
  ndr_string(w, kUserDn);
  w.align(4).u32(0).u32(0x2a3b4c5d).u32(0).u32(1252).u32(0x409).u32(0x409).u32(0xffffffff);
  w.u16(1).u16(11).u16(0).u16(5604);
  w.align(4).u32(0);  // pulTimeStamp
  w.u32(0);           // rgbAuxIn: max_count 0
  w.u32(0);           // cbAuxIn
  w.u32(0x1008);      // pcbAuxOut
  return w.take();
}

Bytes ec_do_connect_ex_response(std::uint32_t serial) {
  ByteWriter w;
  context_handle(w, serial);
  w.u32(60000).u32(6).u32(10000).u16(0x0001);  // polls max, retries, delay, icxr
  w.align(4).u32(0x00020000);                  // szDNPrefix
  ndr_string(w, "/O=CONTOSO/OU=FIRST ADMINISTRATIVE GROUP");
  w.align(4).u32(0x00020004);  // szDisplayName
  ndr_string(w, "John Smith");
  w.align(2).u16(6).u16(5).u16(7638);  // rgwServerVersion: Exchange 2003 SP2
  w.u16(11).u16(0).u16(5604);          // rgwBestVersion
  w.align(4).u32(0x44179b20);          // pulTimeStamp
  w.u32(0).u32(0).u32(0);              // rgbAuxOut: empty
  w.u32(0);                            // pcbAuxOut
  w.u32(0);                            // ecSuccess
  return w.take();
}

// MS-OXCRPC 3.1.4.2 EcDoRpcExt2: pcxh, pulFlags, rgbIn (RPC_HEADER_EXT + ROP octets), cbIn,
// pcbOut, rgbAuxIn (empty), cbAuxIn, pcbAuxOut.
Bytes rpc_header_ext_payload(std::size_t rop_size, std::uint64_t seed) {
  ByteWriter w;
  w.u16(0).u16(0x0004);  // Version, Flags: Last
  w.u16(static_cast<std::uint16_t>(rop_size)).u16(static_cast<std::uint16_t>(rop_size));
  w.bytes(SplitMix64(seed).bytes(rop_size));
  return w.take();
}

Bytes ec_do_rpc_ext2_request(std::uint32_t serial, std::size_t rop_size, std::uint64_t seed) {
  const Bytes in = rpc_header_ext_payload(rop_size, seed);
  ByteWriter w;
  context_handle(w, serial);
  w.u32(0);  // pulFlags
  w.u32(static_cast<std::uint32_t>(in.size())).bytes(in);
  w.align(4).u32(static_cast<std::uint32_t>(in.size()));  // cbIn
  w.u32(0x40000);                                         // pcbOut
  w.u32(0).u32(0).u32(0x1008);                            // rgbAuxIn (empty), cbAuxIn, pcbAuxOut
  return w.take();
}

Bytes ec_do_rpc_ext2_response(std::uint32_t serial, std::size_t rop_size, std::uint64_t seed) {
  const Bytes out = rpc_header_ext_payload(rop_size, seed);
  const auto n = static_cast<std::uint32_t>(out.size());
  ByteWriter w;
  context_handle(w, serial);
  w.u32(0);                           // pulFlags
  w.u32(n).u32(0).u32(n).bytes(out);  // rgbOut
  w.align(4).u32(n);                  // pcbOut
  w.u32(0).u32(0).u32(0).u32(0);      // rgbAuxOut (empty), pcbAuxOut
  w.u32(12);                          // pulTransTime
  w.u32(0);                           // ecSuccess
  return w.take();
}

// ---- PDUs -----------------------------------------------------------------------------------

PduBuilder bind_pdu(std::uint32_t call_id, const SyntaxId& iface) {
  PduBuilder b(Ptype::bind);
  b.call_id(call_id).context(ContextElement{0, iface, {kNdrSyntax}});
  return b;
}

PduBuilder bind_ack_pdu(std::uint32_t call_id, std::uint32_t assoc, std::uint16_t port) {
  PduBuilder b(Ptype::bind_ack);
  b.call_id(call_id)
      .assoc_group_id(assoc)
      .sec_addr(fmt::format("{}", port))
      .result(ContextResult{});
  return b;
}

Bytes request(std::uint32_t call_id, std::uint16_t opnum, Bytes stub) {
  PduBuilder b(Ptype::request);
  b.call_id(call_id).opnum(opnum).stub(stub);
  return b.build();
}

Bytes response(std::uint32_t call_id, Bytes stub) {
  PduBuilder b(Ptype::response);
  b.call_id(call_id).stub(stub);
  return b.build();
}

Bytes fault(std::uint32_t call_id, std::uint32_t status, bool did_not_execute) {
  PduBuilder b(Ptype::fault);
  b.call_id(call_id).status(status);
  if (did_not_execute) b.pfc_flags(kPfcFirstFrag | kPfcLastFrag | kPfcDidNotExecute);
  return b.build();
}

// Handshake, bind and bind_ack for `iface` (sec_addr = the server port).
void open_and_bind(Capture& cap, TcpScript& tcp, const SyntaxId& iface, std::uint32_t assoc) {
  tcp.handshake();
  tcp.send(Direction::to_server, bind_pdu(1, iface).build());
  wait(cap, 400);
  tcp.send(Direction::to_client, bind_ack_pdu(1, assoc, tcp.config().server.port).build());
}

// A request answered `server_usec` later.
void call(Capture& cap, TcpScript& tcp, std::uint32_t call_id, std::uint16_t opnum, Bytes req,
          Bytes resp, std::uint64_t server_usec) {
  tcp.send(Direction::to_server, request(call_id, opnum, std::move(req)));
  wait(cap, server_usec);
  tcp.send(Direction::to_client, response(call_id, std::move(resp)));
}

// Outlook's lookup: EPM bind, ept_map for `iface`, answer `port` at `address`, FIN teardown.
void epm_lookup(Capture& cap, std::uint16_t client_port, std::uint8_t server, const SyntaxId& iface,
                std::uint16_t port, std::array<std::uint8_t, 4> address, std::uint32_t assoc) {
  TcpScript tcp(cap, conn(kClientHost, client_port, server, 135));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  wait(cap, 400);
  tcp.send(Direction::to_client, epm_bind_ack(1, assoc, "135").build());
  tcp.send(Direction::to_server, ept_map_request(2, iface).build());
  wait(cap, 700);
  tcp.send(Direction::to_client, ept_map_response(2, iface, port, address).build());
  tcp.close();
}

// Directory phase of an Outlook start: RFR lookup and RfrGetNewDSA on the Exchange server
// (connection closed), then NSPI lookup on the global catalog and NspiBind. The NSPI
// connection is closed when `close_nspi`.
void directory(Capture& cap, std::uint16_t first_port, bool close_nspi) {
  epm_lookup(cap, first_port, kExchangeHost, kRfr, kRfrPort, kExchangeIp, 0x1a01);
  wait(cap, 2 * kMs);
  TcpScript rfr(cap, conn(kClientHost, first_port + 1, kExchangeHost, kRfrPort));
  open_and_bind(cap, rfr, kRfr, 0x1a02);
  call(cap, rfr, 2, kRfrGetNewDsa, rfr_get_new_dsa_request(),
       rfr_get_new_dsa_response("gc1.contoso.local"), 3 * kMs);
  rfr.close();
  wait(cap, 5 * kMs);
  epm_lookup(cap, first_port + 2, kGcHost, kNspi, kNspiPort, kGcIp, 0x2b01);
  wait(cap, 2 * kMs);
  TcpScript nspi(cap, conn(kClientHost, first_port + 3, kGcHost, kNspiPort));
  open_and_bind(cap, nspi, kNspi, 0x2b02);
  call(cap, nspi, 2, kNspiBind, nspi_bind_request(), nspi_bind_response(1), 4 * kMs);
  if (close_nspi) nspi.close();
}

Capture new_capture(std::uint32_t hour) {
  return Capture(LinkType::ethernet, Clock{Timestamp{kStart.sec + hour * 3600, 0}, 150});
}

// ---- the captures ---------------------------------------------------------------------------

TestCapture mail_connecting() {
  Capture cap = new_capture(0);
  directory(cap, 1139, false);
  wait(cap, 20 * kMs);
  // The store: ept_map answers 1090, and nothing answers there; Outlook tries again a
  // minute later with a new lookup.
  for (std::uint16_t attempt = 0; attempt < 2; ++attempt) {
    if (attempt > 0) wait(cap, 60000 * kMs - 9000 * kMs);
    const auto port = static_cast<std::uint16_t>(1143 + attempt * 2);
    epm_lookup(cap, port, kExchangeHost, kEmsmdb, kStorePort, kExchangeIp, 0x1a03 + attempt);
    wait(cap, 2 * kMs);
    TcpScript store(cap, conn(kClientHost, port + 1, kExchangeHost, kStorePort));
    unanswered_connect(cap, store);
  }
  return pcap_capture("diag_mail_connecting.pcap", cap);
}

TestCapture dynamic_port_rst() {
  Capture cap = new_capture(1);
  epm_lookup(cap, 1150, kExchangeHost, kEmsmdb, kStorePort, kExchangeIp, 0x1b01);
  wait(cap, 2 * kMs);
  TcpScript store(cap, conn(kClientHost, 1151, kExchangeHost, kStorePort));
  refused_connect(cap, store);
  return pcap_capture("diag_dynamic_port_rst.pcap", cap);
}

TestCapture epm_unanswered() {
  Capture cap = new_capture(2);
  TcpScript epm(cap, conn(kClientHost, 1160, kExchangeHost, 135));
  unanswered_connect(cap, epm);
  return pcap_capture("diag_epm_unanswered.pcap", cap);
}

TestCapture epm_reset() {
  Capture cap = new_capture(3);
  TcpScript epm(cap, conn(kClientHost, 1165, kExchangeHost, 135));
  refused_connect(cap, epm);
  return pcap_capture("diag_epm_reset.pcap", cap);
}

TestCapture bind_refused() {
  Capture cap = new_capture(4);
  // 1: the store refuses the association: bind_nak, local_limit_exceeded (C706 12.6.3.1).
  TcpScript nak(cap, conn(kClientHost, 1170, kExchangeHost, kStorePort));
  nak.handshake();
  nak.send(Direction::to_server, bind_pdu(1, kEmsmdb).build());
  wait(cap, 500);
  PduBuilder refusal(Ptype::bind_nak);
  refusal.call_id(1).provider_reject_reason(2).protocol_version(5, 0);
  nak.send(Direction::to_client, refusal.build());
  nak.close();
  wait(cap, 30 * kMs);
  // 2: NSPI offered on the store's port: the only context is rejected.
  TcpScript wrong(cap, conn(kClientHost, 1171, kExchangeHost, kStorePort));
  wrong.handshake();
  wrong.send(Direction::to_server, bind_pdu(1, kNspi).build());
  wait(cap, 500);
  ContextResult rejected;
  rejected.result = kResultProviderRejection;
  rejected.reason = kReasonAbstractSyntaxNotSupported;
  rejected.transfer_syntax = SyntaxId{kNilUuid, 0, 0};
  PduBuilder ack(Ptype::bind_ack);
  ack.call_id(1).assoc_group_id(0x1c02).sec_addr("1090").result(rejected);
  wrong.send(Direction::to_client, ack.build());
  wrong.close();
  wait(cap, 30 * kMs);
  // 3: EMSMDB accepted, then an alter_context adding RFR, rejected.
  TcpScript alter(cap, conn(kClientHost, 1172, kExchangeHost, kStorePort));
  open_and_bind(cap, alter, kEmsmdb, 0x1c03);
  PduBuilder ctx(Ptype::alter_context);
  ctx.call_id(2).assoc_group_id(0x1c03).context(ContextElement{1, kRfr, {kNdrSyntax}});
  alter.send(Direction::to_server, ctx.build());
  wait(cap, 400);
  PduBuilder ctx_resp(Ptype::alter_context_resp);
  ctx_resp.call_id(2).assoc_group_id(0x1c03).sec_addr("").result(rejected);
  alter.send(Direction::to_client, ctx_resp.build());
  alter.close();
  return pcap_capture("diag_bind_refused.pcap", cap);
}

// An NTLMSSP bind, bind_ack and auth3 on `tcp` (integrity level, as Outlook 2003 signs).
void ntlm_bind(Capture& cap, TcpScript& tcp, const SyntaxId& iface, std::uint32_t assoc,
               std::uint64_t seed) {
  tcp.handshake();
  PduBuilder bind = bind_pdu(1, iface);
  bind.auth(make_auth_verifier(ntlmssp_negotiate(
      kNtlmFlags | kNtlmOemDomainSupplied | kNtlmOemWorkstationSupplied, "CONTOSO", "WS20")));
  tcp.send(Direction::to_server, bind.build());
  wait(cap, 600);
  PduBuilder ack = bind_ack_pdu(1, assoc, tcp.config().server.port);
  ack.auth(make_auth_verifier(ntlmssp_challenge(kNtlmNegotiateUnicode | kNtlmNegotiateSign |
                                                    kNtlmNegotiateNtlm | kNtlmNegotiateAlwaysSign |
                                                    kNtlmTargetTypeDomain,
                                                {0x3c, 0x91, 0x0e, 0x5a, 0x77, 0x12, 0xd4, 0x08})));
  tcp.send(Direction::to_client, ack.build());
  PduBuilder auth3(Ptype::auth3);
  auth3.call_id(1).auth(make_auth_verifier(
      ntlmssp_authenticate(kNtlmFlags, SplitMix64(seed).bytes(24), SplitMix64(seed + 1).bytes(24),
                           "CONTOSO", "jsmith", "WS20")));
  tcp.send(Direction::to_server, auth3.build());
}

TestCapture faults() {
  Capture cap = new_capture(5);
  epm_lookup(cap, 1180, kExchangeHost, kEmsmdb, kStorePort, kExchangeIp, 0x1d01);
  wait(cap, 2 * kMs);
  // 1: EcDoConnectEx refused with access denied; EcDoAsyncConnectEx (an Exchange 2007
  // opnum) answered nca_s_op_rng_error.
  TcpScript store(cap, conn(kClientHost, 1181, kExchangeHost, kStorePort));
  open_and_bind(cap, store, kEmsmdb, 0x1d02);
  store.send(Direction::to_server, request(2, kEcDoConnectEx, ec_do_connect_ex_request()));
  wait(cap, 9 * kMs);
  store.send(Direction::to_client, fault(2, kFaultAccessDenied, false));
  wait(cap, 20 * kMs);
  ByteWriter async_stub;
  context_handle(async_stub, 7);
  store.send(Direction::to_server, request(3, kEcDoAsyncConnectEx, async_stub.take()));
  wait(cap, 1 * kMs);
  store.send(Direction::to_client, fault(3, kFaultOpRangeError, true));
  store.close();
  wait(cap, 40 * kMs);
  // 2: NTLM bind and auth3, then the first request fails with RPC_S_SEC_PKG_ERROR.
  TcpScript auth(cap, conn(kClientHost, 1182, kExchangeHost, kStorePort));
  ntlm_bind(cap, auth, kEmsmdb, 0x1d03, 0xd1a6);
  PduBuilder signed_request(Ptype::request);
  signed_request.call_id(2)
      .opnum(kEcDoConnectEx)
      .stub(ec_do_connect_ex_request())
      .auth(make_auth_verifier(ntlmssp_signature(0), 8));
  auth.send(Direction::to_server, signed_request.build());
  wait(cap, 2 * kMs);
  auth.send(Direction::to_client, fault(2, kFaultSecPkgError, true));
  auth.close();
  wait(cap, 40 * kMs);
  // 3: NTLM bind and auth3, answered by the server's RST.
  TcpScript reset(cap, conn(kClientHost, 1183, kExchangeHost, kStorePort));
  ntlm_bind(cap, reset, kEmsmdb, 0x1d04, 0xd1a8);
  wait(cap, 3 * kMs);
  reset.rst(Direction::to_client);
  return pcap_capture("diag_faults.pcap", cap);
}

TestCapture unanswered_and_slow() {
  Capture cap = new_capture(6);
  epm_lookup(cap, 1190, kExchangeHost, kEmsmdb, kStorePort, kExchangeIp, 0x1e01);
  wait(cap, 2 * kMs);
  TcpScript store(cap, conn(kClientHost, 1191, kExchangeHost, kStorePort));
  open_and_bind(cap, store, kEmsmdb, 0x1e02);
  call(cap, store, 2, kEcDoConnectEx, ec_do_connect_ex_request(), ec_do_connect_ex_response(2),
       15 * kMs);
  const std::uint64_t fast[] = {2, 4, 7, 12, 20};
  std::uint32_t call_id = 3;
  for (std::uint64_t ms : fast) {
    wait(cap, 80 * kMs);
    call(cap, store, call_id, kEcDoRpcExt2, ec_do_rpc_ext2_request(2, 40, call_id),
         ec_do_rpc_ext2_response(2, 120, 0x100 + call_id), ms * kMs);
    ++call_id;
  }
  wait(cap, 150 * kMs);
  call(cap, store, call_id, kEcDoRpcExt2, ec_do_rpc_ext2_request(2, 60, call_id),
       ec_do_rpc_ext2_response(2, 900, 0x100 + call_id), 1800 * kMs);
  ++call_id;
  wait(cap, 300 * kMs);
  // Never answered: the server's delayed ACK, then nothing until Outlook closes 30 s later.
  store.send(Direction::to_server,
             request(call_id, kEcDoRpcExt2, ec_do_rpc_ext2_request(2, 48, call_id)));
  wait(cap, 200 * kMs);
  store.ack(Direction::to_client);
  wait(cap, 2000 * kMs);
  // Meanwhile a referral request that is never answered before the capture ends.
  epm_lookup(cap, 1192, kExchangeHost, kRfr, kRfrPort, kExchangeIp, 0x1e03);
  wait(cap, 2 * kMs);
  TcpScript rfr(cap, conn(kClientHost, 1193, kExchangeHost, kRfrPort));
  open_and_bind(cap, rfr, kRfr, 0x1e04);
  rfr.send(Direction::to_server, request(2, kRfrGetNewDsa, rfr_get_new_dsa_request()));
  wait(cap, 200 * kMs);
  rfr.ack(Direction::to_client);
  wait(cap, 28000 * kMs);
  store.close();
  return pcap_capture("diag_unanswered_and_slow.pcap", cap);
}

TestCapture tcp_trouble() {
  Capture cap = new_capture(7);
  epm_lookup(cap, 1200, kExchangeHost, kEmsmdb, kStorePort, kExchangeIp, 0x1f01);
  wait(cap, 2 * kMs);
  TcpScript store(cap, conn(kClientHost, 1201, kExchangeHost, kStorePort));
  open_and_bind(cap, store, kEmsmdb, 0x1f02);
  call(cap, store, 2, kEcDoConnectEx, ec_do_connect_ex_request(), ec_do_connect_ex_response(3),
       12 * kMs);
  wait(cap, 100 * kMs);

  // A request segment lost on the way: sent, then retransmitted 0.3 s and 0.9 s later (RTO
  // doubling), then ACKed and answered.
  {
    const Bytes pdu = request(3, kEcDoRpcExt2, ec_do_rpc_ext2_request(3, 52, 0x31));
    TcpSegment again;
    again.seq = store.next_seq(Direction::to_server);
    again.ack = store.next_seq(Direction::to_client);
    again.flags = kTcpAck | kTcpPsh;
    again.window = 65535;
    again.payload = pdu;
    store.send(Direction::to_server, pdu);
    wait(cap, 300 * kMs);
    store.raw(Direction::to_server, again);
    wait(cap, 600 * kMs);
    store.raw(Direction::to_server, again);
    wait(cap, 500);
    store.ack(Direction::to_client);
    wait(cap, 6 * kMs);
    store.send(Direction::to_client, response(3, ec_do_rpc_ext2_response(3, 200, 0x131)));
  }
  wait(cap, 150 * kMs);

  // A 4 KB request: after two full segments the server advertises a zero window, and opens
  // it again 2 s later.
  {
    const Bytes pdu = request(4, kEcDoRpcExt2, ec_do_rpc_ext2_request(3, 4000, 0x41));
    SendOptions mss;
    mss.segment_size = 1460;
    mss.push = false;
    store.send(Direction::to_server, slice(pdu, 0, 2920), mss);
    wait(cap, 500);
    FrameOverride closed;
    closed.window = 0;
    store.ack(Direction::to_client, closed);
    wait(cap, 2000 * kMs);
    store.ack(Direction::to_client);  // window update: 65535
    wait(cap, 500);
    SendOptions rest;
    rest.segment_size = 1460;
    store.send(Direction::to_server, slice(pdu, 2920, pdu.size() - 2920), rest);
    wait(cap, 14 * kMs);
    store.send(Direction::to_client, response(4, ec_do_rpc_ext2_response(3, 160, 0x141)));
  }
  wait(cap, 200 * kMs);

  // A call outstanding when the server resets the connection.
  store.send(Direction::to_server, request(5, kEcDoRpcExt2, ec_do_rpc_ext2_request(3, 44, 0x51)));
  wait(cap, 200 * kMs);
  store.ack(Direction::to_client);
  wait(cap, 1000 * kMs);
  store.rst(Direction::to_client);
  return pcap_capture("diag_tcp_trouble.pcap", cap);
}

TestCapture rpc_over_http() {
  Capture cap = new_capture(8);
  // No endpoint mapper: RFR on 6002, NSPI on 6004, the store on 6001.
  TcpScript rfr(cap, conn(kClientHost, 1210, kExchangeHost, 6002));
  open_and_bind(cap, rfr, kRfr, 0x2001);
  call(cap, rfr, 2, kRfrGetNewDsa, rfr_get_new_dsa_request(),
       rfr_get_new_dsa_response("ex1.contoso.local"), 3 * kMs);
  rfr.close();
  wait(cap, 5 * kMs);
  TcpScript nspi(cap, conn(kClientHost, 1211, kExchangeHost, 6004));
  open_and_bind(cap, nspi, kNspi, 0x2002);
  call(cap, nspi, 2, kNspiBind, nspi_bind_request(), nspi_bind_response(4), 4 * kMs);
  wait(cap, 10 * kMs);
  TcpScript store(cap, conn(kClientHost, 1212, kExchangeHost, 6001));
  open_and_bind(cap, store, kEmsmdb, 0x2003);
  call(cap, store, 2, kEcDoConnectEx, ec_do_connect_ex_request(), ec_do_connect_ex_response(5),
       14 * kMs);
  for (std::uint32_t id = 3; id < 5; ++id) {
    wait(cap, 60 * kMs);
    call(cap, store, id, kEcDoRpcExt2, ec_do_rpc_ext2_request(5, 36, 0x60 + id),
         ec_do_rpc_ext2_response(5, 180, 0x160 + id), (3 + id) * kMs);
  }
  return pcap_capture("diag_rpc_over_http.pcap", cap);
}

TestCapture mta_twoway_incomplete() {
  Capture cap = new_capture(9);
  // Exchange A (10.5.0.10) asks B's endpoint mapper for the MTA, binds with NTLM and calls
  // MtaBind; B ACKs it and never answers, and never connects back for MtaBindBack.
  {
    TcpScript epm(cap, conn(kExchangeHost, 1301, kExchangeBHost, 135));
    epm.handshake();
    epm.send(Direction::to_server, epm_bind(1).build());
    wait(cap, 400);
    epm.send(Direction::to_client, epm_bind_ack(1, 0x3101, "135").build());
    epm.send(Direction::to_server, ept_map_request(2, kExchangeMtaInterface).build());
    wait(cap, 700);
    epm.send(Direction::to_client,
             ept_map_response(2, kExchangeMtaInterface, 1036, kExchangeBIp).build());
    epm.close();
  }
  wait(cap, 2 * kMs);
  TcpScript mta(cap, conn(kExchangeHost, 1302, kExchangeBHost, 1036));
  ntlm_bind(cap, mta, kExchangeMtaInterface, 0x3102, 0x3a7a);
  PduBuilder bind_call(Ptype::request);
  bind_call.call_id(1)
      .opnum(kMtaBind)
      .stub(SplitMix64(0x3a7b).bytes(286))
      .auth(make_auth_verifier(ntlmssp_signature(0), 8));
  mta.send(Direction::to_server, bind_call.build());
  wait(cap, 200 * kMs);
  mta.ack(Direction::to_client);
  // 60 s after the call: a keep-alive from A (one below its next seq, no data) and B's ACK.
  wait(cap, 59800 * kMs);
  FrameOverride keepalive;
  keepalive.seq = mta.next_seq(Direction::to_server) - 1;
  mta.ack(Direction::to_server, keepalive);
  wait(cap, 400);
  mta.ack(Direction::to_client);
  return pcap_capture("diag_mta_twoway_incomplete.pcap", cap);
}

TestCapture healthy() {
  Capture cap = new_capture(10);
  directory(cap, 1220, true);
  wait(cap, 20 * kMs);
  epm_lookup(cap, 1224, kExchangeHost, kEmsmdb, kStorePort, kExchangeIp, 0x2103);
  wait(cap, 2 * kMs);
  TcpScript store(cap, conn(kClientHost, 1225, kExchangeHost, kStorePort));
  open_and_bind(cap, store, kEmsmdb, 0x2104);
  call(cap, store, 2, kEcDoConnectEx, ec_do_connect_ex_request(), ec_do_connect_ex_response(6),
       11 * kMs);
  const std::uint64_t server_ms[] = {3, 5, 9};
  for (std::uint32_t i = 0; i < 3; ++i) {
    wait(cap, 70 * kMs);
    call(cap, store, 3 + i, kEcDoRpcExt2, ec_do_rpc_ext2_request(6, 40 + i * 8, 0x70 + i),
         ec_do_rpc_ext2_response(6, 150 + i * 40, 0x170 + i), server_ms[i] * kMs);
  }
  wait(cap, 500 * kMs);
  store.close();
  return pcap_capture("diag_healthy.pcap", cap);
}

// The endpoint mapper takes the ept_map for EMSMDB and never answers; the client gives up
// after 5 s and closes the connection (issue 5: "no EPM answer came").
TestCapture epm_no_answer() {
  Capture cap = new_capture(11);
  TcpScript tcp(cap, conn(kClientHost, 1250, kExchangeHost, 135));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  wait(cap, 400);
  tcp.send(Direction::to_client, epm_bind_ack(1, 0x3201, "135").build());
  tcp.send(Direction::to_server, ept_map_request(2, kEmsmdb).build());
  tcp.ack(Direction::to_client);
  wait(cap, 5'000'000);
  tcp.close();
  return pcap_capture("diag_epm_no_answer.pcap", cap);
}

}  // namespace

std::vector<TestCapture> diagnose_captures() {
  return {mail_connecting(),
          dynamic_port_rst(),
          epm_unanswered(),
          epm_reset(),
          bind_refused(),
          faults(),
          unanswered_and_slow(),
          tcp_trouble(),
          rpc_over_http(),
          mta_twoway_incomplete(),
          healthy(),
          epm_no_answer()};
}

}  // namespace rpctrace::testsupport
