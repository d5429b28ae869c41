// SpillFile: text appended comes back by offset, whether it was written to the file yet or
// still waits in memory.
#include "rpctrace/report/spill_file.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

TEST(SpillFile, PiecesComeBackByOffsetFromTheFileAndFromMemory) {
  TextChunks pool;
  SpillFile spill;
  struct Piece {
    std::uint64_t offset;
    std::string text;
  };
  std::vector<Piece> pieces;
  // Enough to be written more than once (kWriteBytes), the last pieces still in memory.
  for (std::size_t i = 0; pieces.empty() || pieces.back().offset < 3 * SpillFile::kWriteBytes;
       ++i) {
    const std::string text = std::to_string(i) + ":" +
                             std::string(1000 + (i * 37) % 5000, static_cast<char>('a' + i % 26));
    TextChunks::Text t;
    pool.append(t, text);
    auto offset = spill.append(t);
    ASSERT_TRUE(offset.has_value());
    pieces.push_back({*offset, text});
  }
  // Read back out of order: the newest (in memory) first, then the oldest.
  harness::MemoryFile out;
  std::string expected;
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
    ASSERT_TRUE(spill.copy_to(it->offset, it->text.size(), out.get()));
    expected += it->text;
  }
  EXPECT_EQ(out.text(), expected);
  // Past what was appended: refused, nothing written.
  harness::MemoryFile none;
  EXPECT_FALSE(spill.copy_to(pieces.back().offset, pieces.back().text.size() + 1, none.get()));
  EXPECT_EQ(none.text(), "");
}

}  // namespace
}  // namespace rpctrace::report
