// testdata/ scenarios for the endpoint mapper's answers and for every PDU type:
//   epm_not_registered.pcap  ept_map answered EPT_S_NOT_REGISTERED with no tower
//   epm_ndr64.pcap           bind offering NDR, NDR64 and bind-time feature negotiation
//                            (MS-RPCE 3.3.1.5.3), NDR64 accepted, ept_map in NDR64
//   all_ptypes.pcap          one association with every connection-oriented PDU type:
//                            bind, bind_ack, alter_context, alter_context_resp, request,
//                            response, fault, co_cancel, orphaned, auth3, shutdown, rts, and
//                            a second connection refused with bind_nak
#include <fmt/format.h>

#include <array>

#include "support/epm_builder.hpp"
#include "support/testdata_common.hpp"
#include "support/tower_builder.hpp"

namespace rpctrace::testsupport {

namespace {

constexpr Timestamp kStart{852098400, 0};  // 1997-01-01T06:00:00Z
// SAMR (MS-SAMR 1.9): the interface the mapper says is not registered.
constexpr SyntaxId kSamr{Uuid::parse("12345778-1234-abcd-ef00-0123456789ac"), 1, 0};
// DRSUAPI (MS-DRSR 1.9) v4.0, as in the MS-ADOD domain-join capture.
constexpr SyntaxId kDrsuapi{Uuid::parse("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), 4, 0};
constexpr std::uint32_t kEptNotRegistered = 0x16c9a0d6;  // C706 appendix O ept_s_not_registered
// Interfaces of our own for all_ptypes.pcap, so tshark does not try to decode the placeholder
// stubs as SAMR or DRSUAPI calls.
constexpr SyntaxId kTestInterfaceA{Uuid::parse("5a7e0001-0000-4000-8000-000000000001"), 1, 0};
constexpr SyntaxId kTestInterfaceB{Uuid::parse("5a7e0002-0000-4000-8000-000000000002"), 2, 1};

TestCapture not_registered() {
  Capture cap(LinkType::ethernet, Clock{kStart, 1000});
  TcpScript tcp(cap, tcp_config("10.3.3.10", 49720, 0x31000000, "10.3.3.1", 135, 0x32000000));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  tcp.send(Direction::to_client, epm_bind_ack(1, 0x7100, "135").build());
  PduBuilder req(Ptype::request);
  req.call_id(2).opnum(kOpnumEptMap).stub(ept_map_request_stub(kSamr));
  tcp.send(Direction::to_server, req.build());
  EptMapResponse answer;
  answer.status = kEptNotRegistered;
  PduBuilder resp(Ptype::response);
  resp.call_id(2).stub(build_ept_map_response(answer, Endian::little));
  tcp.send(Direction::to_client, resp.build());
  tcp.close();
  return pcap_capture("epm_not_registered.pcap", cap);
}

// NDR64 (MS-RPCE 2.2.5): referent ids and array counts are 8 octets aligned to 8; twr_t is
// max_count (u64) then tower_length (u32) then the octets; the rest is as in NDR.
Bytes ndr64_ept_map_request(const Bytes& tower) {
  ByteWriter w(Endian::little);
  w.u64(1).zeros(16);  // object: referent, nil UUID
  w.u64(2).u64(tower.size()).u32(static_cast<std::uint32_t>(tower.size())).bytes(tower);
  w.align(4).zeros(20);  // entry_handle
  w.u32(4);              // max_towers
  return w.take();
}

Bytes ndr64_ept_map_response(const std::vector<Bytes>& towers) {
  ByteWriter w(Endian::little);
  w.zeros(20).u32(static_cast<std::uint32_t>(towers.size()));    // entry_handle, num_towers
  w.align(8).u64(4).u64(0).u64(towers.size());                   // ITowers max, offset, actual
  for (std::size_t i = 0; i < towers.size(); ++i) w.u64(3 + i);  // referents
  for (const Bytes& t : towers) {
    w.align(8).u64(t.size()).u32(static_cast<std::uint32_t>(t.size())).bytes(t);
  }
  w.align(4).u32(0);  // status
  return w.take();
}

TestCapture ndr64() {
  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 1, 0}, 1000});
  TcpScript tcp(cap, tcp_config("10.3.3.11", 49721, 0x33000000, "10.3.3.1", 135, 0x34000000));
  tcp.handshake();
  PduBuilder bind(Ptype::bind);
  bind.call_id(1)
      .context(ContextElement{0, kEpmInterface, {kNdrSyntax}})
      .context(ContextElement{1, kEpmInterface, {kNdr64Syntax}})
      .context(ContextElement{2, kEpmInterface, {kBindTimeFeatureNegotiation}});
  tcp.send(Direction::to_server, bind.build());
  PduBuilder ack(Ptype::bind_ack);
  ContextResult rejected;
  rejected.result = kResultProviderRejection;
  rejected.reason = kReasonProposedTransferSyntaxesNotSupported;
  rejected.transfer_syntax = SyntaxId{kNilUuid, 0, 0};
  ContextResult accepted;
  accepted.transfer_syntax = kNdr64Syntax;
  ContextResult negotiated;
  negotiated.result = kResultNegotiateAck;
  negotiated.reason = 0x0003;  // security context multiplexing | keep connection on orphan
  negotiated.transfer_syntax = SyntaxId{kNilUuid, 0, 0};
  ack.call_id(1).assoc_group_id(0x7200).sec_addr("135").result(rejected).result(accepted).result(
      negotiated);
  tcp.send(Direction::to_client, ack.build());
  PduBuilder req(Ptype::request);
  req.call_id(2)
      .p_cont_id(1)
      .opnum(kOpnumEptMap)
      .stub(ndr64_ept_map_request(tcp_ip_tower(kDrsuapi, 135, {0, 0, 0, 0})));
  tcp.send(Direction::to_server, req.build());
  PduBuilder resp(Ptype::response);
  resp.call_id(2).p_cont_id(1).stub(
      ndr64_ept_map_response({tcp_ip_tower(kDrsuapi, 49668, {10, 3, 3, 1}),
                              tcp_ip_tower(kDrsuapi, 49664, {10, 3, 3, 1})}));
  tcp.send(Direction::to_client, resp.build());
  tcp.close();
  return pcap_capture("epm_ndr64.pcap", cap);
}

TestCapture all_ptypes() {
  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 2, 0}, 1000});
  TcpScript tcp(cap, tcp_config("10.3.3.12", 49722, 0x35000000, "10.3.3.2", 49670, 0x36000000));
  const AuthVerifier ntlm =
      make_auth_verifier(Bytes(16, std::byte{0x4e}), 4, kAuthTypeWinnt, kAuthLevelPktIntegrity);
  tcp.handshake();
  PduBuilder bind(Ptype::bind);
  bind.call_id(1).context(ContextElement{0, kTestInterfaceA, {kNdrSyntax}}).auth(ntlm);
  tcp.send(Direction::to_server, bind.build());
  PduBuilder ack(Ptype::bind_ack);
  ack.call_id(1).assoc_group_id(0x7300).sec_addr("49670").result(ContextResult{}).auth(ntlm);
  tcp.send(Direction::to_client, ack.build());
  PduBuilder auth3(Ptype::auth3);
  auth3.call_id(1).auth(ntlm);
  tcp.send(Direction::to_server, auth3.build());
  PduBuilder alter(Ptype::alter_context);
  alter.call_id(2).context(ContextElement{1, kTestInterfaceB, {kNdrSyntax}});
  tcp.send(Direction::to_server, alter.build());
  PduBuilder alter_resp(Ptype::alter_context_resp);
  alter_resp.call_id(2).assoc_group_id(0x7300).sec_addr("").result(ContextResult{});
  tcp.send(Direction::to_client, alter_resp.build());
  // A call (opnum 64) answered; an opnum out of range answered by a fault.
  PduBuilder connect(Ptype::request);
  connect.call_id(3).opnum(64).stub(Bytes(40, std::byte{0x11}));
  tcp.send(Direction::to_server, connect.build());
  PduBuilder connected(Ptype::response);
  connected.call_id(3).stub(Bytes(28, std::byte{0x22}));
  tcp.send(Direction::to_client, connected.build());
  PduBuilder bad(Ptype::request);
  bad.call_id(4).opnum(200).stub(Bytes(8, std::byte{0}));
  tcp.send(Direction::to_server, bad.build());
  PduBuilder fault(Ptype::fault);
  fault.call_id(4).status(0x1c010002);  // nca_s_op_rng_error
  tcp.send(Direction::to_client, fault.build());
  // A call on the second context, cancelled, then orphaned.
  PduBuilder slow(Ptype::request);
  slow.call_id(5).p_cont_id(1).opnum(0).stub(Bytes(16, std::byte{0x33}));
  tcp.send(Direction::to_server, slow.build());
  PduBuilder cancel(Ptype::co_cancel);
  cancel.call_id(5);
  tcp.send(Direction::to_server, cancel.build());
  PduBuilder orphaned(Ptype::orphaned);
  orphaned.call_id(5);
  tcp.send(Direction::to_server, orphaned.build());
  // An RTS PDU (MS-RPCH 2.2.3.6.1) with one command, Version (2.2.3.5.7: CommandType 6, value
  // 1), then the server's shutdown.
  PduBuilder rts(Ptype::rts);
  ByteWriter commands(Endian::little);
  commands.u32(6).u32(1);
  rts.call_id(0).rts_flags(0x0000).number_of_commands(1).rts_commands(commands.view());
  tcp.send(Direction::to_client, rts.build());
  PduBuilder shutdown(Ptype::shutdown);
  shutdown.call_id(0);
  tcp.send(Direction::to_client, shutdown.build());
  tcp.close();

  // A second connection whose bind is refused (protocol version not supported).
  TcpScript refused(cap, tcp_config("10.3.3.12", 49723, 0x37000000, "10.3.3.2", 49670, 0x38000000));
  refused.handshake();
  PduBuilder bind2(Ptype::bind);
  bind2.call_id(1).context(ContextElement{0, kTestInterfaceA, {kNdrSyntax}});
  refused.send(Direction::to_server, bind2.build());
  PduBuilder nak(Ptype::bind_nak);
  nak.call_id(1).provider_reject_reason(4).protocol_version(5, 0);
  refused.send(Direction::to_client, nak.build());
  refused.close();
  return pcap_capture("all_ptypes.pcap", cap);
}

