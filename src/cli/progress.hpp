// The progress line on standard error for long runs (issue 17; docs/performance.md).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>

#include "rpctrace/app/run.hpp"

namespace rpctrace::cli {

// A line rewritten in place ("\r"): percent of the files' octets, frames, frames per second,
// TCP connections open. First shown after `after` (a short file shows nothing), then every
// `every`; cleared when the input ends, before the report's last part is written.
class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out, std::chrono::milliseconds after = std::chrono::seconds(1),
                        std::chrono::milliseconds every = std::chrono::milliseconds(500));
  void operator()(const app::RunProgress& p);

 private:
  std::FILE* out_;
  std::chrono::milliseconds after_, every_;
  std::chrono::steady_clock::time_point start_, last_;
  bool shown_ = false;
};

// Whether a run shows the progress line: standard error is a terminal, the run reads files
// (not a live capture), -q is not given, and the report does not go to that same terminal
// as the run goes (standard output is not a terminal, or the command reports at the end).
bool wants_progress(bool quiet, bool live, bool reports_at_end);

// The line for standard error: first after a second, then every half second; the tests set
// both with RPCTRACE_PROGRESS_MS (0: from the first check, at every check).
ProgressLine stderr_progress_line();

}  // namespace rpctrace::cli
