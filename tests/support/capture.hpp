// Capture: an in-memory list of timestamped frames of one link type, with a clock that gives
// each added frame the current time and then advances by a fixed step. Several TcpScripts can
// share one Capture, so their frames interleave in the order the test emits them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "support/bytes.hpp"
#include "support/pcap_writer.hpp"

namespace rpctrace::testsupport {

struct Frame {
  Timestamp ts;
  Bytes data;
  std::optional<std::uint32_t> snap_length;  // cut caplen below len for this record
};

class Clock {
 public:
  explicit Clock(Timestamp start = kTimestamp1997, std::uint32_t step_usec = 1000)
      : now_(start), step_usec_(step_usec) {}
  [[nodiscard]] Timestamp now() const { return now_; }
  // Returns the current time, then advances it by the step.
  Timestamp tick();
  void set(Timestamp t) { now_ = t; }
  void advance(std::uint64_t usec) { now_ = now_.plus_usec(usec); }
  void set_step(std::uint32_t step_usec) { step_usec_ = step_usec; }

 private:
  Timestamp now_;
  std::uint32_t step_usec_;
};

class Capture {
 public:
  explicit Capture(LinkType link_type = LinkType::ethernet, Clock clock = Clock{})
      : link_type_(link_type), clock_(clock) {}

  [[nodiscard]] LinkType link_type() const { return link_type_; }
  [[nodiscard]] Clock& clock() { return clock_; }
  [[nodiscard]] const std::vector<Frame>& frames() const { return frames_; }

  // Appends a frame stamped clock().tick().
  void add(Bytes frame, std::optional<std::uint32_t> snap_length = std::nullopt);

  [[nodiscard]] Bytes to_pcap(const PcapFileOptions& options = {}) const;
  [[nodiscard]] Bytes to_pcapng(const PcapFileOptions& options = {}) const;

 private:
  LinkType link_type_;
  Clock clock_;
  std::vector<Frame> frames_;
};

}  // namespace rpctrace::testsupport
