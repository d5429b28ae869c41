// rpctrace's entry point: the command line (options.cpp), the run of the chosen command, and
// the exit status. Exit status: 0 the capture was read (broken traffic or a damaged end of
// file is reported, not an error); 1 (diagnose) a finding is an error; 2 rpctrace could not
// do its job (no such file, not a capture, bad options, an output it cannot write).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "options.hpp"
#include "progress.hpp"
#include "rpctrace/analysis/endpoint_listing.hpp"
#include "rpctrace/analysis/summary.hpp"
#include "rpctrace/app/export.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/report/call_writers.hpp"
#include "rpctrace/report/color.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "rpctrace/report/summary_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace {

using namespace rpctrace;

// Standard output through a FILE* of our own (glibc's fopencookie), so the first write error
// is kept with its errno when it happens (a later fflush() or ferror() no longer knows it),
// and the run stops there. Large writes: the reports are written in 1 MiB blocks.
class Output {
 public:
  // `by_line`: each line is written as it is complete (live capture: JSON Lines flushed per
  // record, conversations as they end).
  explicit Output(bool by_line) {
    cookie_io_functions_t io{};
    io.write = &Output::write;
    file_ = fopencookie(this, "w", io);
    if (file_ != nullptr) std::setvbuf(file_, nullptr, by_line ? _IOLBF : _IOFBF, 1u << 20);
  }
  ~Output() {
    if (file_ != nullptr) std::fclose(file_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  [[nodiscard]] std::FILE* file() const { return file_ != nullptr ? file_ : stdout; }
  [[nodiscard]] bool failed() const { return error_ != 0 || std::ferror(file()) != 0; }
  // Flushes; 2 with one message when anything could not be written, else `rc`.
  int close(int rc) {
    std::fflush(file());
    if (!failed()) return rc;
    fmt::print(stderr, "rpctrace: error writing standard output: {}\n",
               std::strerror(error_ != 0 ? error_.load() : EIO));
    return 2;
  }

 private:
  static ssize_t write(void* cookie, const char* data, std::size_t size) {
    auto* self = static_cast<Output*>(cookie);
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(STDOUT_FILENO, data + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int none = 0;
        self->error_.compare_exchange_strong(none, n < 0 ? errno : EIO);
        return -1;
      }
      done += static_cast<std::size_t>(n);
    }
    return static_cast<ssize_t>(size);
  }

  std::FILE* file_ = nullptr;
  std::atomic<int> error_{0};  // set by the thread that writes (app::SinkThread)
};

// Ctrl-C and SIGTERM end the run as the end of the input would; a second one kills.
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int sig) {
  g_interrupted = 1;
  std::signal(sig, SIG_DFL);
}

bool live(const cli::Invocation& inv) { return !inv.input.interface.empty(); }

// Several files: their frames are named FILE:NUMBER; the text says which file is which.
void file_legend(const cli::Invocation& inv, std::FILE* out) {
  if (inv.input.files.size() < 2) return;
  std::string legend = "Files (frames are named FILE:NUMBER):";
  for (std::size_t i = 0; i < inv.input.files.size(); ++i)
    legend += fmt::format(" {} {}{}", i + 1,
                          inv.input.files[i] == "-" ? "standard input" : inv.input.files[i],
                          i + 1 < inv.input.files.size() ? ";" : "");
  legend += "\n\n";
  std::fwrite(legend.data(), 1, legend.size(), out);
}

// -w: the shown conversations' frames, read again (or from the spool) and written out.
// False when the file could not be written (the message printed).
bool write_slice(const cli::Invocation& inv, const app::ConversationSlice& slice,
                 const app::FrameSpool* spool) {
  const app::SliceResult w = app::write_slice(inv.input, inv.run, slice, inv.write, spool);
  const std::string name = inv.write == "-" ? "standard output" : inv.write;
  if (!w.error.empty()) {
    fmt::print(stderr, "rpctrace: -w {}: {}\n", name, w.error);
    return false;
  }
  fmt::print(stderr, "rpctrace: wrote {} frame{} of {} conversation{} to {} ({}{})\n", w.frames,
             w.frames == 1 ? "" : "s", slice.conversations(), slice.conversations() == 1 ? "" : "s",
             name, w.format == pcap::CaptureFormat::pcapng ? "pcapng" : "pcap",
             w.link_types.empty() ? "" : ", link types " + w.link_types);
  return true;
}

