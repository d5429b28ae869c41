// Microsoft Network Monitor 2.x capture files (.cap; docs/capture_formats.md section 1): a
// 72-octet header, frame records, and a frame table of their offsets. On a seekable file the
// table is read first and every record is found through it; on a stream (standard input, a
// compressed file) records are read in order up to the table, their trailer sized by the
// file's minor version.
//
// The process table (2.2+, section 1.8) is read at open on a seekable file only: in the files
// we know it lies after the frames (as the frame table does), where a stream cannot reach it
// before handing them out. Frames on a stream still carry their process index.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/text.hpp"
#include "rpctrace/pcap/file_reader.hpp"

namespace rpctrace::pcap {

namespace {

constexpr std::size_t kHeaderSize = 0x48;      // CAPTUREFILE_HEADER_VALUES
constexpr std::size_t kRecordHeaderSize = 16;  // TimeOffsetLocal u64, FrameLengthWire, FrameLength
// Frames of a file: the table's 4 octets each are kept (64 MiB at the bound).
constexpr std::uint32_t kMaxFrames = 16u << 20;
// A process path: Windows paths are at most 32,767 UTF-16 units, plus the NUL.
constexpr std::uint32_t kMaxPathOctets = 65536;
// What follows an entry's icon: PID, local and remote port (each u16 and 2 octets of padding),
// IsIPv6, local and remote address (16 octets each).
constexpr std::size_t kProcessFixedSize = 4 + 4 + 4 + 4 + 16 + 16;
// 100 ns units between 1601-01-01 and 1970-01-01 (FILETIME to Unix time).
constexpr std::uint64_t kFiletimeUnixEpoch = 116444736000000000ULL;

// The per-frame trailer after the frame data, by minor version (capture_formats.md 1.3):
// 2.1 MediaType; 2.2 MediaType and ProcessInfoIndex (taken as u32, as in 2.3); 2.3 those,
// the UTC FILETIME and the time zone index.
std::size_t trailer_size(std::uint8_t minor) {
  switch (minor) {
    case 0:
      return 0;
    case 1:
      return 2;
    case 2:
      return 6;
    default:
      return 15;
  }
}

// NetMon media types (capture_formats.md 1.6) as pcap link types; -1 for the pseudo-frames
// (events, network and filter information) and those without a known layout.
int link_type_of(std::uint16_t media) {
  switch (media) {
    case 1:
      return 1;  // LINKTYPE_ETHERNET
    case 2:
      return 6;  // LINKTYPE_IEEE802_5 (Token Ring)
    case 3:
      return 10;  // LINKTYPE_FDDI
    case 8:       // wireless WAN: IP with no link header
    case 9:
      return 101;  // LINKTYPE_RAW
    default:
      // 0xE000 + a pcap link type: a frame NetMon imported from a pcap file.
      if (media >= 0xE001 && media < 0xF000) return media - 0xE000;
      return -1;
  }
}

// SYSTEMTIME (year, month, day of week, day, hour, minute, second, millisecond) as seconds
// since 1970; the capturing host's local time, whose zone the file does not hold.
std::int64_t systemtime_seconds(common::ByteReader& r, std::int32_t& millis) {
  const int year = r.u16(), month = r.u16();
  r.skip(2);
  const int day = r.u16(), hour = r.u16(), minute = r.u16(), second = r.u16();
  millis = std::min<int>(r.u16(), 999);
  // Days from civil (proleptic Gregorian), H. Hinnant's algorithm.
  const int y = year - (month <= 2 ? 1 : 0);
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int m = std::clamp(month, 1, 12);
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + std::clamp(day, 1, 31) - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

class NetmonFile : public FileReader {
 public:
  NetmonFile(ByteReaderBuffer& in, std::uint8_t minor, int link_type, std::int64_t start_us,
             std::uint32_t table_offset, std::uint32_t frames, bool utc,
             std::uint32_t process_offset, std::uint32_t process_count)
      : in_(in),
        minor_(minor),
        link_type_(link_type),
        start_us_(start_us),
        table_offset_(table_offset),
        frames_(frames),
        utc_(utc),
        process_offset_(process_offset),
        process_count_(process_count) {}

  // On a seekable file: the frame table, then back to the first record.
  bool load_table() {
    if (!in_.source().seekable()) return true;
    if (!in_.seek(table_offset_) || !in_.ensure(std::size_t{frames_} * 4)) {
      // Damage, not a refusal: the records are read in order from the header on, as on a
      // stream, up to the end of the file (or the first record that does not parse).
      note_ = fmt::format(
          "the frame table at offset {} ({} frames) lies past the end of the file; the frame "
          "records were read in order from offset {}",
          table_offset_, frames_, kHeaderSize);
      table_offset_ = std::numeric_limits<std::uint32_t>::max();
      if (in_.seek(kHeaderSize)) return true;
      error_ = in_.source().error();
      return false;
    }
    common::ByteReader r(common::Bytes(in_.data(), std::size_t{frames_} * 4),
                         common::ByteOrder::little);
    table_.resize(frames_);
    for (auto& o : table_) o = r.u32();
    if (minor_ >= 2 && process_offset_ != 0 && process_count_ != 0) load_processes();
    if (in_.seek(frames_ > 0 ? table_[0] : kHeaderSize)) return true;
    error_ = in_.source().error();
    return false;
  }

  Status next(Frame& frame) override {
    if (count_ >= frames_ && !table_.empty()) return end();
    if (!table_.empty()) {
      const std::uint32_t at = table_[count_];
      if (at != in_.offset() && !in_.seek(at)) return fail(at, "frame table entry past the end");
    } else if (in_.offset() >= table_offset_) {
      return end();  // a stream: the records end where the table begins
    }
    const std::uint64_t at = in_.offset();
    if (!note_.empty() && !in_.ensure(1) && in_.source().error().empty()) return end();
    if (!in_.ensure(kRecordHeaderSize))
      return fail(at, fmt::format("frame record cut short ({} of {} header octets)",
                                  in_.available(), kRecordHeaderSize));
    common::ByteReader h(common::Bytes(in_.data(), kRecordHeaderSize), common::ByteOrder::little);
    const std::uint64_t offset_us = h.u64();
    const std::uint32_t wire = h.u32(), caplen = h.u32();
    if (caplen > kMaxFrameLength)
      return fail(at, fmt::format("frame claims {} captured octets, more than {}", caplen,
                                  kMaxFrameLength));
    const std::size_t trailer = trailer_size(minor_);
    const std::size_t total = kRecordHeaderSize + caplen + trailer;
    if (!in_.ensure(total))
      return fail(at, fmt::format("frame of {} captured octets cut short", caplen));
    common::ByteReader t(common::Bytes(in_.data() + kRecordHeaderSize + caplen, trailer),
                         common::ByteOrder::little);
    int link = link_type_;
    if (minor_ >= 1) link = link_type_of(t.u16());
    std::int32_t process = -1;
    if (minor_ >= 2) {
      // 0xFFFFFFFF: none; an index past the table's count (or past the entries read before
      // damage) names none either.
      const std::uint32_t index = t.u32();
      const std::uint64_t known = table_.empty() ? process_count_ : processes_.size();
      if (index < known && index <= 0x7FFFFFFFu) process = static_cast<std::int32_t>(index);
    }
    std::int64_t us = start_us_ + static_cast<std::int64_t>(
                                      std::min<std::uint64_t>(offset_us, std::uint64_t{1} << 62));
    if (minor_ >= 3) {
      const std::uint64_t filetime = t.u64();
      if (utc_ && filetime >= kFiletimeUnixEpoch)
        us = static_cast<std::int64_t>((filetime - kFiletimeUnixEpoch) / 10);
    }
    frame.number = ++count_;
    frame.link_type = link;
    frame.process = process;
    // Seconds rounded down, so a time before 1970 keeps its microseconds positive.
    const std::int64_t sec = us / 1000000 - (us % 1000000 < 0 ? 1 : 0);
    frame.ts.sec = std::clamp<std::int64_t>(sec, -kMaxTimestampSeconds, kMaxTimestampSeconds);
    frame.ts.usec = static_cast<std::int32_t>(((us % 1000000) + 1000000) % 1000000);
    frame.ts_clamped = frame.ts.sec != sec;
    frame.caplen = caplen;
    frame.len = std::max(wire, caplen);
    frame.data = common::Bytes(in_.data() + kRecordHeaderSize, caplen);
    in_.consume(total);
    return Status::frame;
  }
  [[nodiscard]] std::string format() const override { return fmt::format("NetMon 2.{}", minor_); }
  [[nodiscard]] int link_type() const override { return link_type_; }
  [[nodiscard]] std::uint32_t snaplen() const override { return 0; }
  [[nodiscard]] ReaderCounters counters() const override { return {0, 0, note_}; }
  [[nodiscard]] const std::vector<ProcessInfo>& processes() const override { return processes_; }

 private:
  // After the last frame: the process table's damage, if any, or the end.
  Status end() {
    if (process_error_.empty()) return Status::end;
    error_ = process_error_;
    return Status::error;
  }

  // The process table (capture_formats.md 1.8): a u16 version, then per entry a u32 path size
  // and the UTF-16LE path, a u32 icon size and the icon, and the fixed part. Entries read
  // before damage are kept; the damage is reported after the frames, which do not depend on it.
  void load_processes() {
    const auto damage = [&](std::uint64_t at, std::uint32_t i, const std::string& why) {
      process_error_ =
          fmt::format("at offset {}: process table entry {} of {}: {}", at, i, process_count_, why);
    };
    if (!in_.seek(process_offset_) || !in_.ensure(2)) {
      process_error_ = fmt::format(
          "process table at offset {} ({} entries) lies past the end of "
          "the file",
          process_offset_, process_count_);
      return;
    }
    in_.consume(2);  // version: its values are not published
    // Each entry holds at least kProcessFixedSize + 8 octets, so the file bounds the loop.
    for (std::uint32_t i = 0; i < process_count_; ++i) {
      const std::uint64_t at = in_.offset();
      if (!in_.ensure(4)) return damage(at, i, "cut short by the end of the file");
      const std::uint32_t path_size =
          common::ByteReader(common::Bytes(in_.data(), 4), common::ByteOrder::little).u32();
      if (path_size > kMaxPathOctets)
        return damage(at, i,
                      fmt::format("path of {} octets, more than {}", path_size, kMaxPathOctets));
      if (!in_.ensure(std::size_t{8} + path_size))
        return damage(at, i, fmt::format("path of {} octets cut short", path_size));
      common::ByteReader r(common::Bytes(in_.data() + 4, std::size_t{path_size} + 4),
                           common::ByteOrder::little);
      ProcessInfo p;
      p.path = path_text(r.bytes(path_size));
      const std::size_t slash = p.path.find_last_of("\\/");
      p.name = slash == std::string::npos ? p.path : p.path.substr(slash + 1);
      const std::uint32_t icon_size = r.u32();
      in_.consume(std::size_t{8} + path_size);
      if (!in_.skip(icon_size))
        return damage(at, i,
                      fmt::format("icon of {} octets runs past the end of the file", icon_size));
      if (!in_.ensure(kProcessFixedSize)) return damage(at, i, "cut short by the end of the file");
      common::ByteReader f(common::Bytes(in_.data(), kProcessFixedSize), common::ByteOrder::little);
      p.pid = f.u32();
      p.local_port = f.u16();  // little-endian as S1 reads them: not verified on a sample
      f.skip(2);
      p.remote_port = f.u16();
      f.skip(2);
      const bool ipv6 = f.u32() != 0;
      p.local = address(f.bytes(16), ipv6);
      p.remote = address(f.bytes(16), ipv6);
      in_.consume(kProcessFixedSize);
      processes_.push_back(std::move(p));
    }
  }
  // The text before the first NUL unit, as UTF-8 with controls escaped (common/text.hpp).
  static std::string path_text(common::Bytes utf16) {
    std::size_t units = utf16.size() / 2;
    for (std::size_t u = 0; u < units; ++u)
      if (utf16[2 * u] == std::byte{0} && utf16[2 * u + 1] == std::byte{0}) units = u;
    std::string out;
    (void)common::utf16le_to_text(utf16.first(2 * units), out, 6 * std::size_t{kMaxPathOctets});
    return out;
  }
  // IPv4 in the first 4 octets, in network order (an IN_ADDR), when the entry is not IPv6.
  static common::IpAddress address(common::Bytes b, bool ipv6) {
    common::IpAddress a;
    if (!ipv6) {
      common::ByteReader r(b, common::ByteOrder::big);
      return common::IpAddress::v4(r.u32());
    }
    a.family = common::IpAddress::Family::v6;
    for (std::size_t i = 0; i < 16; ++i) a.octets[i] = static_cast<std::uint8_t>(b[i]);
    return a;
  }

  Status fail(std::uint64_t at, std::string why) {
    error_ = fmt::format("at offset {}: {}", at, why);
    return Status::error;
  }
  ByteReaderBuffer& in_;
  std::uint8_t minor_;
  int link_type_;
  std::int64_t start_us_;
  std::uint32_t table_offset_, frames_;
  std::string note_;  // the frame table could not be read
  bool utc_;
  std::vector<std::uint32_t> table_;
  std::uint64_t count_ = 0;
  std::uint32_t process_offset_, process_count_;
  std::vector<ProcessInfo> processes_;
  std::string process_error_;
};

}  // namespace

std::unique_ptr<FileReader> open_netmon(ByteReaderBuffer& in, std::string& error) {
  if (!in.ensure(4) || std::memcmp(in.data(), "GMBU", 4) != 0) return nullptr;
  if (!in.ensure(kHeaderSize)) {
    error = "NetMon file header cut short";
    return nullptr;
  }
  common::ByteReader h(common::Bytes(in.data(), kHeaderSize), common::ByteOrder::little);
  h.skip(4);
  const std::uint8_t minor = h.u8(), major = h.u8();
  if (major != 2) {
    error = fmt::format("NetMon {}.{} file: only version 2.x is read", major, minor);
    return nullptr;
  }
  const int link_type = link_type_of(h.u16());
  std::int32_t millis = 0;
  const std::int64_t start_sec = systemtime_seconds(h, millis);
  const std::uint32_t table_offset = h.u32(), table_length = h.u32();
  h.skip(4 * 4);  // user data and comments: offsets and lengths
  // 2.2+: the process table's offset and its count of entries (2.0: statistics, 2.1: ?).
  const std::uint32_t process_offset = h.u32(), process_count = h.u32();
  const std::uint32_t extended_offset = h.u32();
  if (table_length / 4 > kMaxFrames) {
    error =
        fmt::format("NetMon frame table of {} frames, more than {}", table_length / 4, kMaxFrames);
    return nullptr;
  }
  in.consume(kHeaderSize);
  auto reader = std::make_unique<NetmonFile>(
      in, static_cast<std::uint8_t>((minor >> 4) * 10 + (minor & 0x0f)), link_type,
      start_sec * 1000000 + millis * 1000, table_offset, table_length / 4, extended_offset != 0,
      process_offset, process_count);
  if (!reader->load_table()) {
    error = reader->error();
    return nullptr;
  }
  return reader;
}

}  // namespace rpctrace::pcap
