// TextChunks: a conversation's waiting text as a list of fixed chunks from a free list.
#include "rpctrace/report/text_chunks.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace rpctrace::report {

struct TextChunks::Chunk {
  Chunk* next = nullptr;
  std::size_t used = 0;
  char data[kChunkBytes];
};
static_assert(sizeof(void*) != 8 || sizeof(TextChunks::Text) == 32);

TextChunks::Text::Text(Text&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)),
      head_(std::exchange(o.head_, nullptr)),
      tail_(std::exchange(o.tail_, nullptr)),
      size_(std::exchange(o.size_, 0)) {}

TextChunks::Text& TextChunks::Text::operator=(Text&& o) noexcept {
  if (this != &o) {
    clear();
    pool_ = std::exchange(o.pool_, nullptr);
    head_ = std::exchange(o.head_, nullptr);
    tail_ = std::exchange(o.tail_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

bool TextChunks::Text::write(std::FILE* out) const {
  bool whole = true;
  for (const Chunk* c = head_; c != nullptr; c = c->next)
    whole = std::fwrite(c->data, 1, c->used, out) == c->used && whole;
  return whole;
}

void TextChunks::Text::append_to(std::string& out) const {
  out.reserve(out.size() + size_);
  for (const Chunk* c = head_; c != nullptr; c = c->next) out.append(c->data, c->used);
}

void TextChunks::Text::clear() {
  if (head_ != nullptr) pool_->give_back(head_);
  head_ = tail_ = nullptr;
  size_ = 0;
}

TextChunks::~TextChunks() {
  while (free_ != nullptr) delete std::exchange(free_, free_->next);
}

TextChunks::Chunk* TextChunks::take() {
  if (free_ == nullptr) return new Chunk;
  Chunk* c = std::exchange(free_, free_->next);
  --free_count_;
  c->next = nullptr;
  c->used = 0;
  return c;
}

void TextChunks::give_back(Chunk* first) {
  while (first != nullptr) {
    Chunk* c = std::exchange(first, first->next);
    if (free_count_ >= kMaxFree) {
      delete c;
      continue;
    }
    c->next = free_;
    free_ = c;
    ++free_count_;
  }
}

void TextChunks::append(Text& t, std::string_view s) {
  t.pool_ = this;
  t.size_ += s.size();
  while (!s.empty()) {
    if (t.tail_ == nullptr || t.tail_->used == kChunkBytes) {
      Chunk* c = take();
      (t.tail_ == nullptr ? t.head_ : t.tail_->next) = c;
      t.tail_ = c;
    }
    const std::size_t n = std::min(s.size(), kChunkBytes - t.tail_->used);
    std::memcpy(t.tail_->data + t.tail_->used, s.data(), n);
    t.tail_->used += n;
    s.remove_prefix(n);
  }
}

}  // namespace rpctrace::report
