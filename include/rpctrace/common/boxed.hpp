// Boxed<T>: an optional T kept on the heap, copied deeply (a value, unlike a shared pointer).
// For a member that few of many objects hold: std::optional<T> costs sizeof(T) in every one
// of them, this one pointer. The records that carry it are copied between threads, so a copy
// must not share what the analysis still changes.
#pragma once

#include <memory>
#include <utility>

namespace rpctrace::common {

template <class T>
class Boxed {
 public:
  Boxed() = default;
  Boxed(const Boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    if (this == &other) return *this;
    if (!other.p_)
      p_.reset();
    else if (p_)
      *p_ = *other.p_;  // reuses what the held value owns (its vectors)
    else
      p_ = std::make_unique<T>(*other.p_);
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  Boxed& operator=(T value) {
    p_ = std::make_unique<T>(std::move(value));
    return *this;
  }
  ~Boxed() = default;

  // A value-initialised T in place of what it held.
  T& emplace() {
    p_ = std::make_unique<T>();
    return *p_;
  }
  void reset() { p_.reset(); }
  [[nodiscard]] bool has_value() const { return p_ != nullptr; }
  explicit operator bool() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace rpctrace::common
