// The project's own capture readers (file_reader.hpp) over its byte sources (byte_source.hpp):
// classic pcap in both byte orders with micro- and nanosecond timestamps read exactly as
// libpcap reads them; the same file gzip- and zstd-compressed gives the same frames; damage
// (a record cut short, a compressed stream cut short or corrupt, a length that lies) ends the
// frames with an error naming it, after every good frame.
#include "rpctrace/pcap/file_reader.hpp"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "frames.hpp"
#include "rpctrace/pcap/byte_source.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
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
};

Read read_own(const std::string& path) {
  Read out;
  auto source = open_source(path);
  ByteReaderBuffer in(*source);
  std::unique_ptr<FileReader> reader = open_pcap(in);
  if (!reader) reader = open_pcapng(in);
  if (!reader) {  // no file header: the source's own error, if any, says why
    out.last = FileReader::Status::error;
    out.error = source->error().empty() ? "not pcap" : source->error();
    return out;
  }
  Frame f;
  while ((out.last = reader->next(f)) == FileReader::Status::frame) {
    out.frames.push_back(f);
    out.bytes.emplace_back(f.data.begin(), f.data.end());
  }
  out.error = reader->error();
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
    EXPECT_NE(r.error.find("truncated dump file; tried to read"), std::string::npos) << r.error;
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

TEST(ByteSource, EnvironmentErrorsThrowAndOtherFilesAreNotPcap) {
  EXPECT_THROW(open_source("/nonexistent/x.pcap"), CaptureError);
  EXPECT_THROW(open_source("/tmp"), CaptureError);
  TempFile text("own_reader_text", Buffer{std::byte{'h'}, std::byte{'i'}});
  auto source = open_source(text.path().string());
  EXPECT_EQ(source->compression(), Compression::none);
  ByteReaderBuffer in(*source);
  EXPECT_EQ(open_pcap(in), nullptr);
}

}  // namespace
}  // namespace rpctrace::pcap
