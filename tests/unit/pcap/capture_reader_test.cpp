// CaptureReader: libpcap offline reading of classic pcap (both byte orders, µs and ns time
// stamps) and pcapng, standard input, environment errors (CaptureError naming the path) and
// damage found while reading (Status::error after every good frame).
#include "rpctrace/pcap/capture_reader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "frames.hpp"
#include "support/pcap_writer.hpp"
#include "unit/support/temp_file.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;
using ts::TempFile;

// Three Ethernet frames of 59, 60 and 61 octets at 1 s + 250 µs steps.
std::vector<Buffer> three_frames() {
  std::vector<Buffer> out;
  for (std::string p : {"abcde", "abcdef", "abcdefg"})
    out.push_back(
        ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment(p)));
  return out;
}
ts::Timestamp stamp(std::uint32_t i) { return ts::Timestamp{1000000000u + i, 250u * i}; }

template <typename W>
Buffer file_of(const std::vector<Buffer>& frames, ts::PcapFileOptions o = {},
               std::optional<std::uint32_t> snap = {}) {
  W w(ts::LinkType::ethernet, o);
  for (std::uint32_t i = 0; i < frames.size(); ++i) w.add(stamp(i), frames[i], snap);
  return w.bytes();
}

struct Read {
  std::vector<Frame> frames;  // data copied into `bytes`
  std::vector<Buffer> bytes;
  CaptureReader::Status last = CaptureReader::Status::frame;
  std::string error;
};

Read read_all(const std::string& path) {
  CaptureReader r(path);
  Read out;
  Frame f;
  while ((out.last = r.next(f)) == CaptureReader::Status::frame) {
    out.frames.push_back(f);
    out.bytes.emplace_back(f.data.begin(), f.data.end());
  }
  out.error = r.error();
  return out;
}

void expect_three_frames(const Read& r, const std::vector<Buffer>& frames) {
  ASSERT_EQ(r.frames.size(), frames.size());
  EXPECT_EQ(r.last, CaptureReader::Status::end);
  EXPECT_EQ(r.error, "");
  for (std::uint32_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.frames[i].number, i + 1u);  // 1-based, as tshark counts
    EXPECT_EQ(r.frames[i].ts.sec, 1000000000 + i);
    EXPECT_EQ(r.frames[i].ts.usec, static_cast<std::int32_t>(250 * i));
    EXPECT_EQ(r.frames[i].caplen, frames[i].size());
    EXPECT_EQ(r.frames[i].len, frames[i].size());
    EXPECT_EQ(r.bytes[i], frames[i]);
  }
}

// --- Formats: classic pcap (little- and big-endian headers, µs and ns) and pcapng. ---
TEST(CaptureReader, ReadsClassicPcap) {
  const auto frames = three_frames();
  TempFile f("reader_pcap", file_of<ts::PcapWriter>(frames));
  expect_three_frames(read_all(f.path().string()), frames);
  CaptureReader r(f.path().string());
  EXPECT_EQ(r.link_type(), 1);
  EXPECT_EQ(r.link_type_name(), "EN10MB");
  EXPECT_EQ(r.snaplen(), 262144u);
}

TEST(CaptureReader, ReadsBigEndianNanosecondPcapInMicroseconds) {
  const auto frames = three_frames();
  ts::PcapFileOptions o;
  o.byte_order = ts::Endian::big;
  o.nanosecond = true;
  o.snaplen = 65535;
  Buffer file = file_of<ts::PcapWriter>(frames, o);
  expect_three_frames(read_all(TempFile("reader_be_ns", file).path().string()), frames);
  // First record's ts_nsec (offset 24 + 4): 123456789 ns is 123456 µs, not rounded up.
  ts::ByteWriter nsec(ts::Endian::big);
  nsec.u32(123456789);
  std::copy(nsec.view().begin(), nsec.view().end(), file.begin() + 28);
  TempFile patched("reader_be_ns2", file);
  Read r = read_all(patched.path().string());
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_EQ(r.frames[0].ts.usec, 123456);
  EXPECT_EQ(CaptureReader(patched.path().string()).snaplen(), 65535u);
}

