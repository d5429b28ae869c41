// The project's own capture readers (file_reader.hpp) over its byte sources (byte_source.hpp):
// classic pcap in both byte orders with micro- and nanosecond timestamps read exactly as
// libpcap reads them; the same file gzip- and zstd-compressed gives the same frames; damage
// (a record cut short, a compressed stream cut short or corrupt, a length that lies) ends the
// frames with an error naming it, after every good frame.
#include "rpctrace/pcap/file_reader.hpp"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "frames.hpp"
#include "rpctrace/pcap/byte_source.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/pcap/read_ahead.hpp"
#include "support/pcap_writer.hpp"
#include "unit/support/temp_file.hpp"

namespace rpctrace::pcap {
namespace {

using namespace testframes;
using ts::TempFile;

template <typename W = ts::PcapWriter>
Buffer pcap_file(ts::PcapFileOptions o = {}) {
  W w(ts::LinkType::ethernet, o);
  std::uint32_t i = 0;
  for (const std::string& p : {std::string("abcde"), std::string("abcdef"), std::string("abcdefg"),
                               std::string(3000, 'x')}) {
    w.add(ts::Timestamp{1000000000u + i, 250u * i + 7u},
          ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment(p)));
    ++i;
  }
  return w.bytes();
}

struct Read {
  std::vector<Frame> frames;
  std::vector<Buffer> bytes;
  FileReader::Status last = FileReader::Status::frame;
  std::string error;
  bool refused = false;  // read_memory: no reader took the file
};

// Every frame of `reader` into `out`, then its error.
void drain(FileReader& reader, Read& out) {
  Frame f;
  while ((out.last = reader.next(f)) == FileReader::Status::frame) {
    out.frames.push_back(f);
    out.bytes.emplace_back(f.data.begin(), f.data.end());
  }
  out.error = reader.error();
}

// `block`: read ahead by a thread in blocks of this many octets (0: not).
Read read_own(const std::string& path, std::size_t block = 0, std::size_t depth = 2) {
  Read out;
  auto source = read_ahead(open_source(path), block, depth);
  ByteReaderBuffer in(*source);
  std::unique_ptr<FileReader> reader = open_pcap(in);
  if (!reader) reader = open_pcapng(in);
  if (!reader) {  // no file header: the source's own error, if any, says why
    out.last = FileReader::Status::error;
    out.error = source->error().empty() ? "not pcap" : source->error();
    return out;
  }
  drain(*reader, out);
  return out;
}

// The same from octets in memory (open_memory), tried as CaptureReader tries the formats.
Read read_memory(const Buffer& file, bool seekable = true) {
  Read out;
  auto source = open_memory(file, seekable);
  ByteReaderBuffer in(*source);
  std::unique_ptr<FileReader> reader = open_netmon(in, out.error);
  if (!reader && out.error.empty()) reader = open_pcapng(in);
  if (!reader && out.error.empty()) reader = open_pcap(in);
  if (!reader) {  // the file header refused (out.error says why for NetMon) or no format
    out.last = FileReader::Status::error;
    out.refused = true;
    return out;
  }
  drain(*reader, out);
  return out;
}

Buffer gzip(const Buffer& in) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Buffer out(deflateBound(&z, static_cast<uLong>(in.size())) + 64);
  z.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Buffer zstd(const Buffer& in) {
  Buffer out(ZSTD_compressBound(in.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

void expect_same_as_libpcap(const Buffer& file, const Buffer& stored) {
  TempFile plain("own_reader_plain", file);
  TempFile packed("own_reader_stored", stored);
  CaptureReader lib(plain.path().string());
  Read own = read_own(packed.path().string());
  EXPECT_EQ(own.last, FileReader::Status::end) << own.error;
  Frame f;
  std::size_t i = 0;
  while (lib.next(f) == CaptureReader::Status::frame) {
    ASSERT_LT(i, own.frames.size());
    EXPECT_EQ(own.frames[i].number, f.number);
    EXPECT_EQ(own.frames[i].ts, f.ts);
    EXPECT_EQ(own.frames[i].caplen, f.caplen);
    EXPECT_EQ(own.frames[i].len, f.len);
    EXPECT_EQ(own.frames[i].link_type, lib.link_type());
    EXPECT_EQ(own.bytes[i], Buffer(f.data.begin(), f.data.end()));
    ++i;
  }
  EXPECT_EQ(i, own.frames.size());
  EXPECT_EQ(i, 4u);
}

TEST(OwnPcapReader, ReadsWhatLibpcapReadsInEveryByteOrderAndResolution) {
  for (auto order : {ts::Endian::little, ts::Endian::big})
    for (bool nano : {false, true}) {
      ts::PcapFileOptions o;
      o.byte_order = order;
      o.nanosecond = nano;
      const Buffer file = pcap_file(o);
      expect_same_as_libpcap(file, file);
    }
}

TEST(OwnPcapngReader, ReadsWhatLibpcapReadsInEveryByteOrderAndResolution) {
  for (auto order : {ts::Endian::little, ts::Endian::big})
    for (bool nano : {false, true}) {
      ts::PcapFileOptions o;
      o.byte_order = order;
      o.nanosecond = nano;
      const Buffer file = pcap_file<ts::PcapngWriter>(o);
      expect_same_as_libpcap(file, file);
      expect_same_as_libpcap(file, zstd(file));
    }
}

// What libpcap refuses: interfaces with other link types, resolutions and offsets in one file
// (pktmon, Wireshark capturing on several interfaces), Simple Packet Blocks, unknown blocks,
// and a packet naming an interface the section never described (counted, read on).
TEST(OwnPcapngReader, InterfacesOfTheirOwnEachWithItsLinkTypeAndClock) {
  ts::PcapngWriter w(ts::LinkType::ethernet);
  const std::uint32_t raw = w.add_interface(ts::LinkType::raw, 0, 9, 3600);  // ns, +1 h
  const std::uint32_t binary = w.add_interface(ts::LinkType::ethernet, 65535, 0x80 | 20);
  const Buffer eth =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("abc"));
  const Buffer ip = ts::build_tcp_frame(ts::LinkType::raw, {}, client4(), server4(), segment("de"));
  w.add(ts::Timestamp{1700000000u, 1u}, eth);
  w.add_on(raw, ts::Timestamp{1700000001u, 250000u}, ip);
  const std::byte unknown[8] = {};
  w.add_block(0x00000BAD, unknown);  // a custom block: skipped
  w.add_on(binary, ts::Timestamp{1700000002u, 500000u}, eth);
  w.add_on(9, ts::Timestamp{1700000003u, 0u}, eth);  // no interface 9: counted, skipped
  w.add_simple(eth);
  TempFile f("own_reader_interfaces", w.bytes());
  Read r = read_own(f.path().string());
  EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
  ASSERT_EQ(r.frames.size(), 4u);
  EXPECT_EQ(r.frames[0].link_type, 1);
  EXPECT_EQ(r.frames[1].link_type, 101);
  EXPECT_EQ(r.frames[1].ts, (common::Timestamp{1700000001, 250000}));
  EXPECT_EQ(r.bytes[1], ip);
  EXPECT_EQ(r.frames[2].link_type, 1);
  EXPECT_EQ(r.frames[2].ts, (common::Timestamp{1700000002, 500000}));
  EXPECT_EQ(r.frames[3].ts, r.frames[2].ts);  // an SPB has no timestamp: the one before
  EXPECT_EQ(r.frames[3].number, 4u);
}

TEST(OwnPcapReader, GzipAndZstdStreamTheSameFrames) {
  const Buffer file = pcap_file();
  expect_same_as_libpcap(file, gzip(file));
  expect_same_as_libpcap(file, zstd(file));
  // Two gzip members one after the other (pigz, cat a.gz b.gz) are one stream.
  Buffer half1(file.begin(), file.begin() + 100), half2(file.begin() + 100, file.end());
  Buffer two = gzip(half1);
  const Buffer second = gzip(half2);
  two.insert(two.end(), second.begin(), second.end());
  expect_same_as_libpcap(file, two);
}

TEST(OwnPcapReader, DamageEndsTheFramesWithAMessageAfterTheGoodOnes) {
  const Buffer file = pcap_file();
  // A record cut short: three good frames, then the error.
  {
    TempFile cut("own_reader_cut", Buffer(file.begin(), file.end() - 10));
    Read r = read_own(cut.path().string());
    EXPECT_EQ(r.last, FileReader::Status::error);
    EXPECT_EQ(r.frames.size(), 3u);
    EXPECT_NE(r.error.find("truncated dump file; the record at offset "), std::string::npos)
        << r.error;
  }
  // A gzip stream cut short: the frames it still held, then "cut short".
  {
    Buffer gz = gzip(file);
    TempFile cut("own_reader_gz_cut", Buffer(gz.begin(), gz.end() - 20));
    Read r = read_own(cut.path().string());
    EXPECT_EQ(r.last, FileReader::Status::error);
    EXPECT_LE(r.frames.size(), 3u);
    EXPECT_NE(r.error.find("gzip stream cut short"), std::string::npos) << r.error;
  }
  // A zstd stream with a corrupt block.
  {
    Buffer zs = zstd(file);
    for (std::size_t i = zs.size() / 2; i < zs.size() / 2 + 8; ++i) zs[i] ^= std::byte{0x5a};
    TempFile bad("own_reader_zst_bad", zs);
    Read r = read_own(bad.path().string());
    EXPECT_EQ(r.last, FileReader::Status::error);
    EXPECT_NE(r.error.find("zstd stream"), std::string::npos) << r.error;
  }
  // A captured length past the bound is damage, not an allocation.
  {
    Buffer lying = file;
    lying[24 + 8] = std::byte{0xff};  // the first record's incl_len, little-endian
    lying[24 + 9] = std::byte{0xff};
    lying[24 + 10] = std::byte{0xff};
    TempFile f("own_reader_lying", lying);
    Read r = read_own(f.path().string());
    EXPECT_EQ(r.last, FileReader::Status::error);
    EXPECT_TRUE(r.frames.empty());
    EXPECT_NE(r.error.find("at offset 24"), std::string::npos) << r.error;
  }
}

// A NetMon 2.3 file (docs/capture_formats.md section 1), little-endian throughout: the 72-octet
// header (GMBU, minor 3 and major 2 in BCD, MacType 1, the SYSTEMTIME 2023-11-14 22:13:20,
// the frame table's offset and length, ExtendedInfoOffset set so the UTC timestamps count),
// one record per frame (TimeOffsetLocal in us, FrameLengthWire, FrameLength, the frame, then
// the 2.3 trailer: MediaType, ProcessInfoIndex, UTC FILETIME, TimeZoneIndex) and the table.
// Frame i is at 1700000000 + i s UTC, on Ethernet except frame 1 (raw IP, MediaType 9).
Buffer netmon_file(const std::vector<Buffer>& frames) {
  ts::ByteWriter body(ts::Endian::little);
  std::vector<std::uint32_t> table;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    table.push_back(static_cast<std::uint32_t>(0x48 + body.size()));
    const auto size = static_cast<std::uint32_t>(frames[i].size());
    body.u64(std::uint64_t{i} * 1000000).u32(size + 4).u32(size).bytes(frames[i]);
    body.u16(static_cast<std::uint16_t>(i == 1 ? 9 : 1)).u32(0xFFFFFFFF);
    body.u64(116444736000000000ULL + (1700000000ULL + i) * 10000000ULL).u8(0xFF);
  }
  const auto table_offset = static_cast<std::uint32_t>(0x48 + body.size());
  ts::ByteWriter w(ts::Endian::little);
  w.text("GMBU").u8(0x03).u8(0x02).u16(1);
  for (int v : {2023, 11, 2, 14, 22, 13, 20, 0}) w.u16(static_cast<std::uint16_t>(v));
  w.u32(table_offset).u32(static_cast<std::uint32_t>(4 * table.size()));
  w.zeros(4 * 6);
  w.u32(table_offset + static_cast<std::uint32_t>(4 * table.size())).u32(0);  // extended info
  w.zeros(8);
  w.bytes(body.view());
  for (std::uint32_t o : table) w.u32(o);
  return w.take();
}

// pcapng with two interfaces (Ethernet in microseconds; raw IP in nanoseconds, +1 h), a packet
// on each, an unknown block and a Simple Packet Block.
Buffer two_interface_pcapng(ts::Endian order) {
  ts::PcapFileOptions o;
  o.byte_order = order;
  ts::PcapngWriter w(ts::LinkType::ethernet, o);
  const std::uint32_t raw = w.add_interface(ts::LinkType::raw, 0, 9, 3600);
  const Buffer eth =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("abc"));
  const Buffer ip = ts::build_tcp_frame(ts::LinkType::raw, {}, client4(), server4(), segment("de"));
  w.add(ts::Timestamp{1700000000u, 1u}, eth);
  w.add_on(raw, ts::Timestamp{1700000001u, 250000u}, ip);
  const std::byte unknown[4] = {};
  w.add_block(0x00000BAD, unknown);
  w.add_simple(eth);
  return w.bytes();
}

// The end offset of each packet block of a pcapng file: a frame read from a file damaged at
// or after that offset must be the original's.
std::vector<std::size_t> pcapng_packet_ends(const Buffer& file, common::ByteOrder order) {
  std::vector<std::size_t> ends;
  std::size_t at = 0;
  while (file.size() - at >= 8) {
    common::ByteReader r(common::Bytes(file.data() + at, 8), order);
    const std::uint32_t type = r.u32(), length = r.u32();
    at += length;
    if (type == 2 || type == 3 || type == 6) ends.push_back(at);
  }
  return ends;
}

void expect_same_frame(const Read& got, const Read& original, std::size_t i) {
  ASSERT_LT(i, original.frames.size());
  EXPECT_EQ(got.frames[i].number, original.frames[i].number);
  EXPECT_EQ(got.frames[i].ts, original.frames[i].ts);
  EXPECT_EQ(got.frames[i].caplen, original.frames[i].caplen);
  EXPECT_EQ(got.frames[i].len, original.frames[i].len);
  EXPECT_EQ(got.frames[i].link_type, original.frames[i].link_type);
  EXPECT_EQ(got.bytes[i], original.bytes[i]);
}

// What every read of a damaged file keeps to: frames within the bounds, and reading that
// ends in an error naming the offset of the damage (a file refused at its header is named by
// the header field, not an offset).
void expect_sound(const Read& r, const std::string& what) {
  for (std::size_t i = 0; i < r.frames.size(); ++i) {
    EXPECT_LE(r.frames[i].caplen, kMaxFrameLength) << what;
    EXPECT_EQ(r.bytes[i].size(), r.frames[i].caplen) << what;
    EXPECT_EQ(r.frames[i].number, i + 1) << what;
  }
  if (r.last == FileReader::Status::error && !r.refused) {
    EXPECT_NE(r.error.find("offset"), std::string::npos) << what << ": " << r.error;
  }
}

// Every cut of `file` (every length from 0) and every octet flipped in turn: no crash; a cut
// file gives a prefix of the original's frames, and a flipped one the original's frames up to
// the damage (those whose records end at or before `good_until(offset)`, a count).
template <typename GoodUntil>
void cut_and_flip(const Buffer& file, bool seekable, GoodUntil good_until) {
  const Read original = read_memory(file, seekable);
  ASSERT_EQ(original.last, FileReader::Status::end) << original.error;
  ASSERT_GE(original.frames.size(), 3u);
  for (std::size_t n = 0; n < file.size(); ++n) {
    const Buffer cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string what = "cut at " + std::to_string(n);
    const Read r = read_memory(cut, seekable);
    expect_sound(r, what);
    ASSERT_LE(r.frames.size(), original.frames.size()) << what;
    for (std::size_t i = 0; i < r.frames.size(); ++i) expect_same_frame(r, original, i);
    if (r.last == FileReader::Status::end) {
      EXPECT_GE(r.frames.size(), good_until(n)) << what;
    }
  }
  for (std::size_t n = 0; n < file.size(); ++n) {
    Buffer flipped = file;
    flipped[n] ^= std::byte{0xff};
    const std::string what = "octet " + std::to_string(n) + " flipped";
    const Read r = read_memory(flipped, seekable);
    expect_sound(r, what);
    for (std::size_t i = 0; i < std::min(good_until(n), r.frames.size()); ++i)
      expect_same_frame(r, original, i);
  }
}

TEST(OwnPcapngReader, EveryCutAndEveryFlippedOctetOfATwoInterfaceFile) {
  const auto start = std::chrono::steady_clock::now();
  for (auto order : {ts::Endian::little, ts::Endian::big}) {
    const Buffer file = two_interface_pcapng(order);
    const auto ends = pcapng_packet_ends(
        file, order == ts::Endian::little ? common::ByteOrder::little : common::ByteOrder::big);
    ASSERT_EQ(ends.size(), 3u);
    // Frames whose blocks end at or before `n` are read before the damage at n.
    cut_and_flip(file, true, [&](std::size_t n) {
      return static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), n) - ends.begin());
    });
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(OwnNetmonReader, ReadsTheTestFileFromAFileAndAStream) {
  const Buffer eth =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("abc"));
  const Buffer ip = ts::build_tcp_frame(ts::LinkType::raw, {}, client4(), server4(), segment("d"));
  const Buffer file = netmon_file({eth, ip, eth});
  for (bool seekable : {true, false}) {
    const Read r = read_memory(file, seekable);
    EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
    ASSERT_EQ(r.frames.size(), 3u);
    EXPECT_EQ(r.frames[0].link_type, 1);
    EXPECT_EQ(r.frames[1].link_type, 101);
    EXPECT_EQ(r.frames[1].ts, (common::Timestamp{1700000001, 0}));
    EXPECT_EQ(r.frames[2].len, eth.size() + 4);
    EXPECT_EQ(r.bytes[1], ip);
  }
}

