// Time arguments: epoch seconds or ISO 8601, microsecond precision.
#include "time_arg.hpp"

#include <cctype>
#include <charconv>
#include <ctime>

namespace rpctrace::cli {

namespace {

// Reads exactly `n` digits at `at`.
bool digits(std::string_view s, std::size_t& at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char ch = s[at + i];
    if (ch < '0' || ch > '9') return false;
    out = out * 10 + (ch - '0');
  }
  at += n;
  return true;
}

// ".25" -> 250000 microseconds; digits past the sixth are cut.
bool fraction(std::string_view s, std::size_t& at, std::int32_t& usec) {
  usec = 0;
  if (at >= s.size() || s[at] != '.') return true;
  ++at;
  std::size_t n = 0;
  std::int32_t scale = 100000;
  while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) {
    if (n++ < 6) {
      usec += (s[at] - '0') * scale;
      scale /= 10;
    }
    ++at;
  }
  return n > 0;
}

std::optional<common::Timestamp> epoch(std::string_view s) {
  std::size_t at = 0;
  std::int64_t sec = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), sec);
  if (ec != std::errc{} || end == s.data() || sec < 0) return std::nullopt;
  at = static_cast<std::size_t>(end - s.data());
  std::int32_t usec = 0;
  if (!fraction(s, at, usec) || at != s.size()) return std::nullopt;
  return common::Timestamp{sec, usec};
}

}  // namespace

std::optional<common::Timestamp> parse_time(std::string_view s) {
  if (s.find('-') == std::string_view::npos || s.find('-') > 4) return epoch(s);
  std::tm tm{};
  std::size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, at, 4, year) || at >= s.size() || s[at++] != '-' || !digits(s, at, 2, month) ||
      at >= s.size() || s[at++] != '-' || !digits(s, at, 2, day))
    return std::nullopt;
  std::int32_t usec = 0;
  if (at < s.size()) {
    if (s[at] != 'T' && s[at] != ' ' && s[at] != 't') return std::nullopt;
    ++at;
    if (!digits(s, at, 2, hour) || at >= s.size() || s[at++] != ':' || !digits(s, at, 2, minute))
      return std::nullopt;
    if (at < s.size() && s[at] == ':') {
      ++at;
      if (!digits(s, at, 2, second) || !fraction(s, at, usec)) return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::int64_t sec = 0;
  if (at == s.size()) {  // no zone: local time
    tm.tm_isdst = -1;
    sec = static_cast<std::int64_t>(std::mktime(&tm));
  } else if (s[at] == 'Z' || s[at] == 'z') {
    if (at + 1 != s.size()) return std::nullopt;
    sec = static_cast<std::int64_t>(timegm(&tm));
  } else if (s[at] == '+' || s[at] == '-') {
    const int sign = s[at++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!digits(s, at, 2, oh)) return std::nullopt;
    if (at < s.size() && s[at] == ':') ++at;
    if (at < s.size() && !digits(s, at, 2, om)) return std::nullopt;
    if (at != s.size() || oh > 23 || om > 59) return std::nullopt;
    sec = static_cast<std::int64_t>(timegm(&tm)) - sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  return common::Timestamp{sec, usec};
}

}  // namespace rpctrace::cli
