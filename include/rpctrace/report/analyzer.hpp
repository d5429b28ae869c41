// Analyzer: the pipeline's top. Reads a capture (pcap layer), feeds the TCP connection table,
// attaches a DCE/RPC association to each connection, decodes EPM calls, and hands frame
// records, conversations and the statistics to a Writer.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/report/filter.hpp"
#include "rpctrace/report/model.hpp"
#include "rpctrace/tcp/limits.hpp"

namespace rpctrace::report {

struct Options {
  Filter filter;
  bool show_all_tcp = false;  // show conversations that carried no DCE/RPC too
  // --interface: only conversations that bind or call one of these interfaces (a UUID, or a
  // short name such as "SAMR", any case); whole conversations are kept.
  std::vector<std::string> interfaces;
  // --opnum: only the calls with this opnum (their requests, responses and faults), in the
  // conversations that make one; the other frames are left out.
  std::optional<std::uint16_t> opnum;
  tcp::ReassemblyLimits tcp_limits;
  dcerpc::AssociationLimits dcerpc_limits;
};

struct RunResult {
  bool read_error = false;  // the file was damaged; everything before was reported
  std::string message;
};

// Runs the whole pipeline over `path` ("-" for standard input). Throws pcap::CaptureError
// when the file cannot be opened as a capture.
RunResult analyze(const std::string& path, const Options& options, Writer& writer);

}  // namespace rpctrace::report
