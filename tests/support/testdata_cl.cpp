// testdata/ scenarios for connectionless DCE/RPC over UDP (ncadg_ip_udp; C706 chapter 12 §12.5,
// MS-RPCE §3.2), which no peer in Debian produces:
//   cl_epm_udp.pcap          ept_map over UDP 135 for WKSSVC, then WKSSVC on the port it
//                            gives: a 3-fragment request with a fack, a 2-fragment response
//                            with a fack, ack; a call answered after ping / working / ping
//   cl_big_endian.pcap       the same kinds of exchange with drep 00 00 00
//   cl_failures.pcap         nocall, reject, fault, retransmissions, cancel, a second
//                            fragment naming another interface, working without an answer
//   cl_epm_lookup_udp.pcap   ept_lookup over UDP 135: ncadg_ip_udp, ncacn_ip_tcp, ncacn_http
//                            and ncalrpc towers
//
// Hosts are Windows-like (TTL 128, DF clear on UDP, IP identification counting per host), on
// one LAN: round trips under a millisecond, server work of a few milliseconds, pings 1 s and
// then 2 s apart. A client uses one UDP port for every server it calls (1025; 1026 in
// cl_big_endian).
// Every request is idempotent unless a case says otherwise, so the servers make no
// conv_who_are_you callback (MS-RPCE's protocol example of a client's first non-idempotent
// calls shows one). Request and response fragments count their serial numbers from 0 per
// call and direction; a fack's fragnum is the highest fragment received in order and its
// body's serial_num that fragment's serial number; every other packet carries serial number 0
// and fragnum 0 (but the nocall with a fack body in cl_failures (a): fragnum 0xffff).
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/cl_builder.hpp"
#include "support/epm_builder.hpp"
#include "support/packet_builder.hpp"
#include "support/testdata_common.hpp"
#include "support/tower_builder.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr Timestamp kStart{1142845200, 0};  // 2006-03-20T09:00:00Z
constexpr std::uint64_t kMs = 1000;

// WKSSVC (MS-WKST §2.1) v1.0: NetrWkstaGetInfo is opnum 0, NetrWkstaUserEnum opnum 2.
constexpr SyntaxId kWkssvc{Uuid::parse("6bffd098-a112-3610-9833-46c3f87e345a"), 1, 0};
constexpr std::uint16_t kNetrWkstaGetInfo = 0;
constexpr std::uint16_t kNetrWkstaUserEnum = 2;
// Interfaces of our own, so tshark does not decode the SplitMix64 stubs as a real interface.
constexpr SyntaxId kTestIfBig{Uuid::parse("5a7e0003-0000-4000-8000-000000000003"), 1, 0};
constexpr SyntaxId kTestIfFail{Uuid::parse("5a7e0004-0000-4000-8000-000000000004"), 1, 0};
constexpr SyntaxId kTestIfUnknown{Uuid::parse("5a7e0005-0000-4000-8000-000000000005"), 1, 0};
constexpr SyntaxId kTestIfOther{Uuid::parse("5a7e0006-0000-4000-8000-000000000006"), 1, 0};
// ept_lookup's listing: the Messenger service (MS-MSRP), NETLOGON (MS-NRPC §2.1), DRSUAPI
// (MS-DRSR) v4.0.
constexpr SyntaxId kMessenger{Uuid::parse("5a7b91f8-ff00-11d0-a9b2-00c04fb6e6fc"), 1, 0};
constexpr SyntaxId kNetlogon{Uuid::parse("12345678-1234-abcd-ef00-01234567cffb"), 1, 0};
constexpr SyntaxId kDrsuapi{Uuid::parse("e3514235-4b06-11d1-ab04-00c04fc2dcd2"), 4, 0};
constexpr std::uint32_t kEptNotRegistered = 0x16c9a0d6;  // C706 appendix O
// C706 appendix O: ept_lookup's inquiry_type rpc_c_ep_all_elts and vers_option rpc_c_vers_all.
constexpr std::uint32_t kEpAllElts = 0;
constexpr std::uint32_t kVersAll = 1;

// The fragment size both sides use and announce in facks: C706's must-receive size (1464
// octets: appendix K), so a fragment carries at most 1464 - 80 = 1384 body octets.
constexpr std::uint32_t kFragSize = 1464;
constexpr std::uint16_t kWindow = 8;
constexpr std::size_t kMaxBody = kFragSize - kClHeaderSize;

