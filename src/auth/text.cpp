// Names from authentication messages as UTF-8 text for reports.
#include <fmt/format.h>

#include "detail.hpp"

namespace rpctrace::auth::detail {

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

// Control characters would let a crafted name forge report lines: they are shown escaped.
void append_char(char32_t c, std::string& out) {
  if (c < 0x20 || c == 0x7f)
    out += fmt::format("\\x{:02x}", static_cast<unsigned>(c));
  else
    append_utf8(c, out);
}

}  // namespace

bool utf16le_to_utf8(Bytes in, std::string& out) {
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
    if (out.size() > kMaxNameOctets) return false;
  }
  if (r.remaining() == 1) out += fmt::format("\\x{:02x}", std::to_integer<unsigned>(in.back()));
  return out.size() <= kMaxNameOctets;
}

bool oem_to_utf8(Bytes in, std::string& out) {
  out.clear();
  for (std::byte b : in) {
    auto c = std::to_integer<unsigned>(b);
    if (c >= 0x80)
      out += fmt::format("\\x{:02x}", c);
    else
      append_char(c, out);
    if (out.size() > kMaxNameOctets) return false;
  }
  return true;
}

}  // namespace rpctrace::auth::detail
