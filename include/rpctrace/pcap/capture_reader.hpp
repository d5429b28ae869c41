// CaptureReader: a capture file or standard input, read by the project's own readers
// (file_reader.hpp: pcap, pcapng, NetMon 2.x), gzip and zstd decompressed as they stream.
//
// Errors of the environment (missing file, not a capture) throw CaptureError when opening;
// damage found while reading (a record cut short at the end of the file, a corrupt block) ends
// the reading with next() == Status::error and error() naming it, after every good frame.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::pcap {

class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Frame {
  std::uint64_t number = 0;  // 1-based, as tshark and Network Monitor count (merged: mergecap's)
  std::uint32_t file = 0;    // several files: the file's place on the command line, 0-based
  std::uint64_t number_in_file = 0;  // several files: its number in that file
  common::Timestamp ts;
  std::uint32_t caplen = 0;  // bytes captured
  std::uint32_t len = 0;     // bytes on the wire
  common::Bytes data;        // valid until the next call to next()
  bool ts_clamped = false;   // the file's timestamp was out of range (kMaxTimestampSeconds)
  int link_type = 0;         // its interface's (pcapng and NetMon frames each have their own)
  // NetMon 2.2+: the frame's process, an index into FileReader::processes(); -1: none.
  std::int32_t process = -1;
};

// Timestamps are kept within ±2^42 s (about 139,000 years) of the epoch, so that microsecond
// values and their differences fit in 64 bits; a damaged or crafted file (pcapng allows 64-bit
// timestamps at any resolution) can say anything. Microseconds outside 0..999999 are clamped.
inline constexpr std::int64_t kMaxTimestampSeconds = std::int64_t{1} << 42;

// A LINKTYPE_ value (what files hold) named as libpcap names its DLT_: "EN10MB", "RAW".
std::string link_type_name(int link_type);
// The DLT_ value libpcap compiles filters for, of a LINKTYPE_ value (they differ for a few).
int dlt_of_link_type(int link_type);

// A NetMon 2.2+ process table entry (docs/capture_formats.md 1.8): a process Network Monitor
// tied to a conversation, with the conversation's addresses and ports. Frames name theirs by
// Frame::process.
struct ProcessInfo {
  std::string name;  // the path's file name, e.g. OUTLOOK.EXE
  std::string path;  // the image path as the file gives it (UTF-16LE), as UTF-8
  std::uint32_t pid = 0;
  common::IpAddress local, remote;  // the family says whether the entry was IPv6
  std::uint16_t local_port = 0, remote_port = 0;
};

// Counts of a reader's records that are no frames.
struct ReaderCounters {
  std::uint64_t blocks_skipped = 0;         // pcapng blocks of other types
  std::uint64_t packets_bad_interface = 0;  // pcapng packets of an interface not described
  std::string note;                         // the first of them, with its offset
};

class CaptureReader {
 public:
  enum class Status { frame, end, error };

  // path "-" reads standard input.
  // `read_ahead`: a compressed regular file is read by a second thread ahead of next()
  // (open_source).
  explicit CaptureReader(const std::string& path, bool read_ahead = false);
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;

  Status next(Frame& frame);
  [[nodiscard]] int link_type() const { return link_type_; }
  [[nodiscard]] std::string link_type_name() const;
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] std::uint32_t snaplen() const { return snaplen_; }
  // "pcap", "pcapng", "NetMon 2.3" ...
  [[nodiscard]] std::string format() const;
  // Octets of the file (compressed, when it is) read so far.
  [[nodiscard]] std::uint64_t position() const;
  [[nodiscard]] ReaderCounters counters() const;
  // NetMon 2.2+ on a seekable file: the process table frames' `process` indexes; else empty.
  [[nodiscard]] const std::vector<ProcessInfo>& processes() const;

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  int link_type_ = 0;
  std::uint32_t snaplen_ = 0;
  std::uint64_t count_ = 0;
  std::string error_;
};

}  // namespace rpctrace::pcap
