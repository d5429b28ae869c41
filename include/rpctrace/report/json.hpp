// JsonLine: builds one JSON object on one line (JSON Lines), with escaping per RFC 8259.
// Keys are written in the order given, so output is deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/uuid.hpp"

namespace rpctrace::report {

class JsonLine {
 public:
  JsonLine& begin_object(std::string_view key = {});
  JsonLine& end_object();
  JsonLine& begin_array(std::string_view key);
  JsonLine& end_array();
  JsonLine& str(std::string_view key, std::string_view value);
  JsonLine& num(std::string_view key, std::uint64_t value);
  JsonLine& inum(std::string_view key, std::int64_t value);
  JsonLine& boolean(std::string_view key, bool value);
  JsonLine& null(std::string_view key);
  // Microseconds as a number of seconds with six decimals (0.001234): times and durations.
  JsonLine& seconds(std::string_view key, std::int64_t us);
  // A number already written as JSON number text (the caller's format).
  JsonLine& number_text(std::string_view key, std::string_view text);
  // A string value appended by `fill` (which writes the characters, no escaping needed).
  template <typename Fill>
  JsonLine& raw_str(std::string_view k, Fill&& fill) {
    key(k);
    out_ += '"';
    fill(out_);
    out_ += '"';
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
  [[nodiscard]] const std::string& text() const { return out_; }
  void clear() {
    out_.clear();
    need_comma_ = false;
  }

 private:
  void key(std::string_view k);
  void quoted(std::string_view s);
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace rpctrace::report