constexpr std::uint16_t kClientPort = 1025;
constexpr std::uint16_t kEpmPort = 135;

// ---- hosts and the wire -----------------------------------------------------------------------

struct Host {
  IpAddress ip;
  MacAddress mac;
  std::uint16_t ip_id = 0;  // the next IPv4 identification
};

Host host(std::string_view ip, std::uint8_t mac_last, std::uint16_t first_ip_id) {
  return Host{IpAddress::parse(ip), MacAddress{0x02, 0x00, 0x0a, 0x05, 0x00, mac_last},
              first_ip_id};
}

void wait(Capture& cap, std::uint64_t usec) { cap.clock().advance(usec); }

// One UDP datagram from `from`:`sport` to `to`:`dport`, stamped with the capture's clock.
void send(Capture& cap, Host& from, std::uint16_t sport, const Host& to, std::uint16_t dport,
          Bytes payload) {
  LinkHeader link;
  link.src_mac = from.mac;
  link.dst_mac = to.mac;
  IpOptions ip;
  ip.ttl = 128;
  ip.dont_fragment = false;
  ip.identification = from.ip_id++;
  cap.add(build_udp_frame(LinkType::ethernet, link, from.ip, to.ip,
                          UdpDatagram{sport, dport, std::move(payload)}, ip));
}

// ---- activities ---------------------------------------------------------------------------------

// A server instance: its boot time and the hints it hands out (C706 §12.5).
struct Server {
  std::uint32_t server_boot = 0;
  std::uint16_t ihint = kClNoHint;
  std::uint16_t ahint = kClNoHint;
};

// One client activity with one server, and what the client knows of the server so far: a
// client sends server_boot 0 and no hints until a packet from the server tells it better.
struct Activity {
  Uuid act_id;
  SyntaxId interface_id;
  std::array<std::uint8_t, 3> drep = kClDrepLittleEndian;
  std::uint32_t server_boot = 0;
  std::uint16_t ihint = kClNoHint;
  std::uint16_t ahint = kClNoHint;

  // The client has received a packet from `s`.
  void learn(const Server& s) {
    server_boot = s.server_boot;
    ihint = s.ihint;
    ahint = s.ahint;
  }
};

Activity activity(std::string_view act_id, const SyntaxId& interface_id,
                  std::array<std::uint8_t, 3> drep = kClDrepLittleEndian) {
  Activity a;
  a.act_id = Uuid::parse(act_id);
  a.interface_id = interface_id;
  a.drep = drep;
  return a;
}

ClPduBuilder client_pdu(const Activity& a, Ptype ptype, std::uint32_t seqnum, std::uint16_t opnum) {
  ClPduBuilder b(ptype);
  b.drep(a.drep)
      .interface_id(a.interface_id)
      .act_id(a.act_id)
      .server_boot(a.server_boot)
      .seqnum(seqnum)
      .opnum(opnum)
      .ihint(a.ihint)
      .ahint(a.ahint);
  return b;
}

ClPduBuilder server_pdu(const Activity& a, const Server& s, Ptype ptype, std::uint32_t seqnum,
                        std::uint16_t opnum) {
  ClPduBuilder b(ptype);
  b.drep(a.drep)
      .interface_id(a.interface_id)
      .act_id(a.act_id)
      .server_boot(s.server_boot)
      .seqnum(seqnum)
      .opnum(opnum)
      .ihint(s.ihint)
      .ahint(s.ahint);
  return b;
}

// The peers of one capture: a client with its port, a server with its port.
struct Link {
  Capture& cap;
  Host& client;
  std::uint16_t client_port;
  Host& server;
  std::uint16_t server_port;

  void to_server(const ClPduBuilder& pdu) {
    send(cap, client, client_port, server, server_port, pdu.build());
  }
  void to_client(const ClPduBuilder& pdu) {
    send(cap, server, server_port, client, client_port, pdu.build());
  }
};

// ---- NDR for WKSSVC (MS-WKST §3.2.4.1 NetrWkstaGetInfo, §3.2.4.3 NetrWkstaUserEnum) -----------

