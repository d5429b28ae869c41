// The NetMon 2.x reader (netmon_file.cpp) on files the test writes (support/netmon_writer):
// the 2.2/2.3 process table and each frame's process index, on a seekable file and on a
// stream; a process table that lies (a path or icon length, a count) is damage reported with
// its offset after every frame, never a crash or an allocation; tshark, when installed, reads
// the same files and refuses the same lying path length.
#include <gtest/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "frames.hpp"
#include "rpctrace/pcap/byte_source.hpp"
#include "rpctrace/pcap/file_reader.hpp"
#include "support/netmon_writer.hpp"
#include "unit/support/temp_file.hpp"
#include "unit/support/tshark_runner.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;
using ts::TempFile;

struct Read {
  std::string format;
  std::vector<Frame> frames;
  std::vector<ProcessInfo> processes;
  FileReader::Status last = FileReader::Status::frame;
  std::string error;  // of the open, or of the reading
};

Read read_netmon(const Buffer& file) {
  TempFile f("netmon", file);
  Read out;
  auto source = open_source(f.path().string());
  ByteReaderBuffer in(*source);
  std::unique_ptr<FileReader> reader = open_netmon(in, out.error);
  if (!reader) {
    out.last = FileReader::Status::error;
    return out;
  }
  out.format = reader->format();
  out.processes = reader->processes();
  Frame fr;
  while ((out.last = reader->next(fr)) == FileReader::Status::frame) out.frames.push_back(fr);
  out.error = reader->error();
  return out;
}

ts::NetmonProcess outlook() {
  ts::NetmonProcess p;
  p.path = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE";
  p.pid = 4242;
  p.ipv6 = true;
  p.local = {0x20, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x65};
  p.remote = {0x20, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  p.local_port = 49822;
  p.remote_port = 135;
  return p;
}

ts::NetmonProcess svchost() {
  ts::NetmonProcess p;
  p.path = "C:\\Windows\\System32\\svchost.exe";
  p.pid = 888;
  p.local = {10, 0, 0, 2};
  p.remote = {10, 0, 0, 1};
  p.local_port = 135;
  p.remote_port = 40000;
  p.icon = ts::Bytes(300, std::byte{0x42});
  return p;
}

// Frames naming process 0, 1, none, 0, and 7 (past the table).
ts::NetmonWriter file_with_processes(std::uint8_t minor = 3) {
  ts::NetmonWriter w(minor);
  w.add_process(outlook());
  w.add_process(svchost());
  const Buffer eth =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("abc"));
  const std::uint32_t index[] = {0, 1, ts::kNetmonNoProcess, 0, 7};
  std::uint32_t i = 0;
  for (std::uint32_t p : index) w.add(ts::Timestamp{1700000000u + i++, 250000u}, eth, p);
  return w;
}

TEST(NetmonProcessTable, EntriesAndEachFramesIndexOnASeekableFile) {
  for (int minor : {2, 3}) {
    SCOPED_TRACE(minor);
    Read r = read_netmon(file_with_processes(static_cast<std::uint8_t>(minor)).bytes());
    EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
    EXPECT_EQ(r.format, "NetMon 2." + std::to_string(minor));
    ASSERT_EQ(r.processes.size(), 2u);
    const ProcessInfo& o = r.processes[0];
    EXPECT_EQ(o.name, "OUTLOOK.EXE");
    EXPECT_EQ(o.path, "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE");
    EXPECT_EQ(o.pid, 4242u);
    EXPECT_EQ(o.local.to_string(), "2008::65");
    EXPECT_EQ(o.remote.to_string(), "2008::1");
    EXPECT_EQ(o.local_port, 49822);
    EXPECT_EQ(o.remote_port, 135);
    const ProcessInfo& s = r.processes[1];  // IPv4, with an icon to skip
    EXPECT_EQ(s.name, "svchost.exe");
    EXPECT_EQ(s.pid, 888u);
    EXPECT_EQ(s.local.to_string(), "10.0.0.2");
    EXPECT_EQ(s.remote.to_string(), "10.0.0.1");
    EXPECT_EQ(s.local_port, 135);
    EXPECT_EQ(s.remote_port, 40000);
    ASSERT_EQ(r.frames.size(), 5u);
    std::vector<std::int32_t> index;
    for (const Frame& f : r.frames) index.push_back(f.process);
    EXPECT_EQ(index, (std::vector<std::int32_t>{0, 1, -1, 0, -1}));
    EXPECT_EQ(r.frames[4].ts, (common::Timestamp{1700000004, 250000}));
  }
}

TEST(NetmonProcessTable, NoneBeforeVersion22AndNoneWhenEmpty) {
  ts::NetmonWriter w(1);  // 2.1: no process index in the trailer, no table
  w.add_process(outlook());
  w.add(ts::Timestamp{1700000000u, 0u}, Buffer(60, std::byte{0}));
  Read r = read_netmon(w.bytes());
  EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
  EXPECT_TRUE(r.processes.empty());
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].process, -1);
}

