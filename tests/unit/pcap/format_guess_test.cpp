// What rpctrace says of a file no reader takes (format_guess.cpp): each magic the message knows,
// built here octet by octet, and the files and streams it reaches through CaptureReader.
#include "rpctrace/pcap/format_guess.hpp"

#include <gtest/gtest.h>
#include <zstd.h>

#include <string>

#include "rpctrace/pcap/capture_reader.hpp"
#include "support/bytes.hpp"
#include "unit/support/temp_file.hpp"

namespace rpctrace::pcap {
namespace {

namespace ts = testsupport;
using Buffer = ts::Bytes;

std::string guess(const Buffer& b) { return describe_unreadable(b); }
Buffer text(std::string_view s) { return ts::text_bytes(s); }
Buffer padded(Buffer b, std::size_t to = 64) {
  b.resize(std::max(b.size(), to), std::byte{0});
  return b;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// An ETL file's first buffer: WMI_BUFFER_HEADER (BufferSize 64 KiB, the rest left zero) and
// at 0x48 the log-file header record's SYSTEM_TRACE_HEADER: marker version 2, header type
// (1: 32-bit, 2: 64-bit), flags 0xC0; size 0x138; HookId 0.
Buffer etl(std::uint8_t header_type = 2, std::uint16_t hook_id = 0) {
  ts::ByteWriter w;
  w.u32(0x10000).zeros(0x48 - 4);
  w.u16(2).u8(header_type).u8(0xC0).u16(0x138).u16(hook_id).zeros(0x110);
  return w.take();
}

TEST(FormatGuess, EtlNamesBothConverters) {
  for (int type : {1, 2}) {
    const std::string m = guess(etl(static_cast<std::uint8_t>(type)));
    EXPECT_TRUE(has(m, "Windows event trace (ETL")) << m;
    EXPECT_TRUE(has(m, "`etl2pcapng in.etl out.pcapng` (github.com/microsoft/etl2pcapng)")) << m;
    EXPECT_TRUE(has(m, "`pktmon etl2pcap in.etl --out out.pcapng` (Windows 10 2004+)")) << m;
  }
  // Not the log-file header record (another HookId, header type or buffer size): unknown.
  EXPECT_TRUE(has(guess(etl(2, 0x0A)), "unknown file format"));
  EXPECT_TRUE(has(guess(etl(0x12)), "unknown file format"));
  Buffer small = etl();
  small[2] = std::byte{0};  // BufferSize 0
  EXPECT_TRUE(has(guess(small), "unknown file format"));
}

TEST(FormatGuess, OtherCaptureFormatsPointToEditcap) {
  const struct {
    Buffer magic;
    std::string_view says;
  } cases[] = {
      {text("RTSS"), "Network Monitor 1.x"},
      {text(std::string_view("snoop\0\0\0\0\0\0\x02", 12)), "snoop capture"},
      {text("TRSNIFF data    \x1a"), "Sniffer (DOS)"},
      {text(std::string_view("XCP\0"
                             "002.001\0",
                             12)),
       "NetXRay / Windows Sniffer"},
      {text("ObserverPktBufferVersion=15.00"), "Observer capture"},
      {ts::hex_bytes("34 cd b2 a1 02 00 04 00"), "modified (Kuznetzov)"},
      {ts::hex_bytes("a1 b2 cd 34 00 02 00 04"), "modified (Kuznetzov)"},
  };
  for (const auto& c : cases) {
    const std::string m = guess(padded(c.magic));
    EXPECT_TRUE(has(m, c.says)) << m;
    EXPECT_TRUE(has(m, "`editcap -F pcapng in out.pcapng`")) << m;
  }
}

TEST(FormatGuess, ArchivesSayHowToUnpack) {
  const struct {
    Buffer magic;
    std::string_view says;
  } cases[] = {
      {text("BZh91AY&SY"), "compressed with bzip2: decompress it first, e.g. `bzip2 -d"},
      {ts::hex_bytes("fd 37 7a 58 5a 00 00 04"),
       "compressed with xz: decompress it first, e.g. `xz -d"},
      {ts::hex_bytes("04 22 4d 18 64 40 a7"),
       "compressed with lz4: decompress it first, e.g. `lz4 -d"},
      {ts::hex_bytes("02 21 4c 18"), "compressed with lz4"},
      {ts::hex_bytes("50 4b 03 04 14 00"), "a zip archive: unpack it first, e.g. `unzip"},
      {ts::hex_bytes("50 4b 05 06"), "a zip archive"},
      {ts::hex_bytes("37 7a bc af 27 1c 00 04"), "7-Zip archive"},
  };
  for (const auto& c : cases) {
    const std::string m = guess(padded(c.magic));
    EXPECT_TRUE(has(m, c.says)) << m;
  }
  EXPECT_TRUE(has(guess(padded(text("BZh91AY&SY"))), "rpctrace reads gzip and zstd itself"));
  // "BZh" without the block size digit is not bzip2.
  EXPECT_FALSE(has(guess(padded(text("BZhx"))), "bzip2"));
  Buffer tar(512, std::byte{0});
  const Buffer ustar = text("ustar");
  std::copy(ustar.begin(), ustar.end(), tar.begin() + 257);
  tar[0] = std::byte{'k'};
  EXPECT_TRUE(has(guess(tar), "a tar archive: unpack it first, e.g. `tar xf"));
}

TEST(FormatGuess, TextIsNotACapture) {
  const std::string tcpdump =
      guess(text("12:00:01.000000 IP 10.0.0.1.40000 > 10.0.0.2.135: Flags [P.], seq 1:73, ack 1, "
                 "length 72\n"));
  EXPECT_TRUE(has(tcpdump, "this is text, not a capture")) << tcpdump;
  EXPECT_TRUE(has(tcpdump, "write captures with -w")) << tcpdump;
  EXPECT_FALSE(has(tcpdump, "text2pcap"));
  // tshark's summary lines (UTF-8 arrow, cut by the window inside a character) and colours.
  const std::string arrow = "    1 0.000000 10.0.0.1 \xe2\x86\x92 10.0.0.2 DCERPC 126 Bind\n";
  EXPECT_TRUE(has(guess(text(arrow)), "this is text"));
  EXPECT_TRUE(has(guess(text(arrow.substr(0, 25))), "this is text"));
  EXPECT_TRUE(has(guess(text("\x1b[1mFrame 1\x1b[0m\r\n")), "this is text"));
  // A hex dump (tshark -x) can become a capture.
  const std::string hex = guess(
      text("Frame 1\n0000  00 15 5d 8e eb e0 00 15 5d 8e eb e1 86 dd 60 00   ..].....].....`.\n"));
  EXPECT_TRUE(has(hex, "`text2pcap in.txt out.pcap`")) << hex;
  // UTF-16 (PowerShell's `>`), with its byte-order mark.
  EXPECT_TRUE(has(guess(ts::hex_bytes("ff fe 31 00 20 00 30 00")), "UTF-16 text, not a capture"));
  // A web page saved instead of the file, a Git LFS pointer.
  EXPECT_TRUE(has(guess(text("\n<!DOCTYPE html>\n<html lang=\"en\">")), "an HTML page"));
  EXPECT_TRUE(has(guess(text("version https://git-lfs.github.com/spec/v1\noid sha256:ab\n")),
                  "Git LFS pointer"));
  // A control octet or invalid UTF-8 makes it binary: short ones are "truncated".
  EXPECT_TRUE(has(guess(text(std::string_view("ab\0cd", 5))), "truncated dump file"));
  EXPECT_TRUE(has(guess(text("ab\xff")), "truncated dump file"));
}

TEST(FormatGuess, EmptyShortAndUnknown) {
  EXPECT_EQ(guess({}), "empty file: no capture file header");
  EXPECT_EQ(guess(ts::hex_bytes("d4 c3 b2 a1 02 00")),
            "truncated dump file; tried to read 24 file header bytes, only got 6");
  const std::string m = guess(padded(ts::hex_bytes("aa aa aa aa 20 00 00 00")));
  EXPECT_TRUE(has(m, "unknown file format (first octets aa aa aa aa 20 00 00 00)")) << m;
  EXPECT_TRUE(has(m, "if Wireshark opens it, convert it with `editcap -F pcapng in out.pcapng`"));
}

// Through the open path: the message names the file, and a zstd-compressed text file is
// described by what it holds.
TEST(FormatGuess, CaptureReaderSaysItInItsError) {
  const auto message = [](const Buffer& contents) {
    ts::TempFile f("format_guess", contents);
    try {
      CaptureReader r(f.path().string());
    } catch (const CaptureError& e) {
      return std::string(e.what());
    }
    return std::string("opened");
  };
  const std::string m = message(etl());
  EXPECT_TRUE(has(m, "format_guess")) << m;
  EXPECT_TRUE(has(m, ": a Windows event trace (ETL")) << m;
  const Buffer plain = text("Frame 1: 126 bytes on wire\n");
  Buffer packed(ZSTD_compressBound(plain.size()));
  packed.resize(ZSTD_compress(packed.data(), packed.size(), plain.data(), plain.size(), 3));
  EXPECT_TRUE(has(message(packed), ": this is text, not a capture"));
}

}  // namespace
}  // namespace rpctrace::pcap
