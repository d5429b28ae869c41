// Frame names of a run that reads several files (frame_names.hpp).
#include "rpctrace/common/frame_names.hpp"

#include <algorithm>

namespace rpctrace::common {

void FrameNames::add(std::uint64_t merged, std::uint32_t file, std::uint64_t local) {
  // Only this (the adding) thread changes runs_: reading its last run needs no lock.
  if (!runs_.empty()) {
    const Run& last = runs_.back();
    if (last.file == file && merged - last.merged_first == local - last.local_first) return;
  }
  if (full_from_.load(std::memory_order_relaxed) != kNotFull) return;
  if (runs_.size() >= kMaxRuns) {
    full_from_.store(merged, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(mutex_);
  runs_.push_back({merged, local, file});
}

FrameNames::Name FrameNames::name(std::uint64_t merged) const {
  std::lock_guard lock(mutex_);
  auto after = std::upper_bound(runs_.begin(), runs_.end(), merged,
                                [](std::uint64_t n, const Run& r) { return n < r.merged_first; });
  if (after == runs_.begin()) return {0, merged};
  const Run& r = *(after - 1);
  return {r.file, r.local_first + (merged - r.merged_first)};
}

std::string FrameNames::text(std::uint64_t merged) const {
  return fmt::format("{}", FrameNo{merged});
}

const std::string& FrameNames::file_name(std::uint32_t file) const {
  static const std::string none;
  return file < files_.size() ? files_[file] : none;
}

FrameNames& frame_names() {
  static FrameNames names;
  return names;
}

}  // namespace rpctrace::common
