// Tests for tests/support/tcp_script.hpp: seq/ack bookkeeping and every knob.
#include "support/tcp_script.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "frame_fields.hpp"

namespace rpctrace::testsupport {
namespace {

TcpScriptConfig config() {
  TcpScriptConfig c;
  c.client.address = IpAddress::parse("10.0.0.1");
  c.client.port = 40000;
  c.client.isn = 1000;
  c.client.syn_window = 8192;
  c.server.address = IpAddress::parse("10.0.0.2");
  c.server.port = 135;
  c.server.isn = 5000;
  return c;
}

std::vector<TcpFields> fields(const Capture& cap) {
  std::vector<TcpFields> out;
  for (const Frame& f : cap.frames()) out.push_back(tcp_fields(f.data));
  return out;
}

Bytes data(std::size_t n) { return SplitMix64(n).bytes(n); }

TEST(TcpScript, HandshakeNumbersWindowsAndMss) {
  Capture cap;
  TcpScript tcp(cap, config());
  tcp.handshake();
  const auto f = fields(cap);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].flags, kTcpSyn);
  EXPECT_EQ(f[0].seq, 1000u);
  EXPECT_EQ(f[0].ack, 0u);
  EXPECT_EQ(f[0].window, 8192);
  EXPECT_EQ(f[0].header_length, 24u);  // MSS option
  EXPECT_EQ(f[1].flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(f[1].seq, 5000u);
  EXPECT_EQ(f[1].ack, 1001u);
  EXPECT_EQ(f[2].flags, kTcpAck);
  EXPECT_EQ(f[2].seq, 1001u);
  EXPECT_EQ(f[2].ack, 5001u);
  EXPECT_EQ(f[2].window, 8760);
}

TEST(TcpScript, TimestampsAdvanceByTheClockStep) {
  Capture cap(LinkType::ethernet, Clock(Timestamp{100, 999'500}, 250));
  TcpScript tcp(cap, config());
  tcp.handshake();
  cap.clock().set(Timestamp{200, 0});
  tcp.ack(Direction::to_client);
  EXPECT_EQ(cap.frames()[0].ts, (Timestamp{100, 999'500}));
  EXPECT_EQ(cap.frames()[1].ts, (Timestamp{100, 999'750}));
  EXPECT_EQ(cap.frames()[2].ts, (Timestamp{101, 0}));
  EXPECT_EQ(cap.frames()[3].ts, (Timestamp{200, 0}));
}

TEST(TcpScript, SendSplitsBySegmentSizeAndPushesTheLast) {
  Capture cap;
  TcpScript tcp(cap, config());
  const Bytes d = data(250);
  SendOptions o;
  o.segment_size = 100;
  tcp.send(Direction::to_server, d, o);
  const auto f = fields(cap);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].seq, 1001u);
  EXPECT_EQ(f[1].seq, 1101u);
  EXPECT_EQ(f[2].seq, 1201u);
  EXPECT_EQ(f[2].payload.size(), 50u);
  EXPECT_EQ(f[0].flags, kTcpAck);
  EXPECT_EQ(f[2].flags, kTcpAck | kTcpPsh);
  EXPECT_EQ(concat({f[0].payload, f[1].payload, f[2].payload}), d);
  EXPECT_EQ(tcp.next_seq(Direction::to_server), 1251u);
}

TEST(TcpScript, ExplicitSplitPointsAndReordering) {
  Capture cap;
  TcpScript tcp(cap, config());
  SendOptions o;
  o.split_at = {40, 10};
  o.order = {2, 0, 1};
  tcp.send(Direction::to_client, data(60), o);
  const auto f = fields(cap);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].seq, 5041u);
  EXPECT_EQ(f[1].seq, 5001u);
  EXPECT_EQ(f[2].seq, 5011u);
  EXPECT_EQ(f[0].ack, 1001u);
}

TEST(TcpScript, LossLeavesTheSegmentOutButTheAckCoversIt) {
  Capture cap;
  TcpScript tcp(cap, config());
  SendOptions o;
  o.split_at = {10, 20};
  o.drop = {1};
  tcp.send(Direction::to_server, data(30), o);
  tcp.ack(Direction::to_client);
  const auto f = fields(cap);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].seq, 1001u);
  EXPECT_EQ(f[1].seq, 1021u);
  EXPECT_EQ(f[2].ack, 1031u);
}

TEST(TcpScript, RetransmissionSameAndChangedBytes) {
  Capture cap;
  TcpScript tcp(cap, config());
  const Bytes d = data(20);
  SendOptions o;
  o.split_at = {10};
  Retransmission same;
  same.segment = 0;
  same.after = 1;
  Retransmission changed;
  changed.segment = 1;
  changed.after = 0;
  changed.payload = Bytes(10, std::byte{0xee});
  o.retransmit = {same, changed};
  tcp.send(Direction::to_server, d, o);
  const auto f = fields(cap);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0].seq, 1001u);  // segment 0
  EXPECT_EQ(f[1].seq, 1011u);  // changed copy of 1, after position 0
  EXPECT_EQ(f[1].payload, Bytes(10, std::byte{0xee}));
  EXPECT_EQ(f[2].seq, 1011u);  // segment 1
  EXPECT_EQ(f[2].payload, slice(d, 10, 10));
  EXPECT_EQ(f[3].seq, 1001u);  // exact copy of 0, after position 1
  EXPECT_EQ(f[3].payload, slice(d, 0, 10));
}

TEST(TcpScript, FrameOverridesWinPerSegment) {
  Capture cap;
  TcpScript tcp(cap, config());
  SendOptions o;
  o.split_at = {5};
  o.frame.window = 1234;
  FrameOverride first;
  first.ack = 77;
  first.snap_length = 60;
  o.per_segment = {first};
  tcp.send(Direction::to_server, data(10), o);
  const auto f = fields(cap);
  EXPECT_EQ(f[0].ack, 77u);
  EXPECT_EQ(f[0].window, 1234);
  EXPECT_EQ(f[1].ack, 5001u);
  EXPECT_EQ(f[1].window, 1234);
  EXPECT_EQ(cap.frames()[0].snap_length, 60u);
  EXPECT_FALSE(cap.frames()[1].snap_length.has_value());
}

TEST(TcpScript, CloseInKb159298OrderWithShrinkingWindows) {
  Capture cap;
  TcpScriptConfig c = config();
  c.shrink_window = true;
  TcpScript tcp(cap, c);
  tcp.handshake();
  tcp.send(Direction::to_server, data(72));
  tcp.send(Direction::to_client, data(60));
  tcp.close();
  const auto f = fields(cap);
  ASSERT_EQ(f.size(), 9u);
  EXPECT_EQ(f[4].window, 8760 - 72);
  EXPECT_EQ(f[5].flags, kTcpFin | kTcpAck);  // client FIN
  EXPECT_EQ(f[5].seq, 1073u);
  EXPECT_EQ(f[5].window, 8760 - 60);
  EXPECT_EQ(f[6].flags, kTcpAck);  // server ACK of the FIN
  EXPECT_EQ(f[6].ack, 1074u);
  EXPECT_EQ(f[7].flags, kTcpFin | kTcpAck);  // server FIN
  EXPECT_EQ(f[7].seq, 5061u);
  EXPECT_EQ(f[8].ack, 5062u);  // client's last ACK
  EXPECT_EQ(f[8].seq, 1074u);
}

TEST(TcpScript, RstAndNoHandshakeStartMidStream) {
  Capture cap;
  TcpScript tcp(cap, config());
  tcp.send(Direction::to_client, data(8));  // no SYN seen: data starts at isn + 1
  tcp.rst(Direction::to_server);
  const auto f = fields(cap);
  EXPECT_EQ(f[0].seq, 5001u);
  EXPECT_EQ(f[1].flags, kTcpRst | kTcpAck);
  EXPECT_EQ(f[1].ack, 5009u);
}

TEST(TcpScript, VlanTagsAndIpv6) {
  Capture cap;
  TcpScriptConfig c = config();
  c.client.address = IpAddress::parse("fd00::1");
  c.server.address = IpAddress::parse("fd00::2");
  c.vlans = {VlanTag{0x8100, 0, 42}};
  TcpScript tcp(cap, c);
  tcp.send(Direction::to_server, data(3));
  const Bytes& frame = cap.frames()[0].data;
  EXPECT_EQ(ethernet_payload_offset(frame), 18u);
  EXPECT_EQ(be_at(frame, 16, 2), 0x86ddu);
  EXPECT_EQ(tcp_fields(frame).payload.size(), 3u);
}

TEST(TcpScript, RejectsBadOptions) {
  Capture cap;
  TcpScript tcp(cap, config());
  EXPECT_THROW(tcp.send(Direction::to_server, Bytes{}), std::invalid_argument);
  SendOptions o;
  o.split_at = {10};
  o.order = {0};
  EXPECT_THROW(tcp.send(Direction::to_server, data(20), o), std::invalid_argument);
  SendOptions out_of_range;
  out_of_range.split_at = {20};
  EXPECT_THROW(tcp.send(Direction::to_server, data(20), out_of_range), std::invalid_argument);
}

}  // namespace
}  // namespace rpctrace::testsupport
