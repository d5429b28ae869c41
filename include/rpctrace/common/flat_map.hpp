// FlatMap: a map kept as one vector of (key, value) sorted by key, for the small maps every
// conversation holds (presentation contexts, binds waiting for their ack, EPM requests
// waiting for their response): usually empty or one entry, each bounded by a limit of a few
// hundred. A std::map costs its 48 octets empty and a node (32 octets of links plus malloc's
// rounding) per entry; this costs 24 empty and its entries side by side. Insertion and
// erasure move the entries after it, so it is only for maps whose limit keeps that small.
// Iteration is in key order, as std::map's.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

namespace rpctrace::common {

template <class K, class V>
class FlatMap {
 public:
  using value_type = std::pair<K, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  [[nodiscard]] iterator find(const K& key) {
    auto it = lower(key);
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  [[nodiscard]] const_iterator find(const K& key) const {
    auto it = std::lower_bound(items_.begin(), items_.end(), key,
                               [](const value_type& e, const K& k) { return e.first < k; });
    return it != items_.end() && it->first == key ? it : items_.end();
  }
  [[nodiscard]] bool contains(const K& key) const { return find(key) != items_.end(); }
  // The value of `key`, value-initialised when it had none (as std::map's operator[]).
  V& operator[](const K& key) {
    auto it = lower(key);
    if (it == items_.end() || it->first != key) it = items_.emplace(it, key, V{});
    return it->second;
  }
  iterator erase(const_iterator it) { return items_.erase(it); }
  std::size_t erase(const K& key) {
    auto it = find(key);
    if (it == items_.end()) return 0;
    items_.erase(it);
    return 1;
  }
  void clear() { items_.clear(); }

  [[nodiscard]] std::size_t size() const { return items_.size(); }
  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] iterator begin() { return items_.begin(); }
  [[nodiscard]] iterator end() { return items_.end(); }
  [[nodiscard]] const_iterator begin() const { return items_.begin(); }
  [[nodiscard]] const_iterator end() const { return items_.end(); }

 private:
  iterator lower(const K& key) {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& e, const K& k) { return e.first < k; });
  }
  std::vector<value_type> items_;
};

}  // namespace rpctrace::common
