// -w's pieces (app/export.hpp): the spool of standard input and live capture keeps every frame
// with the run's number, reads back as pcapng, and can be dropped unsealed (a run stopped
// early); the slice holds the flows and spans of shown conversations only.
#include "rpctrace/app/export.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "rpctrace/pcap/input.hpp"
#include "support/packet_builder.hpp"

namespace rpctrace::app {
namespace {

namespace ts = testsupport;

ts::Bytes ethernet(std::uint16_t sport) {
  ts::TcpSegment s;
  s.src_port = sport;
  s.dst_port = 135;
  s.flags = ts::kTcpAck;
  return ts::build_tcp_frame(ts::LinkType::ethernet, {}, ts::IpAddress::parse("10.0.0.1"),
                             ts::IpAddress::parse("10.0.0.2"), s);
}

pcap::Frame frame(const ts::Bytes& b, std::uint64_t number) {
  pcap::Frame f;
  f.number = number;
  f.data = common::Bytes(b.data(), b.size());
  f.caplen = f.len = static_cast<std::uint32_t>(b.size());
  f.ts = {1700000000, static_cast<std::int32_t>(number)};
  f.link_type = 1;
  return f;
}

TEST(FrameSpool, KeepsTheRunsNumbersAndReadsBack) {
  std::string error;
  auto spool = FrameSpool::create(error);
  ASSERT_NE(spool, nullptr) << error;
  const auto a = ethernet(40001), b = ethernet(40002);
  spool->add(frame(a, 5));  // a filter passed frames 5 and 9 only
  spool->add(frame(b, 9));
  ASSERT_TRUE(spool->seal()) << spool->error();
  EXPECT_EQ(spool->number(1), 5u);
  EXPECT_EQ(spool->number(2), 9u);
  EXPECT_EQ(spool->number(3), 0u);
  auto in = pcap::open_input(pcap::InputOptions{{spool->path()}, {}, {}, true});
  pcap::Frame f;
  std::size_t n = 0;
  while (in->next(f) == pcap::Input::Status::frame) {
    ++n;
    EXPECT_EQ(f.ts.usec, n == 1 ? 5 : 9);
  }
  EXPECT_EQ(n, 2u);
  const std::string path = spool->path();
  spool.reset();
  EXPECT_FALSE(std::filesystem::exists(path));  // the temporary file goes with it
}

TEST(FrameSpool, CanBeDroppedUnsealed) {
  std::string error;
  auto spool = FrameSpool::create(error);
  ASSERT_NE(spool, nullptr) << error;
  spool->add(frame(ethernet(40001), 1));
  spool.reset();  // a run stopped before its end: nothing written after the file is closed
  SUCCEED();
}

TEST(ConversationSlice, HoldsShownConversationsWithinTheirFrames) {
  ConversationSlice slice;
  analysis::Conversation shown;
  shown.id = 1;
  shown.shown = true;
  shown.client = {*common::IpAddress::parse("10.0.0.1"), 40001};
  shown.server = {*common::IpAddress::parse("10.0.0.2"), 135};
  shown.first_frame = 2;
  shown.last_frame = 4;
  analysis::Conversation hidden = shown;
  hidden.id = 2;
  hidden.shown = false;
  hidden.client.port = 40002;
  slice.conversation_end(shown);
  slice.conversation_end(hidden);
  slice.finish({}, {});
  EXPECT_EQ(slice.conversations(), 1u);
  const auto a = ethernet(40001), b = ethernet(40002);
  const auto da = pcap::decode_frame(1, common::Bytes(a.data(), a.size()));
  const auto db = pcap::decode_frame(1, common::Bytes(b.data(), b.size()));
  EXPECT_FALSE(slice.contains(da, 1));  // before its first frame (a reused port's earlier life)
  EXPECT_TRUE(slice.contains(da, 3));
  EXPECT_FALSE(slice.contains(da, 5));
  EXPECT_FALSE(slice.contains(db, 3));  // not shown
}

}  // namespace
}  // namespace rpctrace::app
