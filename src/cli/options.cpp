// rpctrace's options (CLI11): one set for every command, checked against the command chosen.
#include "options.hpp"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "rpctrace/dcerpc/names.hpp"
#include "time_arg.hpp"

namespace rpctrace::cli {

namespace {

constexpr const char* kDescription =
    "rpctrace: MSRPC (DCE/RPC) and Endpoint Mapper timelines from packet captures.\n"
    "\n"
    "Usage: rpctrace [COMMAND] [OPTIONS] FILE... [FILTER]\n"
    "       rpctrace [COMMAND] [OPTIONS] -r FILE [FILTER]   (FILE or -r -: standard input)\n"
    "       rpctrace [COMMAND] [OPTIONS] -i IFACE [FILTER]  (live capture; any: every interface)\n"
    "\n"
    "FILE: pcap, pcapng (any number of interfaces and link types) or Network Monitor .cap, each\n"
    "plain, gzip or zstd. Several files are merged by time into one analysis (a ring buffer's\n"
    "files, captures from both ends); their frames are then named FILE:NUMBER, FILE the file's\n"
    "place on the command line. FILTER: a BPF expression (pcap-filter(7), as tcpdump takes\n"
    "it), for files and live capture alike: the words after the files.\n"
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
    "  summary    one record per conversation: addresses, protocol sequence, start, duration,\n"
    "             how it began and ended, interfaces bound and their results, auth, calls per\n"
    "             operation, faults and error returns, bytes, latency (handshake, bind, calls)\n"
    "             and a verdict: ok, refused, unanswered, faulted, failed or incomplete\n"
    "  stats      per interface and operation: calls, faults, error returns, response time\n"
    "             (min, median, p95, max, mean) and stub bytes, for every interface\n"
    "Options may stand before or after the command and the file. A capture file named like a\n"
    "command is given as ./NAME or with -r; a file after the first that does not exist begins\n"
    "the filter unless its name looks like a capture's (.pcap, .pcapng, .cap, .gz ...).\n"
    "Ctrl-C or SIGTERM ends the run as the end of the input would: the conversations still\n"
    "open, the findings and the statistics are printed.";

constexpr const char* kFooter =
    "Exit status: 0 the capture was read (broken traffic or a damaged end of file is reported,\n"
    "not an error); 2 rpctrace could not do its job (missing file, not a capture, bad options,\n"
    "an output that cannot be written). diagnose: 0 nothing wrong, 1 a finding is an error,\n"
    "2 unusable input.\n"
    "Text goes to standard output and the statistics to standard error; --format jsonl puts\n"
    "everything, statistics last, on standard output (schema: docs/jsonl.md).";

constexpr std::array kCommands{
    std::pair{"endpoints", Command::endpoints}, std::pair{"diagnose", Command::diagnose},
    std::pair{"summary", Command::summary}, std::pair{"stats", Command::stats}};

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

// A whole number from `min` to `max`, checked on the text (so "-1" is not wrapped into a huge
// unsigned value, and the message says the range in whole numbers).
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        bool digits =
            !text.empty() && text.size() <= 20 &&
            std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        if (digits) {
          errno = 0;
          char* end = nullptr;
          unsigned long long v = std::strtoull(text.c_str(), &end, 10);
          if (errno == 0 && v >= min && v <= max) return {};
        }
        return fmt::format("{} is not a whole number from {} to {}", text, min, max);
      },
      fmt::format("{}..{}", min, max));
}

int usage_error(const std::string& message) {
  fmt::print(stderr, "rpctrace: {}\n", message);
  return 2;
}

}  // namespace

