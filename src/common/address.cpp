// Text forms of addresses, endpoints and capture timestamps.
#include "rpctrace/common/address.hpp"

#include <arpa/inet.h>
#include <fmt/compile.h>
#include <fmt/format.h>

#include <ctime>

namespace rpctrace::common {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.family = Family::v4;
  a.octets[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.octets[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.octets[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.octets[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

void IpAddress::append_to(std::string& out) const {
  if (family == Family::v4) {
    // Hand-written: one per JSON record.
    for (int i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      fmt::format_int n(octets[static_cast<std::size_t>(i)]);
      out.append(n.data(), n.size());
    }
    return;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  out += inet_ntop(AF_INET6, octets.data(), buf, sizeof buf) == nullptr ? "?" : buf;
}

std::string IpAddress::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would end the text early.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.octets.data()) == 1) {
    a.family = Family::v4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.octets.data()) == 1) {
    a.family = Family::v6;
    return a;
  }
  return std::nullopt;
}

std::string Endpoint::to_string() const {
  if (address.family == IpAddress::Family::v6)
    return fmt::format(FMT_COMPILE("[{}]:{}"), address.to_string(), port);
  return fmt::format(FMT_COMPILE("{}:{}"), address.to_string(), port);
}

std::string format_seconds(std::int64_t us) {
  std::uint64_t a = us < 0 ? 0 - static_cast<std::uint64_t>(us) : static_cast<std::uint64_t>(us);
  return fmt::format(FMT_COMPILE("{}{}.{:06}"), us < 0 ? "-" : "", a / 1000000, a % 1000000);
}

std::string Timestamp::to_iso8601() const {
  std::time_t t = static_cast<std::time_t>(sec);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int year = tm.tm_year + 1900;
  // A conversation's record formats two of these: its digits are put in place, where fmt's
  // padded fields cost more than the rest of the record (callgrind). A year of other than
  // four digits, or a fraction that is not one, goes through fmt's rules for them.
  if (year < 0 || year > 9999 || usec < 0 || usec > 999999)
    return fmt::format(FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z"), year,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
  char text[] = "0000-00-00T00:00:00.000000Z";
  auto put = [&text](std::size_t end, unsigned value, int digits) {
    for (std::size_t i = end; digits > 0; --digits, --i) {
      text[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(3, static_cast<unsigned>(year), 4);
  put(6, static_cast<unsigned>(tm.tm_mon + 1), 2);
  put(9, static_cast<unsigned>(tm.tm_mday), 2);
  put(12, static_cast<unsigned>(tm.tm_hour), 2);
  put(15, static_cast<unsigned>(tm.tm_min), 2);
  put(18, static_cast<unsigned>(tm.tm_sec), 2);
  put(25, static_cast<unsigned>(usec), 6);
  return std::string(text, sizeof text - 1);
}

void TimestampFormatter::append(std::string& out, Timestamp ts) {
  if (ts.usec < 0 || ts.usec > 999999) {  // not a fraction of a second: as to_iso8601() says
    out += ts.to_iso8601();
    return;
  }
  if (!cached_ || ts.sec != cached_sec_) {
    std::string full = ts.to_iso8601();
    prefix_ = full.substr(0, full.size() - 7);  // up to and including the '.'
    cached_sec_ = ts.sec;
    cached_ = true;
  }
  out += prefix_;
  char frac[7];
  auto us = static_cast<std::uint32_t>(ts.usec);
  for (int i = 5; i >= 0; --i) {
    frac[i] = static_cast<char>('0' + us % 10);
    us /= 10;
  }
  frac[6] = 'Z';
  out.append(frac, 7);
}

}  // namespace rpctrace::common