// Runs the pipeline into `sinks` (and, with -w, the slice's). nullopt when the file is not a
// capture or the -w file cannot be written (the message printed).
std::optional<app::RunResult> run(const cli::Invocation& inv,
                                  std::span<analysis::Sink* const> sinks) {
  try {
    if (inv.write.empty()) return app::run(inv.input, inv.run, sinks);
    app::ConversationSlice slice;
    std::vector<analysis::Sink*> all(sinks.begin(), sinks.end());
    all.push_back(&slice);
    app::RunOptions options = inv.run;
    // Standard input and a live capture cannot be read again: their frames are kept.
    std::unique_ptr<app::FrameSpool> spool;
    const bool once = live(inv) || std::find(inv.input.files.begin(), inv.input.files.end(), "-") !=
                                       inv.input.files.end();
    if (once) {
      std::string error;
      if (!(spool = app::FrameSpool::create(error))) {
        fmt::print(stderr, "rpctrace: -w: {}\n", error);
        return std::nullopt;
      }
      options.on_frame = [s = spool.get()](const pcap::Frame& f) { s->add(f); };
    }
    app::RunResult r = app::run(inv.input, options, all);
    if (r.stopped) return r;
    if (spool && !spool->seal()) {
      fmt::print(stderr, "rpctrace: -w: {}\n", spool->error());
      return std::nullopt;
    }
    if (!write_slice(inv, slice, spool.get())) return std::nullopt;
    return r;
  } catch (const pcap::CaptureError& e) {
    fmt::print(stderr, "rpctrace: {}\n", e.what());
    return std::nullopt;
  }
}

// After the output: what the readers noted, and damage at the end of a file, is said last.
void report_damage(const app::RunResult& r) {
  for (const auto& note : r.notes) fmt::print(stderr, "rpctrace: note: {}\n", note);
  for (const auto& f : r.files)
    if (!f.damage.empty())
      fmt::print(stderr, "rpctrace: {}: capture damaged: {}; every frame before it was decoded\n",
                 f.name, f.damage);
}

// -q: only the statistics, on standard output (as tshark -q prints its tables).
class StatisticsOnly : public analysis::Sink {
 public:
  void frame(const analysis::FrameRecord& /*f*/) override {}
  void conversation_end(const analysis::Conversation& /*c*/) override {}
  void finish(const analysis::Statistics& /*s*/, const analysis::EpmLinks& /*l*/) override {}
};

int quiet(const cli::Invocation& inv, std::FILE* out) {
  StatisticsOnly sink;
  analysis::Sink* sinks[] = {&sink};
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  if (inv.jsonl) {
    report::JsonLine j;
    report::write_statistics_json(r->stats, j);
    fmt::print(out, "{}\n", j.text());
  } else {
    file_legend(inv, out);
    std::fputs(report::format_statistics(r->stats).c_str(), out);
  }
  report_damage(*r);
  return 0;
}

int timeline(const cli::Invocation& inv, std::FILE* out) {
  if (inv.quiet) return quiet(inv, out);
  std::unique_ptr<analysis::Sink> writer;
  if (inv.zeek)
    writer = std::make_unique<report::ZeekWriter>(out, stderr);
  else if (inv.calls)
    writer = std::make_unique<report::CallLineWriter>(out, stderr);
  else if (inv.jsonl)
    writer = std::make_unique<report::JsonlWriter>(out, inv.summary);
  else {
    auto text = std::make_unique<report::TextWriter>(
        out, stderr, inv.summary,
        live(inv) ? 0 : report::TextWriter::kMaxEndedWaiting);  // live: as they end
    text->set_time_format(inv.time_format);
    writer = std::move(text);
  }
  if (!inv.jsonl && !inv.zeek) file_legend(inv, out);
  analysis::Sink* sinks[] = {writer.get()};
  auto r = run(inv, sinks);
  if (!r) return 2;
  writer.reset();  // the text writer's last lines
  if (!r->stopped) report_damage(*r);
  return 0;
}

int endpoints(const cli::Invocation& inv, std::FILE* out) {
  analysis::EndpointListing listing(inv.interfaces);
  analysis::Sink* sinks[] = {&listing};
  if (!inv.jsonl) file_legend(inv, out);
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  report::write_endpoints(out, stderr, inv.jsonl, listing.result(), r->stats);
  report_damage(*r);
  return 0;
}