// Referent ids as Windows numbers them (0x00020000, +4, ...), strings as conformant varying
// arrays of UTF-16 code units with the NUL counted.
class Ndr {
 public:
  explicit Ndr(Endian order) : w_(order) {}
  Ndr& u32(std::uint32_t v) {
    w_.align(4).u32(v);
    return *this;
  }
  Ndr& referent() { return u32(next_referent_ += 4); }
  Ndr& wstring(std::string_view s) {
    const auto count = static_cast<std::uint32_t>(s.size() + 1);
    u32(count).u32(0).u32(count);
    for (char c : s) w_.u16(static_cast<std::uint16_t>(c));
    w_.u16(0);
    return *this;
  }
  Bytes take() { return w_.take(); }

 private:
  ByteWriter w_;
  std::uint32_t next_referent_ = 0x0001fffc;
};

constexpr std::string_view kWkssvcServerName = "\\\\FILESRV1";

// WKSTA_USER_ENUM_STRUCT at level 0 (Level, the union's discriminant, a unique pointer to the
// container; deferred: EntriesRead, Buffer pointer, the array and its strings).
void put_user_info_level0(Ndr& ndr, const std::vector<std::string>& names) {
  const auto n = static_cast<std::uint32_t>(names.size());
  ndr.u32(0).u32(0).referent();
  ndr.u32(n).referent();
  ndr.u32(n);
  for (std::size_t i = 0; i < names.size(); ++i) ndr.referent();
  for (const std::string& name : names) ndr.wstring(name);
}

std::vector<std::string> user_names(std::string_view prefix, std::size_t count) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(fmt::format("{}{:03}", prefix, i + 1));
  return out;
}

// NetrWkstaUserEnum request: ServerName, UserInfo (the [in,out] container, here carrying
// `sent` names), PreferredMaximumLength, ResumeHandle.
Bytes user_enum_request(const std::vector<std::string>& sent) {
  Ndr ndr(Endian::little);
  ndr.referent().wstring(kWkssvcServerName);
  put_user_info_level0(ndr, sent);
  ndr.u32(0xffffffff);    // PreferredMaximumLength: MAX_PREFERRED_LENGTH
  ndr.referent().u32(0);  // ResumeHandle
  return ndr.take();
}

// NetrWkstaUserEnum response: UserInfo, TotalEntries, ResumeHandle, the return value.
Bytes user_enum_response(const std::vector<std::string>& names) {
  Ndr ndr(Endian::little);
  put_user_info_level0(ndr, names);
  ndr.u32(static_cast<std::uint32_t>(names.size()));
  ndr.referent().u32(0);
  ndr.u32(0);  // NERR_Success
  return ndr.take();
}

// NetrWkstaGetInfo request (ServerName, Level 100) and response (WKSTA_INFO union, case 100:
// a pointer to WKSTA_INFO_100 with its two strings deferred; the return value).
Bytes get_info_request() {
  Ndr ndr(Endian::little);
  ndr.referent().wstring(kWkssvcServerName).u32(100);
  return ndr.take();
}

Bytes get_info_response() {
  Ndr ndr(Endian::little);
  ndr.u32(100).referent();
  ndr.u32(500).referent().referent().u32(5).u32(2);  // PLATFORM_ID_NT, names, version 5.2
  ndr.wstring("FILESRV1").wstring("CONTOSO");
  ndr.u32(0);
  return ndr.take();
}

// Piece sizes for `total` octets in `count` fragments: `first` octets (a multiple of 8) in each
// but the last, the rest in the last.
std::vector<std::size_t> pieces(std::size_t total, std::size_t first, std::size_t count) {
  std::vector<std::size_t> out(count - 1, first);
  out.push_back(total - first * (count - 1));
  return out;
}

// ---- the scenarios ----------------------------------------------------------------------------

