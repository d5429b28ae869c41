// Network Monitor 2.x capture writer (see netmon_writer.hpp and docs/capture_formats.md 1).
#include "support/netmon_writer.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr std::size_t kHeaderSize = 0x48;
constexpr std::uint64_t kFiletimeUnixEpoch = 116444736000000000ULL;  // 100 ns units

std::size_t trailer_size(std::uint8_t minor) {
  return minor == 0 ? 0 : minor == 1 ? 2 : minor == 2 ? 6 : 15;
}

std::uint64_t micros(Timestamp ts) { return std::uint64_t{ts.sec} * 1000000u + ts.usec; }

// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void civil(std::int64_t days, int& y, int& m, int& d) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe) + static_cast<int>(era) * 400 + (m <= 2 ? 1 : 0);
}

}  // namespace

NetmonWriter::NetmonWriter(std::uint8_t minor, std::uint16_t mac_type)
    : minor_(minor), mac_type_(mac_type) {}

void NetmonWriter::add(Timestamp ts, std::span<const std::byte> frame, std::uint32_t process_index,
                       std::uint16_t media_type) {
  records_.push_back(Record{ts, Bytes(frame.begin(), frame.end()), process_index, media_type});
}

std::size_t NetmonWriter::records_end() const {
  std::size_t at = kHeaderSize;
  for (const Record& r : records_) at += 16 + r.data.size() + trailer_size(minor_);
  return at;
}

std::size_t NetmonWriter::process_table_offset() const {
  if (minor_ < 2 || processes_.empty()) return 0;
  return records_end() + 4 * records_.size();
}

Bytes NetmonWriter::bytes() const { return bytes(static_cast<std::uint32_t>(processes_.size())); }

Bytes NetmonWriter::bytes(std::uint32_t process_count) const {
  const Timestamp start = records_.empty() ? Timestamp{} : records_.front().ts;
  ByteWriter table;  // process table (2.2+)
  if (process_table_offset() != 0) {
    table.u16(1);  // version (its value is not known; S1 does not check it)
    for (const NetmonProcess& p : processes_) {
      table.u32(static_cast<std::uint32_t>((p.path.size() + 1) * 2));
      for (char c : p.path) table.u16(static_cast<std::uint8_t>(c));
      table.u16(0);
      table.u32(static_cast<std::uint32_t>(p.icon.size())).bytes(p.icon);
      table.u32(p.pid).u16(p.local_port).u16(0).u16(p.remote_port).u16(0).u32(p.ipv6 ? 1 : 0);
      table.bytes(std::as_bytes(std::span(p.local))).bytes(std::as_bytes(std::span(p.remote)));
    }
  }
  const std::size_t frame_table = records_end();
  const std::size_t extended = frame_table + 4 * records_.size() + table.size();

  ByteWriter out;
  out.text("GMBU").u8(minor_).u8(2).u16(mac_type_);
  // SYSTEMTIME of the first frame (written as UTC: the file does not say which zone).
  int y = 0, m = 0, d = 0;
  civil(static_cast<std::int64_t>(start.sec / 86400), y, m, d);
  const std::uint32_t in_day = start.sec % 86400;
  out.u16(static_cast<std::uint16_t>(y)).u16(static_cast<std::uint16_t>(m));
  out.u16(static_cast<std::uint16_t>((start.sec / 86400 + 4) % 7));  // 1970-01-01: Thursday
  out.u16(static_cast<std::uint16_t>(d)).u16(static_cast<std::uint16_t>(in_day / 3600));
  out.u16(static_cast<std::uint16_t>(in_day / 60 % 60))
      .u16(static_cast<std::uint16_t>(in_day % 60));
  out.u16(static_cast<std::uint16_t>(start.usec / 1000));
  out.u32(static_cast<std::uint32_t>(frame_table))
      .u32(static_cast<std::uint32_t>(4 * records_.size()));
  out.u32(0).u32(0);  // user data
  out.u32(0).u32(0);  // comments
  out.u32(static_cast<std::uint32_t>(process_table_offset()))
      .u32(table.size() != 0 ? process_count : 0);
  out.u32(minor_ >= 3 ? static_cast<std::uint32_t>(extended) : 0).u32(minor_ >= 3 ? 11 : 0);
  out.u32(0).u32(0);  // conversation statistics
  std::vector<std::uint32_t> offsets;
  for (const Record& r : records_) {
    offsets.push_back(static_cast<std::uint32_t>(out.size()));
    out.u64(micros(r.ts) - micros(start));
    out.u32(static_cast<std::uint32_t>(r.data.size()))
        .u32(static_cast<std::uint32_t>(r.data.size()));
    out.bytes(r.data);
    if (minor_ >= 1) out.u16(r.media);
    if (minor_ >= 2) out.u32(r.process);
    if (minor_ >= 3) out.u64(kFiletimeUnixEpoch + micros(r.ts) * 10).u8(0xFF);
  }
  for (std::uint32_t o : offsets) out.u32(o);
  out.bytes(table.view());
  if (minor_ >= 3) out.u16(1).u64(kFiletimeUnixEpoch + micros(start) * 10).u8(0);
  return out.take();
}

}  // namespace rpctrace::testsupport
