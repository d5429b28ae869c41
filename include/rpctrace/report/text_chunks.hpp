// TextChunks: the timeline's text of conversations that wait behind an older one, kept in
// 512-octet chunks taken from a free list instead of a string per conversation. With 20,000
// conversations at once a string per conversation re-copied itself at every doubling and each
// new, larger allocation faulted in fresh pages (perf on a 20,000-session capture: string
// growth, malloc and page faults about a fifth of a text run); chunks go back to the list
// when their conversation is printed, so the steady state allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace rpctrace::report {

class TextChunks {
  struct Chunk;

 public:
  // Bytes a chunk holds (with its link and fill, 512). A conversation holds at most one partly
  // filled chunk. Measured (docs/performance.md): 1 KiB chunks cost 14 % more peak RSS with
  // 250,000 connections open at once (most wait with a few hundred octets of text) and were
  // slower at 20,000; 256-octet ones slower still.
  static constexpr std::size_t kChunkBytes = 512 - 16;
  // Free chunks kept for reuse (16 MiB); more are given back to the allocator.
  static constexpr std::size_t kMaxFree = 32768;

  // One conversation's text: chunks in order. Gives its chunks back when destroyed.
  class Text {
   public:
    Text() = default;
    Text(const Text&) = delete;
    Text& operator=(const Text&) = delete;
    Text(Text&& o) noexcept;
    Text& operator=(Text&& o) noexcept;
    ~Text() { clear(); }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] bool empty() const { return size_ == 0; }
    // Writes the text to `out`, in order; false when a write fell short.
    bool write(std::FILE* out) const;
    // Appends the text to `out`.
    void append_to(std::string& out) const;
    // Gives the chunks back; the text is empty.
    void clear();

   private:
    friend class TextChunks;
    TextChunks* pool_ = nullptr;
    Chunk* head_ = nullptr;
    Chunk* tail_ = nullptr;
    std::size_t size_ = 0;
  };

  TextChunks() = default;
  TextChunks(const TextChunks&) = delete;
  TextChunks& operator=(const TextChunks&) = delete;
  // Every Text appended to must be gone or cleared before its pool.
  ~TextChunks();

  void append(Text& t, std::string_view s);
  [[nodiscard]] std::size_t free_chunks() const { return free_count_; }

 private:
  Chunk* take();
  void give_back(Chunk* first);
  Chunk* free_ = nullptr;
  std::size_t free_count_ = 0;
};

}  // namespace rpctrace::report
