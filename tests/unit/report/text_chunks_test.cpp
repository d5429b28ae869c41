// TextChunks: a waiting conversation's text comes out as it went in, across chunk boundaries,
// and chunks go back to the free list for the next conversation.
#include "rpctrace/report/text_chunks.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>

namespace rpctrace::report {
namespace {

std::string written(const TextChunks::Text& t) {
  std::FILE* f = std::tmpfile();
  EXPECT_NE(f, nullptr);
  EXPECT_TRUE(t.write(f));
  std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  EXPECT_EQ(std::fread(out.data(), 1, out.size(), f), out.size());
  std::fclose(f);
  return out;
}

TEST(TextChunks, TextComesOutInOrderAcrossChunks) {
  TextChunks pool;
  TextChunks::Text t;
  EXPECT_TRUE(t.empty());
  std::string expected;
  for (int i = 0; i < 500; ++i) {  // lines of different lengths, some longer than a chunk
    std::string line =
        std::to_string(i) + std::string(static_cast<std::size_t>(i * 7 % 1500), 'x') + "\n";
    pool.append(t, line);
    expected += line;
  }
  EXPECT_EQ(t.size(), expected.size());
  EXPECT_EQ(written(t), expected);
}

TEST(TextChunks, ChunksAreReusedAndBounded) {
  TextChunks pool;
  const std::string line(TextChunks::kChunkBytes * 3 + 5, 'a');
  {
    TextChunks::Text t;
    pool.append(t, line);
    EXPECT_EQ(pool.free_chunks(), 0u);
  }  // destroyed: its 4 chunks go back
  EXPECT_EQ(pool.free_chunks(), 4u);
  TextChunks::Text u;
  pool.append(u, "short");
  EXPECT_EQ(pool.free_chunks(), 3u);
  EXPECT_EQ(written(u), "short");  // a reused chunk starts empty
  u.clear();
  EXPECT_TRUE(u.empty());
  EXPECT_EQ(pool.free_chunks(), 4u);

  // More than kMaxFree chunks given back at once: the rest are freed, not kept.
  TextChunks::Text big;
  const std::string block(TextChunks::kChunkBytes, 'b');
  for (std::size_t i = 0; i < TextChunks::kMaxFree + 10; ++i) pool.append(big, block);
  big.clear();
  EXPECT_EQ(pool.free_chunks(), TextChunks::kMaxFree);
}

TEST(TextChunks, MovedTextKeepsItsChunks) {
  TextChunks pool;
  TextChunks::Text a;
  pool.append(a, "one\n");
  TextChunks::Text b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from Text is empty
  pool.append(b, "two\n");
  EXPECT_EQ(written(b), "one\ntwo\n");
  TextChunks::Text c;
  pool.append(c, "three\n");
  c = std::move(b);  // c's own chunk goes back
  EXPECT_EQ(written(c), "one\ntwo\n");
  EXPECT_EQ(pool.free_chunks(), 1u);
}

}  // namespace
}  // namespace rpctrace::report