// The RFR listing of the source document (seeds/000, the portqry -e 135 sample): six
// bindings of the Exchange RFR interface, disclosed over four ept_lookup calls of at most two
// entries each, the last answered ept_s_not_registered with a null handle (how Windows and
// Samba end a listing).
TestCapture rfr_lookup() {
  constexpr SyntaxId kRfr{Uuid::parse("1544f5e0-613c-11d1-93df-00c04fd7bd09"), 1, 0};
  auto base = [&] {
    TowerBuilder t;
    t.interface_floor(kRfr).transfer_syntax_floor(kNdrSyntax);
    return t;
  };
  std::vector<Bytes> towers;
  towers.push_back(base()
                       .rpc_connection_oriented()
                       .named_pipe("\\pipe\\E60E3840067D1C87")
                       .netbios("\\\\W2K3-EX1")
                       .build());
  towers.push_back(base().lrpc().local_pipe("LRPC00000784.00000001").build());
  towers.push_back(base().rpc_connection_oriented().tcp(1067).ip({192, 168, 0, 6}).build());
  towers.push_back(base().rpc_connectionless().udp(1068).ip({192, 168, 0, 6}).build());
  towers.push_back(base().rpc_connection_oriented().http(6002).ip({192, 168, 0, 6}).build());
  towers.push_back(base().lrpc().local_pipe("OLE86D8B80CA5B44FDB8E1B7FF4C784").build());

  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 3, 0}, 1000});
  TcpScript tcp(cap,
                tcp_config("192.168.0.50", 49724, 0x39000000, "192.168.0.13", 135, 0x3a000000));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  tcp.send(Direction::to_client, epm_bind_ack(1, 0x7400, "135").build());
  const ContextHandle handle{0, Uuid::parse("7e1b0000-0000-4000-8000-00000000e9a1")};
  for (std::uint32_t call = 0; call < 4; ++call) {
    EptLookupRequest q;
    q.max_ents = 2;
    if (call > 0) q.entry_handle = handle;
    PduBuilder req(Ptype::request);
    req.call_id(2 + call).opnum(kOpnumEptLookup).stub(build_ept_lookup_request(q, Endian::little));
    tcp.send(Direction::to_server, req.build());
    EptLookupResponse r;
    if (call < 3) {
      r.entry_handle = handle;
      for (std::size_t k = 0; k < 2; ++k) {
        EptEntry e;
        e.tower = towers[call * 2 + k];
        e.annotation = "MS Exchange Directory RFR Interface";
        r.entries.push_back(e);
      }
    } else {
      r.status = kEptNotRegistered;  // no more entries: the handle is closed
    }
    PduBuilder resp(Ptype::response);
    resp.call_id(2 + call).stub(build_ept_lookup_response(r, Endian::little));
    tcp.send(Direction::to_client, resp.build());
  }
  tcp.close();
  return pcap_capture("epm_lookup_rfr.pcap", cap);
}

