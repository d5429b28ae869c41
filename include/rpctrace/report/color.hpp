// --color: ANSI colours on what needs the eye first (faults, refusals, anomalies, severities,
// verdicts), on a terminal only by default. One setting for the run, made by the command line
// before any writer writes.
#pragma once

#include <string>
#include <string_view>

namespace rpctrace::report {

enum class Color : unsigned char { none, red, yellow, green };

void set_color(bool on);
[[nodiscard]] bool color_enabled();
// `text` in the colour when colour is on; `text` itself otherwise.
std::string paint(Color c, std::string_view text);

}  // namespace rpctrace::report
