// Frame names when a run reads several files: frames are numbered in the merged order (as
// mergecap numbers them, so every layer compares and pairs plain numbers), and each number
// is named for people as FILE:NUMBER, the file's place on the command line and the frame's
// number within that file, as tshark would show it reading that file alone.
//
// The table holds one run per stretch of consecutive frames from one file: a ring buffer of
// files read one after another costs one run per file; captures taken side by side and
// interleaved frame by frame cost at most one run per frame, up to kMaxRuns: past it, later
// frames are named by their merged number alone, written "#N" so it is not taken for a frame
// of file 1 (docs/limits.md).
//
// Frames are added by the analysis while the writers may name them on a thread of their own
// (app::SinkThread): a run is added under a lock, and names are looked up under it; a frame
// is named only after it was added, so its run is there.
#pragma once

#include <fmt/compile.h>
#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace rpctrace::common {

class FrameNames {
 public:
  static constexpr std::size_t kMaxRuns = 1u << 20;  // 24 MiB
  // Frame `merged` is frame `local` of file `file` (0-based). Frames are added in order.
  void add(std::uint64_t merged, std::uint32_t file, std::uint64_t local);
  void clear() {
    std::lock_guard lock(mutex_);
    runs_.clear();
    multiple_ = false;
    full_from_.store(kNotFull, std::memory_order_relaxed);
    files_.clear();
  }
  // The files' names, in command-line order: several, and every frame is named FILE:NUMBER
  // from the first on.
  void set_files(std::vector<std::string> files) {
    files_ = std::move(files);
    multiple_ = files_.size() > 1;
  }
  [[nodiscard]] const std::string& file_name(std::uint32_t file) const;
  // True when the run reads several files: names are then FILE:NUMBER.
  [[nodiscard]] bool multiple() const { return multiple_; }
  struct Name {
    std::uint32_t file = 0;  // 0-based
    std::uint64_t local = 0;
  };
  // The file and number of merged frame `merged`; {0, merged} when only one file was read.
  [[nodiscard]] Name name(std::uint64_t merged) const;
  // Whether merged frame `merged` came after the table was full (then it has no file name).
  [[nodiscard]] bool unnamed(std::uint64_t merged) const {
    return merged >= full_from_.load(std::memory_order_relaxed);
  }
  // "2:31" (file 2 on the command line, its frame 31), or "31" with one file.
  [[nodiscard]] std::string text(std::uint64_t merged) const;

 private:
  struct Run {
    std::uint64_t merged_first = 0;
    std::uint64_t local_first = 0;
    std::uint32_t file = 0;
  };
  static constexpr std::uint64_t kNotFull = ~std::uint64_t{0};
  mutable std::mutex mutex_;  // runs_ grows while another thread reads it
  std::vector<Run> runs_;
  bool multiple_ = false;  // set before the run
  // The first frame past kMaxRuns; a frame's own add() came before any look-up of its name.
  std::atomic<std::uint64_t> full_from_{kNotFull};
  std::vector<std::string> files_;
};

// The names of the run in progress. One run at a time per process: the writers print frame
// numbers in many places, and a run's file set is a fact of the whole run, not of one record.
FrameNames& frame_names();

// A frame number as people read it: `fmt::format("{}", FrameNo{n})` gives "31", or "2:31"
// when the run reads several files. Width and alignment apply as to a string.
struct FrameNo {
  std::uint64_t merged = 0;
};

}  // namespace rpctrace::common

namespace rpctrace::common {
// The frame number's text into `buf` (kFrameNoMax octets at least, ASCII); returns its end.
inline constexpr std::size_t kFrameNoMax = 48;
inline char* format_frame_no(char* buf, FrameNo f) {
  const auto& names = frame_names();
  if (names.unnamed(f.merged)) return fmt::format_to(buf, FMT_COMPILE("#{}"), f.merged);
  if (names.multiple()) {
    auto n = names.name(f.merged);
    return fmt::format_to(buf, FMT_COMPILE("{}:{}"), n.file + 1, n.local);
  }
  return fmt::format_to(buf, FMT_COMPILE("{}"), f.merged);
}
}  // namespace rpctrace::common

template <>
struct fmt::formatter<rpctrace::common::FrameNo> : fmt::formatter<fmt::string_view> {
  template <typename Context>
  auto format(rpctrace::common::FrameNo f, Context& ctx) const {
    char buf[rpctrace::common::kFrameNoMax];
    char* end = rpctrace::common::format_frame_no(buf, f);
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(buf, static_cast<std::size_t>(end - buf)), ctx);
  }
};