// A stream (here zstd) cannot reach the table, which lies after the frames: the frames come
// with their index as the header's count bounds it, and processes() is empty.
TEST(NetmonProcessTable, AStreamCarriesTheIndexesButNotTheTable) {
  const Buffer file = file_with_processes().bytes();
  Buffer packed(ZSTD_compressBound(file.size()));
  const std::size_t n = ZSTD_compress(packed.data(), packed.size(), file.data(), file.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  packed.resize(n);
  Read r = read_netmon(packed);
  EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
  EXPECT_TRUE(r.processes.empty());
  ASSERT_EQ(r.frames.size(), 5u);
  EXPECT_EQ(r.frames[1].process, 1);
  EXPECT_EQ(r.frames[4].process, -1);
}

void put_u32(Buffer& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = std::byte(v >> (8 * i));
}

// Damage in the table costs no frame: all five come, then the error with the entry's offset;
// entries before the damage are kept, and frames naming later ones name none.
TEST(NetmonProcessTable, LyingLengthsAndCountsAreDamageAfterEveryFrame) {
  const ts::NetmonWriter w = file_with_processes();
  const std::size_t table = w.process_table_offset();
  const std::size_t second = table + 2 + 4 + (outlook().path.size() + 1) * 2 + 4 + 48;
  struct Case {
    const char* name;
    Buffer file;
    std::size_t entries;
    std::string offset, why;
  };
  std::vector<Case> cases;
  {
    Buffer b = w.bytes();
    put_u32(b, table + 2, 0x7FFFFFFF);  // the first path's size
    cases.push_back({"path", b, 0, std::to_string(table + 2), "path of 2147483647 octets"});
  }
  {
    Buffer b = w.bytes();
    const std::size_t icon = second + 4 + (svchost().path.size() + 1) * 2;
    put_u32(b, icon, 0xFFFFFFF0);  // the second entry's icon size
    cases.push_back({"icon", b, 1, std::to_string(second), "icon of 4294967280 octets"});
  }
  cases.push_back({"count", w.bytes(1000000), 2, "", "entry 2 of 1000000: "});
  {
    Buffer b = w.bytes();
    put_u32(b, 0x30, 0x7FFFFF00);  // the table's offset
    cases.push_back({"offset", b, 0, "2147483392", "lies past the end"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Read r = read_netmon(c.file);
    EXPECT_EQ(r.frames.size(), 5u);
    EXPECT_EQ(r.last, FileReader::Status::error);
    EXPECT_EQ(r.processes.size(), c.entries);
    EXPECT_NE(r.error.find(c.offset), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(c.why), std::string::npos) << r.error;
    if (c.entries == 1 && r.frames.size() == 5u) {
      EXPECT_EQ(r.frames[0].process, 0);
      EXPECT_EQ(r.frames[1].process, -1);  // entry 1 was not read
    }
  }
}

// An independent reader of the same files: tshark takes the writer's NetMon 2.3 file with its
// process table (frame for frame) and, like this reader, refuses the lying path length.
TEST(NetmonProcessTable, TsharkReadsTheWritersFileAndRefusesALyingPath) {
  if (!ts::tshark_available()) GTEST_SKIP() << "tshark is not installed";
  const ts::NetmonWriter w = file_with_processes();
  const std::string lens = ts::run_tshark(w.bytes(), "-T fields -e frame.len");
  EXPECT_EQ(ts::lines_of(lens).size(), 5u) << lens;
  Buffer bad = w.bytes();
  put_u32(bad, w.process_table_offset() + 2, 0x7FFFFFFF);
  EXPECT_EQ(ts::lines_of(ts::run_tshark(bad, "-T fields -e frame.len")).size(), 0u);
}

}  // namespace
}  // namespace rpctrace::pcap

namespace rpctrace::pcap {
namespace {

TEST(NetmonFrameTable, OnePastTheEndIsDamageAndTheRecordsAreReadInOrder) {
  Buffer file = file_with_processes().bytes();
  put_u32(file, 24, static_cast<std::uint32_t>(file.size() + 4096));  // FrameTableOffset
  TempFile f("netmon_table_past_end", file);
  auto source = open_source(f.path().string());
  ByteReaderBuffer in(*source);
  std::string error;
  std::unique_ptr<FileReader> reader = open_netmon(in, error);
  ASSERT_NE(reader, nullptr) << error;
  Frame fr;
  std::vector<std::int64_t> seconds;
  while (reader->next(fr) == FileReader::Status::frame && seconds.size() < 5)
    seconds.push_back(fr.ts.sec);
  EXPECT_EQ(seconds, (std::vector<std::int64_t>{1700000000, 1700000001, 1700000002, 1700000003,
                                                1700000004}));
  EXPECT_NE(reader->counters().note.find("lies past the end of the file"), std::string::npos)
      << reader->counters().note;
}

}  // namespace
}  // namespace rpctrace::pcap
