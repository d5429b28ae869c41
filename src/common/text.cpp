// Names from the wire (authentication messages, SMB paths) as UTF-8 text for reports.
#include "rpctrace/common/text.hpp"

#include <fmt/format.h>

#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::common {

namespace {

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

// Characters that could forge or reorder report lines are shown escaped: C0 and C1 controls
// (U+009B is CSI on terminals that honour 8-bit controls), the line and paragraph separators,
// and the bidirectional overrides and isolates.
bool unsafe(char32_t c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

void append_char(char32_t c, std::string& out) {
  if (unsafe(c))
    out += c <= 0xff ? fmt::format("\\x{:02x}", static_cast<unsigned>(c))
                     : fmt::format("\\u{:04x}", static_cast<unsigned>(c));
  else
    append_utf8(c, out);
}

}  // namespace

bool utf16le_to_text(Bytes in, std::string& out, std::size_t max_octets) {
  out.clear();
  common::ByteReader r(in, common::ByteOrder::little);
  while (r.remaining() >= 2) {
    char32_t c = r.u16();
    if (c >= 0xd800 && c <= 0xdbff && r.remaining() >= 2) {
      common::ByteReader peek = r;  // a low surrogate completes the pair; anything else does not
      char32_t low = peek.u16();
      if (low >= 0xdc00 && low <= 0xdfff) {
        r = peek;
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    append_char(c, out);
    if (out.size() > max_octets) return false;
  }
  if (r.remaining() == 1) out += fmt::format("\\x{:02x}", std::to_integer<unsigned>(in.back()));
  return out.size() <= max_octets;
}

bool utf8_to_text(Bytes in, std::string& out, std::size_t max_octets) {
  out.clear();
  std::size_t i = 0;
  while (i < in.size()) {
    auto b0 = std::to_integer<unsigned>(in[i]);
    // Sequence length and the smallest value it may encode (no overlong forms, RFC 3629 3).
    std::size_t n = b0 < 0x80             ? 1
                    : (b0 & 0xe0) == 0xc0 ? 2
                    : (b0 & 0xf0) == 0xe0 ? 3
                    : (b0 & 0xf8) == 0xf0 ? 4
                                          : 0;
    char32_t c = n == 1 ? b0 : n == 2 ? (b0 & 0x1f) : n == 3 ? (b0 & 0x0f) : (b0 & 0x07);
    bool valid = n != 0 && i + n <= in.size();
    for (std::size_t k = 1; valid && k < n; ++k) {
      auto b = std::to_integer<unsigned>(in[i + k]);
      valid = (b & 0xc0) == 0x80;
      c = (c << 6) | (b & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    valid = valid && c >= kMin[n] && c <= 0x10ffff && !(c >= 0xd800 && c <= 0xdfff);
    if (valid) {
      append_char(c, out);
      i += n;
    } else {  // not UTF-8: the octet as \xNN, then go on with the next
      out += fmt::format("\\x{:02x}", b0);
      ++i;
    }
    if (out.size() > max_octets) return false;
  }
  return true;
}

bool oem_to_text(Bytes in, std::string& out, std::size_t max_octets) {
  out.clear();
  for (std::byte b : in) {
    auto c = std::to_integer<unsigned>(b);
    if (c >= 0x80)
      out += fmt::format("\\x{:02x}", c);
    else
      append_char(c, out);
    if (out.size() > max_octets) return false;
  }
  return true;
}

bool ends_with_nocase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s.remove_prefix(s.size() - suffix.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto a = static_cast<unsigned char>(s[i]), b = static_cast<unsigned char>(suffix[i]);
    if (a >= 'A' && a <= 'Z') a = static_cast<unsigned char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<unsigned char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace rpctrace::common
