// Capture writers (-w): what they write reads back, through the project's own readers, as the
// same frames in the same order with their bytes, times, wire lengths and link types; pcap
// holds one link type and says so; pcapng holds several; an unwritable path is an error.
#include "rpctrace/pcap/capture_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "frames.hpp"
#include "rpctrace/pcap/input.hpp"
#include "unit/support/temp_file.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;
using ts::TempFile;

struct Written {
  Buffer bytes;
  common::Timestamp ts;
  std::uint32_t len;
  int link_type;
};

Frame as_frame(const Written& w) {
  Frame f;
  f.data = common::Bytes(w.bytes.data(), w.bytes.size());
  f.caplen = static_cast<std::uint32_t>(w.bytes.size());
  f.len = w.len;
  f.ts = w.ts;
  f.link_type = w.link_type;
  return f;
}

std::vector<Written> read_back(const std::string& path) {
  std::unique_ptr<Input> in = open_input(InputOptions{{path}, {}, {}, true});
  std::vector<Written> out;
  Frame f;
  while (in->next(f) == Input::Status::frame)
    out.push_back({Buffer(f.data.begin(), f.data.end()), f.ts, f.len, f.link_type});
  return out;
}

void expect_same(const std::vector<Written>& a, const std::vector<Written>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bytes, b[i].bytes) << "frame " << i + 1;
    EXPECT_EQ(a[i].ts, b[i].ts) << "frame " << i + 1;
    EXPECT_EQ(a[i].len, b[i].len) << "frame " << i + 1;
    EXPECT_EQ(a[i].link_type, b[i].link_type) << "frame " << i + 1;
  }
}

// A path in the temp directory, removed at the end (TempFile with no contents, rewritten).
struct OutPath {
  TempFile file{"writer_out", {}};
  [[nodiscard]] std::string str() const { return file.path().string(); }
};

Buffer ethernet(std::string_view payload) {
  return ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment(payload));
}

std::vector<Written> ethernet_frames() {
  return {
      {ethernet("first"), {1700000000, 1}, 0, 1},
      {ethernet("a longer second payload"), {1700000000, 999999}, 0, 1},
      // captured short: its wire length stays the longer one
      {ethernet("third"), {1700000001, 500000}, 1500, 1},
  };
}

TEST(CaptureWriter, PcapReadsBackAsTheSameFrames) {
  std::vector<Written> frames = ethernet_frames();
  for (auto& f : frames)
    if (f.len == 0) f.len = static_cast<std::uint32_t>(f.bytes.size());
  OutPath out;
  std::string error;
  auto w = open_pcap_writer(out.str(), 1, error);
  ASSERT_NE(w, nullptr) << error;
  for (const auto& f : frames) ASSERT_TRUE(w->write(as_frame(f)));
  EXPECT_EQ(w->frames(), 3u);
  ASSERT_TRUE(w->close()) << w->error();
  expect_same(read_back(out.str()), frames);
}

TEST(CaptureWriter, PcapRefusesASecondLinkType) {
  OutPath out;
  std::string error;
  auto w = open_pcap_writer(out.str(), 1, error);
  ASSERT_NE(w, nullptr) << error;
  Written raw{ip4(), {1, 0}, 0, 101};
  EXPECT_FALSE(w->write(as_frame(raw)));
  EXPECT_NE(w->error().find("RAW"), std::string::npos) << w->error();
  EXPECT_FALSE(w->close());
}

TEST(CaptureWriter, PcapngHoldsSeveralLinkTypesInOrder) {
  std::vector<Written> frames = ethernet_frames();
  for (auto& f : frames)
    if (f.len == 0) f.len = static_cast<std::uint32_t>(f.bytes.size());
  // a bare IP packet between them (LINKTYPE_RAW)
  Buffer ip = ip4(segment("first"));
  frames.insert(frames.begin() + 1,
                Written{ip, {1700000000, 2}, static_cast<std::uint32_t>(ip.size()), 101});
  OutPath out;
  std::string error;
  auto w = open_pcapng_writer(out.str(), error);
  ASSERT_NE(w, nullptr) << error;
  for (const auto& f : frames) ASSERT_TRUE(w->write(as_frame(f)));
  ASSERT_TRUE(w->close()) << w->error();
  std::vector<Written> back = read_back(out.str());
  expect_same(back, frames);
  // both decode as what they were
  EXPECT_EQ(decode_frame(back[1].link_type, back[1].bytes).carrier, Carrier::tcp);
  EXPECT_EQ(decode_frame(back[0].link_type, back[0].bytes).carrier, Carrier::tcp);
}

TEST(CaptureWriter, AnUnwritablePathIsAnError) {
  const std::string path = "/nonexistent-rpctrace-dir/out.pcap";
  std::string error;
  EXPECT_EQ(open_pcap_writer(path, 1, error), nullptr);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(open_pcapng_writer(path, error), nullptr);
  EXPECT_NE(error.find("nonexistent-rpctrace-dir"), std::string::npos) << error;
}

TEST(CaptureWriter, AFrameLongerThanTheSnapLengthIsCut) {
  Buffer big(kWriteSnapLength + 100, std::byte{0x55});
  Written f{big, {5, 0}, static_cast<std::uint32_t>(big.size()), 1};
  OutPath out;
  std::string error;
  auto w = open_pcapng_writer(out.str(), error);
  ASSERT_NE(w, nullptr) << error;
  ASSERT_TRUE(w->write(as_frame(f)));
  ASSERT_TRUE(w->close());
  auto back = read_back(out.str());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].bytes.size(), kWriteSnapLength);
  EXPECT_EQ(back[0].len, big.size());
}

}  // namespace
}  // namespace rpctrace::pcap