// Out-of-range timestamps are clamped (kMaxTimestampSeconds) and flagged, so time arithmetic
// cannot overflow: a fuzzer found a pcapng whose 64-bit timestamp overflowed micros().
TEST(CaptureReader, OutOfRangeTimestampsAreClampedAndFlagged) {
  const auto frames = three_frames();
  Buffer pcap = file_of<ts::PcapWriter>(frames);
  ts::ByteWriter usec(ts::Endian::little);
  usec.u32(0xfffffff0u);  // first record's ts_usec, far past 999999
  std::copy(usec.view().begin(), usec.view().end(), pcap.begin() + 28);
  Read r = read_all(TempFile("reader_usec", pcap).path().string());
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_TRUE(r.frames[0].ts_clamped);
  EXPECT_LE(r.frames[0].ts.usec, 999999);
  EXPECT_GE(r.frames[0].ts.usec, 0);
  EXPECT_FALSE(r.frames[1].ts_clamped);

  Buffer ng = file_of<ts::PcapngWriter>(frames);
  // The first Enhanced Packet Block follows the SHB and the IDB; its timestamp (high) word is
  // at offset 12 in the block. All ones: about 2^64 microseconds.
  auto u32_at = [&](std::size_t at) {
    return std::uint32_t(ng[at]) | std::uint32_t(ng[at + 1]) << 8 |
           std::uint32_t(ng[at + 2]) << 16 | std::uint32_t(ng[at + 3]) << 24;
  };
  std::size_t epb = u32_at(4);  // SHB length
  epb += u32_at(epb + 4);       // + IDB length
  ASSERT_EQ(u32_at(epb), 6u);   // an EPB
  for (std::size_t i = 12; i < 16; ++i) ng[epb + i] = std::byte{0xff};
  Read n = read_all(TempFile("reader_ng_ts", ng).path().string());
  ASSERT_EQ(n.frames.size(), 3u);
  EXPECT_TRUE(n.frames[0].ts_clamped);
  EXPECT_EQ(n.frames[0].ts.sec, kMaxTimestampSeconds);
  EXPECT_GT(n.frames[0].ts.micros(), 0);
}

TEST(CaptureReader, ReadsPcapng) {
  const auto frames = three_frames();
  expect_three_frames(
      read_all(TempFile("reader_ng", file_of<ts::PcapngWriter>(frames)).path().string()), frames);
  ts::PcapFileOptions o;
  o.nanosecond = true;
  o.byte_order = ts::Endian::big;
  expect_three_frames(
      read_all(TempFile("reader_ng_ns", file_of<ts::PcapngWriter>(frames, o)).path().string()),
      frames);
}

TEST(CaptureReader, SnapLengthGivesCaplenBelowLen) {
  const auto frames = three_frames();
  TempFile f("reader_snap", file_of<ts::PcapWriter>(frames, {}, 54));
  Read r = read_all(f.path().string());
  ASSERT_EQ(r.frames.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.frames[i].caplen, 54u);
    EXPECT_EQ(r.frames[i].len, frames[i].size());
    EXPECT_EQ(r.bytes[i].size(), 54u);
  }
}

TEST(CaptureReader, ReportsTheFileLinkType) {
  ts::PcapWriter sll(ts::LinkType::linux_sll);
  EXPECT_EQ(CaptureReader(TempFile("reader_sll", sll.bytes()).path().string()).link_type(), 113);
  ts::PcapngWriter sll2(ts::LinkType::linux_sll2);
  CaptureReader r2(TempFile("reader_sll2", sll2.bytes()).path().string());
  EXPECT_EQ(r2.link_type(), 276);
  EXPECT_EQ(r2.link_type_name(), "LINUX_SLL2");
  // LINKTYPE_RAW (101) in the file: libpcap hands out its DLT, which decode_frame accepts.
  ts::PcapWriter raw(ts::LinkType::raw);
  raw.add(stamp(0), ip4());
  TempFile raw_file("reader_raw", raw.bytes());
  CaptureReader r3(raw_file.path().string());
  EXPECT_TRUE(is_supported_link_type(r3.link_type())) << r3.link_type();
  Frame f;
  ASSERT_EQ(r3.next(f), CaptureReader::Status::frame);
  EXPECT_EQ(decode_frame(r3.link_type(), f.data).carrier, pcap::Carrier::tcp);
}

TEST(CaptureReader, EmptyCaptureEndsAtOnce) {
  Read r = read_all(TempFile("reader_empty", ts::PcapWriter().bytes()).path().string());
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.last, CaptureReader::Status::end);
}

