// Reassembly (src/tcp/reassembler.cpp) driven through a ConnectionTable with segment scripts:
// RFC 9293 §3.4 sequence arithmetic (modulo 2^32), in-order delivery despite reordering,
// retransmission and overlap (policy: the first copy of a byte wins, docs/design.md), gaps with
// their size and cause, and each out-of-order limit hit with the limit lowered.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tcp_harness.hpp"

namespace rpctrace::tcp {
namespace {

using namespace script;

constexpr std::uint32_t kC0 = 1000, kC = 1001;  // client ISN, first data byte
constexpr std::uint32_t kS0 = 5000, kS = 5001;  // server ISN, first data byte

std::string summary(const Counters& c) {
  return fmt::format(
      "delivered {} retx {}/{} ooo {} conflicts {} gaps {}/{} snaplen {} drops {}/{} "
      "after_close {} mid_stream {}",
      c.delivered_bytes, c.retransmissions, c.retransmitted_bytes, c.out_of_order_segments,
      c.overlap_conflicts, c.gaps, c.gap_bytes, c.snaplen_gaps, c.buffer_limit_drops,
      c.buffer_limit_bytes, c.after_close_bytes, c.mid_stream_starts);
}

ReassemblyLimits limits(std::size_t max_bytes, std::size_t max_segments) {
  ReassemblyLimits l = tiny_limits();
  l.max_out_of_order_bytes = max_bytes;
  l.max_out_of_order_segments = max_segments;
  return l;
}

struct Case {
  std::string name;
  ReassemblyLimits limits;
  std::vector<Step> steps;
  std::string to_server, to_client;  // stream logs of connection 1 (tcp_harness.hpp)
  std::string notes;                 // frames with a SegmentNote
  std::string counters;              // summary()
};

// Runs a case to the end of the capture and checks the callbacks agree with the counters.
void run_case(const Case& c) {
  SCOPED_TRACE(c.name);
  Harness h(c.limits);
  h.run(c.steps);
  h.table.finish();
  EXPECT_EQ(h.sink.streams[1][0], c.to_server);
  EXPECT_EQ(h.sink.streams[1][1], c.to_client);
  EXPECT_EQ(h.sink.notes, c.notes);
  const Counters& k = h.table.counters();
  EXPECT_EQ(summary(k), c.counters);
  EXPECT_EQ(h.sink.data_bytes, k.delivered_bytes);
  EXPECT_EQ(h.sink.gap_bytes, k.gap_bytes);
  EXPECT_EQ(h.sink.gap_calls, k.gaps);
  EXPECT_EQ(h.sink.segment_calls, k.segments);
  EXPECT_EQ(k.segments, c.steps.size());
}

const std::vector<Step> kHandshake = handshake(kC0, kS0);  // frames 1-3
const ReassemblyLimits kTiny = tiny_limits();

// --- Ordering: held bytes are released at the frame that fills the hole. ---
TEST(Reassembler, OrderingScripts) {
  const std::vector<Case> cases = {
      {"in order", kTiny, kHandshake + std::vector{data('c', kC, "abc"), data('c', kC + 3, "def")},
       "4:abc 5:def", "", "",
       "delivered 6 retx 0/0 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"both directions", kTiny,
       kHandshake +
           std::vector{data('c', kC, "abc"), data('s', kS, "xyz"), data('c', kC + 3, "def")},
       "4:abc 6:def", "5:xyz", "",
       "delivered 9 retx 0/0 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"out of order: released at the filling frame", kTiny,
       kHandshake + std::vector{data('c', kC + 3, "def"), data('c', kC, "abc")}, "5:abcdef", "",
       "4:out_of_order",
       "delivered 6 retx 0/0 ooo 1 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"three segments reversed", kTiny,
       kHandshake +
           std::vector{data('c', kC + 6, "ghi"), data('c', kC + 3, "def"), data('c', kC, "abc")},
       "6:abcdefghi", "", "4:out_of_order 5:out_of_order",
       "delivered 9 retx 0/0 ooo 2 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"filling segment overlaps the held one", kTiny,
       kHandshake + std::vector{data('c', kC + 3, "def"), data('c', kC, "abcde")}, "5:abcdef", "",
       "4:out_of_order",
       "delivered 6 retx 0/0 ooo 1 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"no SYN: each direction picked up at its first byte",
       kTiny,
       {data('c', 7000, "abc"), data('s', 9000, "xyz"), data('c', 7003, "def")},
       "1:abc 3:def",
       "2:xyz",
       "",
       "delivered 9 retx 0/0 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 2"},
  };
  for (const auto& c : cases) run_case(c);
}

// --- Retransmission and overlap: the first copy of a byte wins; differing held copies count. ---
TEST(Reassembler, RetransmissionAndOverlapScripts) {
  const std::vector<Case> cases = {
      {"retransmission of delivered bytes", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), data('c', kC, "abc")}, "4:abc", "",
       "5:retransmission",
       "delivered 3 retx 1/3 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"retransmission with changed bytes: first copy delivered, conflict counted", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), data('c', kC, "xyz")}, "4:abc", "",
       "5:overlap_conflict",
       "delivered 3 retx 1/3 ooo 0 conflicts 1 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"partial overlap: only the new bytes", kTiny,
       kHandshake + std::vector{data('c', kC, "abcd"), data('c', kC + 2, "cdef")}, "4:abcd 5:ef",
       "", "5:partial_overlap",
       "delivered 6 retx 0/2 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"held copy retransmitted", kTiny,
       kHandshake +
           std::vector{data('c', kC + 3, "def"), data('c', kC + 3, "def"), data('c', kC, "abc")},
       "6:abcdef", "", "4:out_of_order 5:retransmission",
       "delivered 6 retx 1/3 ooo 1 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"held copy retransmitted with other bytes: conflict, first copy kept", kTiny,
       kHandshake +
           std::vector{data('c', kC + 3, "def"), data('c', kC + 3, "XYZ"), data('c', kC, "abc")},
       "6:abcdef", "", "4:out_of_order 5:overlap_conflict",
       "delivered 6 retx 0/0 ooo 1 conflicts 1 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"payload after RST is not delivered", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), flags('s', kS, pcap::tcp_flag::rst, kC + 3),
                                data('c', kC + 3, "def"), data('s', kS, "zz")},
       "4:abc", "", "6:after_close 7:after_close",
       "delivered 3 retx 0/0 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 5 "
       "mid_stream 0"},
  };
  for (const auto& c : cases) run_case(c);
}