// A call whose request and response are both fragmented, with facks both ways and the
// client's ack. Request: every fragment idempotent and nofack but fragment 1, which the server
// facks; the fragments after it go out after the fack (the response acknowledges the last).
// Response: fragment 0 without nofack, facked by the client, then the rest; then the ack.
// `work_usec` is the server's time between the last request fragment and its first response
// fragment.
void fragmented_call(Link& link, Activity& a, const Server& s, std::uint32_t seqnum,
                     std::uint16_t opnum, const Bytes& request, std::span<const std::size_t> in,
                     const Bytes& response, std::span<const std::size_t> out,
                     std::uint64_t work_usec) {
  ClPduBuilder proto = client_pdu(a, Ptype::request, seqnum, opnum);
  proto.flags1(kClIdempotent | kClNoFack);
  std::vector<ClPduBuilder> frags = cl_fragment(proto, request, in);
  frags[1].flags1(static_cast<std::uint8_t>(frags[1].flags1_value() & ~kClNoFack));
  link.to_server(frags[0]);
  wait(link.cap, 110);
  link.to_server(frags[1]);
  wait(link.cap, 480);
  ClPduBuilder fack = server_pdu(a, s, Ptype::fack, seqnum, opnum);
  fack.fragnum(1).fack(make_fack_body(kWindow, kFragSize, kFragSize, frags[1].serial_value()));
  link.to_client(fack);
  a.learn(s);
  wait(link.cap, 150);
  for (std::size_t i = 2; i < frags.size(); ++i) {
    // The rest go out with what the fack taught the client.
    frags[i].server_boot(a.server_boot).ihint(a.ihint).ahint(a.ahint);
    link.to_server(frags[i]);
  }
  wait(link.cap, work_usec);
  ClPduBuilder resp = server_pdu(a, s, Ptype::response, seqnum, opnum);
  std::vector<ClPduBuilder> answer = cl_fragment(resp, response, out);
  link.to_client(answer[0]);
  wait(link.cap, 320);
  ClPduBuilder client_fack = client_pdu(a, Ptype::fack, seqnum, opnum);
  client_fack.fragnum(0).fack(
      make_fack_body(kWindow, kFragSize, kFragSize, answer[0].serial_value()));
  link.to_server(client_fack);
  wait(link.cap, 410);
  for (std::size_t i = 1; i < answer.size(); ++i) link.to_client(answer[i]);
  wait(link.cap, 290);
  link.to_server(client_pdu(a, Ptype::ack, seqnum, opnum));
}

TestCapture epm_udp() {
  Capture cap(LinkType::ethernet, Clock{kStart, 0});
  Host client = host("10.5.0.10", 10, 0x2a10);
  Host server = host("10.5.0.20", 20, 0x5c40);
  constexpr std::uint16_t kWkssvcPort = 1030;
  const Server epm{1142841492, 0x0003, 0x0011};     // booted 2006-03-20T07:58:12Z
  const Server wkssvc{1142841537, 0x0001, 0x0007};  // 45 s later

  // ept_map for WKSSVC over ncadg_ip_udp (ept_map is [idempotent], C706 appendix O).
  Link epm_link{cap, client, kClientPort, server, kEpmPort};
  Activity lookup = activity("3e8d7c10-9a2b-4c5d-8e6f-0a05000a0001", kEpmInterface);
  EptMapRequest map_request;
  map_request.map_tower = TowerBuilder{}
                              .interface_floor(kWkssvc)
                              .transfer_syntax_floor(kNdrSyntax)
                              .rpc_connectionless()
                              .udp(0)
                              .ip({0, 0, 0, 0})
                              .build();
  ClPduBuilder req = client_pdu(lookup, Ptype::request, 0, kOpnumEptMap);
  req.flags1(kClIdempotent).stub(build_ept_map_request(map_request));
  epm_link.to_server(req);
  wait(cap, 620);
  EptMapResponse map_response;
  map_response.towers.push_back(TowerBuilder{}
                                    .interface_floor(kWkssvc)
                                    .transfer_syntax_floor(kNdrSyntax)
                                    .rpc_connectionless()
                                    .udp(kWkssvcPort)
                                    .ip({10, 5, 0, 20})
                                    .build());
  ClPduBuilder resp = server_pdu(lookup, epm, Ptype::response, 0, kOpnumEptMap);
  resp.stub(build_ept_map_response(map_response));
  epm_link.to_client(resp);
  wait(cap, 1240);

  // WKSSVC on the port the mapper gave, a new activity: call 0 (NetrWkstaUserEnum) with 64
  // names in the [in,out] container (our choice, to make a 3-fragment request), answered with
  // 50 names in 2 fragments.
  Link link{cap, client, kClientPort, server, kWkssvcPort};
  Activity wks = activity("3e8d7c10-9a2b-4c5d-8e6f-0a05000a0002", kWkssvc);
  const Bytes enum_request = user_enum_request(user_names("tsuser", 64));
  const Bytes enum_response = user_enum_response(user_names("rdpuser", 50));
  const std::vector<std::size_t> in = pieces(enum_request.size(), 1000, 3);
  const std::vector<std::size_t> out = pieces(enum_response.size(), kMaxBody, 2);
  fragmented_call(link, wks, wkssvc, 0, kNetrWkstaUserEnum, enum_request, in, enum_response, out,
                  14 * kMs);

  // Call 1 (NetrWkstaGetInfo level 100): ping after 1 s, working; ping 2 s later, and the
  // response (the call completes as the second ping arrives), ack.
  wait(cap, 212 * kMs);
  ClPduBuilder get_info = client_pdu(wks, Ptype::request, 1, kNetrWkstaGetInfo);
  get_info.flags1(kClIdempotent).stub(get_info_request());
  link.to_server(get_info);
  wait(cap, 1000 * kMs);
  link.to_server(client_pdu(wks, Ptype::ping, 1, kNetrWkstaGetInfo));
  wait(cap, 380);
  link.to_client(server_pdu(wks, wkssvc, Ptype::working, 1, kNetrWkstaGetInfo));
  wait(cap, 2000 * kMs);
  link.to_server(client_pdu(wks, Ptype::ping, 1, kNetrWkstaGetInfo));
  wait(cap, 510);
  ClPduBuilder info = server_pdu(wks, wkssvc, Ptype::response, 1, kNetrWkstaGetInfo);
  info.stub(get_info_response());
  link.to_client(info);
  wait(cap, 300);
  link.to_server(client_pdu(wks, Ptype::ack, 1, kNetrWkstaGetInfo));
  return pcap_capture("cl_epm_udp.pcap", cap);
}

