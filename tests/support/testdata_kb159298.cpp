// KB159298 ("How to analyze Exchange RPC traffic over TCP/IP") rebuilt field for field from its
// two Network Monitor walkthroughs (/work/shared/seeds/003_*.txt). The KB gives ports, seq/ack,
// windows, flags, call ids, assoc groups, xmit/recv sizes, opnums and alloc hints; addresses,
// timestamps and every byte it does not show are ours (testdata/README.md says which).
//
// Both hosts advertise 8760 minus the data they have received (TcpScriptConfig::shrink_window):
// that rule reproduces every window the KB prints.
#include <array>

#include "support/epm_builder.hpp"
#include "support/ntlmssp_builder.hpp"
#include "support/testdata_common.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr std::uint32_t kNtlmFlags = kNtlmNegotiateUnicode | kNtlmNegotiateOem |
                                     kNtlmRequestTarget | kNtlmNegotiateSign | kNtlmNegotiateNtlm |
                                     kNtlmNegotiateAlwaysSign;
constexpr std::uint32_t kNtlmChallengeFlags = kNtlmNegotiateUnicode | kNtlmNegotiateSign |
                                              kNtlmNegotiateNtlm | kNtlmNegotiateAlwaysSign |
                                              kNtlmTargetTypeDomain;

// One PDU in two segments, both with PSH as the KB prints frames 6 and 14 (".AP...").
SendOptions split_at(std::size_t offset) {
  SendOptions o;
  o.split_at = {offset};
  FrameOverride push;
  push.flags = kTcpAck | kTcpPsh;
  o.per_segment = {push};
  return o;
}

TcpScriptConfig kb_config(std::string_view client_ip, std::uint16_t client_port,
                          std::uint32_t client_isn, std::string_view server_ip,
                          std::uint16_t server_port, std::uint32_t server_isn) {
  TcpScriptConfig c =
      tcp_config(client_ip, client_port, client_isn, server_ip, server_port, server_isn);
  c.shrink_window = true;
  return c;
}

// First walkthrough: ExchangeA asks ExchangeB's endpoint mapper where the MTA listens.
void epm_frames(Capture& cap) {
  TcpScript tcp(cap, kb_config("10.1.1.1", 3464, 562005063, "10.1.1.2", 135, 875064831));
  tcp.handshake();                                                                 // frames 1-3
  tcp.send(Direction::to_server, epm_bind(0x54004e).build());                      // 4: 72 octets
  tcp.send(Direction::to_client, epm_bind_ack(0x54004e, 0x33cfa, "135").build());  // 5: 60
  tcp.send(Direction::to_server, ept_map_request(1, kExchangeMtaInterface).build());  // 6: 156
  tcp.send(Direction::to_client,
           ept_map_response(1, kExchangeMtaInterface, 4764, {10, 1, 1, 2}).build());  // 7: 152
  tcp.close();                                                                        // frames 8-11
}

TestCapture epm_walkthrough() {
  Capture cap(LinkType::ethernet, Clock(kTimestamp1997, 1000));
  epm_frames(cap);
  return pcap_capture("kb159298_epm.pcap", cap);
}

PduBuilder mta_bind(std::uint32_t call_id, Bytes negotiate) {
  PduBuilder b(Ptype::bind);
  b.call_id(call_id)
      .context(ContextElement{0, kExchangeMtaInterface, {kNdrSyntax}})
      .auth(make_auth_verifier(std::move(negotiate)));
  return b;
}

PduBuilder mta_bind_ack(std::uint32_t call_id, std::uint32_t assoc_group_id,
                        std::string_view sec_addr, std::array<std::uint8_t, 8> challenge) {
  PduBuilder b = epm_bind_ack(call_id, assoc_group_id, sec_addr);
  b.auth(make_auth_verifier(ntlmssp_challenge(kNtlmChallengeFlags, challenge)));
  return b;
}

PduBuilder auth3(std::uint32_t call_id, Bytes authenticate) {
  PduBuilder b(Ptype::auth3);
  b.call_id(call_id).auth(make_auth_verifier(std::move(authenticate)));
  return b;
}

// NTLMSSP packet-integrity verifier, trailer 8-aligned as the KB's sizes require.
AuthVerifier signature(std::uint32_t seq_num) {
  return make_auth_verifier(ntlmssp_signature(seq_num), 8);
}

PduBuilder mta_call(Ptype ptype, std::uint32_t call_id, std::uint16_t opnum,
                    std::uint32_t alloc_hint, std::size_t stub_size, std::uint64_t seed) {
  PduBuilder b(ptype);
  b.call_id(call_id).alloc_hint(alloc_hint).stub(SplitMix64(seed).bytes(stub_size));
  if (ptype == Ptype::request) b.opnum(opnum);
  return b;
}

