// rpctrace's options (CLI11): one set for every command, checked against the command chosen.
#include "options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <optional>
#include <vector>

namespace rpctrace::cli {

namespace {

constexpr const char* kDescription =
    "rpctrace: MSRPC (DCE/RPC) and Endpoint Mapper timelines from packet captures.\n"
    "\n"
    "Usage: rpctrace [COMMAND] [OPTIONS] FILE\n"
    "       rpctrace [COMMAND] [OPTIONS] -r FILE     (FILE or -r -: standard input)\n"
    "\n"
    "Commands:\n"
    "  (none)     per conversation, the frame walkthrough of Microsoft KB159298: handshake, bind\n"
    "             and bind_ack, ept_map and the port it answered, requests and responses by\n"
    "             opnum with latency, faults, teardown, and every anomaly\n"
    "  endpoints  what the capture's endpoint mappers disclosed: ept_lookup listings grouped\n"
    "             by server and interface (as portqry -e 135 and rpcdump show them) and every\n"
    "             ept_map answer\n"
    "  diagnose   why a client fails to reach its RPC services: a status table per client and\n"
    "             server (Established, Connecting, Failed), then findings with their evidence\n"
    "             and a next step\n"
    "Options may stand before or after the command and the file. A capture file named like a\n"
    "command is given as ./NAME or with -r.";

constexpr const char* kFooter =
    "Exit status: 0 the capture was read (broken traffic or a damaged end of file is reported,\n"
    "not an error); 2 rpctrace could not do its job (missing file, not a capture, bad options,\n"
    "an output that cannot be written). diagnose: 0 nothing wrong, 1 a finding is an error,\n"
    "2 unusable input.\n"
    "Text goes to standard output and the statistics to standard error; --format jsonl puts\n"
    "everything, statistics last, on standard output (schema: docs/jsonl.md).";

constexpr std::array kCommands{std::pair{"endpoints", Command::endpoints},
                               std::pair{"diagnose", Command::diagnose}};

std::optional<Command> command_named(const std::string& word) {
  for (const auto& [name, command] : kCommands)
    if (word == name) return command;
  return std::nullopt;
}

std::string_view name_of(Command c) {
  for (const auto& [name, command] : kCommands)
    if (c == command) return name;
  return "the timeline (no command)";
}

// An option and the commands that use it.
struct Scope {
  CLI::Option* option;
  std::vector<Command> commands;
};

int usage_error(const std::string& message) {
  fmt::print(stderr, "rpctrace: {}\n", message);
  return 2;
}

}  // namespace

int parse_command_line(int argc, char** argv, Invocation& out) {
  CLI::App app{kDescription, "rpctrace"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("rpctrace ") + RPCTRACE_VERSION);
  std::vector<std::string> words;
  app.add_option("command_and_file", words,
                 "[endpoints|diagnose] then the capture file (pcap or pcapng); - reads standard "
                 "input")
      ->expected(0, 2);
  std::string read_file, format = "text";
  std::vector<std::uint16_t> ports;
  std::vector<std::string> hosts;
  analysis::Selection& sel = out.run.analysis.selection;
  auto* io = app.add_option_group("Input and output");
  io->add_option("-r,--read", read_file,
                 "Capture file, as tcpdump and tshark take it; - for standard input");
  io->add_option("--format", format,
                 "text (default) or jsonl: one JSON object per line (docs/jsonl.md); "
                 "endpoints and diagnose write one record per endpoint, service and finding")
      ->check(CLI::IsMember({"text", "jsonl"}));
  auto* summary_opt = io->add_flag("--summary", out.summary,
                                   "Timeline only: one summary per conversation (text: its "
                                   "header and footer; jsonl: conversation records) and the "
                                   "statistics");
  auto* select = app.add_option_group("Selection", "Kinds combine with AND, values of one kind OR");
  // One value per occurrence, so `--port 135 capture.pcap` leaves the file positional.
  select
      ->add_option("--port", ports,
                   "Only conversations with this TCP port on either side "
                   "(repeatable)")
      ->allow_extra_args(false);
  select
      ->add_option("--host", hosts,
                   "Only conversations with this IPv4/IPv6 address on either "
                   "side (repeatable)")
      ->allow_extra_args(false);
  std::vector<std::string> interfaces;
  select
      ->add_option("--interface", interfaces,
                   "An interface: a UUID or a short name such as SAMR (repeatable). Timeline: "
                   "whole conversations that bind or call it; endpoints: the entries and "
                   "answers for it; diagnose: its services and findings")
      ->allow_extra_args(false);
  std::uint16_t opnum = 0;
  auto* opnum_opt =
      select->add_option("--opnum", opnum,
                         "Timeline only: the calls with this opnum (their requests, responses and "
                         "faults)");
  auto* all_opt = select->add_flag("--all", sel.show_all,
                                   "Timeline only: also show TCP conversations that carry no "
                                   "DCE/RPC");
  std::int64_t slow_ms = out.diagnose.slow_us / 1000;
  auto* slow_opt =
      app.add_option_group("diagnose")
          ->add_option("--slow", slow_ms, "Calls slower than this many milliseconds are reported")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  auto* limits =
      app.add_option_group("Limits", "Resource bounds (docs/limits.md); what they drop is counted");
  limits
      ->add_option("--max-connections", out.run.transport.tcp.max_connections,
                   "TCP connections tracked at once")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  limits
      ->add_option("--max-out-of-order-bytes", out.run.transport.tcp.max_out_of_order_bytes,
                   "Out-of-order bytes held per TCP direction")
      ->capture_default_str();
  std::int64_t idle_seconds = out.run.transport.tcp.idle_timeout_us / 1000000;
  limits
      ->add_option("--idle-timeout", idle_seconds,
                   "Seconds (capture time) before an idle connection is evicted")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->capture_default_str();
  dcerpc::AssociationLimits& al = out.run.analysis.association_limits;
  limits->add_option("--max-calls", al.max_outstanding_calls, "Outstanding calls per association")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  limits->add_option("--max-contexts", al.max_contexts, "Presentation contexts per association")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  limits
      ->add_option("--max-stub-bytes", al.max_stub_bytes,
                   "Stub bytes kept per call for decoding (EPM)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  // The command, then the file: a first word that names a command is the command.
  std::string file;
  if (!words.empty()) {
    if (auto c = command_named(words[0]); c && (words.size() == 2 || !read_file.empty())) {
      out.command = *c;
      words.erase(words.begin());
    } else if (c && words.size() == 1) {
      return usage_error(fmt::format("{}: no capture file given (try --help)", words[0]));
    }
  }
  if (words.size() > 1)
    return usage_error(
        fmt::format("{}: not a command (endpoints, diagnose); give one capture file", words[0]));
  if (!words.empty()) file = words[0];
  if (!file.empty() && !read_file.empty())
    return usage_error("give the capture either as FILE or with -r, not both");
  out.file = file.empty() ? read_file : file;
  if (out.file.empty()) return usage_error("no capture file given (try --help)");

  const std::vector<Scope> scopes{
      {summary_opt, {Command::timeline}},
      {opnum_opt, {Command::timeline}},
      {all_opt, {Command::timeline}},
      {slow_opt, {Command::diagnose}},
  };
  for (const auto& s : scopes)
    if (s.option->count() > 0 &&
        std::find(s.commands.begin(), s.commands.end(), out.command) == s.commands.end())
      return usage_error(
          fmt::format("{}: not an option of {}", s.option->get_name(), name_of(out.command)));

  out.jsonl = format == "jsonl";
  sel.ports = ports;
  for (const auto& h : hosts) {
    auto a = common::IpAddress::parse(h);
    if (!a) return usage_error(fmt::format("--host {}: not an IPv4 or IPv6 address", h));
    sel.hosts.push_back(*a);
  }
  // --interface selects conversations in the timeline; endpoints and diagnose filter what they
  // conclude (an interface's EPM lookup is another interface's conversation).
  if (out.command == Command::timeline)
    sel.interfaces = interfaces;
  else
    out.interfaces = interfaces;
  if (opnum_opt->count() > 0) sel.opnum = opnum;
  out.run.transport.tcp.idle_timeout_us = idle_seconds * 1000000;
  out.diagnose.slow_us = slow_ms * 1000;
  return -1;
}

}  // namespace rpctrace::cli