namespace {

// What CLI11 fills in, before it is checked against the command.
// The cores this process may run on (its affinity mask: taskset, a container's cpuset).
unsigned available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

struct Parsed {
  std::vector<std::string> words;  // [command] files [filter]
  std::vector<std::string> read_files;
  std::string live, format = "text", time_format, color = "auto";
  std::uint64_t count = 0;
  unsigned threads = 0;  // 0: the cores this process may run on
  bool no_promiscuous = false;
  std::vector<std::uint16_t> ports;
  std::vector<std::string> hosts, interfaces, opnums;
  std::vector<std::uint64_t> conversations;
  std::string since, until;
  std::int64_t slow_ms = 0, idle_seconds = 0;
  // The options some commands cannot use.
  CLI::Option *summary = nullptr, *calls = nullptr, *time = nullptr, *opnum_option = nullptr,
              *all = nullptr, *slow = nullptr, *conversation = nullptr, *quiet = nullptr;
};

void add_input_output(CLI::App& app, Parsed& p, Invocation& out) {
  app.add_option(
      "command_files_filter", p.words,
      "[endpoints|diagnose|summary|stats], the capture files (pcap, pcapng, NetMon .cap; plain, "
      "gzip or zstd; - reads standard input), then a BPF filter expression");
  auto* io = app.add_option_group("Input and output");
  io->add_option("-r,--read", p.read_files,
                 "Capture file, as tcpdump and tshark take it; - for standard input "
                 "(repeatable)")
      ->allow_extra_args(false);
  io->add_option("-i,--live", p.live,
                 "Capture live on this network interface through libpcap (any: every "
                 "interface); needs root or CAP_NET_RAW. Conversations are printed as they "
                 "end, JSON Lines flushed per record, diagnose findings as they are found");
  io->add_option("-c,--count", p.count, "Stop after this many frames (after the filter)")
      ->check(whole_number(1, std::uint64_t{1} << 62));
  io->add_option("-w,--write", out.write,
                 "Write every frame of the conversations shown (handshake and teardown too) to "
                 "this capture file, for Wireshark: pcap, or pcapng when the name ends in "
                 ".pcapng or the frames have several link types; - writes it to standard "
                 "output (the report is then not printed)")
      ->allow_extra_args(false);
  io->add_option("--threads", p.threads,
                 "Threads (default: the cores this process may run on). With 2 or more the "
                 "timeline's text is written by a thread of its own while "
                 "the analysis runs (capture files, not standard input or a live capture), "
                 "and a compressed file (gzip, zstd) is decompressed by another; 1 does "
                 "everything on one. The output is the same for any number")
      ->check(whole_number(1, 1024));
  io->add_flag("-p,--no-promiscuous-mode", p.no_promiscuous,
               "Live: do not put the interface into promiscuous mode");
  io->add_option("--format", p.format,
                 "text (default) or jsonl: one JSON object per line (docs/jsonl.md); "
                 "endpoints and diagnose write one record per endpoint, service and finding; "
                 "zeek (timeline only): a record per answered call shaped like Zeek's "
                 "dce_rpc.log in its JSON form (docs/zeek.md)")
      ->check(CLI::IsMember({"text", "jsonl", "zeek"}));
  p.quiet = io->add_flag("-q,--quiet", out.quiet,
                         "Timeline, summary: no conversations, only the statistics, on standard "
                         "output (jsonl: the stats record)");
  p.calls = io->add_flag("--calls", out.calls,
                         "Timeline only, text: one line per call, in the order calls end "
                         "(conversation, request and answer frames, time, latency, client and "
                         "server, pipe, operation, result, stub bytes), for long or sealed "
                         "conversations");
  io->add_option("--color", p.color,
                 "auto (default: on a terminal, unless NO_COLOR is set or TERM is dumb), always "
                 "or never: faults, refusals and anomalies in red or yellow, diagnose's "
                 "severities, summary's verdicts (ok green)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  p.time = io->add_option("-t,--time-format", p.time_format,
                          "Timeline, text: the time column, as tshark -t names them: d since "
                          "the conversation's previous frame (default), r since its first "
                          "frame, u time of day UTC, ud date and time UTC, a and ad the same "
                          "in local time, e seconds since the epoch")
               ->check(CLI::IsMember({"d", "r", "u", "ud", "a", "ad", "e"}));
  p.summary = io->add_flag("--summary", out.summary,
                           "Timeline only: one summary per conversation (text: its header and "
                           "footer; jsonl: conversation records) and the statistics");
}

void add_selection(CLI::App& app, Parsed& p, Invocation& out) {
  auto* select = app.add_option_group("Selection", "Kinds combine with AND, values of one kind OR");
  // One value per occurrence, so `--port 135 capture.pcap` leaves the file positional.
  select
      ->add_option("--port", p.ports,
                   "Only conversations with this TCP port on either side "
                   "(repeatable)")
      ->check(whole_number(0, 65535))
      ->allow_extra_args(false);
  select
      ->add_option("--host", p.hosts,
                   "Only conversations with this IPv4/IPv6 address, or an address in this "
                   "network (10.1.0.0/16, 2001:db8::/32), on either side (repeatable)")
      ->allow_extra_args(false);
  select
      ->add_option("--interface", p.interfaces,
                   "An interface: a UUID or a short name such as SAMR (repeatable). Timeline, "
                   "summary, stats: whole conversations that bind or call it, and the "
                   "endpoint mapper lookups that asked for it (stats: its operations only); "
                   "endpoints: the entries and answers for it; diagnose: its services and "
                   "findings")
      ->allow_extra_args(false);
  p.opnum_option = select
                       ->add_option("--opnum", p.opnums,
                                    "Only the calls of these operations: opnums or operation "
                                    "names, comma-separated (5,7 or SamrConnect5); their "
                                    "requests, responses and faults (repeatable)")
                       ->delimiter(',')
                       ->allow_extra_args(false);
  p.conversation = select
                       ->add_option("--conversation", p.conversations,
                                    "Only this conversation, by the number the timeline gives "
                                    "it (repeatable; comma-separated)")
                       ->delimiter(',')
                       ->check(whole_number(1, std::uint64_t{1} << 62))
                       ->allow_extra_args(false);
  select->add_option("--since", p.since,
                     "Only conversations with a frame at or after this time, whole: seconds "
                     "since the epoch or ISO 8601 (2026-12-04T10:05:00Z; without Z or an "
                     "offset, local time, as editcap -A reads it)");
  select->add_option("--until", p.until,
                     "Only conversations begun at or before this time, whole (as --since)");
  p.all = select->add_flag("--all", out.run.analysis.selection.show_all,
                           "Timeline: also show TCP conversations that carry no DCE/RPC; "
                           "diagnose: list every service, the healthy ones too");
  p.slow_ms = out.diagnose.slow_us / 1000;
  p.slow =
      app.add_option_group("diagnose")
          ->add_option("--slow", p.slow_ms, "Calls slower than this many milliseconds are reported")
          ->check(whole_number(0, std::uint64_t{1} << 40))
          ->capture_default_str();
}

void add_limits(CLI::App& app, Parsed& p, Invocation& out) {
  auto* limits =
      app.add_option_group("Limits", "Resource bounds (docs/limits.md); what they drop is counted");
  tcp::ReassemblyLimits& tl = out.run.transport.tcp;
  limits->add_option("--max-connections", tl.max_connections, "TCP connections tracked at once")
      ->check(whole_number(1, std::uint64_t{1} << 32))
      ->capture_default_str();
  limits
      ->add_option("--max-out-of-order-bytes", tl.max_out_of_order_bytes,
                   "Out-of-order bytes held per TCP direction")
      ->check(whole_number(0, std::uint64_t{1} << 40))
      ->capture_default_str();
  p.idle_seconds = tl.idle_timeout_us / 1000000;
  limits
      ->add_option("--idle-timeout", p.idle_seconds,
                   "Seconds (capture time) before an idle connection is evicted")
      ->check(whole_number(1, std::uint64_t{1} << 40))
      ->capture_default_str();
  dcerpc::AssociationLimits& al = out.run.analysis.association_limits;
  limits->add_option("--max-calls", al.max_outstanding_calls, "Outstanding calls per association")
      ->check(whole_number(1, std::uint64_t{1} << 32))
      ->capture_default_str();
  limits->add_option("--max-contexts", al.max_contexts, "Presentation contexts per association")
      ->check(whole_number(1, std::uint64_t{1} << 32))
      ->capture_default_str();
  limits
      ->add_option("--max-stub-bytes", al.max_stub_bytes,
                   "Stub bytes kept per call for decoding (EPM)")
      ->check(whole_number(0, std::uint64_t{1} << 40))
      ->capture_default_str();
}

// Whether a word that names no existing file still reads as a capture file's name (then it
// is a missing file, not the start of a filter expression).
bool looks_like_capture(const std::string& word) {
  static constexpr std::array kEndings{".pcap", ".pcapng",  ".cap",  ".gz",  ".zst",
                                       ".etl",  ".pcap.gz", ".ntar", ".dmp", ".trc"};
  if (word.find('/') != std::string::npos) return true;
  for (std::string_view e : kEndings)
    if (word.size() > e.size() && word.compare(word.size() - e.size(), e.size(), e) == 0)
      return true;
  return false;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// The command, the files and the filter expression: a first word that names a command is the
// command; then files (the first always, when neither -r nor -i gives the input; later ones
// while they exist or look like captures); the rest is the filter. -1 to go on.
int choose_command(Parsed& p, Invocation& out) {
  std::vector<std::string>& words = p.words;
  const bool input_given = !p.read_files.empty() || !p.live.empty();
  std::size_t at = 0;
  if (!words.empty()) {
    if (auto c = command_named(words[0]); c && (words.size() >= 2 || input_given)) {
      out.command = *c;
      at = 1;
    } else if (c && words.size() == 1) {
      return usage_error(fmt::format("{}: no capture file given (try --help)", words[0]));
    }
  }
  std::vector<std::string>& files = out.input.files;
  files = p.read_files;
  if (p.live.empty()) {
    if (p.read_files.empty() && at < words.size()) files.push_back(words[at++]);
    while (at < words.size() &&
           (words[at] == "-" || exists(words[at]) || looks_like_capture(words[at])))
      files.push_back(words[at++]);
  }
  std::string filter;
  for (; at < words.size(); ++at) filter += (filter.empty() ? "" : " ") + words[at];
  out.input.filter = filter;
  out.input.interface = p.live;
  out.input.promiscuous = !p.no_promiscuous;
  out.threads = p.threads != 0 ? p.threads : available_cores();
  out.input.read_ahead = out.threads >= 2;
  if (!p.live.empty() && !p.read_files.empty())
    return usage_error("give either capture files or -i for a live capture, not both");
  if (p.live.empty() && files.empty()) return usage_error("no capture file given (try --help)");
  for (std::size_t i = 0; i < files.size(); ++i)
    for (std::size_t j = i + 1; j < files.size(); ++j)
      if (files[i] == files[j])
        return usage_error(files[i] == "-" ? "standard input (-) can be read once"
                                           : fmt::format("{}: given twice", files[i]));
  out.run.max_frames = p.count;
  return -1;
}

// An option the command cannot use is an error that names it. -1 to go on.
int check_scope(const Parsed& p, Command command) {
  const std::vector<Scope> scopes{
      {p.summary, {Command::timeline}},
      {p.calls, {Command::timeline}},
      {p.time, {Command::timeline}},
      {p.quiet, {Command::timeline, Command::summary}},
      {p.opnum_option, {Command::timeline, Command::summary, Command::stats}},
      {p.conversation, {Command::timeline, Command::summary, Command::stats}},
      {p.all, {Command::timeline, Command::diagnose, Command::summary}},
      {p.slow, {Command::diagnose}},
  };
  for (const auto& s : scopes)
    if (s.option->count() > 0 &&
        std::find(s.commands.begin(), s.commands.end(), command) == s.commands.end())
      return usage_error(
          fmt::format("{}: not an option of {}", s.option->get_name(), name_of(command)));
  return -1;
}

// The values into the run's options. -1 to go on.
int apply(const Parsed& p, Invocation& out) {
  analysis::Selection& sel = out.run.analysis.selection;
  out.jsonl = p.format == "jsonl";
  out.zeek = p.format == "zeek";
  // The timeline's text costs as much as the analysis (docs/performance.md): it gets a
  // thread. The other outputs (JSON Lines, --summary, --calls, zeek, the other commands) do
  // less per frame than copying the frame's record out to another core costs: measured
  // slower with the thread.
  out.run.sink_thread = out.threads >= 2 && out.command == Command::timeline && !out.quiet &&
                        !out.jsonl && !out.summary && !out.calls && !out.zeek && p.live.empty() &&
                        std::ranges::find(out.input.files, "-") == out.input.files.end();
  if (out.zeek && (out.command != Command::timeline || out.summary || out.calls || out.quiet ||
                   !p.time_format.empty()))
    return usage_error(
        "--format zeek writes the timeline's calls as Zeek's dce_rpc.log: not with a command, "
        "--summary, --calls, -q or -t");
  if (p.color == "auto") {
    const char* term = std::getenv("TERM");
    out.color = ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr &&
                !(term != nullptr && std::string_view(term) == "dumb");
  } else {
    out.color = p.color == "always";
  }
  if (out.jsonl || out.zeek || out.write == "-") out.color = false;
  static constexpr std::array kTimeFormats{
      std::pair{"d", report::TimeFormat::delta}, std::pair{"r", report::TimeFormat::relative},
      std::pair{"u", report::TimeFormat::utc},   std::pair{"ud", report::TimeFormat::utc_date},
      std::pair{"a", report::TimeFormat::local}, std::pair{"ad", report::TimeFormat::local_date},
      std::pair{"e", report::TimeFormat::epoch}};
  for (const auto& [letter, format] : kTimeFormats)
    if (p.time_format == letter) out.time_format = format;
  if (!p.time_format.empty() && (out.jsonl || out.calls))
    return usage_error(
        "-t sets the text timeline's time column: not with --format jsonl or --calls");
  if (out.calls && (out.jsonl || out.summary || out.quiet))
    return usage_error(
        "--calls is a text form of the timeline: not with --format jsonl, --summary or -q");
  sel.ports = p.ports;
  for (const auto& h : p.hosts) {
    auto a = analysis::HostPrefix::parse(h);
    if (!a)
      return usage_error(
          fmt::format("--host {}: not an IPv4 or IPv6 address or network (ADDRESS/BITS)", h));
    sel.hosts.push_back(*a);
  }
  for (const auto& i : p.interfaces)
    if (!common::Uuid::parse(i) && dcerpc::interfaces_by_name(i).empty())
      return usage_error(
          fmt::format("--interface {}: no interface of that name (docs/names.md lists them; a UUID "
                      "selects any other)",
                      i));
  // --interface selects conversations in the timeline, summary and stats; endpoints and
  // diagnose filter what they conclude (an interface's EPM lookup is another interface's
  // conversation).
  if (out.command == Command::endpoints || out.command == Command::diagnose)
    out.interfaces = p.interfaces;
  else
    sel.interfaces = p.interfaces;
  for (const auto& o : p.opnums) {
    if (!o.empty() &&
        std::all_of(o.begin(), o.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (o.size() > 5 || std::stoul(o) > 65535)
        return usage_error(fmt::format("--opnum {}: not an opnum (0 to 65535)", o));
      sel.opnums.push_back({std::nullopt, static_cast<std::uint16_t>(std::stoul(o))});
      continue;
    }
    auto found = dcerpc::operations_by_name(o);
    if (found.empty())
      return usage_error(fmt::format(
          "--opnum {}: neither an opnum nor an operation name the names table knows", o));
    for (const auto& [uuid, opnum] : found) sel.opnums.push_back({uuid, opnum});
  }
  sel.conversations = p.conversations;
  if (!p.since.empty() && !(sel.since = parse_time(p.since)))
    return usage_error(fmt::format(
        "--since {}: not a time (seconds since the epoch, or 2026-12-04T10:05:00Z)", p.since));
  if (!p.until.empty() && !(sel.until = parse_time(p.until)))
    return usage_error(fmt::format(
        "--until {}: not a time (seconds since the epoch, or 2026-12-04T10:05:00Z)", p.until));
  if (sel.since && sel.until && *sel.until < *sel.since)
    return usage_error("--until is before --since");
  out.run.transport.tcp.idle_timeout_us = p.idle_seconds * 1000000;
  out.diagnose.slow_us = p.slow_ms * 1000;
  // diagnose --all lists every service; the conversations it looks at stay the DCE/RPC ones.
  if (out.command == Command::diagnose) {
    out.diagnose.all_services = sel.show_all;
    sel.show_all = false;
  }
  return -1;
}

}  // namespace

int parse_command_line(int argc, char** argv, Invocation& out) {
  CLI::App app{kDescription, "rpctrace"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("rpctrace ") + RPCTRACE_VERSION);
  Parsed p;
  add_input_output(app, p, out);
  add_selection(app, p, out);
  add_limits(app, p, out);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());  // one line, as every other refusal
  }
  if (int rc = choose_command(p, out); rc >= 0) return rc;
  if (int rc = check_scope(p, out.command); rc >= 0) return rc;
  return apply(p, out);
}

}  // namespace rpctrace::cli
