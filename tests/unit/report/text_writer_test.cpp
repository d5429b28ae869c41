// TextWriter (writers.hpp, docs/output.md): conversations printed in order of first frame
// whatever order they end in (STYLE §7: deterministic output), hidden frames capped at
// kMaxHiddenFrames, --summary, statistics on their own stream; format_statistics().
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "rpctrace/pcap/counters.hpp"
#include "rpctrace/report/writers.hpp"
#include "rpctrace/tcp/counters.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

using namespace harness;

common::Endpoint ep(std::string_view ip, std::uint16_t port) {
  return common::Endpoint{*common::IpAddress::parse(ip), port};
}

// Frame `number` of conversation `id` (client 10.0.0.1:40000+id -> server 10.0.0.2:135).
FrameRecord frame(std::uint64_t id, std::uint64_t number, bool shown) {
  FrameRecord f;
  f.conversation = id;
  f.frame = number;
  f.ts.sec = 1000;
  f.ts.usec = static_cast<std::int32_t>(number);
  f.segment.flags = analysis::control::ack;
  f.segment.seq = static_cast<std::uint32_t>(100 + number);
  f.segment.window = 8192;
  f.client = f.src = ep("10.0.0.1", static_cast<std::uint16_t>(40000 + id));
  f.server = f.dst = ep("10.0.0.2", 135);
  f.roles_from_syn = true;
  f.delta_us = 1000;
  f.shown = shown;
  return f;
}

