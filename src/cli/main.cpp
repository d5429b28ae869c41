// rpctrace command line: options (CLI11) and exit codes only; the work is in report::analyze.
//
// Exit status: 0 when the capture was read (even if its traffic was broken or the file ended
// in damage after readable frames: that is reported); 2 when rpctrace could not do its job
// (no such file, not a capture, bad options).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/analysis/endpoint_listing.hpp"
#include "rpctrace/app/run.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace {

constexpr const char* kDescription =
    "rpctrace: MSRPC (DCE/RPC) and Endpoint Mapper timelines from packet captures.\n"
    "Reads pcap or pcapng, reassembles TCP, finds DCE/RPC on any port and prints, per\n"
    "conversation, the frame walkthrough of Microsoft KB159298: handshake, bind and bind_ack,\n"
    "ept_map and the port it answered, requests and responses by opnum with latency, faults,\n"
    "teardown, and every anomaly. Closing statistics count everything not decoded.";

constexpr const char* kFooter =
    "Exit status: 0 the capture was read (broken traffic or a damaged end of file is reported,\n"
    "not an error); 2 rpctrace could not do its job (missing file, not a capture, bad options).\n"
    "Text goes to standard output and the statistics to standard error; --format jsonl puts\n"
    "everything, statistics last, on standard output (schema: docs/jsonl.md).";