// --- Gaps: proved by the peer's ACK (the held bytes keep their own frame), cut by the snap
// length, or given up at the end of the connection. ---
TEST(Reassembler, GapScripts) {
  const std::vector<Case> cases = {
      {"gap proved by the peer's ACK", kTiny,
       kHandshake +
           std::vector{data('c', kC, "abc"), data('c', kC + 6, "ghi"), ack('s', kS, kC + 9)},
       "4:abc <lost 3> 5:ghi", "", "5:out_of_order",
       "delivered 6 retx 0/0 ooo 1 conflicts 0 gaps 1/3 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"ACK seen before the segment after the hole", kTiny,
       kHandshake +
           std::vector{data('c', kC, "abc"), ack('s', kS, kC + 9), data('c', kC + 6, "ghi")},
       "4:abc <lost 3> 6:ghi", "", "6:out_of_order",
       "delivered 6 retx 0/0 ooo 1 conflicts 0 gaps 1/3 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"ACK short of the hole proves nothing", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), data('c', kC + 6, "ghi"),
                                ack('s', kS, kC + 3), data('c', kC + 3, "def")},
       "4:abc 7:defghi", "", "5:out_of_order",
       "delivered 9 retx 0/0 ooo 1 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"snap length cut in order", kTiny,
       kHandshake + std::vector{cut('c', kC, "ab", 3), data('c', kC + 5, "fg")},
       "4:ab <snaplen 3> 5:fg", "", "",
       "delivered 4 retx 0/0 ooo 0 conflicts 0 gaps 1/3 snaplen 1 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"snap length cut while held", kTiny,
       kHandshake + std::vector{cut('c', kC + 3, "ab", 2), data('c', kC, "abc")},
       "5:abcab <snaplen 2>", "", "4:out_of_order",
       "delivered 5 retx 0/0 ooo 1 conflicts 0 gaps 1/2 snaplen 1 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"hole never filled: flushed when the connection ends", kTiny,
       kHandshake + std::vector{data('c', kC + 3, "def")}, "<flush 3> 4:def", "", "4:out_of_order",
       "delivered 3 retx 0/0 ooo 1 conflicts 0 gaps 1/3 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      // Trailing holes: nothing captured after them, but the sender's own FIN (or a later
      // sequence number) or the peer's ACK says the bytes were sent.
      {"a FIN past the last captured byte", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), flags('c', kC + 6, pcap::tcp_flag::fin),
                                ack('c', kC + 7, kS)},
       "4:abc <lost 3>", "", "",
       "delivered 3 retx 0/0 ooo 0 conflicts 0 gaps 1/3 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"an ACK past the last captured byte", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), ack('s', kS, kC + 5)}, "4:abc <lost 2>", "",
       "",
       "delivered 3 retx 0/0 ooo 0 conflicts 0 gaps 1/2 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"a pure ACK with a later sequence number", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), ack('c', kC + 7, kS)}, "4:abc <lost 4>", "",
       "",
       "delivered 3 retx 0/0 ooo 0 conflicts 0 gaps 1/4 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"the peer's ACK of the FIN is not data", kTiny,
       kHandshake + std::vector{data('c', kC, "abc"), flags('c', kC + 3, pcap::tcp_flag::fin),
                                ack('s', kS, kC + 4), ack('c', kC + 4, kS)},
       "4:abc", "", "",
       "delivered 3 retx 0/0 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
  };
  for (const auto& c : cases) run_case(c);
}