// --- Standard input ("-"), in a child process so this one's stdin is left alone. ---
TEST(CaptureReaderDeathTest, ReadsStandardInput) {
  TempFile f("reader_stdin", file_of<ts::PcapWriter>(three_frames()));
  const std::string path = f.path().string();
  EXPECT_EXIT(
      {
        int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0 || ::dup2(fd, 0) < 0) std::_Exit(100);
        CaptureReader r("-");
        Frame fr;
        int n = 0;
        while (r.next(fr) == CaptureReader::Status::frame) ++n;
        std::_Exit(n);
      },
      ::testing::ExitedWithCode(3), "");
  EXPECT_EXIT(
      {
        int fd = ::open("/dev/null", O_RDONLY);
        if (fd < 0 || ::dup2(fd, 0) < 0) std::_Exit(100);
        try {
          CaptureReader r("-");
        } catch (const CaptureError& e) {
          std::_Exit(std::string(e.what()).rfind("standard input: ", 0) == 0 ? 7 : 8);
        }
        std::_Exit(9);
      },
      ::testing::ExitedWithCode(7), "");
}

// --- Environment errors throw CaptureError, naming the path. ---
void expect_capture_error(const std::string& path) {
  try {
    CaptureReader r(path);
    ADD_FAILURE() << "no CaptureError for " << path;
  } catch (const CaptureError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_GT(std::string(e.what()).size(), path.size() + 2) << "no reason after the path";
  }
}

TEST(CaptureReader, MissingFileThrowsWithThePath) {
  expect_capture_error((std::filesystem::temp_directory_path() /
                        ("rpctrace_no_such_file_" + std::to_string(::getpid()) + ".pcap"))
                           .string());
}

TEST(CaptureReader, NotACaptureThrowsWithThePath) {
  TempFile text("reader_text", ts::text_bytes("GET / HTTP/1.1\r\nHost: example\r\n\r\n"));
  expect_capture_error(text.path().string());
  TempFile empty("reader_zero", Buffer{});
  expect_capture_error(empty.path().string());
}

TEST(CaptureReader, DirectoryThrowsWithThePath) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rpctrace_reader_dir_" + std::to_string(::getpid()));
  std::filesystem::create_directory(dir);
  expect_capture_error(dir.string());
  std::filesystem::remove(dir);
}

// --- Damage while reading: every good frame, then Status::error with a message. ---
TEST(CaptureReader, RecordCutShortGivesErrorAfterTheGoodFrames) {
  const auto frames = three_frames();
  const Buffer whole = file_of<ts::PcapWriter>(frames);
  struct Cut {
    const char* name;
    std::size_t size;
  };
  const std::size_t third = 24 + (16 + frames[0].size()) + (16 + frames[1].size());
  for (const Cut& c : {Cut{"inside the third record's data", whole.size() - 10},
                       Cut{"inside the third record's header", third + 8}}) {
    SCOPED_TRACE(c.name);
    Read r =
        read_all(TempFile("reader_cut", Buffer(whole.begin(),
                                               whole.begin() + static_cast<std::ptrdiff_t>(c.size)))
                     .path()
                     .string());
    ASSERT_EQ(r.frames.size(), 2u);
    EXPECT_EQ(r.bytes[1], frames[1]);
    EXPECT_EQ(r.last, CaptureReader::Status::error);
    EXPECT_FALSE(r.error.empty());
  }
  // Cut exactly between records: a clean end, not damage.
  Read clean =
      read_all(TempFile("reader_cut2",
                        Buffer(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(third)))
                   .path()
                   .string());
  EXPECT_EQ(clean.frames.size(), 2u);
  EXPECT_EQ(clean.last, CaptureReader::Status::end);
}

TEST(CaptureReader, PcapngBlockCutShortGivesErrorAfterTheGoodFrames) {
  const auto frames = three_frames();
  Buffer ng = file_of<ts::PcapngWriter>(frames);
  ng.resize(ng.size() - 6);
  Read r = read_all(TempFile("reader_ng_cut", ng).path().string());
  EXPECT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(r.last, CaptureReader::Status::error);
  EXPECT_FALSE(r.error.empty());
}

}  // namespace
}  // namespace rpctrace::pcap
