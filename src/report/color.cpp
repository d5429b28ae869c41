// ANSI SGR sequences (ECMA-48 8.3.117): 31 red, 33 yellow, 32 green, 0 reset.
#include "rpctrace/report/color.hpp"

namespace rpctrace::report {

namespace {
bool g_color = false;
}

void set_color(bool on) { g_color = on; }
bool color_enabled() { return g_color; }

std::string paint(Color c, std::string_view text) {
  if (!g_color || c == Color::none) return std::string(text);
  const char* code = c == Color::red ? "\x1b[31m" : c == Color::yellow ? "\x1b[33m" : "\x1b[32m";
  std::string out(code);
  out += text;
  out += "\x1b[0m";
  return out;
}

}  // namespace rpctrace::report
