// What the capture-reader fuzz targets share: read every frame a FileReader hands out, touching
// each octet (so AddressSanitizer checks the whole view), and trap on a frame that breaks what
// every reader promises (file_reader.hpp, capture_reader.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "rpctrace/pcap/file_reader.hpp"

namespace rpctrace::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Returns the number of frames read.
inline std::uint64_t drain(pcap::FileReader& reader) {
  pcap::Frame frame;
  std::uint64_t frames = 0;
  unsigned char touch = 0;
  pcap::FileReader::Status s;
  while ((s = reader.next(frame)) == pcap::FileReader::Status::frame) {
    ++frames;
    check(frame.number == frames);
    check(frame.caplen <= pcap::kMaxFrameLength);
    check(frame.data.size() == frame.caplen);
    check(frame.len >= frame.caplen);
    check(frame.ts.usec >= 0 && frame.ts.usec <= 999999);
    check(frame.ts.sec >= -pcap::kMaxTimestampSeconds &&
          frame.ts.sec <= pcap::kMaxTimestampSeconds);
    for (std::byte b : frame.data) touch ^= static_cast<unsigned char>(b);
  }
  // Damage is named; the end is not an error.
  check(s == pcap::FileReader::Status::end || !reader.error().empty());
  (void)reader.format();
  (void)reader.link_type();
  (void)reader.snaplen();
  asm volatile("" : : "r"(touch));
  return frames;
}

}  // namespace rpctrace::fuzz
