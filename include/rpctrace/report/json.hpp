// JsonLine: builds one JSON object on one line (JSON Lines), with escaping per RFC 8259.
// Keys are written in the order given, so output is deterministic.
#pragma once

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/uuid.hpp"

namespace rpctrace::report {

class JsonLine {
 public:
  // Inline, like key(): the keys are literals, so their lengths are known where they are
  // written and their copies compile to moves instead of calls to memcpy.
  JsonLine& begin_object(std::string_view k = {}) { return open(k, '{'); }
  JsonLine& end_object() { return close('}'); }
  JsonLine& begin_array(std::string_view k) { return open(k, '['); }
  JsonLine& end_array() { return close(']'); }
  JsonLine& str(std::string_view k, std::string_view value) {
    key(k);
    quoted(value);
    return *this;
  }
  JsonLine& num(std::string_view k, std::uint64_t value) { return integer(k, value); }
  JsonLine& inum(std::string_view k, std::int64_t value) { return integer(k, value); }
  JsonLine& boolean(std::string_view k, bool value) {
    key(k);
    put(value ? std::string_view("true") : std::string_view("false"));
    return *this;
  }
  JsonLine& null(std::string_view key);
  // Microseconds as a number of seconds with six decimals (0.001234): times and durations.
  JsonLine& seconds(std::string_view key, std::int64_t us);
  // A number already written as JSON number text (the caller's format).
  JsonLine& number_text(std::string_view key, std::string_view text);
  // A string value appended by `fill` (which writes the characters, no escaping needed).
  template <typename Fill>
  JsonLine& raw_str(std::string_view k, Fill&& fill) {
    key(k);
    scratch_.clear();
    fill(scratch_);
    char* p = room(scratch_.size() + 2);
    *p++ = '"';
    std::memcpy(p, scratch_.data(), scratch_.size());
    p[scratch_.size()] = '"';
    size_ += scratch_.size() + 2;
    return *this;
  }
  JsonLine& uuid(std::string_view k, const common::Uuid& u) {
    return raw_str(k, [&](std::string& out) { u.append_to(out); });
  }
  JsonLine& ip(std::string_view k, const common::IpAddress& a) {
    return raw_str(k, [&](std::string& out) { a.append_to(out); });
  }
  // An array element that is a string.
  JsonLine& element(std::string_view value);
  // An array element that is a number.
  JsonLine& element(std::uint64_t value) { return num({}, value); }
  [[nodiscard]] std::string_view text() const { return {buf_.get(), size_}; }
  // The line and its newline to `out` (a JSON Lines record).
  void write_line(std::FILE* out) const;
  void clear() {
    size_ = 0;
    need_comma_ = false;
  }

 private:
  // Keys are our own short ASCII identifiers: no escaping, one capacity check.
  void key(std::string_view k) {
    char* p = room(k.size() + 4);
    if (need_comma_) *p++ = ',';
    need_comma_ = true;
    if (!k.empty()) {
      *p++ = '"';
      std::memcpy(p, k.data(), k.size());
      p += k.size();
      *p++ = '"';
      *p++ = ':';
    }
    size_ = static_cast<std::size_t>(p - buf_.get());
  }
  void quoted(std::string_view s);
  // Digits written in place: at most 20, and a sign.
  template <typename Integer>
  JsonLine& integer(std::string_view k, Integer value) {
    key(k);
    size_ =
        static_cast<std::size_t>(fmt::format_to(room(21), FMT_COMPILE("{}"), value) - buf_.get());
    return *this;
  }
  JsonLine& open(std::string_view k, char bracket) {
    key(k);
    put(bracket);
    need_comma_ = false;
    return *this;
  }
  JsonLine& close(char bracket) {
    put(bracket);
    need_comma_ = true;
    return *this;
  }
  // `n` more octets may be written at the returned position (size_ then moves past them):
  // one capacity check per field instead of one per append, and no zeroing as a
  // std::string's resize does (JsonLine::key was 14 % of a JSON Lines run through one).
  char* room(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return buf_.get() + size_;
  }
  void grow(std::size_t n);
  void put(char c) {
    *room(1) = c;
    ++size_;
  }
  void put(std::string_view s) {
    if (s.empty()) return;  // memcpy may not be given a null pointer, even for 0 octets
    std::memcpy(room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  std::unique_ptr<char[]> buf_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  bool need_comma_ = false;
  std::string scratch_;  // raw_str's fill
};

}  // namespace rpctrace::report
