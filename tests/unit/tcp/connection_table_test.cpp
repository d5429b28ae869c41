// ConnectionTable (src/tcp/connection_table.cpp): who is endpoint[0] (SYN sender, SYN/ACK
// receiver, else the first sender; docs/design.md), SYN retransmission vs port reuse (a new ISN,
// RFC 9293 §3.4), closing and eviction in capture time, LRU eviction when full, finish() order,
// and the StreamSink call order per frame (stream_sink.hpp).
#include "rpctrace/tcp/connection_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tcp_harness.hpp"

namespace rpctrace::tcp {
namespace {

using namespace script;
using pcap::tcp_flag::ack;
using pcap::tcp_flag::fin;
using pcap::tcp_flag::rst;
using pcap::tcp_flag::syn;

constexpr std::uint32_t kC0 = 1000, kC = 1001, kS0 = 5000, kS = 5001;
const std::string kClientToServer = "10.0.0.1:40000 > 10.0.0.2:135";
const std::string kServerToClient = "10.0.0.2:135 > 10.0.0.1:40000";

// FIN both ways and the last ACK (RFC 9293 §3.6).
std::vector<Step> close_both(std::uint32_t c_seq, std::uint32_t s_seq) {
  return {flags('c', c_seq, fin, s_seq), flags('s', s_seq, fin, c_seq + 1),
          script::ack('c', c_seq + 1, s_seq + 1)};
}

// --- Roles (docs/design.md "tcp"): endpoint[0] is the initiator as far as TCP can tell. ---
TEST(ConnectionTable, SynSenderIsEndpointZero) {
  Harness h;
  h.run(handshake(kC0, kS0));
  EXPECT_EQ(h.sink.endpoints[1], kClientToServer);
  EXPECT_EQ(h.table.counters().connections, 1u);
  EXPECT_EQ(h.table.size(), 1u);
}

TEST(ConnectionTable, SynAckFirstMakesItsReceiverEndpointZero) {
  Harness h;
  h.run({flags('s', kS0, syn, kC), script::ack('c', kC, kS), data('c', kC, "abc")});
  EXPECT_EQ(h.sink.endpoints[1], kClientToServer);
  EXPECT_EQ(h.sink.streams[1][0], "3:abc");
}

TEST(ConnectionTable, WithoutSynTheFirstSenderIsEndpointZero) {
  Harness h;
  h.run({data('s', 9000, "xyz"), data('c', 7000, "abc")});
  EXPECT_EQ(h.sink.endpoints[1], kServerToClient);
  EXPECT_EQ(h.sink.streams[1][0], "1:xyz");  // direction 0 is the server's here
  EXPECT_EQ(h.sink.streams[1][1], "2:abc");
  EXPECT_EQ(h.table.counters().mid_stream_starts, 2u);
  EXPECT_EQ(h.table.counters().connections, 1u);
}

// A SYN that a multi-interface capture recorded after its SYN/ACK: the SYN/ACK acknowledged
// exactly this ISN, so it is the same conversation, not a reused port.
TEST(ConnectionTable, SynRecordedAfterItsSynAckIsTheSameConnection) {
  Harness h;
  h.run({flags('s', kS0, syn, kC), flags('c', kC0, syn), script::ack('c', kC, kS),
         data('c', kC, "abc")});
  h.table.finish();
  EXPECT_EQ(h.table.counters().connections, 1u);
  EXPECT_EQ(h.table.counters().port_reuses, 0u);
  EXPECT_EQ(h.sink.streams[1][0], "4:abc");
}

// --- SYN retransmission vs port reuse: the ISN decides. ---
TEST(ConnectionTable, SynWithTheSameIsnIsARetransmission) {
  Harness h;
  h.run({flags('c', kC0, syn), flags('c', kC0, syn)});
  h.run(handshake(kC0, kS0));
  EXPECT_EQ(h.table.counters().connections, 1u);
  EXPECT_EQ(h.table.counters().syn_retransmissions, 2u);
  EXPECT_EQ(h.sink.notes, "2:syn_retransmission 3:syn_retransmission");
  EXPECT_TRUE(h.sink.ends.empty());
}

TEST(ConnectionTable, NewSynAfterFinReusesThePort) {
  Harness h;
  h.run(handshake(kC0, kS0) + std::vector{data('c', kC, "old")} + close_both(kC + 3, kS));
  h.run(handshake(90000, 70000) + std::vector{data('c', 90001, "new")});
  h.table.finish();
  EXPECT_EQ(h.table.counters().connections, 2u);
  EXPECT_EQ(h.table.counters().port_reuses, 1u);
  EXPECT_EQ(h.sink.ends[1], "port_reused");
  EXPECT_EQ(h.sink.ends[2], "capture_end");
  EXPECT_EQ(h.sink.streams[1][0], "4:old");
  EXPECT_EQ(h.sink.streams[2][0], "11:new");
  // The old conversation ends before the new SYN is handed on.
  const auto& e = h.sink.events;
  auto end1 = std::find(e.begin(), e.end(), "end 1 port_reused");
  auto start2 = std::find(e.begin(), e.end(), "start 2");
  ASSERT_NE(end1, e.end());
  EXPECT_EQ(end1 + 1, start2);
  EXPECT_EQ(*(start2 + 1), "segment 2 f8 d0");
}

TEST(ConnectionTable, SynOnAConnectionSeenOnlyMidStreamReusesThePort) {
  Harness h;
  h.run({data('c', 7000, "abc"), flags('c', kC0, syn)});
  EXPECT_EQ(h.table.counters().port_reuses, 1u);
  EXPECT_EQ(h.sink.ends[1], "port_reused");
  EXPECT_EQ(h.table.counters().connections, 2u);
}

// --- Closing: RST, FIN both ways; kept for closed_grace_us, then ended as closed. ---
TEST(ConnectionTable, RstClosesAndLaterPayloadIsAfterClose) {
  Harness h;
  h.run(handshake(kC0, kS0) + std::vector{flags('s', kS, rst | ack, kC), data('c', kC, "late")});
  EXPECT_EQ(h.sink.notes, "5:after_close");
  EXPECT_EQ(h.table.counters().after_close_bytes, 4u);
  EXPECT_EQ(h.sink.streams[1][0], "");
  h.table.finish();
  EXPECT_EQ(h.sink.ends[1], "closed");
}

TEST(ConnectionTable, ClosedConnectionEndsAfterTheGraceInCaptureTime) {
  ReassemblyLimits l = tiny_limits();
  l.closed_grace_us = 500000;
  Harness h(l);
  h.run(handshake(kC0, kS0) + close_both(kC, kS));        // frames 1-6, closed at 6 ms
  h.add(at(on_port(flags('c', 1, syn), 40001), 400000));  // within the grace
  EXPECT_TRUE(h.sink.ends.empty());
  h.add(at(on_port(flags('c', 1, syn), 40001), 1100000));  // 1.1 s: past it
  EXPECT_EQ(h.sink.ends[1], "closed");
  EXPECT_EQ(h.table.size(), 1u);
  EXPECT_EQ(h.table.counters().evicted_idle, 0u);
  EXPECT_EQ(h.table.counters().port_reuses, 0u);
}

TEST(ConnectionTable, DefaultGraceKeepsTheLastAcksWithTheConnection) {
  Harness h;  // closed_grace_us 2 s
  h.run(handshake(kC0, kS0) + close_both(kC, kS));
  h.add(at(script::ack('s', kS + 1, kC + 1), 1500000));
  EXPECT_TRUE(h.sink.ends.empty());
  EXPECT_EQ(h.table.counters().connections, 1u);
}

TEST(ConnectionTable, IdleConnectionsAreEvictedInCaptureTime) {
  ReassemblyLimits l = tiny_limits();
  l.idle_timeout_us = 10'000'000;
  Harness h(l);
  h.add(at(on_port(data('c', 100, "a"), 40001), 0));
  h.add(at(on_port(data('c', 200, "b"), 40002), 0));
  h.add(at(on_port(data('c', 201, "c"), 40002), 5'000'000));
  h.add(at(on_port(data('c', 300, "d"), 40003), 11'000'000));
  EXPECT_EQ(h.sink.ends.size(), 1u);
  EXPECT_EQ(h.sink.ends[1], "evicted_idle");
  EXPECT_EQ(h.table.counters().evicted_idle, 1u);
  EXPECT_EQ(h.table.size(), 2u);
  h.table.finish();
  EXPECT_EQ(h.sink.ends[2], "capture_end");
  EXPECT_EQ(h.sink.ends[3], "capture_end");
}

// --- A full table evicts the least recently active connection, and counts it. ---
TEST(ConnectionTable, FullTableEvictsTheLeastRecentlyActive) {
  ReassemblyLimits l = tiny_limits();
  l.max_connections = 2;
  Harness h(l);
  h.add(on_port(data('c', 100, "a"), 40001));  // connection 1
  h.add(on_port(data('c', 200, "b"), 40002));  // connection 2
  h.add(on_port(data('c', 101, "c"), 40001));  // 1 is now the most recent
  h.add(on_port(data('c', 300, "d"), 40003));  // 3 evicts 2
  EXPECT_EQ(h.sink.ends.size(), 1u);
  EXPECT_EQ(h.sink.ends[2], "evicted_limit");
  EXPECT_EQ(h.table.counters().evicted_limit, 1u);
  EXPECT_EQ(h.table.size(), 2u);
  // A later frame of the evicted 5-tuple starts a new conversation, picked up mid-stream.
  h.add(on_port(data('c', 201, "e"), 40002));
  EXPECT_EQ(h.sink.ends[1], "evicted_limit");
  EXPECT_EQ(h.sink.streams[4][0], "5:e");
  EXPECT_EQ(h.table.counters().evicted_limit, 2u);
  EXPECT_EQ(h.table.counters().connections, 4u);
}

// --- The index under load: thousands of connections through growth, deletions from the
// middle of probe runs (backward shift) and evictions; every segment must find its own
// connection, checked against a plain model of which client port is tracked under which id.
TEST(ConnectionTable, ManyConnectionsKeepTheirIdentityThroughGrowthAndEviction) {
  ReassemblyLimits l = tiny_limits();
  l.max_connections = 3000;
  Harness h(l);
  std::map<std::uint16_t, std::uint64_t> model;  // client port -> connection id
  std::map<std::uint16_t, std::uint32_t> seq;
  std::vector<std::uint16_t> recency;  // least recently active first
  std::uint64_t next_id = 1, evicted = 0;
  std::uint32_t rng = 12345;
  for (int i = 0; i < 40000; ++i) {
    rng = rng * 1103515245u + 12345u;
    const auto port = static_cast<std::uint16_t>(1024 + (rng >> 8) % 5000);
    if (!model.count(port)) {
      if (model.size() >= l.max_connections) {  // the least recently active goes
        model.erase(recency.front());
        recency.erase(recency.begin());
        ++evicted;
      }
      model[port] = next_id++;
    }
    std::erase(recency, port);
    recency.push_back(port);
    h.add(on_port(data('c', 100 + seq[port], "x"), port));
    ++seq[port];
  }
  EXPECT_EQ(h.table.size(), model.size());
  EXPECT_EQ(h.table.counters().connections, next_id - 1);
  EXPECT_EQ(h.table.counters().evicted_limit, evicted);
  EXPECT_GT(evicted, 1000u);
  // Each tracked connection received exactly its own bytes, in order, since it began.
  for (const auto& [port, id] : model) {
    ASSERT_TRUE(h.sink.streams.count(id)) << port;
    EXPECT_EQ(h.sink.ends.count(id), 0u) << port;
  }
  for (const auto& [id, reason] : h.sink.ends) EXPECT_EQ(reason, "evicted_limit");
  h.table.finish();
  EXPECT_EQ(h.table.size(), 0u);
  EXPECT_EQ(h.sink.ends.size(), next_id - 1);
}

// --- finish(): every connection still tracked ends, in id order, with held bytes flushed. ---
TEST(ConnectionTable, FinishEndsAllInIdOrder) {
  Harness h;
  h.add(on_port(data('c', 100, "a"), 40003));       // 1
  h.run(handshake(kC0, kS0) + close_both(kC, kS));  // 2, closed
  h.add(on_port(data('c', 210, "ab"), 40001));      // 3
  h.add(on_port(data('c', 220, "x"), 40001));       // 3: held after a hole
  h.add(on_port(data('c', 200, "early"), 40002));   // 4
  h.add(on_port(data('c', 101, "b"), 40003));       // touches 1 again
  h.table.finish();
  EXPECT_EQ(h.sink.streams[3][0], "8:ab <flush 8> 9:x");
  std::vector<std::string> ends;
  for (const auto& ev : h.sink.events)
    if (ev.rfind("end ", 0) == 0) ends.push_back(ev);
  EXPECT_EQ(ends, (std::vector<std::string>{"end 1 capture_end", "end 2 closed",
                                            "end 3 capture_end", "end 4 capture_end"}));
  EXPECT_EQ(h.table.size(), 0u);
}

// --- Per frame: on_segment, the data it released, on_frame_end (stream_sink.hpp). ---
TEST(ConnectionTable, CallbacksFollowTheFrameOrder) {
  Harness h;
  h.run(handshake(kC0, kS0) + std::vector{data('c', kC + 2, "cd"), data('c', kC, "ab")});
  h.table.finish();
  const std::vector<std::string> expected = {
      "start 1",        "segment 1 f1 d0",  "frame_end 1 f1",  "segment 1 f2 d1",
      "frame_end 1 f2", "segment 1 f3 d0",  "frame_end 1 f3",  "segment 1 f4 d0",
      "frame_end 1 f4", "segment 1 f5 d0",  "data 1 d0 f5 ab", "data 1 d0 f5 cd",
      "frame_end 1 f5", "end 1 capture_end"};
  EXPECT_EQ(h.sink.events, expected);
}

// --- Counters add up over a mixed script: every callback is counted once. ---
TEST(ConnectionTable, CountersAddUp) {
  ReassemblyLimits l = tiny_limits();
  l.max_connections = 2;
  Harness h(l);
  h.run(handshake(kC0, kS0) +
        std::vector{data('c', kC, "abc"), data('c', kC, "abc"), data('c', kC + 6, "ghi"),
                    script::ack('s', kS, kC + 9), cut('s', kS, "xy", 3)} +
        close_both(kC + 9, kS + 5));
  h.add(on_port(data('c', 100, "a"), 40001));
  h.add(on_port(data('c', 200, "b"), 40002));  // evicts the first (closed, least recent)
  h.table.finish();
  const Counters& k = h.table.counters();
  EXPECT_EQ(k.segments, h.frames());
  EXPECT_EQ(k.segments, h.sink.segment_calls);
  EXPECT_EQ(k.connections, 3u);
  EXPECT_EQ(h.sink.ends.size(), 3u);
  EXPECT_EQ(k.delivered_bytes, h.sink.data_bytes);
  EXPECT_EQ(k.delivered_bytes, 3u + 3u + 2u + 1u + 1u);
  EXPECT_EQ(k.gap_bytes, h.sink.gap_bytes);
  EXPECT_EQ(k.gap_bytes, 3u + 3u);
  EXPECT_EQ(k.gaps, 2u);
  EXPECT_EQ(k.snaplen_gaps, 1u);
  EXPECT_EQ(k.payload_bytes, 3u + 3u + 3u + 5u + 1u + 1u);
  EXPECT_EQ(k.retransmissions, 1u);
  EXPECT_EQ(k.evicted_limit, 1u);
  EXPECT_EQ(k.mid_stream_starts, 2u);
  EXPECT_EQ(h.sink.streams[1][0], "4:abc <lost 3> 6:ghi");
  EXPECT_EQ(h.sink.streams[1][1], "8:xy <snaplen 3>");
}

}  // namespace
}  // namespace rpctrace::tcp
