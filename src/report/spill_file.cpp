// SpillFile: appends batched into 1 MiB writes, pieces read back with pread.
#include "rpctrace/report/spill_file.hpp"

#include <unistd.h>

#include <cerrno>

namespace rpctrace::report {

SpillFile::~SpillFile() {
  if (file_ != nullptr) std::fclose(file_);
}

std::optional<std::uint64_t> SpillFile::append(const TextChunks::Text& text) {
  if (file_ == nullptr) {
    file_ = std::tmpfile();
    if (file_ == nullptr) return std::nullopt;
  }
  const std::uint64_t offset = written_ + pending_.size();
  text.append_to(pending_);
  if (pending_.size() >= kWriteBytes) write_pending();
  return offset;
}

bool SpillFile::write_pending() {
  const int fd = fileno(file_);
  std::size_t done = 0;
  while (done < pending_.size() && !failed_) {
    const ssize_t n = ::pwrite(fd, pending_.data() + done, pending_.size() - done,
                               static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      failed_ = true;
      lost_from_ = written_ + done;
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  written_ += pending_.size();
  pending_.clear();
  return !failed_;
}

bool SpillFile::copy_to(std::uint64_t offset, std::size_t length, std::FILE* out) {
  if (offset >= written_) {  // still in memory
    const std::size_t at = static_cast<std::size_t>(offset - written_);
    if (at + length > pending_.size()) return false;
    return std::fwrite(pending_.data() + at, 1, length, out) == length;
  }
  if (failed_ && offset + length > lost_from_) return false;
  buffer_.resize(length);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fileno(file_), buffer_.data() + done, length - done,
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  const bool whole = std::fwrite(buffer_.data(), 1, length, out) == length;
  if (buffer_.size() > kWriteBytes) buffer_ = {};  // one long conversation's: not kept
  return whole;
}

}  // namespace rpctrace::report