// Second walkthrough: the MTA's two-way bind. `split` = the reading (frames 6+7 and
// 14+15 each one request split over two segments, no auth3) instead of auth3 + request.
void mta_frames(Capture& cap, bool split) {
  TcpScript a_to_b(cap, kb_config("10.1.1.1", 3470, 562005113, "10.1.1.2", 4764, 875064881));
  TcpScript b_to_a(cap, kb_config("10.1.1.2", 1969, 875064951, "10.1.1.1", 1733, 562005173));
  const Bytes lm = SplitMix64(0x1597).bytes(24);
  const Bytes nt = SplitMix64(0x1598).bytes(24);

  a_to_b.handshake();                // frames 1-3
  a_to_b.send(Direction::to_server,  // 4: 136
              mta_bind(0x1ebe80, ntlmssp_negotiate(kNtlmFlags | kNtlmOemDomainSupplied |
                                                       kNtlmOemWorkstationSupplied,
                                                   "EXCHANGE-DOMAIN", "EXCHANGEA"))
                  .build());
  a_to_b.send(Direction::to_client,  // 5: 108
              mta_bind_ack(0x1ebe80, 0x3150eac1, "4764", {1, 2, 3, 4, 5, 6, 7, 8}).build());
  if (split) {
    const Bytes request = mta_call(Ptype::request, 1, 0, 0x11e, 518, 0x7).build();  // 542
    a_to_b.send(Direction::to_server, request, split_at(206));                      // 6, 7
  } else {
    a_to_b.send(Direction::to_server,  // 6: 206
                auth3(0x1ebe80, ntlmssp_authenticate(kNtlmFlags, lm, nt, "EXCHANGE-DOMAIN",
                                                     "EXSERVICE", "EXCHANGEA"))
                    .build());
    a_to_b.send(Direction::to_server,  // 7: 336
                mta_call(Ptype::request, 1, 0, 0x11e, 286, 0x7).auth(signature(0)).build());
  }
  a_to_b.ack(Direction::to_client);  // 8

  b_to_a.handshake();                // frames 9-11
  b_to_a.send(Direction::to_server,  // 12: 135
              mta_bind(0x6c645f65, ntlmssp_negotiate(kNtlmFlags | kNtlmOemDomainSupplied |
                                                         kNtlmOemWorkstationSupplied,
                                                     "EXCHANGE-DOMAIN", "EXCHSRVB"))
                  .build());
  b_to_a.send(Direction::to_client,  // 13: 108
              mta_bind_ack(0x6c645f65, 0x215d6f47, "1733", {8, 7, 6, 5, 4, 3, 2, 1}).build());
  if (split) {
    const Bytes request = mta_call(Ptype::request, 0x7dfe09c, 1, 0x2, 224, 0x15).build();
    b_to_a.send(Direction::to_server, request, split_at(192));  // 14, 15
  } else {
    b_to_a.send(Direction::to_server,  // 14: 192
                auth3(0x6c645f65, ntlmssp_authenticate(kNtlmFlags, lm, nt, "EXCHANGE-DOMAIN", "MTA",
                                                       "EXCHSRVB"))
                    .build());
    b_to_a.send(Direction::to_server,  // 15: 56
                mta_call(Ptype::request, 0x7dfe09c, 1, 0x2, 2, 0x15).auth(signature(0)).build());
  }
  b_to_a.ack(Direction::to_client);  // 16

  // 17 answers frame 15 and 18 answers frame 7: the call ids say so (the KB's prose swaps them).
  PduBuilder r17 = mta_call(Ptype::response, 0x7dfe09c, 0, 0x1c, 28, 0x17);
  PduBuilder r18 = mta_call(Ptype::response, 1, 0, 0x20, 32, 0x18);
  if (!split) {
    r17.auth(signature(1));
    r18.auth(signature(1));
  }
  b_to_a.send(Direction::to_client, r17.build());  // 17
  a_to_b.send(Direction::to_client, r18.build());  // 18
}

TestCapture mta_walkthrough(bool split) {
  Capture cap(LinkType::ethernet, Clock(kTimestamp1997.plus_usec(1'000'000), 1000));
  mta_frames(cap, split);
  return pcap_capture(split ? "kb159298_mta_split.pcap" : "kb159298_mta.pcap", cap);
}

// The whole story of KB159298 in one capture, as a sniffer between the two servers would
// record it: the lookup (first walkthrough), then the MTA's two-way bind one second later. The
// KB's sequence numbers fit this order (ExchangeA's ISNs 562005063, then 562005113).
// `late`: the capture of the second connection starts after its handshake, bind and bind_ack
// (its frames 1-5 are missing), so its calls can only be named from the lookup before it.
TestCapture story(bool late) {
  Capture full(LinkType::ethernet, Clock(kTimestamp1997, 1000));
  epm_frames(full);
  full.clock().set(kTimestamp1997.plus_usec(1'000'000));
  mta_frames(full, false);
  if (!late) return pcap_capture("kb159298_story.pcap", full);
  Capture cut(LinkType::ethernet);
  for (std::size_t i = 0; i < full.frames().size(); ++i) {
    if (i >= 11 && i < 16) continue;  // the MTA connection's frames 1-5
    cut.clock().set(full.frames()[i].ts);
    cut.add(full.frames()[i].data, full.frames()[i].snap_length);
  }
  return pcap_capture("kb159298_story_late.pcap", cut);
}

}  // namespace

std::vector<TestCapture> kb159298_captures() {
  return {epm_walkthrough(), mta_walkthrough(false), mta_walkthrough(true), story(false),
          story(true)};
}

}  // namespace rpctrace::testsupport
