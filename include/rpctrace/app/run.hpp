// The run loop: reads a capture (pcap layer), decodes each frame, applies the selection's
// endpoint filter, hands frames to the transport dispatcher (which feeds the analysis
// Tracker), and fans the analysis out to the sinks; at the end it assembles the Statistics
// from every layer's counters.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/transport/dispatcher.hpp"

namespace rpctrace::app {

struct RunOptions {
  analysis::TrackerOptions analysis;  // the selection and the association limits
  transport::Limits transport;        // TCP reassembly and framing limits
  // Asked every kStopCheckFrames frames: true stops the run (an output that cannot be
  // written); the sinks are then not finished.
  std::function<bool()> stop;
};
inline constexpr std::uint64_t kStopCheckFrames = 4096;

struct RunResult {
  bool read_error = false;  // the file was damaged; everything before was reported
  std::string message;
  bool stopped = false;        // RunOptions::stop said so
  analysis::Statistics stats;  // as the sinks' finish() got them
};

// Runs the whole pipeline over `path` ("-" for standard input) into every sink. Throws
// pcap::CaptureError when the file cannot be opened as a capture.
RunResult run(const std::string& path, const RunOptions& options,
              std::span<analysis::Sink* const> sinks);
inline RunResult run(const std::string& path, const RunOptions& options, analysis::Sink& sink) {
  analysis::Sink* one[] = {&sink};
  return run(path, options, one);
}

}  // namespace rpctrace::app