TestCapture big_endian() {
  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 600, 0}, 0});
  Host client = host("10.5.1.10", 110, 0x0c21);
  Host server = host("10.5.1.20", 120, 0x7e02);
  const Server srv{1142839800, 0x0002, 0x0005};  // booted 2006-03-20T07:30:00Z
  Link link{cap, client, 1026, server, 1031};
  Activity a = activity("0b1e0c5d-4f1a-4e2b-9c3d-0a05010a0001", kTestIfBig, kClDrepBigEndian);
  // Call 0 (opnum 1): 2400 request octets in 1000/1000/400, 2000 response octets in
  // 1384/616.
  const Bytes request = SplitMix64(0xc1be01).bytes(2400);
  const Bytes response = SplitMix64(0xc1be02).bytes(2000);
  const std::vector<std::size_t> in{1000, 1000, 400};
  const std::vector<std::size_t> out{kMaxBody, 2000 - kMaxBody};
  fragmented_call(link, a, srv, 0, 1, request, in, response, out, 9 * kMs);
  // Call 1 (opnum 0): one fragment each way, then the ack.
  wait(cap, 150 * kMs);
  ClPduBuilder req = client_pdu(a, Ptype::request, 1, 0);
  req.flags1(kClIdempotent).stub(SplitMix64(0xc1be03).bytes(64));
  link.to_server(req);
  wait(cap, 2300);
  ClPduBuilder resp = server_pdu(a, srv, Ptype::response, 1, 0);
  resp.stub(SplitMix64(0xc1be04).bytes(128));
  link.to_client(resp);
  wait(cap, 300);
  link.to_server(client_pdu(a, Ptype::ack, 1, 0));
  return pcap_capture("cl_big_endian.pcap", cap);
}

