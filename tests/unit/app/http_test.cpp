// RPC over HTTP v2 through the whole run (transport/virtual_connections.hpp): the IN and OUT
// channels of a virtual connection, two TCP connections, joined by the VirtualConnectionCookie
// of their first RTS PDUs into one conversation whose calls pair across them; RTS PDUs named
// by their step; the totals adding up over the two connections.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "support/packet_builder.hpp"
#include "support/pdu_builder.hpp"
#include "support/rts_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report::harness {
namespace {

using analysis::EndReason;
using dcerpc::RtsPduName;

const ts::TestCapture& http_capture(std::string_view name) {
  static const std::vector<ts::TestCapture> all = ts::http_captures();
  for (const auto& c : all)
    if (c.file_name == name) return c;
  ADD_FAILURE() << "no capture " << name;
  return all.front();
}

// The RTS names reported, in frame order.
std::vector<std::pair<std::uint64_t, RtsPduName>> rts_names(const RecordingWriter& w) {
  std::vector<std::pair<std::uint64_t, RtsPduName>> out;
  for (const auto& f : w.frames)
    for (const auto& p : f.pdus)
      if (p.rts_names.size() == 1) out.emplace_back(p.event.at.frame, p.rts_names[0]);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(HttpV2, TheTwoChannelsOfAVirtualConnectionAreOneConversation) {
  Analysis run = analyze_file_bytes(http_capture("http_v2_exchange.pcap").bytes);
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  // The OUT channel named the virtual connection first (CONN/A1, frame 5): its conversation
  // holds the timeline; the IN channel's (CONN/B1, frame 11) ends there, joined.
  const Conversation& holder = run.writer.conversation(1);
  const Conversation& in = run.writer.conversation(2);
  EXPECT_EQ(in.end_reason, EndReason::joined);
  EXPECT_EQ(holder.end_reason, EndReason::closed);
  ASSERT_TRUE(holder.virtual_connection);
  ASSERT_TRUE(in.virtual_connection);
  EXPECT_EQ(holder.virtual_connection->cookie, in.virtual_connection->cookie);
  EXPECT_EQ(in.virtual_connection->conversation, 1u);
  ASSERT_EQ(holder.virtual_connection->channels.size(), 2u);
  EXPECT_EQ(holder.virtual_connection->channels[0].name, "OUT");
  EXPECT_EQ(holder.virtual_connection->channels[0].frame, 5u);
  EXPECT_EQ(holder.virtual_connection->channels[1].name, "IN");
  EXPECT_EQ(holder.virtual_connection->channels[1].conversation, 2u);
  EXPECT_EQ(holder.virtual_connection->channels[1].client.port, 1302);
  // Requests on IN, answers on OUT: every call answered, with its latency.
  EXPECT_EQ(holder.calls, 3u);
  EXPECT_EQ(in.calls, 0u);
  std::size_t answered = 0;
  for (const auto& c : run.writer.calls) {
    EXPECT_EQ(c.conversation, 1u);
    if (c.call.outcome == dcerpc::CallOutcome::response) ++answered;
  }
  EXPECT_EQ(answered, 3u);
  // Each frame counted once, each octet once.
  EXPECT_EQ(holder.frames + in.frames, run.result.stats.frames_read);
  EXPECT_EQ(in.last_frame, 11u);
  std::uint64_t payload = 0;
  for (const auto& f : run.writer.frames)
    if (f.delta_us >= 0) payload += f.segment.payload_length;
  EXPECT_EQ(
      holder.bytes_to_server + holder.bytes_to_client + in.bytes_to_server + in.bytes_to_client,
      payload);
  // The IN channel's frames after the join carry its own ports, in the holder's directions.
  for (const auto& f : run.writer.frames) {
    if (f.frame != 18) continue;
    EXPECT_EQ(f.conversation, 1u);
    EXPECT_EQ(f.src.port, 1302);
    EXPECT_EQ(f.dir, 0);
  }
  const std::vector<std::pair<std::uint64_t, RtsPduName>> expected = {
      {5, RtsPduName::conn_a1},
      {11, RtsPduName::conn_b1},
      {14, RtsPduName::conn_a3},
      {16, RtsPduName::conn_c2},
      {31, RtsPduName::flow_control_ack}};
  EXPECT_EQ(rts_names(run.writer), expected);
}

// RPC over HTTPS without keys: the ClientHello's server_name and ALPN, a step of a
// conversation that is not shown unless asked for (most TLS is no RPC).
TEST(HttpV2, OverTlsTheClientHelloIsAllThereIsToSee) {
  Analysis run = analyze_file_bytes(http_capture("http_tls_443.pcap").bytes);
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  std::vector<std::uint64_t> hellos;
  for (const auto& f : run.writer.frames)
    for (const auto& e : f.events) {
      ASSERT_EQ(e.kind, analysis::CarrierEventKind::tls_client_hello);
      EXPECT_EQ(e.text, "mail.contoso.com");
      EXPECT_EQ(e.alpn, "http/1.1");
      EXPECT_FALSE(f.shown);
      hellos.push_back(f.frame);
    }
  EXPECT_EQ(hellos.size(), 2u);  // one per channel
  for (const auto& c : run.writer.conversations) EXPECT_FALSE(c.shown);
  EXPECT_EQ(run.result.stats.pdus, 0u);
  EXPECT_EQ(run.result.stats.counter("tls_connections"), 2u);
}

// Between the proxies and the server (a capture on the server): plain TCP to 6001, no HTTP;
// the channel comes from the RTS Flags. Here the IN channel names it first, and its PDUs turn
// up in the order the server saw them.
TEST(HttpV2, ProxyToServerChannelsJoinWhicheverNamesFirst) {
  constexpr ts::Uuid kVc = ts::Uuid::parse("11111111-2222-4333-8444-555555555555");
  constexpr ts::Uuid kIn = ts::Uuid::parse("11111111-2222-4333-8444-666666666666");
  constexpr ts::Uuid kOut = ts::Uuid::parse("11111111-2222-4333-8444-777777777777");
  constexpr ts::Uuid kGroup = ts::Uuid::parse("11111111-2222-4333-8444-888888888888");
  constexpr ts::SyntaxId kIface{ts::Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662da"), 0, 81};
  ts::Capture cap;
  ts::TcpScript in(cap, ts::tcp_config("10.7.0.5", 40001, 1000, "10.7.0.20", 6001, 5000));
  ts::TcpScript out(cap, ts::tcp_config("10.7.0.5", 40002, 9000, "10.7.0.20", 6001, 7000));
  in.handshake();
  in.send(ts::Direction::to_server,
          ts::rts_conn_b2(kVc, kIn, 65536, 120000, kGroup, {10, 7, 0, 9}).build());
  out.handshake();
  out.send(ts::Direction::to_server, ts::rts_conn_a2(kVc, kOut, 1073741824, 65536).build());
  out.send(ts::Direction::to_client, ts::rts_conn_c1(65536, 120000).build());
  ts::PduBuilder bind(ts::Ptype::bind);
  bind.call_id(1).context(ts::ContextElement{0, kIface, {ts::kNdrSyntax}});
  in.send(ts::Direction::to_server, bind.build());
  ts::PduBuilder ack(ts::Ptype::bind_ack);
  ack.call_id(1).sec_addr("6001").result(ts::ContextResult{});
  out.send(ts::Direction::to_client, ack.build());
  const std::byte stub[8] = {};
  ts::PduBuilder request(ts::Ptype::request);
  request.call_id(2).opnum(10).stub(stub);
  in.send(ts::Direction::to_server, request.build());
  ts::PduBuilder response(ts::Ptype::response);
  response.call_id(2).stub(stub);
  out.send(ts::Direction::to_client, response.build());
  in.close();
  out.close();
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  const Conversation& holder = run.writer.conversation(1);
  EXPECT_EQ(run.writer.conversation(2).end_reason, EndReason::joined);
  ASSERT_TRUE(holder.virtual_connection);
  ASSERT_EQ(holder.virtual_connection->channels.size(), 2u);
  EXPECT_EQ(holder.virtual_connection->channels[0].name, "IN");
  EXPECT_EQ(holder.virtual_connection->channels[1].name, "OUT");
  EXPECT_EQ(holder.calls, 1u);
  ASSERT_EQ(run.writer.calls.size(), 1u);
  for (const auto& c : run.writer.calls) {
    EXPECT_EQ(c.call.outcome, dcerpc::CallOutcome::response);
    EXPECT_EQ(c.conversation, 1u);
  }
  // The holder's own connection ended first: the conversation closes with the last channel.
  EXPECT_EQ(holder.last_frame, run.result.stats.frames_read);
  std::vector<RtsPduName> names;
  for (const auto& [frame, name] : rts_names(run.writer)) names.push_back(name);
  EXPECT_EQ(names, (std::vector<RtsPduName>{RtsPduName::conn_b2, RtsPduName::conn_a2,
                                            RtsPduName::conn_c1}));
}

// Channel recycling (MS-RPCH 3.2.4.1.3): the client opens a successor IN channel, another TCP
// connection with its own RPC_IN_DATA head, whose IN_R1/A1 names the same virtual connection:
// it joins too, and the calls made on it pair with answers on the OUT channel.
TEST(HttpV2, ARecycledInChannelJoinsItsVirtualConnection) {
  constexpr ts::Uuid kVc = ts::Uuid::parse("22222222-2222-4333-8444-555555555555");
  constexpr ts::Uuid kIn1 = ts::Uuid::parse("22222222-2222-4333-8444-666666666666");
  constexpr ts::Uuid kIn2 = ts::Uuid::parse("22222222-2222-4333-8444-777777777777");
  constexpr ts::Uuid kOut = ts::Uuid::parse("22222222-2222-4333-8444-888888888888");
  constexpr ts::Uuid kGroup = ts::Uuid::parse("22222222-2222-4333-8444-999999999999");
  auto head = [](std::string_view method, std::uint32_t length) {
    return ts::text_bytes(fmt::format(
        "{} /rpc/rpcproxy.dll?exch01:6001 HTTP/1.1\r\nHost: mail\r\nContent-Length: {}\r\n\r\n",
        method, length));
  };
  ts::Capture cap;
  ts::TcpScript out(cap, ts::tcp_config("10.7.3.10", 1801, 1000, "10.7.3.5", 80, 5000));
  ts::TcpScript in1(cap, ts::tcp_config("10.7.3.10", 1802, 2000, "10.7.3.5", 80, 6000));
  ts::TcpScript in2(cap, ts::tcp_config("10.7.3.10", 1803, 3000, "10.7.3.5", 80, 7000));
  out.handshake();
  out.send(ts::Direction::to_server, head("RPC_OUT_DATA", 76));
  out.send(ts::Direction::to_server, ts::rts_conn_a1(kVc, kOut, 65536).build());
  out.send(ts::Direction::to_client,
           ts::text_bytes("HTTP/1.1 200 Success\r\nContent-Length: 1073741824\r\n\r\n"));
  in1.handshake();
  in1.send(ts::Direction::to_server, head("RPC_IN_DATA", 1073741824));
  in1.send(ts::Direction::to_server,
           ts::rts_conn_b1(kVc, kIn1, 1073741824, 300000, kGroup).build());
  in2.handshake();
  in2.send(ts::Direction::to_server, head("RPC_IN_DATA", 1073741824));
  ts::RtsCommands recycle;
  recycle.version().cookie(kVc).cookie(kIn1).cookie(kIn2);  // MS-RPCH 2.2.4.10
  in2.send(ts::Direction::to_server, ts::rts_pdu(ts::kRtsFlagRecycleChannel, recycle).build());
  const std::byte stub[8] = {};
  ts::PduBuilder request(ts::Ptype::request);
  request.call_id(7).opnum(11).stub(stub);
  in2.send(ts::Direction::to_server, request.build());
  ts::PduBuilder response(ts::Ptype::response);
  response.call_id(7).stub(stub);
  out.send(ts::Direction::to_client, response.build());
  in1.close();
  in2.close();
  out.close();
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), 3u);
  const Conversation& holder = run.writer.conversation(1);
  EXPECT_EQ(run.writer.conversation(2).end_reason, EndReason::joined);
  EXPECT_EQ(run.writer.conversation(3).end_reason, EndReason::joined);
  ASSERT_TRUE(holder.virtual_connection);
  ASSERT_EQ(holder.virtual_connection->channels.size(), 3u);
  EXPECT_EQ(holder.virtual_connection->channels[2].name, "IN");
  EXPECT_EQ(holder.virtual_connection->channels[2].conversation, 3u);
  ASSERT_EQ(run.writer.calls.size(), 1u);
  EXPECT_EQ(run.writer.calls[0].call.outcome, dcerpc::CallOutcome::response);
  EXPECT_EQ(run.writer.calls[0].conversation, 1u);
  // IN_R1/A1 (a successor through another inbound proxy) and IN_R2/A1 (through the same one)
  // share one layout, sent the same way: both names.
  std::vector<RtsPduName> recycling;
  for (const auto& f : run.writer.frames)
    for (const auto& p : f.pdus)
      if (p.rts_names.size() > 1) recycling = p.rts_names;
  EXPECT_EQ(recycling, (std::vector<RtsPduName>{RtsPduName::in_r1_a1, RtsPduName::in_r2_a1}));
}

// Two virtual connections with different cookies stay apart; the same cookie on the other leg
// (client-proxy versus proxy-server) is another virtual connection.
TEST(HttpV2, OtherCookiesStayApart) {
  constexpr ts::Uuid kA = ts::Uuid::parse("aaaaaaaa-2222-4333-8444-555555555555");
  constexpr ts::Uuid kB = ts::Uuid::parse("bbbbbbbb-2222-4333-8444-555555555555");
  constexpr ts::Uuid kChannel = ts::Uuid::parse("cccccccc-2222-4333-8444-555555555555");
  ts::Capture cap;
  ts::TcpScript one(cap, ts::tcp_config("10.7.1.5", 40001, 1000, "10.7.1.20", 6001, 5000));
  ts::TcpScript two(cap, ts::tcp_config("10.7.1.5", 40002, 2000, "10.7.1.20", 6001, 6000));
  one.handshake();
  one.send(ts::Direction::to_server, ts::rts_conn_a2(kA, kChannel, 1073741824, 65536).build());
  two.handshake();
  two.send(ts::Direction::to_server, ts::rts_conn_a2(kB, kChannel, 1073741824, 65536).build());
  one.close();
  two.close();
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  for (const auto& c : run.writer.conversations) {
    EXPECT_EQ(c.end_reason, EndReason::closed);
    ASSERT_TRUE(c.virtual_connection);
    EXPECT_EQ(c.virtual_connection->channels.size(), 1u);
    EXPECT_EQ(c.virtual_connection->conversation, c.id);
  }
}

// Past VirtualConnections::kMax open virtual connections a channel stays on its own, with a
// note; nothing of it is lost, and later channels join again once one has ended.
TEST(HttpV2, VirtualConnectionsPastTheBoundStayApartWithANote) {
  constexpr std::size_t kOpen = 4096 + 1;
  ts::Capture cap;
  std::vector<std::unique_ptr<ts::TcpScript>> channels;
  auto cookie = [](std::size_t i) {
    ts::Uuid u = ts::Uuid::parse("5a7e0000-0000-4000-8000-000000000000");
    u.time_low += static_cast<std::uint32_t>(i);
    return u;
  };
  constexpr ts::Uuid kChannel = ts::Uuid::parse("cccccccc-2222-4333-8444-555555555555");
  for (std::size_t i = 0; i < kOpen; ++i) {
    const auto port = static_cast<std::uint16_t>(20000 + i);
    auto& t = channels.emplace_back(std::make_unique<ts::TcpScript>(
        cap, ts::tcp_config("10.7.2.5", port, 1000, "10.7.2.20", 6001, 5000)));
    t->handshake();
    t->send(ts::Direction::to_server,
            ts::rts_conn_a2(cookie(i), kChannel, 1073741824, 65536).build());
  }
  for (auto& t : channels) t->close();
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), kOpen);
  std::size_t named = 0, limited = 0;
  for (const auto& c : run.writer.conversations) {
    if (c.virtual_connection) ++named;
    EXPECT_EQ(c.end_reason, EndReason::closed);
  }
  for (const auto& f : run.writer.frames)
    for (const auto& n : f.notes)
      if (n.kind == analysis::NoteKind::limit) ++limited;
  EXPECT_EQ(named, kOpen - 1);
  EXPECT_EQ(limited, 1u);
  EXPECT_EQ(run.result.stats.pdus, kOpen);  // every channel's PDU still decoded
}

}  // namespace
}  // namespace rpctrace::report::harness