Conversation conversation(std::uint64_t id, bool shown, std::uint64_t first, std::uint64_t last,
                          std::uint64_t frames) {
  Conversation c;
  c.id = id;
  c.client = ep("10.0.0.1", static_cast<std::uint16_t>(40000 + id));
  c.server = ep("10.0.0.2", 135);
  c.roles_from_syn = true;
  c.shown = shown;
  c.first_frame = first;
  c.last_frame = last;
  c.frames = frames;
  c.end_reason = analysis::EndReason::closed;
  return c;
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The line of frame `n` starts with its number right-aligned in 6 columns and a dot.
std::string line_of(std::uint64_t n) { return fmt::format("\n{:>6}. ", n); }

// --- Order of first frame: a later conversation that ends first waits for the earlier one. ---
TEST(TextWriter, LaterConversationEndingFirstIsPrintedSecond) {
  MemoryFile out, stats;
  TextWriter w(out.get(), stats.get());
  w.frame(frame(1, 1, true));
  w.frame(frame(2, 2, true));
  w.frame(frame(2, 3, true));
  w.conversation_end(conversation(2, true, 2, 3, 2));
  EXPECT_EQ(out.text().find("Conversation 2"), std::string::npos);
  w.frame(frame(1, 4, true));
  w.conversation_end(conversation(1, true, 1, 4, 2));
  w.finish(Statistics{}, analysis::EpmLinks{});
  const std::string text = "\n" + out.text();
  const auto c1 = text.find("Conversation 1: 10.0.0.1:40001 -> 10.0.0.2:135\n");
  const auto c2 = text.find("Conversation 2: 10.0.0.1:40002 -> 10.0.0.2:135\n");
  ASSERT_NE(c1, std::string::npos) << text;
  ASSERT_NE(c2, std::string::npos) << text;
  EXPECT_LT(c1, text.find(line_of(1)));
  EXPECT_LT(text.find(line_of(4)), text.find("end of conversation 1"));
  EXPECT_LT(text.find("end of conversation 1"), c2);
  EXPECT_LT(c2, text.find(line_of(2)));
  EXPECT_LT(text.find(line_of(3)), text.find("end of conversation 2"));
  for (std::uint64_t n = 1; n <= 4; ++n) EXPECT_EQ(count(text, line_of(n)), 1u) << n;
  EXPECT_EQ(count(text, "TCP: .A...., len: 0"), 4u);
}

// --- kMaxEndedWaiting: ended conversations waiting behind an open one are printed ahead of it,
// marked, once there are too many (here 4), so memory stays bounded. ---
TEST(TextWriter, EndedConversationsPastTheWaitingLimitArePrintedAhead) {
  MemoryFile out, stats;
  TextWriter w(out.get(), stats.get(), false, 4);
  w.frame(frame(1, 1, true));  // conversation 1 stays open to the end
  for (std::uint64_t id = 2; id <= 11; ++id) {
    w.frame(frame(id, id, true));
    w.conversation_end(conversation(id, true, id, id, 1));
  }
  // 10 ended behind conversation 1: the 5th past the limit of 4 printed the oldest 3 (down
  // to half the limit), then again at the 5th after that.
  const std::string early = out.text();
  EXPECT_EQ(count(early, "still open: more than 4 ended conversations"), 6u) << early;
  EXPECT_LT(early.find("Conversation 1:"), early.find("Conversation 2:"));  // it streams
  w.frame(frame(1, 12, true));
  w.conversation_end(conversation(1, true, 1, 12, 2));
  w.finish(Statistics{}, analysis::EpmLinks{});
  const std::string text = out.text();
  for (std::uint64_t id = 1; id <= 11; ++id)
    EXPECT_EQ(count(text, fmt::format("Conversation {}:", id)), 1u) << id;
  for (std::uint64_t n = 1; n <= 12; ++n) EXPECT_EQ(count(text, line_of(n)), 1u) << n;
  // Printed ahead in order; conversation 1's next line says whose it is again.
  EXPECT_LT(text.find("Conversation 2:"), text.find("Conversation 3:"));
  EXPECT_EQ(count(text, "Conversation 1 (continued): 10.0.0.1:40001 -> 10.0.0.2:135\n"), 1u);
  EXPECT_LT(text.find("Conversation 7:"), text.find("Conversation 1 (continued)"));
  EXPECT_LT(text.find("Conversation 1 (continued)"), text.find(line_of(12)));
}

// --- kMaxBufferedText: text waiting behind an open conversation moves to a temporary file past
// the limit (here a few hundred bytes, so it moves many times) and comes back in order. ---
TEST(TextWriter, TextMovedToTheTemporaryFileComesBackInOrder) {
  auto run = [](std::size_t max_buffered) {
    MemoryFile out, stats;
    TextWriter w(out.get(), stats.get(), false, TextWriter::kMaxEndedWaiting, max_buffered);
    std::uint64_t n = 0;
    w.frame(frame(1, ++n, false));  // not shown yet: nothing prints, everything waits
    for (int k = 0; k < 10; ++k)    // 39 conversations' frames interleaved
      for (std::uint64_t id = 2; id <= 40; ++id) w.frame(frame(id, ++n, true));
    for (std::uint64_t id = 3; id <= 40; id += 3)  // some end while 1 is open
      w.conversation_end(conversation(id, true, id, n, 10));
    w.frame(frame(1, ++n, true));
    for (std::uint64_t id = 1; id <= 40; ++id)
      if (id % 3 != 0) w.conversation_end(conversation(id, true, id, n, 10));
    w.finish(Statistics{}, analysis::EpmLinks{});
    return out.text();
  };
  const std::string in_memory = run(TextWriter::kMaxBufferedText);
  const std::string spilled = run(300);
  EXPECT_EQ(count(in_memory, "\n     1. "), 1u) << in_memory;
  EXPECT_EQ(count(in_memory, "Conversation "), 40u);
  EXPECT_EQ(spilled, in_memory);
  EXPECT_EQ(run(1), in_memory);  // every frame moves out on its own
}

TEST(TextWriter, HiddenConversationPrintsNothing) {
  MemoryFile out, stats;
  {
    TextWriter w(out.get(), stats.get());
    for (std::uint64_t n = 1; n <= 5; ++n) w.frame(frame(1, n, false));
    w.conversation_end(conversation(1, false, 1, 5, 5));
    w.finish(Statistics{}, analysis::EpmLinks{});
  }
  EXPECT_EQ(out.text(), "");
  EXPECT_NE(stats.text().find("Statistics for"), std::string::npos);
}

// --- The cap on frames kept while a conversation is not shown (writers.hpp). ---
TEST(TextWriter, FramesPastTheHiddenCapAreCountedNotListed) {
  constexpr std::uint64_t cap = TextWriter::kMaxHiddenFrames;
  const std::uint64_t hidden = cap + 36;
  MemoryFile out, stats;
  {
    TextWriter w(out.get(), stats.get());
    for (std::uint64_t n = 1; n <= hidden; ++n) w.frame(frame(1, n, false));
    w.frame(frame(1, hidden + 1, true));  // from here on the conversation is shown
    w.frame(frame(1, hidden + 2, true));
    w.conversation_end(conversation(1, true, 1, hidden + 2, hidden + 2));
    w.finish(Statistics{}, analysis::EpmLinks{});
  }
  const std::string text = "\n" + out.text();
  EXPECT_EQ(count(text, "TCP: "), cap + 2);
  EXPECT_EQ(count(text, line_of(cap)), 1u);
  EXPECT_EQ(count(text, line_of(cap + 1)), 0u);
  EXPECT_EQ(count(text, line_of(hidden)), 0u);
  EXPECT_EQ(count(text, line_of(hidden + 1)), 1u);
  EXPECT_NE(text.find(fmt::format("({} frames not listed: they came after the first {} ", 36, cap)),
            std::string::npos)
      << text;
}

TEST(TextWriter, FramesBelowTheHiddenCapAreAllListed) {
  MemoryFile out, stats;
  {
    TextWriter w(out.get(), stats.get());
    for (std::uint64_t n = 1; n <= 10; ++n) w.frame(frame(1, n, n > 5));
    w.conversation_end(conversation(1, true, 1, 10, 10));
    w.finish(Statistics{}, analysis::EpmLinks{});
  }
  EXPECT_EQ(count(out.text(), "TCP: "), 10u);
  EXPECT_EQ(out.text().find("not listed"), std::string::npos);
}

// --- --summary: header and footer, no frame lines. ---
TEST(TextWriter, SummaryPrintsHeadersAndFootersOnly) {
  MemoryFile out, stats;
  {
    TextWriter w(out.get(), stats.get(), true);
    w.frame(frame(1, 1, true));
    w.frame(frame(2, 2, true));
    w.conversation_end(conversation(2, true, 2, 2, 1));
    w.conversation_end(conversation(1, true, 1, 1, 1));
    w.finish(Statistics{}, analysis::EpmLinks{});
  }
  const std::string text = out.text();
  EXPECT_EQ(count(text, "TCP: "), 0u);
  EXPECT_LT(text.find("Conversation 1:"), text.find("end of conversation 1"));
  EXPECT_LT(text.find("end of conversation 1"), text.find("Conversation 2:"));
  EXPECT_NE(text.find("end of conversation 2: closed"), std::string::npos);
}

// --- Statistics: to their own stream (stderr normally), or after a blank line on the same. ---
TEST(TextWriter, StatisticsGoToTheirStream) {
  MemoryFile out, stats;
  Statistics s;
  s.file = "x.pcap";
  s.link_type = "EN10MB";
  {
    TextWriter w(out.get(), stats.get());
    w.frame(frame(1, 1, true));
    w.conversation_end(conversation(1, true, 1, 1, 1));
    w.finish(s, analysis::EpmLinks{});
  }
  EXPECT_EQ(out.text().find("Statistics"), std::string::npos);
  EXPECT_EQ(stats.text(), format_statistics(s));
  MemoryFile both;
  {
    TextWriter w(both.get(), both.get());
    w.frame(frame(1, 1, true));
    w.conversation_end(conversation(1, true, 1, 1, 1));
    w.finish(s, analysis::EpmLinks{});
  }
  EXPECT_NE(both.text().find("\n\n" + format_statistics(s)), std::string::npos) << both.text();
}

TEST(FormatStatistics, NamesEveryNonZeroCountAndTheDamage) {
  Statistics s;
  s.file = "x.pcap";
  s.link_type = "EN10MB";
  s.frames_read = 10;
  s.bytes_read = 600;
  s.tcp_segments = 7;
  const std::string clean = format_statistics(s);
  EXPECT_EQ(clean.rfind("Statistics for x.pcap (EN10MB):\n", 0), 0u) << clean;
  EXPECT_NE(clean.find("  frames read: 10 (600 bytes), TCP segments: 7\n"), std::string::npos);
  EXPECT_NE(clean.find("  not decoded: nothing\n"), std::string::npos);
  pcap::Counters capture;
  capture.skip(pcap::SkipReason::udp);
  capture.skip(pcap::SkipReason::udp);
  capture.skip(pcap::SkipReason::non_ip);
  tcp::Counters tcp;
  tcp.gaps = 1;
  tcp.gap_bytes = 12;
  pcap::append_counter_rows(capture, s.not_decoded);
  tcp::append_counter_rows(tcp, s.not_decoded);
  s.capture_error = "truncated dump file";
  const std::string text = format_statistics(s);
  EXPECT_EQ(text.find("not decoded: nothing"), std::string::npos);
  EXPECT_NE(text.find(fmt::format("    udp: 2 ({})\n", pcap::describe(pcap::SkipReason::udp))),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    non_ip: 1 ("), std::string::npos);
  EXPECT_NE(text.find("    tcp_gaps: 1 ("), std::string::npos);
  EXPECT_NE(text.find("    tcp_gap_bytes: 12 ("), std::string::npos);
  EXPECT_EQ(text.find("truncated_tcp"), std::string::npos);  // zeros are left out
  EXPECT_NE(text.find("capture file damaged: truncated dump file"), std::string::npos);
}

// --- End to end: conversation 2 closes (its grace passes in capture time) while conversation
// 1 is still open; the report still lists 1 first. ---
TEST(TextWriter, AnalyzedConversationsAreInOrderOfFirstFrame) {
  ts::Capture cap;
  ts::TcpScript first(cap, config("10.1.1.1", 3001, "10.1.1.2", 135));
  ts::TcpScript second(cap, config("10.1.1.1", 3002, "10.1.1.2", 135));
  first.handshake();                                               // frames 1-3
  second.handshake();                                              // 4-6
  second.send(ts::Direction::to_server, ts::epm_bind(1).build());  // 7
  second.rst(ts::Direction::to_client);                            // 8
  cap.clock().advance(5'000'000);
  first.send(ts::Direction::to_server, ts::epm_bind(2).build());  // 9: conversation 2 ends first
  Output o = text_of(cap);
  const auto c1 = o.out.find("Conversation 1: 10.1.1.1:3001 -> 10.1.1.2:135");
  const auto c2 = o.out.find("Conversation 2: 10.1.1.1:3002 -> 10.1.1.2:135");
  ASSERT_NE(c1, std::string::npos) << o.out;
  ASSERT_NE(c2, std::string::npos) << o.out;
  EXPECT_LT(c1, c2);
  EXPECT_NE(o.out.find("end of conversation 1: capture_end"), std::string::npos);
  EXPECT_NE(o.out.find("end of conversation 2: closed"), std::string::npos);
  EXPECT_LT(o.out.find("end of conversation 1"), c2);
  // Frame 9 belongs to conversation 1's block, before conversation 2's header.
  EXPECT_LT(o.out.find(line_of(9)), c2);
  EXPECT_NE(o.stats.find("TCP conversations: 2, DCE/RPC conversations: 2, shown: 2"),
            std::string::npos)
      << o.stats;
}

}  // namespace
}  // namespace rpctrace::report
