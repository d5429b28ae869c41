// SpillFile: the timeline's waiting text moved out of memory (TextWriter::kMaxBufferedText),
// in a temporary file written in 1 MiB pieces and read back with one pread per piece. Through
// stdio the same spill cost a seek, a size look-up (fstat) and a write of 4 KiB or less per
// conversation moved out, and a seek and a read per piece read back: with 20,000 conversations
// at once about half a million system calls for 100 MB of capture (strace -c).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/report/text_chunks.hpp"

namespace rpctrace::report {

class SpillFile {
 public:
  // Appended text is written once this many bytes wait.
  static constexpr std::size_t kWriteBytes = 1u << 20;

  SpillFile() = default;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();

  // Appends `text`; its offset, or nothing when no temporary file could be made (the text
  // then stays where it is).
  [[nodiscard]] std::optional<std::uint64_t> append(const TextChunks::Text& text);
  // Copies `length` bytes from `offset` to `out`; false when they could not be written to
  // the temporary file or read back (a full disk).
  bool copy_to(std::uint64_t offset, std::size_t length, std::FILE* out);

 private:
  bool write_pending();
  std::FILE* file_ = nullptr;  // tmpfile(): gone when closed
  bool failed_ = false;        // a write fell short: the text from `lost_from_` on is lost
  std::uint64_t lost_from_ = 0;
  std::uint64_t written_ = 0;  // bytes in the file
  std::string pending_;        // the bytes after them, not written yet
  std::vector<char> buffer_;   // what one copy_to read back
};

}  // namespace rpctrace::report