int diagnose(const cli::Invocation& inv, std::FILE* out) {
  analysis::DiagnoseOptions options = inv.diagnose;
  options.interfaces = inv.interfaces;
  analysis::Diagnosis diagnosis(options);
  if (live(inv))  // each finding as soon as it is known
    diagnosis.on_finding([out, jsonl = inv.jsonl](const analysis::Finding& f) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
      report::write_finding_as_found(out, jsonl, f,
                                     {us / 1000000, static_cast<std::int32_t>(us % 1000000)});
    });
  analysis::Sink* sinks[] = {&diagnosis};
  if (!inv.jsonl) file_legend(inv, out);
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  report::write_diagnosis(out, stderr, inv.jsonl, diagnosis.result(), r->stats,
                          inv.diagnose.all_services);
  report_damage(*r);
  return diagnosis.result().has_error() ? 1 : 0;
}

int summary(const cli::Invocation& inv, std::FILE* out) {
  if (inv.quiet) return quiet(inv, out);
  report::SummaryWriter writer(out, stderr, inv.jsonl);
  analysis::Summarizer summarizer(
      [&writer](const analysis::ConversationSummary& s) { writer.add(s); });
  analysis::Sink* sinks[] = {&summarizer};
  if (!inv.jsonl) file_legend(inv, out);
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  writer.finish(r->stats);
  report_damage(*r);
  return 0;
}

int stats(const cli::Invocation& inv, std::FILE* out) {
  analysis::Summarizer summarizer(nullptr);
  analysis::Sink* sinks[] = {&summarizer};
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  // --interface and --opnum keep their operations' rows (an EPM lookup they kept is not one).
  const analysis::Selection& sel = inv.run.analysis.selection;
  analysis::OpTable rows;
  for (const auto& [key, tally] : summarizer.operations())
    if (sel.matches_call(key.opnum, key.interface)) rows.emplace(key, tally);
  report::write_op_stats(out, stderr, inv.jsonl, rows, summarizer.calls_not_listed(),
                         summarizer.answers_without_request(), r->stats);
  report_damage(*r);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that stops early (`rpctrace f.pcap | head`) ends the run quietly, as it does for
  // other tools, even when the parent ignored SIGPIPE.
  std::signal(SIGPIPE, SIG_DFL);
  cli::Invocation inv;
  if (int rc = cli::parse_command_line(argc, argv, inv); rc >= 0) return rc;
  Output out(live(inv));
  report::set_color(inv.color);
  inv.run.stop = [&out] { return out.failed(); };
  inv.run.interrupted = [] { return g_interrupted != 0; };
  // A long file's progress on standard error, when a person is watching it.
  const bool reports_at_end = inv.command == cli::Command::diagnose ||
                              inv.command == cli::Command::endpoints ||
                              inv.command == cli::Command::stats;
  std::optional<cli::ProgressLine> progress;
  if (cli::wants_progress(inv.quiet, live(inv), reports_at_end)) {
    progress.emplace(cli::stderr_progress_line());
    inv.run.progress = [&progress](const app::RunProgress& p) { (*progress)(p); };
  }
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  // -w -: the capture is standard output; the report goes nowhere.
  std::FILE* report = out.file();
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> discard(nullptr, &std::fclose);
  if (inv.write == "-") {
    discard.reset(std::fopen("/dev/null", "w"));
    if (discard) report = discard.get();
  }
  // -w: a file that cannot be written is said before the run, not after it.
  if (!inv.write.empty() && inv.write != "-") {
    std::FILE* probe = std::fopen(inv.write.c_str(), "wb");
    if (probe == nullptr) {
      fmt::print(stderr, "rpctrace: -w {}: {}\n", inv.write, std::strerror(errno));
      return 2;
    }
    std::fclose(probe);
  }
  int rc = 0;
  switch (inv.command) {
    case cli::Command::timeline:
      rc = timeline(inv, report);
      break;
    case cli::Command::endpoints:
      rc = endpoints(inv, report);
      break;
    case cli::Command::diagnose:
      rc = diagnose(inv, report);
      break;
    case cli::Command::summary:
      rc = summary(inv, report);
      break;
    case cli::Command::stats:
      rc = stats(inv, report);
      break;
  }
  return out.close(rc);
}
