// IdMap: our own 64-bit counters (conversation ids) to a small value, in one flat array with
// open addressing (linear probing; erase shifts the run back, so there are no tombstones).
// A look-up reads one slot where a node-based hash map reads a bucket, then a node: the text
// writer looks up a conversation's block on every frame, and with 20,000 conversations at
// once std::unordered_map's two cache misses were 5-7 % of a run (perf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace rpctrace::common {

template <class V>
class IdMap {
 public:
  // The value of `id`, or nullptr.
  [[nodiscard]] V* find(std::uint64_t id) {
    if (slots_.empty()) return nullptr;
    for (std::size_t p = home(id);; p = next(p)) {
      if (!slots_[p].used) return nullptr;
      if (slots_[p].id == id) return &slots_[p].value;
    }
  }
  // The value of `id`, set to `value` when it had none (then `true`). The pointer is valid
  // until the next try_emplace or erase.
  std::pair<V*, bool> try_emplace(std::uint64_t id, V value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t p = home(id);
    for (; slots_[p].used; p = next(p))
      if (slots_[p].id == id) return {&slots_[p].value, false};
    slots_[p] = Slot{id, std::move(value), true};
    ++size_;
    return {&slots_[p].value, true};
  }
  void erase(std::uint64_t id) {
    if (slots_.empty()) return;
    std::size_t hole = home(id);
    for (; slots_[hole].id != id || !slots_[hole].used; hole = next(hole))
      if (!slots_[hole].used) return;
    // Entries after the hole that may sit there (the hole is between their home and them)
    // move back into it, so every entry stays reachable from its home without a gap.
    for (std::size_t p = next(hole); slots_[p].used; p = next(p)) {
      const std::size_t mask = slots_.size() - 1;
      if (((p - home(slots_[p].id)) & mask) >= ((p - hole) & mask)) {
        slots_[hole] = std::move(slots_[p]);
        hole = p;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t id = 0;
    V value{};
    bool used = false;
  };
  [[nodiscard]] std::size_t home(std::uint64_t id) const {
    // Fibonacci hashing: consecutive ids spread over the table.
    return static_cast<std::size_t>((id * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  [[nodiscard]] std::size_t next(std::size_t p) const { return (p + 1) & (slots_.size() - 1); }
  void grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2);
    old.swap(slots_);
    shift_ = 64;
    for (std::size_t n = slots_.size(); n > 1; n >>= 1) --shift_;
    size_ = 0;
    for (Slot& s : old)
      if (s.used) try_emplace(s.id, std::move(s.value));
  }
  std::vector<Slot> slots_;  // a power of two, at most half full
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

}  // namespace rpctrace::common