// Runs the pipeline; exit status 0 when the capture was read (a damaged end is reported), 2
// when it could not be opened as a capture.
int run_capture(const std::string& file, const rpctrace::app::RunOptions& options,
                rpctrace::analysis::Sink& writer, rpctrace::analysis::Statistics* stats = nullptr) {
  try {
    auto result = rpctrace::app::run(file, options, writer);
    if (stats != nullptr) *stats = result.stats;
    if (result.read_error)
      fmt::print(stderr, "rpctrace: {}: capture damaged: {}; every frame before it was decoded\n",
                 file == "-" ? "standard input" : file, result.message);
  } catch (const rpctrace::pcap::CaptureError& e) {
    fmt::print(stderr, "rpctrace: {}\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "rpctrace"};
  app.footer(kFooter);
  std::string file, read_file, format = "text";
  std::vector<std::uint16_t> ports;
  std::vector<std::string> hosts;
  rpctrace::app::RunOptions options;
  app.add_option("file", file, "Capture file (pcap or pcapng); - reads standard input");
  app.add_option("-r,--read", read_file,
                 "Capture file, as tcpdump and tshark take it; - for standard input");
  app.add_option("--format", format, "Output format: text (default) or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}));
  // One value per occurrence, so `--port 135 capture.pcap` leaves the file positional.
  app.add_option("--port", ports,
                 "Only conversations with this TCP port on either side (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--host", hosts,
                 "Only conversations with this IPv4/IPv6 address on either side (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--interface", options.analysis.selection.interfaces,
                 "Only conversations binding or calling this interface: a UUID or a short name "
                 "such as SAMR "
                 "(repeatable; whole conversations are kept)")
      ->allow_extra_args(false);
  std::uint16_t opnum = 0;
  auto* opnum_option = app.add_option(
      "--opnum", opnum, "Only the calls with this opnum: their requests, responses and faults");
  app.add_flag("--all", options.analysis.selection.show_all,
               "Also show TCP conversations that carry no DCE/RPC");
  bool summary = false;
  app.add_flag("--summary", summary,
               "Only one summary per conversation (text: its header; jsonl: conversation records) "
               "and the statistics");
  auto* limits =
      app.add_option_group("Limits", "Resource bounds (docs/limits.md); what they drop is counted");
  limits
      ->add_option("--max-connections", options.transport.tcp.max_connections,
                   "TCP connections tracked at once")
      ->capture_default_str();
  limits
      ->add_option("--max-out-of-order-bytes", options.transport.tcp.max_out_of_order_bytes,
                   "Out-of-order bytes held per TCP direction")
      ->capture_default_str();
  std::int64_t idle_seconds = options.transport.tcp.idle_timeout_us / 1000000;
  limits
      ->add_option("--idle-timeout", idle_seconds,
                   "Seconds (capture time) before an idle connection is evicted")
      ->capture_default_str();
  limits
      ->add_option("--max-calls", options.analysis.association_limits.max_outstanding_calls,
                   "Outstanding calls per association")
      ->capture_default_str();
  limits
      ->add_option("--max-contexts", options.analysis.association_limits.max_contexts,
                   "Presentation contexts per association")
      ->capture_default_str();
  limits
      ->add_option("--max-stub-bytes", options.analysis.association_limits.max_stub_bytes,
                   "Stub bytes kept per call for decoding (EPM)")
      ->capture_default_str();
  // `rpctrace endpoints FILE`: the endpoint listing the capture's endpoint mappers disclosed.
  auto* endpoints = app.add_subcommand(
      "endpoints",
      "List the endpoints the endpoint mappers in the capture disclosed (ept_lookup listings, "
      "grouped by "
      "server and interface, as portqry -e 135 and rpcdump show them) and every ept_map answer");
  std::string endpoints_file, endpoints_format = "text";
  endpoints
      ->add_option("file", endpoints_file, "Capture file (pcap or pcapng); - reads standard input")
      ->required();
  endpoints
      ->add_option("--format", endpoints_format, "text (default) or jsonl: one record per endpoint")
      ->check(CLI::IsMember({"text", "jsonl"}));
  // `rpctrace diagnose FILE`: services and findings (exit 1 when a finding is an error).
  auto* diagnose = app.add_subcommand("diagnose",
                                      "Why does a client fail to reach its RPC services? A status "
                                      "table per client and server (Established, "
                                      "Connecting, Failed), then findings with their evidence and "
                                      "a next step. Exit status: 0 nothing wrong, "
                                      "1 a finding is an error, 2 unusable input");
  std::string diagnose_file, diagnose_format = "text";
  std::int64_t slow_ms = 500;
  diagnose
      ->add_option("file", diagnose_file, "Capture file (pcap or pcapng); - reads standard input")
      ->required();
  diagnose
      ->add_option("--format", diagnose_format,
                   "text (default) or jsonl: one record per service and finding")
      ->check(CLI::IsMember({"text", "jsonl"}));
  diagnose->add_option("--slow", slow_ms, "Calls slower than this many milliseconds are reported")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (diagnose->parsed()) {
    rpctrace::analysis::DiagnoseOptions d;
    d.slow_us = slow_ms * 1000;
    rpctrace::analysis::Diagnosis diagnosis(d);
    rpctrace::analysis::Statistics stats;
    int rc = run_capture(diagnose_file, options, diagnosis, &stats);
    if (rc != 0) return rc;
    rpctrace::report::write_diagnosis(stdout, stderr, diagnose_format == "jsonl",
                                      diagnosis.result(), stats);
    return diagnosis.result().has_error() ? 1 : 0;
  }
  if (endpoints->parsed()) {
    rpctrace::analysis::EndpointListing listing;
    rpctrace::analysis::Statistics stats;
    int rc = run_capture(endpoints_file, options, listing, &stats);
    if (rc != 0) return rc;
    rpctrace::report::write_endpoints(stdout, stderr, endpoints_format == "jsonl", listing.result(),
                                      stats);
    return 0;
  }
  if (!file.empty() && !read_file.empty()) {
    fmt::print(stderr, "rpctrace: give the capture either as FILE or with -r, not both\n");
    return 2;
  }
  if (file.empty()) file = read_file;
  if (file.empty()) {
    fmt::print(stderr, "rpctrace: no capture file given (try --help)\n");
    return 2;
  }
  options.transport.tcp.idle_timeout_us = idle_seconds * 1000000;
  if (opnum_option->count() > 0) options.analysis.selection.opnum = opnum;
  options.analysis.selection.ports = ports;
  for (const auto& h : hosts) {
    auto a = rpctrace::common::IpAddress::parse(h);
    if (!a) {
      fmt::print(stderr, "rpctrace: --host {}: not an IPv4 or IPv6 address\n", h);
      return 2;
    }
    options.analysis.selection.hosts.push_back(*a);
  }

  std::unique_ptr<rpctrace::analysis::Sink> writer;
  if (format == "jsonl")
    writer = std::make_unique<rpctrace::report::JsonlWriter>(stdout, summary);
  else
    writer = std::make_unique<rpctrace::report::TextWriter>(stdout, stderr, summary);
  return run_capture(file, options, *writer);
}