TEST(OwnNetmonReader, EveryCutAndEveryFlippedOctetOfA23File) {
  const auto start = std::chrono::steady_clock::now();
  const Buffer eth =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("abc"));
  const Buffer ip = ts::build_tcp_frame(ts::LinkType::raw, {}, client4(), server4(), segment("d"));
  const Buffer file = netmon_file({eth, ip, eth});
  // Record i ends 0x48 + the records before it and its own 16 + frame + 15 octets; a file read
  // through its frame table (at the end) trusts no frame before the damage, a stream does.
  std::vector<std::size_t> ends;
  std::size_t at = 0x48;
  for (const Buffer* f : {&eth, &ip, &eth}) ends.push_back(at += 16 + f->size() + 15);
  cut_and_flip(file, true, [](std::size_t) { return std::size_t{0}; });
  cut_and_flip(file, false, [&](std::size_t n) {
    if (n < 0x48) return std::size_t{0};  // the header says where the records end
    return static_cast<std::size_t>(std::upper_bound(ends.begin(), ends.end(), n) - ends.begin());
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// if_tsoffset is a signed 64-bit count of seconds: one far out of range clamps the timestamp
// (found by fuzz_pcapng_file: the sum overflowed; regressions/fuzz_pcapng_file).
TEST(OwnPcapngReader, AnyIfTsoffsetClampsTheTimestamp) {
  for (std::int64_t offset : {INT64_MAX, INT64_MIN}) {
    ts::PcapngWriter w(ts::LinkType::ethernet);
    const std::uint32_t id = w.add_interface(ts::LinkType::ethernet, 0, 6, offset);
    // An EPB written by hand: the writer would take the offset off the timestamp.
    const std::uint64_t units = 1700000000ULL * 1000000ULL;
    ts::ByteWriter epb(ts::Endian::little);
    epb.u32(id).u32(static_cast<std::uint32_t>(units >> 32)).u32(static_cast<std::uint32_t>(units));
    epb.u32(60).u32(60).zeros(60);
    w.add_block(6, epb.view());
    Read r = read_memory(w.bytes());
    EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
    ASSERT_EQ(r.frames.size(), 1u);
    EXPECT_EQ(r.frames[0].ts.sec, offset > 0 ? kMaxTimestampSeconds : -kMaxTimestampSeconds);
    EXPECT_TRUE(r.frames[0].ts_clamped);
  }
}

// A NetMon file whose times come from its header's SYSTEMTIME (no extended info, so no UTC
// timestamps) can start before 1970: seconds round down, microseconds stay positive.
TEST(OwnNetmonReader, TimesBefore1970RoundDown) {
  const Buffer eth =
      ts::build_tcp_frame(ts::LinkType::ethernet, {}, client4(), server4(), segment("abc"));
  Buffer file = netmon_file({eth, eth, eth});
  ts::ByteWriter start(ts::Endian::little);  // 1969-12-31 (a Wednesday) 23:59:59.500
  for (int v : {1969, 12, 3, 31, 23, 59, 59, 500}) start.u16(static_cast<std::uint16_t>(v));
  std::copy(start.view().begin(), start.view().end(), file.begin() + 0x08);
  for (std::size_t i = 0x38; i < 0x3C; ++i) file[i] = std::byte{0};  // ExtendedInfoOffset
  Read r = read_memory(file);
  EXPECT_EQ(r.last, FileReader::Status::end) << r.error;
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_EQ(r.frames[0].ts, (common::Timestamp{-1, 500000}));
  EXPECT_EQ(r.frames[1].ts, (common::Timestamp{0, 500000}));
  EXPECT_FALSE(r.frames[0].ts_clamped);
}

// Compressed sources hand out the same octets whatever the size of the reads.
TEST(ByteSource, GzipAndZstdGiveTheSameOctetsInReadsOfAnySize) {
  Buffer file;
  for (std::uint32_t i = 0; i < 300000; ++i)
    file.push_back(static_cast<std::byte>((i * 2654435761u) >> (i % 7 == 0 ? 3 : 24)));
  for (const Buffer& packed : {gzip(file), zstd(file)}) {
    for (std::size_t step : {1u, 7u, 4096u, 65536u, 131071u}) {
      auto source = open_memory(packed);
      Buffer got;
      std::vector<std::byte> block(step);
      for (std::size_t n; (n = source->read(block.data(), step)) > 0;)
        got.insert(got.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_EQ(source->error(), "") << to_string(source->compression()) << " step " << step;
      EXPECT_TRUE(got == file) << to_string(source->compression()) << " step " << step;
    }
  }
}

TEST(ByteSource, EnvironmentErrorsThrowAndOtherFilesAreNotPcap) {
  EXPECT_THROW(open_source("/nonexistent/x.pcap"), CaptureError);
  EXPECT_THROW(open_source("/tmp"), CaptureError);
  TempFile text("own_reader_text", Buffer{std::byte{'h'}, std::byte{'i'}});
  auto source = open_source(text.path().string());
  EXPECT_EQ(source->compression(), Compression::none);
  ByteReaderBuffer in(*source);
  EXPECT_EQ(open_pcap(in), nullptr);
}

// Read ahead by a second thread (--threads 2 and more), the blocks lent in place: every block
// size from one octet up, so that records and their headers straddle block ends at every
// offset (the stitched copies), gives the frames, octets and errors of the plain reader.
TEST(ReadAhead, EveryBlockSizeGivesTheFramesAndErrorsOfThePlainReader) {
  const Buffer file = pcap_file();
  TempFile whole("read_ahead_whole", file);
  TempFile cut("read_ahead_cut", Buffer(file.begin(), file.end() - 10));
  TempFile packed("read_ahead_gz", gzip(file));
  for (const TempFile* f : {&whole, &cut, &packed}) {
    const Read plain = read_own(f->path().string());
    ASSERT_FALSE(plain.frames.empty());
    for (std::size_t block : {1u, 2u, 3u, 7u, 16u, 23u, 24u, 100u, 1000u, 4096u, 65536u}) {
      for (std::size_t depth : {1u, 3u}) {
        const Read r = read_own(f->path().string(), block, depth);
        EXPECT_EQ(r.last, plain.last) << f->path() << " block " << block;
        EXPECT_EQ(r.error, plain.error) << f->path() << " block " << block;
        ASSERT_EQ(r.frames.size(), plain.frames.size()) << f->path() << " block " << block;
        for (std::size_t i = 0; i < r.frames.size(); ++i) {
          EXPECT_EQ(r.frames[i].ts, plain.frames[i].ts);
          EXPECT_EQ(r.frames[i].len, plain.frames[i].len);
          EXPECT_TRUE(r.bytes[i] == plain.bytes[i]) << "frame " << i << " block " << block;
        }
      }
    }
  }
}

// A seek (NetMon's frame table is read first) drops what was read ahead and starts there.
TEST(ReadAhead, SeekStartsAgainWhereAsked) {
  Buffer file;
  for (std::uint32_t i = 0; i < 100000; ++i)
    file.push_back(static_cast<std::byte>(i * 7 + i / 251));
  TempFile f("read_ahead_seek", file);
  auto source = read_ahead(open_source(f.path().string()), 333, 2);
  ByteReaderBuffer in(*source);
  ASSERT_TRUE(in.ensure(1000));
  in.consume(500);
  for (std::uint64_t at : {90000u, 10u, 99990u, 5000u}) {
    ASSERT_TRUE(in.seek(at));
    ASSERT_TRUE(in.ensure(10)) << at;
    EXPECT_EQ(in.offset(), at);
    EXPECT_TRUE(
        std::equal(in.data(), in.data() + 10, file.begin() + static_cast<std::ptrdiff_t>(at)))
        << at;
  }
  // Read through to the end after the last seek, in steps that straddle the blocks.
  Buffer rest;
  while (in.ensure(1) || in.available() > 0) {
    const std::size_t n = std::min<std::size_t>(in.available(), 1000);
    if (n == 0) break;
    rest.insert(rest.end(), in.data(), in.data() + n);
    in.consume(n);
  }
  EXPECT_TRUE(rest == Buffer(file.begin() + 5000, file.end()));
  EXPECT_FALSE(in.ensure(1));
  EXPECT_EQ(source->error(), "");
}

}  // namespace
}  // namespace rpctrace::pcap
