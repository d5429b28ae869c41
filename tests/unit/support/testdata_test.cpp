// testdata/ against its generator: make_testdata's scenarios are deterministic, every
// committed capture is byte-identical to what they build now, README.md has a line for each,
// and the KB159298 rebuild carries the KB's numbers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "frame_fields.hpp"
#include "support/testdata_common.hpp"

namespace rpctrace::testsupport {
namespace {

const std::filesystem::path kTestdata = RPCTRACE_TESTDATA_DIR;

Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text_bytes(s);
}

const TestCapture& capture_named(const std::vector<TestCapture>& all, std::string_view name) {
  for (const TestCapture& c : all) {
    if (c.file_name == name) return c;
  }
  throw std::out_of_range(std::string(name));
}

// Frames of a classic little-endian pcap as written by PcapWriter (test-local walk).
std::vector<Bytes> pcap_frames(std::span<const std::byte> file) {
  std::vector<Bytes> out;
  std::size_t off = 24;
  while (off + 16 <= file.size()) {
    const Bytes caplen_le = slice(file, off + 8, 4);
    const std::size_t caplen = std::to_integer<std::size_t>(caplen_le[0]) |
                               std::to_integer<std::size_t>(caplen_le[1]) << 8 |
                               std::to_integer<std::size_t>(caplen_le[2]) << 16;
    out.push_back(slice(file, off + 16, caplen));
    off += 16 + caplen;
  }
  return out;
}

TEST(Testdata, GeneratorIsDeterministic) {
  const std::vector<TestCapture> a = all_test_captures();
  const std::vector<TestCapture> b = all_test_captures();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].file_name, b[i].file_name);
    EXPECT_EQ(a[i].bytes, b[i].bytes) << a[i].file_name;
  }
}

TEST(Testdata, CommittedCapturesMatchTheGenerator) {
  for (const TestCapture& c : all_test_captures()) {
    const std::filesystem::path p = kTestdata / c.file_name;
    ASSERT_TRUE(std::filesystem::exists(p)) << p << ": run make_testdata " << kTestdata;
    EXPECT_EQ(read_file(p), c.bytes) << c.file_name << " differs: rerun make_testdata";
  }
}

TEST(Testdata, ReadmeHasALineForEveryCapture) {
  std::ifstream in(kTestdata / "README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  for (const TestCapture& c : all_test_captures()) {
    EXPECT_NE(readme.str().find(c.file_name), std::string::npos) << c.file_name;
  }
}

TEST(Testdata, Kb159298EpmCarriesTheKbNumbers) {
  const auto all = all_test_captures();
  const std::vector<Bytes> frames = pcap_frames(capture_named(all, "kb159298_epm.pcap").bytes);
  ASSERT_EQ(frames.size(), 11u);
  struct Row {
    std::uint8_t flags;
    std::size_t len;
    std::uint32_t seq, ack;
    std::uint16_t window;
  };
  // Frames 1-3 and 8-11 as the KB prints them; 4-7 with the PDU sizes and consistent acks.
  const Row kb[] = {
      {kTcpSyn, 0, 562005063, 0, 8192},
      {kTcpSyn | kTcpAck, 0, 875064831, 562005064, 8760},
      {kTcpAck, 0, 562005064, 875064832, 8760},
      {kTcpAck | kTcpPsh, 72, 562005064, 875064832, 8760},
      {kTcpAck | kTcpPsh, 60, 875064832, 562005136, 8688},
      {kTcpAck | kTcpPsh, 156, 562005136, 875064892, 8700},
      {kTcpAck | kTcpPsh, 152, 875064892, 562005292, 8532},
      {kTcpAck | kTcpFin, 0, 562005292, 875065044, 8548},
      {kTcpAck, 0, 875065044, 562005293, 8532},
      {kTcpAck | kTcpFin, 0, 875065044, 562005293, 8532},
      {kTcpAck, 0, 562005293, 875065045, 8548},
  };
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const TcpFields f = tcp_fields(frames[i]);
    EXPECT_EQ(f.flags, kb[i].flags) << "frame " << i + 1;
    EXPECT_EQ(f.payload.size(), kb[i].len) << "frame " << i + 1;
    EXPECT_EQ(f.seq, kb[i].seq) << "frame " << i + 1;
    EXPECT_EQ(f.ack, kb[i].ack) << "frame " << i + 1;
    EXPECT_EQ(f.window, kb[i].window) << "frame " << i + 1;
  }
  // Frame 6: request, call_id 1, alloc_hint 0x84, opnum 3; frame 7: alloc_hint 0x80.
  const TcpFields request = tcp_fields(frames[5]);
  EXPECT_EQ(slice(request.payload, 12, 12), hex_bytes("01000000 84000000 0000 0300"));
  EXPECT_EQ(slice(tcp_fields(frames[6]).payload, 16, 4), hex_bytes("80000000"));
}

TEST(Testdata, Kb159298MtaSequenceNumbersFitTheHiddenPduSizes) {
  const auto all = all_test_captures();
  for (const char* name : {"kb159298_mta.pcap", "kb159298_mta_split.pcap"}) {
    const std::vector<Bytes> frames = pcap_frames(capture_named(all, name).bytes);
    ASSERT_EQ(frames.size(), 18u) << name;
    EXPECT_EQ(tcp_fields(frames[5]).seq, 562005250u) << name;  // frame 6
    EXPECT_EQ(tcp_fields(frames[5]).payload.size(), 206u) << name;
    EXPECT_EQ(tcp_fields(frames[5]).window, 8652) << name;
    EXPECT_EQ(tcp_fields(frames[7]).ack, 562005792u) << name;  // frame 8
    EXPECT_EQ(tcp_fields(frames[7]).window, 8082) << name;
    EXPECT_EQ(tcp_fields(frames[13]).seq, 875065087u) << name;  // frame 14
    EXPECT_EQ(tcp_fields(frames[13]).payload.size(), 192u) << name;
    EXPECT_EQ(tcp_fields(frames[15]).ack, 875065335u) << name;  // frame 16
    EXPECT_EQ(tcp_fields(frames[15]).window, 8377) << name;
  }
}

}  // namespace
}  // namespace rpctrace::testsupport
