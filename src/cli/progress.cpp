// ProgressLine: where a long run is, on standard error, for a person waiting at a terminal.
#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace rpctrace::cli {

namespace {
// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

ProgressLine::ProgressLine(std::FILE* out, std::chrono::milliseconds after,
                           std::chrono::milliseconds every)
    : out_(out), after_(after), every_(every), start_(std::chrono::steady_clock::now()) {}

void ProgressLine::operator()(const app::RunProgress& p) {
  const auto now = std::chrono::steady_clock::now();
  if (p.done) {
    if (shown_) fmt::print(out_, "\r\033[K");
    std::fflush(out_);
    shown_ = false;
    return;
  }
  if (now - start_ < after_ || (shown_ && now - last_ < every_)) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::string line = "rpctrace: ";
  if (p.input.total > 0)
    line +=
        fmt::format("{:.0f}% of {:.1f} MB, ",
                    100.0 * static_cast<double>(p.input.done) / static_cast<double>(p.input.total),
                    static_cast<double>(p.input.total) / 1e6);
  line += fmt::format(
      "{} frames, {} frames/s, {} TCP connections open", grouped(p.frames),
      grouped(static_cast<std::uint64_t>(static_cast<double>(p.frames) / std::max(seconds, 1e-3))),
      grouped(p.connections_open));
  fmt::print(out_, "\r{}\033[K", line);
  std::fflush(out_);
  shown_ = true;
}

bool wants_progress(bool quiet, bool live, bool reports_at_end) {
  if (quiet || live || ::isatty(STDERR_FILENO) == 0) return false;
  if (const char* term = std::getenv("TERM"); term != nullptr && std::string(term) == "dumb")
    return false;
  return reports_at_end || ::isatty(STDOUT_FILENO) == 0;
}

ProgressLine stderr_progress_line() {
  if (const char* v = std::getenv("RPCTRACE_PROGRESS_MS"); v != nullptr && *v != '\0') {
    const std::chrono::milliseconds ms(std::strtoll(v, nullptr, 10));
    return ProgressLine(stderr, ms, ms);
  }
  return ProgressLine(stderr);
}

}  // namespace rpctrace::cli