TestCapture failures() {
  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 1200, 0}, 0});
  Host client = host("10.5.2.10", 210, 0x1b30);
  Host server = host("10.5.2.20", 220, 0x4d50);
  const Server srv{1142842000, 0x0001, 0x0021};                  // booted 2006-03-20T08:06:40Z
  const Server no_state{srv.server_boot, kClNoHint, kClNoHint};  // before any call state
  Link link{cap, client, kClientPort, server, 1032};
  const Timestamp case_start = cap.clock().now();
  auto next_case = [&](std::uint64_t n) {
    cap.clock().set(case_start.plus_usec(n * 10'000 * kMs));
  };

  // (a) A request the server never received: two pings, each answered by nocall (the second
  // with a fack body: fragnum 0xffff, no fragment received), then nothing.
  Activity a = activity("6a1c2e3f-0001-4a5b-8c6d-0a05020a0001", kTestIfFail);
  ClPduBuilder req_a = client_pdu(a, Ptype::request, 0, 1);
  req_a.flags1(kClIdempotent).stub(SplitMix64(0xfa01).bytes(48));
  link.to_server(req_a);
  wait(cap, 1000 * kMs);
  link.to_server(client_pdu(a, Ptype::ping, 0, 1));
  wait(cap, 400);
  link.to_client(server_pdu(a, no_state, Ptype::nocall, 0, 1));
  a.learn(no_state);
  wait(cap, 2000 * kMs);
  link.to_server(client_pdu(a, Ptype::ping, 0, 1));
  wait(cap, 400);
  ClPduBuilder nocall = server_pdu(a, no_state, Ptype::nocall, 0, 1);
  nocall.fragnum(0xffff).fack(make_fack_body(kWindow, kFragSize, kFragSize, 0));
  link.to_client(nocall);

  // (b) A request for an interface the server does not offer (not idempotent): reject
  // nca_s_unk_if.
  next_case(1);
  Activity b = activity("6a1c2e3f-0002-4a5b-8c6d-0a05020a0002", kTestIfUnknown);
  b.learn(no_state);
  ClPduBuilder req_b = client_pdu(b, Ptype::request, 0, 0);
  req_b.stub(SplitMix64(0xfa02).bytes(32));
  link.to_server(req_b);
  wait(cap, 450);
  link.to_client(server_pdu(b, no_state, Ptype::reject, 0, 0).status(kNcaUnkIf));

  // (c) An opnum the interface does not have: fault nca_s_op_rng_error.
  next_case(2);
  Activity c = activity("6a1c2e3f-0003-4a5b-8c6d-0a05020a0003", kTestIfFail);
  c.learn(no_state);
  ClPduBuilder req_c = client_pdu(c, Ptype::request, 0, 99);
  req_c.flags1(kClIdempotent).stub(SplitMix64(0xfa03).bytes(16));
  link.to_server(req_c);
  wait(cap, 520);
  link.to_client(server_pdu(c, srv, Ptype::fault, 0, 99).status(kNcaOpRngError));

  // (d) A request (not idempotent) sent three times, 1 s and then 2 s apart, with a new
  // serial number each time; never answered.
  next_case(3);
  Activity d = activity("6a1c2e3f-0004-4a5b-8c6d-0a05020a0004", kTestIfFail);
  d.learn(no_state);
  const Bytes stub_d = SplitMix64(0xfa04).bytes(56);
  for (std::uint16_t serial = 0; serial < 3; ++serial) {
    if (serial > 0) wait(cap, std::uint64_t{serial} * 1000 * kMs);
    ClPduBuilder req_d = client_pdu(d, Ptype::request, 0, 2);
    req_d.serial(serial).stub(stub_d);
    link.to_server(req_d);
  }

  // (e) A call cancelled after 1.5 s: cl_cancel (cancel_id 1), cancel_ack (accepting).
  next_case(4);
  Activity e = activity("6a1c2e3f-0005-4a5b-8c6d-0a05020a0005", kTestIfFail);
  e.learn(no_state);
  ClPduBuilder req_e = client_pdu(e, Ptype::request, 0, 3);
  req_e.flags1(kClIdempotent).stub(SplitMix64(0xfa05).bytes(24));
  link.to_server(req_e);
  wait(cap, 1500 * kMs);
  link.to_server(client_pdu(e, Ptype::cl_cancel, 0, 3).cancel(1));
  wait(cap, 430);
  link.to_client(server_pdu(e, srv, Ptype::cancel_ack, 0, 3).cancel_ack(1, true));

  // (f) A 2-fragment request whose second fragment names another interface in its header
  // (if_id 5a7e0006-...); the server answers on the activity's call.
  next_case(5);
  Activity f = activity("6a1c2e3f-0006-4a5b-8c6d-0a05020a0006", kTestIfFail);
  f.learn(no_state);
  const Bytes stub_f = SplitMix64(0xfa06).bytes(1200);
  ClPduBuilder proto_f = client_pdu(f, Ptype::request, 0, 4);
  proto_f.flags1(kClIdempotent | kClNoFack);
  const std::vector<std::size_t> in_f{1000, 200};
  std::vector<ClPduBuilder> frags_f = cl_fragment(proto_f, stub_f, in_f);
  frags_f[1].if_id(kTestIfOther.uuid);
  link.to_server(frags_f[0]);
  wait(cap, 120);
  link.to_server(frags_f[1]);
  wait(cap, 3100);
  ClPduBuilder resp_f = server_pdu(f, srv, Ptype::response, 0, 4);
  resp_f.stub(SplitMix64(0xfa07).bytes(96));
  link.to_client(resp_f);

  // (g) A call that keeps working: ping, working, ping, working, then nothing.
  next_case(6);
  Activity g = activity("6a1c2e3f-0007-4a5b-8c6d-0a05020a0007", kTestIfFail);
  g.learn(no_state);
  ClPduBuilder req_g = client_pdu(g, Ptype::request, 0, 5);
  req_g.flags1(kClIdempotent).stub(SplitMix64(0xfa08).bytes(40));
  link.to_server(req_g);
  for (std::uint64_t pause : {1000 * kMs, 2000 * kMs}) {
    wait(cap, pause);
    link.to_server(client_pdu(g, Ptype::ping, 0, 5));
    wait(cap, 390);
    link.to_client(server_pdu(g, srv, Ptype::working, 0, 5));
    g.learn(srv);
  }
  return pcap_capture("cl_failures.pcap", cap);
}

TestCapture epm_lookup_udp() {
  Capture cap(LinkType::ethernet, Clock{Timestamp{kStart.sec + 1800, 0}, 0});
  Host client = host("10.5.3.10", 30, 0x3f00);
  Host server = host("10.5.3.20", 40, 0x6100);
  const Server epm{1142843000, 0x0003, 0x0009};
  Link link{cap, client, kClientPort, server, kEpmPort};
  Activity a = activity("7c0d1e2f-3a4b-4c5d-9e6f-0a05030a0001", kEpmInterface);
  const std::array<std::uint8_t, 4> address{10, 5, 3, 20};
  auto base = [](const SyntaxId& id) {
    TowerBuilder t;
    t.interface_floor(id).transfer_syntax_floor(kNdrSyntax);
    return t;
  };
  // ncalrpc as Windows' mapper lists it: floor 3 protocol 0x0c (minor version 0), floor 4
  // 0x10 with the port name, NUL-terminated (C706 appendix I identifiers).
  std::vector<EptEntry> entries(4);
  entries[0].tower = base(kMessenger).rpc_connectionless().udp(1030).ip(address).build();
  entries[0].annotation = "Messenger Service";
  entries[1].tower = base(kNetlogon).rpc_connection_oriented().tcp(1025).ip(address).build();
  entries[2].tower = base(kDrsuapi).rpc_connection_oriented().http(593).ip(address).build();
  entries[2].annotation = "MS NT Directory DRS Interface";
  entries[3].tower = base(kMessenger).lrpc().local_pipe("LRPC-0a1b2c3d").build();
  entries[3].annotation = "Messenger Service";

  const ContextHandle handle{0, Uuid::parse("9d2b0000-0000-4000-8000-0000000e9a13")};
  for (std::uint32_t seqnum = 0; seqnum < 2; ++seqnum) {
    EptLookupRequest q;
    q.inquiry_type = kEpAllElts;
    q.vers_option = kVersAll;
    q.max_ents = 4;
    if (seqnum > 0) q.entry_handle = handle;
    ClPduBuilder req = client_pdu(a, Ptype::request, seqnum, kOpnumEptLookup);
    req.flags1(kClIdempotent).stub(build_ept_lookup_request(q));
    link.to_server(req);
    wait(cap, 780);
    EptLookupResponse r;
    r.max_count = 4;
    if (seqnum == 0) {
      r.entry_handle = handle;
      r.entries = entries;
    } else {
      r.status = kEptNotRegistered;  // no more entries: a null handle ends the listing
    }
    ClPduBuilder resp = server_pdu(a, epm, Ptype::response, seqnum, kOpnumEptLookup);
    resp.stub(build_ept_lookup_response(r));
    link.to_client(resp);
    a.learn(epm);
    wait(cap, 1900);
  }
  return pcap_capture("cl_epm_lookup_udp.pcap", cap);
}

}  // namespace

std::vector<TestCapture> cl_captures() {
  return {epm_udp(), big_endian(), failures(), epm_lookup_udp()};
}

}  // namespace rpctrace::testsupport
