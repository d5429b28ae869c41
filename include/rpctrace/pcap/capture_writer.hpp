// Writing frames back to a capture file (-w): classic pcap through libpcap's dump functions
// when every frame has one link type, else pcapng (several link types, or a name ending in
// ".pcapng"), by a writer of our own: one Interface Description Block per link type.
//
// Timestamps are written in microseconds, as the readers keep them (a nanosecond file's last
// three digits are not kept). Frames keep their captured bytes and their length on the wire.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "rpctrace/pcap/capture_reader.hpp"

namespace rpctrace::pcap {

enum class CaptureFormat : std::uint8_t { pcap, pcapng };

// The largest frame a written file announces (its snap length): libpcap's own bound.
inline constexpr std::uint32_t kWriteSnapLength = 262144;

class CaptureWriter {
 public:
  virtual ~CaptureWriter() = default;
  // False after the first error (error() names it); later frames are not written.
  virtual bool write(const Frame& frame) = 0;
  // Flushes and closes; false with error() set when anything could not be written.
  virtual bool close() = 0;
  [[nodiscard]] virtual const std::string& error() const = 0;
  [[nodiscard]] virtual std::uint64_t frames() const = 0;
};

// pcap: every frame must have `link_type` (write() refuses another, error set). "-" is
// standard output. nullptr with `error` set when the file cannot be created.
std::unique_ptr<CaptureWriter> open_pcap_writer(const std::string& path, int link_type,
                                                std::string& error);
// pcapng of any link types, to `path` ("-": standard output).
std::unique_ptr<CaptureWriter> open_pcapng_writer(const std::string& path, std::string& error);
// pcapng into an open stream (a temporary spool); the stream stays the caller's.
std::unique_ptr<CaptureWriter> pcapng_writer_on(std::FILE* stream);

}  // namespace rpctrace::pcap