// A listing of 40 entries of every floor stack, disclosed 9 at a time over five ept_lookup
// calls with one entry_handle (the fifth returns the last 4 and a null handle): ncacn_ip_tcp,
// ncadg_ip_udp, ncacn_np, ncacn_http, ncalrpc, ncacn_nb_tcp, a tower with an unknown floor
// (0x99) and an entry with a null tower, on 8 interfaces of our own and EPMv4 itself.
TestCapture many_lookup() {
  std::vector<EptEntry> all;
  for (std::uint32_t i = 0; i < 40; ++i) {
    SyntaxId iface{Uuid::parse("5a7e0100-0000-4000-8000-000000000000"),
                   static_cast<std::uint16_t>(1 + i % 3), 0};
    iface.uuid.time_low += i / 5;  // 8 interfaces, 5 entries each
    TowerBuilder t;
    t.interface_floor(iface).transfer_syntax_floor(kNdrSyntax);
    const auto port = static_cast<std::uint16_t>(49700 + i);
    switch (i % 8) {
      case 0:
        t.rpc_connection_oriented().tcp(port).ip({10, 4, 4, 1});
        break;
      case 1:
        t.rpc_connectionless().udp(port).ip({10, 4, 4, 1});
        break;
      case 2:
        t.rpc_connection_oriented().named_pipe(fmt::format("\\PIPE\\svc{}", i)).netbios("\\\\SRV4");
        break;
      case 3:
        t.rpc_connection_oriented().http(port).ip({10, 4, 4, 1});
        break;
      case 4:
        t.lrpc().local_pipe(fmt::format("LRPC-{:08x}", i));
        break;
      case 5:
        t.rpc_connection_oriented().netbios("SRV4");
        break;
      case 6: {
        TowerFloor unknown;
        unknown.lhs = Bytes{std::byte{0x99}};
        unknown.rhs = Bytes{std::byte{0x0a}, std::byte{0x0b}};
        t.rpc_connection_oriented().floor(unknown);
        break;
      }
      default:
        break;
    }
    EptEntry e;
    if (i % 8 != 7) e.tower = t.build();
    e.annotation = i % 2 == 0 ? fmt::format("test service {}", i) : std::string();
    all.push_back(e);
  }
  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 4, 0}, 1000});
  TcpScript tcp(cap, tcp_config("10.4.4.50", 49725, 0x3b000000, "10.4.4.1", 135, 0x3c000000));
  tcp.handshake();
  tcp.send(Direction::to_server, epm_bind(1).build());
  tcp.send(Direction::to_client, epm_bind_ack(1, 0x7500, "135").build());
  const ContextHandle handle{0, Uuid::parse("7e1b0000-0000-4000-8000-0000000e9a12")};
  std::size_t next = 0;
  for (std::uint32_t call = 0; next < all.size(); ++call) {
    EptLookupRequest q;
    q.max_ents = 9;
    if (call > 0) q.entry_handle = handle;
    PduBuilder req(Ptype::request);
    req.call_id(2 + call).opnum(kOpnumEptLookup).stub(build_ept_lookup_request(q, Endian::little));
    tcp.send(Direction::to_server, req.build());
    EptLookupResponse r;
    for (std::size_t k = 0; k < 9 && next < all.size(); ++k) r.entries.push_back(all[next++]);
    if (next < all.size()) r.entry_handle = handle;  // a null handle ends the listing
    PduBuilder resp(Ptype::response);
    resp.call_id(2 + call).stub(build_ept_lookup_response(r, Endian::little));
    SendOptions mss;
    mss.segment_size = 1460;
    tcp.send(Direction::to_client, resp.build(), mss);
  }
  tcp.close();
  return pcap_capture("epm_lookup_many.pcap", cap);
}

}  // namespace

std::vector<TestCapture> pdu_captures() {
  return {not_registered(), ndr64(), all_ptypes(), rfr_lookup(), many_lookup()};
}

}  // namespace rpctrace::testsupport
