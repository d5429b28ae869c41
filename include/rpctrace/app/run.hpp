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
#include "rpctrace/pcap/input.hpp"
#include "rpctrace/transport/dispatcher.hpp"

namespace rpctrace::app {

// Where a run is, for a progress line (RunOptions::progress).
struct RunProgress {
  std::uint64_t frames = 0;
  pcap::InputProgress input;           // octets of the files read, of their sizes
  std::uint64_t connections_open = 0;  // TCP connections tracked now
  bool done = false;                   // the last call: the input has ended
};

struct RunOptions {
  analysis::TrackerOptions analysis;  // the selection and the association limits
  transport::Limits transport;        // TCP reassembly and framing limits
  // Asked every kStopCheckFrames frames: true stops the run (an output that cannot be
  // written); the sinks are then not finished.
  std::function<bool()> stop;
  // Asked after every frame and whenever a live capture is idle: true ends the run as the end
  // of the input would (Ctrl-C, SIGTERM), the sinks finished and the statistics given.
  std::function<bool()> interrupted;
  std::uint64_t max_frames = 0;  // -c: end after this many frames (0: no bound)
  // The sinks run on a thread of their own (SinkThread), beside the analysis. The command
  // line sets it for the timeline's text with --threads 2 or more on capture files (the other
  // outputs measured slower with it; standard input and a live capture want their output as
  // the frames come, not a batch later).
  bool sink_thread = false;
  // Given every frame read, numbered (-w keeps standard input's and a live capture's).
  std::function<void(const pcap::Frame&)> on_frame;
  // Told where the run is every kStopCheckFrames frames, and once more when the input ended
  // (done); the callee decides how often to show it.
  std::function<void(const RunProgress&)> progress;
};
inline constexpr std::uint64_t kStopCheckFrames = 4096;

struct RunResult {
  bool read_error = false;             // a file was damaged; everything before was reported
  std::string message;                 // the first damage
  std::vector<pcap::InputFile> files;  // each file read (or the interface), damage named
  std::vector<std::string> notes;      // what the readers and the filter noted (offsets named)
  bool interrupted = false;            // RunOptions::interrupted said so
  bool stopped = false;                // RunOptions::stop said so
  analysis::Statistics stats;          // as the sinks' finish() got them
};

// Runs the whole pipeline over the input (files merged by time, or a live interface) into
// every sink. Throws pcap::CaptureError when a file cannot be opened as a capture, the
// interface cannot be opened or the filter does not compile.
RunResult run(const pcap::InputOptions& input, const RunOptions& options,
              std::span<analysis::Sink* const> sinks);
// One file ("-" for standard input).
inline RunResult run(const std::string& path, const RunOptions& options,
                     std::span<analysis::Sink* const> sinks) {
  pcap::InputOptions input;
  input.files = {path};
  return run(input, options, sinks);
}
inline RunResult run(const std::string& path, const RunOptions& options, analysis::Sink& sink) {
  analysis::Sink* one[] = {&sink};
  return run(path, options, one);
}

}  // namespace rpctrace::app
