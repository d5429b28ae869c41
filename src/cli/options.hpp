// The command line: every option is parsed before the command is chosen, so an option means
// the same wherever it stands (before or after the command and the file), and an option the
// chosen command cannot use is an error that names it.
#pragma once

#include <string>
#include <vector>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/app/run.hpp"
#include "rpctrace/pcap/input.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::cli {

enum class Command { timeline, endpoints, diagnose, summary, stats };

struct Invocation {
  Command command = Command::timeline;
  pcap::InputOptions input;  // the files ("-": standard input) or the live interface, the filter
  bool jsonl = false;
  bool zeek = false;     // --format zeek: Zeek's dce_rpc.log records (timeline only)
  bool summary = false;  // timeline: one summary per conversation
  bool calls = false;    // timeline: one line per call (--calls)
  bool color = false;    // --color, resolved (auto: standard output is a terminal)
  report::TimeFormat time_format = report::TimeFormat::delta;  // -t
  bool quiet = false;    // -q: the statistics only, on standard output
  unsigned threads = 1;  // --threads, resolved (default: the cores available)
  std::string write;     // -w: the shown conversations' frames to this capture file ("-": stdout)
  app::RunOptions run;
  analysis::DiagnoseOptions diagnose;
  // endpoints and diagnose: only the entries, services and findings of these interfaces.
  std::vector<std::string> interfaces;
};

// Parses argv into `out`. Returns -1 to go on, or the exit status to leave with (0 after
// --help or --version, 2 after a usage error, whose message is printed).
int parse_command_line(int argc, char** argv, Invocation& out);

}  // namespace rpctrace::cli
