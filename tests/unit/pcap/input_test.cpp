// open_input(): several files merged by timestamp as mergecap merges them (the later file
// first on equal times), numbered in the merged order with each frame's file and number in it
// kept; a damaged file ends alone; a BPF filter applied after numbering, once per link type;
// filter expressions that do not compile refused at the start.
#include "rpctrace/pcap/input.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "frames.hpp"
#include "support/pcap_writer.hpp"
#include "unit/support/temp_file.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;
using ts::TempFile;

// A frame of port `port` (the filter picks by it) carrying `payload`.
Buffer frame_on(std::uint16_t port, std::string_view payload = "x") {
  ts::TcpSegment s = segment(payload);
  s.dst_port = port;
  return ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), s);
}

// A pcap of frames at the given seconds, each on port 135 + its index.
Buffer pcap_at(const std::vector<std::uint32_t>& seconds, std::uint16_t first_port = 135) {
  ts::PcapWriter w;
  std::uint16_t port = first_port;
  for (auto s : seconds) w.add(ts::Timestamp{s, 0}, frame_on(port++));
  return w.bytes();
}

struct Got {
  std::uint64_t number, file, in_file;
  std::int64_t sec;
  int link_type;
};

std::vector<Got> read_all(Input& in) {
  std::vector<Got> out;
  Frame f;
  while (in.next(f) == Input::Status::frame)
    out.push_back({f.number, f.file, f.number_in_file, f.ts.sec, f.link_type});
  return out;
}

std::unique_ptr<Input> open(std::vector<std::string> files, std::string filter = {}) {
  InputOptions o;
  o.files = std::move(files);
  o.filter = std::move(filter);
  return open_input(o);
}

TEST(Input, SeveralFilesMergeByTimeAndKeepTheirOwnNumbers) {
  TempFile a("merge_a", pcap_at({10, 12, 14}));
  TempFile b("merge_b", pcap_at({11, 12, 20}));
  auto in = open({a.path().string(), b.path().string()});
  auto got = read_all(*in);
  ASSERT_EQ(got.size(), 6u);
  const std::vector<std::int64_t> secs{10, 11, 12, 12, 14, 20};
  // Equal times: the later file's frame first, as mergecap does.
  const std::vector<std::uint64_t> files{0, 1, 1, 0, 0, 1}, in_file{1, 1, 2, 2, 3, 3};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].number, i + 1);
    EXPECT_EQ(got[i].sec, secs[i]);
    EXPECT_EQ(got[i].file, files[i]);
    EXPECT_EQ(got[i].in_file, in_file[i]);
  }
  auto f = in->files();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].frames, 3u);
  EXPECT_EQ(f[1].frames, 3u);
}

TEST(Input, ARingBufferGivenOutOfOrderIsReadInTimeOrder) {
  TempFile first("ring_1", pcap_at({100, 101}));
  TempFile second("ring_2", pcap_at({200, 201}));
  TempFile third("ring_3", pcap_at({300}));
  auto in = open({third.path().string(), first.path().string(), second.path().string()});
  auto got = read_all(*in);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].sec, 100);
  EXPECT_EQ(got[0].file, 1u);  // named by its place on the command line
  EXPECT_EQ(got[4].sec, 300);
  EXPECT_EQ(got[4].file, 0u);
  EXPECT_EQ(got[4].number, 5u);
}

TEST(Input, ADamagedFileEndsAloneAndIsNamed) {
  Buffer cut = pcap_at({10, 20, 30});
  cut.resize(cut.size() - 5);  // the last record cut short
  TempFile a("damaged_a", cut);
  TempFile b("damaged_b", pcap_at({15, 40}));
  auto in = open({a.path().string(), b.path().string()});
  auto got = read_all(*in);
  ASSERT_EQ(got.size(), 4u);  // 10, 15, 20 from both, then 40 after a's damage
  EXPECT_EQ(got[3].sec, 40);
  auto f = in->files();
  EXPECT_NE(f[0].damage.find("offset"), std::string::npos) << f[0].damage;
  EXPECT_TRUE(f[1].damage.empty());
}

TEST(Input, TheFilterKeepsTheNumbersTsharkGives) {
  TempFile a("filter_a", pcap_at({10, 11, 12, 13}));  // ports 135, 136, 137, 138
  auto in = open({a.path().string()}, "tcp dst port 137 or tcp dst port 135");
  auto got = read_all(*in);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].number, 1u);
  EXPECT_EQ(got[1].number, 3u);
  EXPECT_EQ(in->counters().filtered_out, 2u);
}

TEST(Input, TheFilterIsCompiledPerLinkType) {
  // One pcapng with an Ethernet and a raw-IP interface: "tcp port 135" matches on both.
  ts::PcapngWriter w;
  const std::uint32_t raw = w.add_interface(ts::LinkType::raw);
  ts::TcpSegment s = segment("x");
  s.dst_port = 135;
  w.add(ts::Timestamp{1, 0}, frame_on(135));
  w.add_on(raw, ts::Timestamp{2, 0}, ts::build_ip(client4(), server4(), ts::kIpProtoTcp, tcp4(s)));
  w.add(ts::Timestamp{3, 0}, frame_on(445));
  TempFile f("filter_linktypes", w.bytes());
  auto in = open({f.path().string()}, "tcp port 135");
  auto got = read_all(*in);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].link_type, 1);
  EXPECT_EQ(got[1].link_type, 101);
  EXPECT_EQ(got[1].number, 2u);
}

TEST(Input, AFilterThatDoesNotCompileIsRefusedAtTheStart) {
  TempFile a("filter_bad", pcap_at({10}));
  try {
    open({a.path().string()}, "tcp port");
    FAIL() << "no error";
  } catch (const CaptureError& e) {
    EXPECT_NE(std::string(e.what()).find("filter \"tcp port\""), std::string::npos) << e.what();
  }
}

TEST(Input, AFileThatIsNoCaptureAmongSeveralIsRefusedAtTheStart) {
  TempFile a("several_ok", pcap_at({10}));
  const std::string text = "not a capture at all, just some text here";
  TempFile b("several_bad", std::as_bytes(std::span(text)));
  EXPECT_THROW(open({a.path().string(), b.path().string()}), CaptureError);
}

}  // namespace
}  // namespace rpctrace::pcap
