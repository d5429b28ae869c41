// A Network Monitor 2.x capture writer for tests (docs/capture_formats.md section 1): the
// 72-octet header, frame records with the minor version's trailer (2.1 MediaType; 2.2 and
// 2.3 also ProcessInfoIndex; 2.3 also the UTC FILETIME and time-zone index), the frame table,
// the process table (2.2+, section 1.8) and, for 2.3, the 11-octet extended info that makes
// readers take the UTC timestamps. Laid out as the one public sample is: header, records,
// frame table, process table, extended info.
//
// Everything is built in memory; bytes() assembles the whole file, which tests may then damage.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/pcap_writer.hpp"

namespace rpctrace::testsupport {

// One process table entry. `path` is written as UTF-16LE with a terminating NUL, each char
// widened (test paths are ASCII).
struct NetmonProcess {
  std::string path;
  std::uint32_t pid = 0;
  bool ipv6 = false;
  std::array<std::uint8_t, 16> local{}, remote{};  // IPv4: the first 4 octets
  std::uint16_t local_port = 0, remote_port = 0;
  Bytes icon;
};

inline constexpr std::uint32_t kNetmonNoProcess = 0xFFFFFFFF;

class NetmonWriter {
 public:
  // `minor`: 0 to 3; `mac_type`: the header's media type (1 Ethernet).
  explicit NetmonWriter(std::uint8_t minor = 3, std::uint16_t mac_type = 1);

  // One frame record, its time as UTC (2.3's FILETIME) and as the offset from the first
  // frame's time; media type and process index go into the trailer where the version has them.
  void add(Timestamp ts, std::span<const std::byte> frame,
           std::uint32_t process_index = kNetmonNoProcess, std::uint16_t media_type = 1);
  void add_process(NetmonProcess process) { processes_.push_back(std::move(process)); }

  // The whole file. `process_count` overrides the header's ProcessInfoTableCount (a count
  // that lies); by default it is the number of processes added.
  [[nodiscard]] Bytes bytes() const;
  [[nodiscard]] Bytes bytes(std::uint32_t process_count) const;
  // Offset of the process table in bytes() (0 when there is none).
  [[nodiscard]] std::size_t process_table_offset() const;

 private:
  struct Record {
    Timestamp ts;
    Bytes data;
    std::uint32_t process;
    std::uint16_t media;
  };
  [[nodiscard]] std::size_t records_end() const;

  std::uint8_t minor_;
  std::uint16_t mac_type_;
  std::vector<Record> records_;
  std::vector<NetmonProcess> processes_;
};

}  // namespace rpctrace::testsupport
