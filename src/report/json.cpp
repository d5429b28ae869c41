// JsonLine: minimal JSON writer (RFC 8259 string escaping; non-ASCII bytes from the wire are
// escaped as \u00XX so every line is valid UTF-8 whatever the capture holds).
#include "rpctrace/report/json.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>

namespace rpctrace::report {

void JsonLine::grow(std::size_t n) {
  std::size_t capacity = capacity_ == 0 ? 256 : capacity_;
  while (capacity - size_ < n) capacity *= 2;
  auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ != 0) std::memcpy(bigger.get(), buf_.get(), size_);
  buf_ = std::move(bigger);
  capacity_ = capacity;
}

void JsonLine::write_line(std::FILE* out) const {
  std::fwrite(buf_.get(), 1, size_, out);
  std::fputc('\n', out);
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
  put('"');
  std::size_t run = 0;  // start of the current run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    put(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        put("\\\"");
        break;
      case '\\':
        put("\\\\");
        break;
      case '\n':
        put("\\n");
        break;
      case '\r':
        put("\\r");
        break;
      case '\t':
        put("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        put(std::string_view(esc, 6));
      }
    }
  }
  put(s.substr(run));
  put('"');
}

JsonLine& JsonLine::seconds(std::string_view k, std::int64_t us) {
  key(k);
  put(common::format_seconds(us));
  return *this;
}
JsonLine& JsonLine::number_text(std::string_view k, std::string_view text) {
  key(k);
  put(text);
  return *this;
}
JsonLine& JsonLine::null(std::string_view k) {
  key(k);
  put("null");
  return *this;
}
JsonLine& JsonLine::element(std::string_view v) {
  key({});
  quoted(v);
  return *this;
}

}  // namespace rpctrace::report