// --- Out-of-order limits (resource policy, tcp/limits.hpp), each lowered to be hit. ---
TEST(Reassembler, BufferLimitScripts) {
  const std::vector<Case> cases = {
      {"byte limit gives up the oldest hole", limits(4, 8),
       kHandshake + std::vector{data('c', kC + 3, "abc"), data('c', kC + 10, "de"),
                                data('c', kC + 6, "wxyz")},
       "<buffer_limit 3> 4:abc 6:wxyzde", "", "4:out_of_order 5:out_of_order",
       "delivered 9 retx 0/0 ooo 2 conflicts 0 gaps 1/3 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"segment limit gives up the oldest hole", limits(64, 1),
       kHandshake +
           std::vector{data('c', kC + 1, "b"), data('c', kC + 3, "d"), data('c', kC + 2, "c")},
       "<buffer_limit 1> 4:b 6:cd", "", "4:out_of_order 5:out_of_order",
       "delivered 3 retx 0/0 ooo 2 conflicts 0 gaps 1/1 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      // The dropped bytes are a hole in the stream: a gap when the connection ends.
      {"segment larger than the byte limit is dropped", limits(2, 8),
       kHandshake + std::vector{data('c', kC + 3, "abc"), data('c', kC, "xyz")},
       "5:xyz <buffer_limit 3>", "", "4:buffer_full",
       "delivered 3 retx 0/0 ooo 0 conflicts 0 gaps 1/3 snaplen 0 drops 1/3 after_close 0 "
       "mid_stream 0"},
  };
  for (const auto& c : cases) run_case(c);
}

// --- RFC 9293 §3.4: sequence numbers are compared modulo 2^32. ---
TEST(Reassembler, SequenceWrapScripts) {
  const std::vector<Case> cases = {
      {"data across the wrap, then out of order after it", kTiny,
       handshake(0xfffffffd, 0xffffffff) + std::vector{data('c', 0xfffffffe, "abcd"),
                                                       data('c', 2, "ef"), data('c', 5, "hi"),
                                                       data('c', 4, "g"), data('s', 0, "xyz")},
       "4:abcd 5:ef 7:ghi", "8:xyz", "6:out_of_order",
       "delivered 12 retx 0/0 ooo 1 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"held segment after the wrap, filled from before it", kTiny,
       handshake(0xfffffffa, kS0) +
           std::vector{data('c', 1, "ghi"), data('c', 0xfffffffb, "abcdef")},
       "5:abcdefghi", "", "4:out_of_order",
       "delivered 9 retx 0/0 ooo 1 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
      {"retransmission from before the wrap", kTiny,
       handshake(0xfffffffd, kS0) +
           std::vector{data('c', 0xfffffffe, "abcd"), data('c', 0xffffffff, "bc")},
       "4:abcd", "", "5:retransmission",
       "delivered 4 retx 1/2 ooo 0 conflicts 0 gaps 0/0 snaplen 0 drops 0/0 after_close 0 "
       "mid_stream 0"},
  };
  for (const auto& c : cases) run_case(c);
}

// Design rule (docs/design.md, reassembler.cpp header): "The first copy of a byte wins". Here
// the held copy of C+4..C+8 came first; a later segment starting earlier (C+2) overlaps it with
// different bytes. The stream must carry the first copy, and the conflict must be counted.
TEST(Reassembler, HeldOverlapStartingEarlierKeepsTheFirstCopy) {
  Harness h;
  h.run(kHandshake +
        std::vector{data('c', kC + 4, "efgh"), data('c', kC + 2, "cdXYgh"), data('c', kC, "ab")});
  h.table.finish();
  EXPECT_EQ(h.sink.streams[1][0], "6:abcdefgh");
  EXPECT_EQ(h.table.counters().overlap_conflicts, 1u);
}

// A retransmission that carries more than the held segment at the same offset (a sender
// coalescing segments on retransmit) must not lose its extra bytes: they are in the capture.
// Losing them without a gap would break the rule that every missing byte is reported.
TEST(Reassembler, LongerRetransmissionOfAHeldSegmentKeepsItsExtraBytes) {
  Harness h;
  h.run(kHandshake + std::vector{data('c', kC + 4, "ef"), data('c', kC + 4, "efgh"),
                                 data('c', kC, "abcd"), data('c', kC + 8, "ij")});
  h.table.finish();
  EXPECT_EQ(h.sink.streams[1][0], "6:abcdefgh 7:ij");
  EXPECT_EQ(h.table.counters().gaps, 0u);
  EXPECT_EQ(h.table.counters().delivered_bytes, 10u);
}

}  // namespace
}  // namespace rpctrace::tcp
