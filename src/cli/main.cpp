// rpctrace's entry point: the command line (options.cpp), the run of the chosen command, and
// the exit status. Exit status: 0 the capture was read (broken traffic or a damaged end of
// file is reported, not an error); 1 (diagnose) a finding is an error; 2 rpctrace could not
// do its job (no such file, not a capture, bad options, an output it cannot write).
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "options.hpp"
#include "rpctrace/analysis/endpoint_listing.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace {

using namespace rpctrace;

// Standard output through a FILE* of our own (glibc's fopencookie), so the first write error
// is kept with its errno when it happens (a later fflush() or ferror() no longer knows it),
// and the run stops there. Large writes: the reports are written in 1 MiB blocks.
class Output {
 public:
  Output() {
    cookie_io_functions_t io{};
    io.write = &Output::write;
    file_ = fopencookie(this, "w", io);
    if (file_ != nullptr) std::setvbuf(file_, nullptr, _IOFBF, 1u << 20);
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
               std::strerror(error_ != 0 ? error_ : EIO));
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
        if (self->error_ == 0) self->error_ = n < 0 ? errno : EIO;
        return -1;
      }
      done += static_cast<std::size_t>(n);
    }
    return static_cast<ssize_t>(size);
  }

  std::FILE* file_ = nullptr;
  int error_ = 0;
};

std::string display_name(const std::string& file) { return file == "-" ? "standard input" : file; }

// Runs the pipeline into `sinks`. nullopt when the file is not a capture (its message printed).
std::optional<app::RunResult> run(const cli::Invocation& inv,
                                  std::span<analysis::Sink* const> sinks) {
  try {
    return app::run(inv.file, inv.run, sinks);
  } catch (const pcap::CaptureError& e) {
    fmt::print(stderr, "rpctrace: {}\n", e.what());
    return std::nullopt;
  }
}

// After the output: damage at the end of the file is said last.
void report_damage(const cli::Invocation& inv, const app::RunResult& r) {
  if (r.read_error)
    fmt::print(stderr, "rpctrace: {}: capture damaged: {}; every frame before it was decoded\n",
               display_name(inv.file), r.message);
}

int timeline(const cli::Invocation& inv, std::FILE* out) {
  std::unique_ptr<analysis::Sink> writer;
  if (inv.jsonl)
    writer = std::make_unique<report::JsonlWriter>(out, inv.summary);
  else
    writer = std::make_unique<report::TextWriter>(out, stderr, inv.summary);
  analysis::Sink* sinks[] = {writer.get()};
  auto r = run(inv, sinks);
  if (!r) return 2;
  writer.reset();  // the text writer's last lines
  if (!r->stopped) report_damage(inv, *r);
  return 0;
}

int endpoints(const cli::Invocation& inv, std::FILE* out) {
  analysis::EndpointListing listing(inv.interfaces);
  analysis::Sink* sinks[] = {&listing};
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  report::write_endpoints(out, stderr, inv.jsonl, listing.result(), r->stats);
  report_damage(inv, *r);
  return 0;
}

int diagnose(const cli::Invocation& inv, std::FILE* out) {
  analysis::DiagnoseOptions options = inv.diagnose;
  options.interfaces = inv.interfaces;
  analysis::Diagnosis diagnosis(options);
  analysis::Sink* sinks[] = {&diagnosis};
  auto r = run(inv, sinks);
  if (!r) return 2;
  if (r->stopped) return 0;
  report::write_diagnosis(out, stderr, inv.jsonl, diagnosis.result(), r->stats,
                          inv.diagnose.all_services);
  report_damage(inv, *r);
  return diagnosis.result().has_error() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that stops early (`rpctrace f.pcap | head`) ends the run quietly, as it does for
  // other tools, even when the parent ignored SIGPIPE.
  std::signal(SIGPIPE, SIG_DFL);
  cli::Invocation inv;
  if (int rc = cli::parse_command_line(argc, argv, inv); rc >= 0) return rc;
  Output out;
  inv.run.stop = [&out] { return out.failed(); };
  int rc = 0;
  switch (inv.command) {
    case cli::Command::timeline:
      rc = timeline(inv, out.file());
      break;
    case cli::Command::endpoints:
      rc = endpoints(inv, out.file());
      break;
    case cli::Command::diagnose:
      rc = diagnose(inv, out.file());
      break;
  }
  return out.close(rc);
}
