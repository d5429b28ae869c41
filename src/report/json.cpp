// JsonLine: minimal JSON writer (RFC 8259 string escaping; non-ASCII bytes from the wire are
// escaped as \u00XX so every line is valid UTF-8 whatever the capture holds).
#include "rpctrace/report/json.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>

namespace rpctrace::report {

void JsonLine::key(std::string_view k) {
  // One append per key: keys are our own short ASCII identifiers, no escaping needed.
  char buf[64];
  std::size_t n = 0;
  if (need_comma_) buf[n++] = ',';
  need_comma_ = true;
  if (!k.empty() && k.size() + 4 <= sizeof buf) {
    buf[n++] = '"';
    std::memcpy(buf + n, k.data(), k.size());
    n += k.size();
    buf[n++] = '"';
    buf[n++] = ':';
  } else if (!k.empty()) {
    out_.append(buf, n);
    n = 0;
    out_ += '"';
    out_ += k;
    out_ += "\":";
  }
  out_.append(buf, n);
}

namespace {
// Octets that need escaping: control characters, '"', '\\', and everything outside ASCII.
constexpr auto kEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<std::size_t>(c)] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
  return t;
}();
bool needs_escape(unsigned char c) { return kEscape[c]; }
}  // namespace

void JsonLine::quoted(std::string_view s) {
  out_ += '"';
  std::size_t run = 0;  // start of the current run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out_.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out_.append(esc, 6);
      }
    }
  }
  out_.append(s.data() + run, s.size() - run);
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
  fmt::format_int f(v);
  out_.append(f.data(), f.size());
  return *this;
}
JsonLine& JsonLine::inum(std::string_view k, std::int64_t v) {
  key(k);
  fmt::format_int f(v);
  out_.append(f.data(), f.size());
  return *this;
}
JsonLine& JsonLine::seconds(std::string_view k, std::int64_t us) {
  key(k);
  out_ += common::format_seconds(us);
  return *this;
}
JsonLine& JsonLine::number_text(std::string_view k, std::string_view text) {
  key(k);
  out_ += text;
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
