// JsonLine: minimal JSON writer (RFC 8259 string escaping; non-ASCII bytes from the wire are
// escaped as \u00XX so every line is valid UTF-8 whatever the capture holds).
#include "rpctrace/report/json.hpp"

#include <fmt/format.h>

namespace rpctrace::report {

void JsonLine::key(std::string_view k) {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
  if (!k.empty()) {
    quoted(k);
    out_ += ':';
  }
}

void JsonLine::quoted(std::string_view s) {
  out_ += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) out_ += fmt::format("\\u{:04x}", c);
        else out_ += static_cast<char>(c);
    }
  }
  out_ += '"';
}

JsonLine& JsonLine::begin_object(std::string_view k) {
  key(k);
  out_ += '{';
  need_comma_ = false;
  return *this;
}
JsonLine& JsonLine::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}
JsonLine& JsonLine::begin_array(std::string_view k) {
  key(k);
  out_ += '[';
  need_comma_ = false;
  return *this;
}
JsonLine& JsonLine::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}
JsonLine& JsonLine::str(std::string_view k, std::string_view v) {
  key(k);
  quoted(v);
  return *this;
}
JsonLine& JsonLine::num(std::string_view k, std::uint64_t v) {
  key(k);
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}
JsonLine& JsonLine::inum(std::string_view k, std::int64_t v) {
  key(k);
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}
JsonLine& JsonLine::boolean(std::string_view k, bool v) {
  key(k);
  out_ += v ? "true" : "false";
  return *this;
}
JsonLine& JsonLine::null(std::string_view k) {
  key(k);
  out_ += "null";
  return *this;
}
JsonLine& JsonLine::element(std::string_view v) {
  key({});
  quoted(v);
  return *this;
}

}  // namespace rpctrace::report
