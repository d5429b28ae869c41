// Capture and Clock (see capture.hpp).
#include "support/capture.hpp"

#include <utility>

namespace rpctrace::testsupport {

Timestamp Clock::tick() {
  const Timestamp t = now_;
  now_ = now_.plus_usec(step_usec_);
  return t;
}

void Capture::add(Bytes frame, std::optional<std::uint32_t> snap_length) {
  frames_.push_back(Frame{clock_.tick(), std::move(frame), snap_length});
}

Bytes Capture::to_pcap(const PcapFileOptions& options) const {
  PcapWriter w(link_type_, options);
  for (const Frame& f : frames_) w.add(f.ts, f.data, f.snap_length);
  return w.bytes();
}

Bytes Capture::to_pcapng(const PcapFileOptions& options) const {
  PcapngWriter w(link_type_, options);
  for (const Frame& f : frames_) w.add(f.ts, f.data, f.snap_length);
  return w.bytes();
}

}  // namespace rpctrace::testsupport
