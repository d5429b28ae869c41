// Tests of include/rpctrace/common/address.hpp and src/common/address.cpp: IpAddress (v4(),
// parse() of IPv4 dotted quads and every IPv6 text form of RFC 4291 2.2, to_string() and
// append_to() in RFC 5952 canonical text, ordering), Endpoint::to_string(), Timestamp's
// ISO 8601 text and micros(), and TimestampFormatter, which must give to_iso8601()'s text.
//
// parse() and the IPv6 text are glibc's inet_pton/inet_ntop: the tables pin what rpctrace
// accepts and prints, and an independent RFC 5952 formatter below checks the IPv6 text of
// pseudo-random addresses.
#include "rpctrace/common/address.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "support/alloc_probe.hpp"
#include "support/bytes.hpp"

namespace rpctrace::common {
namespace {

namespace ts = testsupport;
using Family = IpAddress::Family;

IpAddress v6(std::initializer_list<std::uint8_t> octets) {
  IpAddress a;
  a.family = Family::v6;
  std::copy(octets.begin(), octets.end(), a.octets.begin());
  return a;
}

IpAddress parsed(std::string_view text) {
  const std::optional<IpAddress> a = IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(IpAddress{});
}

// --- IPv4 ------------------------------------------------------------------------------------
TEST(IpAddress, V4TakesHostOrder) {
  const IpAddress a = IpAddress::v4(0x0a010102);
  EXPECT_EQ(a.family, Family::v4);
  EXPECT_EQ(a.octets, (std::array<std::uint8_t, 16>{10, 1, 1, 2}));  // the other 12 stay 0
  EXPECT_EQ(a.to_string(), "10.1.1.2");
  EXPECT_EQ(IpAddress::v4(0).to_string(), "0.0.0.0");
  EXPECT_EQ(IpAddress::v4(0xffffffff).to_string(), "255.255.255.255");
  EXPECT_EQ(IpAddress::v4(0xc0a80001).to_string(), "192.168.0.1");
  EXPECT_EQ(IpAddress{}, IpAddress::v4(0));  // the default is 0.0.0.0
}

TEST(IpAddress, ParsesDottedQuads) {
  struct Case {
    std::string_view text;
    std::uint32_t host_order;
  };
  for (const Case& c :
       {Case{"1.2.3.4", 0x01020304}, Case{"0.0.0.0", 0}, Case{"255.255.255.255", 0xffffffff},
        Case{"10.1.1.2", 0x0a010102}, Case{"192.168.100.200", 0xc0a864c8}, Case{"0.0.0.10", 10}}) {
    const std::optional<IpAddress> a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(a->family, Family::v4) << c.text;
    EXPECT_EQ(*a, IpAddress::v4(c.host_order)) << c.text;  // octets 4-15 are zero
    EXPECT_EQ(a->to_string(), c.text);
  }
}

// As implemented (inet_pton): exactly four decimal parts of 0-255 and nothing else. A part
// with a leading zero is refused rather than read as octal (inet_aton's "010" is 8).
TEST(IpAddress, RejectsBadDottedQuads) {
  for (std::string_view text :
       {"256.1.1.1", "1.2.3.256", "1.2.3",      "1.2.3.4.5", "1..2.3",   "1.2.3.",
        ".1.2.3",    "1.2.3.-4",  "a.b.c.d",    "0x1.2.3.4", "01.2.3.4", "1.2.3.04",
        "00.0.0.0",  "1.2.3.4:5", "1.2.3.4/24", "",          " ",        " 1.2.3.4",
        "1.2.3.4 ",  "\t1.2.3.4", "1.2.3.4\n",  "1. 2.3.4",  "16909060", "4294967296.0.0.0"}) {
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << '"' << text << '"';
  }
}

// --- IPv6 ------------------------------------------------------------------------------------
// Input text, and the RFC 5952 text it prints as (lower case, no leading zeros, the longest
// run of two or more zero groups as "::", the first of equal runs; never "::" for one group).
TEST(IpAddress, ParsesIpv6Forms) {
  struct Case {
    std::string_view text, canonical;
  };
  for (const Case& c : {
           Case{"::", "::"},
           Case{"0:0:0:0:0:0:0:0", "::"},
           Case{"::1", "::1"},
           Case{"1::", "1::"},
           Case{"2001:db8::1", "2001:db8::1"},
           Case{"2001:DB8::1", "2001:db8::1"},
           Case{"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
           Case{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
           Case{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},  // one zero group: no "::"
           Case{"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
           Case{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
           Case{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},  // equal runs: the first
           Case{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},        // the longest run
           Case{"0001::", "1::"},
           Case{"01:02::", "1:2::"},
           Case{"FE80::ABCD", "fe80::abcd"},
           Case{"fe80:0:0:0:0:0:0:1", "fe80::1"},
           Case{"::1:0:0", "::1:0:0"},
           Case{"1:0::", "1::"},
       }) {
    const std::optional<IpAddress> a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(a->family, Family::v6) << c.text;
    EXPECT_EQ(a->to_string(), c.canonical) << c.text;
    EXPECT_EQ(parsed(c.canonical), *a) << c.text;
  }
  EXPECT_EQ(parsed("2001:db8::1"),
            v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}));
  EXPECT_EQ(parsed("1:2:3:4:5:6:7:8"), v6({0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}));
}

// RFC 4291 2.2 form 3: the last 32 bits as a dotted quad. As printed (glibc's inet_ntop): a
// dotted quad again for ::ffff:0:0/96 (IPv4-mapped, RFC 5952 5) and for ::/96 (the deprecated
// IPv4-compatible form) unless the address is :: or ::1's run; hex groups for any other prefix.
TEST(IpAddress, ParsesEmbeddedIpv4) {
  struct Case {
    std::string_view text, canonical;
  };
  for (const Case& c : {
           Case{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
           Case{"::FFFF:1.2.3.4", "::ffff:1.2.3.4"},
           Case{"0:0:0:0:0:ffff:255.255.255.255", "::ffff:255.255.255.255"},
           Case{"::ffff:0:0", "::ffff:0.0.0.0"},
           Case{"::ffff:102:304", "::ffff:1.2.3.4"},
           Case{"::1.2.3.4", "::1.2.3.4"},
           Case{"::0.1.0.0", "::0.1.0.0"},
           Case{"::0.0.0.1", "::1"},
           Case{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
           Case{"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
       }) {
    const std::optional<IpAddress> a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(a->family, Family::v6) << c.text;
    EXPECT_EQ(a->to_string(), c.canonical) << c.text;
    EXPECT_EQ(parsed(c.canonical), *a) << c.text;
  }
  const IpAddress mapped = parsed("::ffff:1.2.3.4");
  EXPECT_EQ(mapped, v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}));
  EXPECT_NE(mapped, parsed("1.2.3.4"));  // a different family: not the IPv4 address
}

TEST(IpAddress, LongestTexts) {
  // 45 characters, INET6_ADDRSTRLEN less its NUL: the longest text inet_pton takes.
  constexpr std::string_view kLongest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
  ASSERT_EQ(kLongest.size(), 45u);
  IpAddress all_ones;
  all_ones.family = Family::v6;
  all_ones.octets.fill(0xff);
  EXPECT_EQ(parsed(kLongest), all_ones);
  EXPECT_EQ(all_ones.to_string(), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(parsed("0000:0000:0000:0000:0000:ffff:255.255.255.255").to_string(),
            "::ffff:255.255.255.255");
  EXPECT_EQ(parsed("1111:2222:3333:4444:5555:6666:7777:8888").to_string(),
            "1111:2222:3333:4444:5555:6666:7777:8888");
  EXPECT_FALSE(IpAddress::parse("0ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").has_value());
}

TEST(IpAddress, RejectsBadIpv6) {
  for (std::string_view text : {
           "1:2:3:4:5:6:7:8:9",      // nine groups
           "1:2:3:4:5:6:7:8::",      // eight groups and "::"
           "::1:2:3:4:5:6:7:8",      //
           "1::2:3:4:5:6:7:8",       // "::" standing for no group
           "1:2:3:4::5:6:7:8",       //
           "1::2::3",                // two "::"
           ":::",                    //
           "1:",                     // a lone colon at either end
           ":1",                     //
           "1:2",                    // too few groups and no "::"
           "1:2:3:4:5:6:7",          //
           "00001::",                // five hex digits
           "12345::",                //
           "g::",                    // not a hex digit
           "::-1",                   //
           "::ffff:256.1.1.1",       // a bad embedded dotted quad
           "::ffff:1.2.3",           //
           "::ffff:01.2.3.4",        //
           "::ffff:1.2.3.4:5",       // a group after it
           "::ffff:1.2.3.4x",        //
           "::1.2.3.4.5",            //
           "1:2:3:4:5:6:7:1.2.3.4",  // seven groups and a dotted quad
           "1.2.3.4::",              //
           "fe80::1%eth0",           // a zone index
           "[::1]",                  // URL brackets
           "::1/128",                // a prefix length
           " ::1",                   // whitespace
           "::1 ",                   //
           "::1\n",                  //
       }) {
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << '"' << text << '"';
  }
}

// inet_pton reads a C string, so text with an embedded NUL is refused before it gets there
// ("1.2.3.4\0junk" once parsed as 1.2.3.4).
TEST(IpAddress, TextWithAnEmbeddedNulIsRefused) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(IpAddress::parse("1.2.3.4\0junk"sv).has_value());
  EXPECT_FALSE(IpAddress::parse("::1\0"sv).has_value());
  EXPECT_FALSE(IpAddress::parse("\0"sv).has_value());
}

// An independent RFC 5952 (section 4) formatter for addresses that have no embedded IPv4
// text (their first five groups are not all zero).
std::string rfc5952(const std::array<std::uint8_t, 16>& o) {
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = static_cast<unsigned>(o[2 * i] << 8 | o[2 * i + 1]);
  std::size_t best = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = 8;
  auto join = [&](std::size_t from, std::size_t to) {
    std::string s;
    for (std::size_t i = from; i < to; ++i) s += fmt::format("{}{:x}", i == from ? "" : ":", g[i]);
    return s;
  };
  if (best == 8) return join(0, 8);
  return join(0, best) + "::" + join(best + best_len, 8);
}

TEST(IpAddress, Ipv6TextIsRfc5952) {
  ts::SplitMix64 rng(5952);
  std::size_t checked = 0;
  for (int n = 0; n < 4000; ++n) {
    IpAddress a;
    a.family = Family::v6;
    for (std::size_t i = 0; i < 8; ++i) {
      const std::uint64_t r = rng.next();
      // Half the groups zero, so runs of every length turn up; values of 1 to 4 hex digits.
      static constexpr std::array<unsigned, 4> kMasks{0xf, 0xff, 0xfff, 0xffff};
      const unsigned v = (r & 1) != 0 ? 0 : static_cast<unsigned>(r >> 8) & kMasks[(r >> 1) & 3];
      a.octets[2 * i] = static_cast<std::uint8_t>(v >> 8);
      a.octets[2 * i + 1] = static_cast<std::uint8_t>(v);
    }
    if (std::all_of(a.octets.begin(), a.octets.begin() + 10, [](auto b) { return b == 0; }))
      continue;  // embedded IPv4 text: ParsesEmbeddedIpv4
    ++checked;
    const std::string text = a.to_string();
    ASSERT_EQ(text, rfc5952(a.octets));
    ASSERT_EQ(parsed(text), a) << text;
  }
  EXPECT_GT(checked, 3000u);
  // The oracle itself, on RFC 5952's own examples (4.2.1-4.3).
  EXPECT_EQ(rfc5952(parsed("2001:db8:0:0:0:0:2:1").octets), "2001:db8::2:1");
  EXPECT_EQ(rfc5952(parsed("2001:db8:0:1:1:1:1:1").octets), "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(rfc5952(parsed("2001:0:0:1:0:0:0:1").octets), "2001:0:0:1::1");
  EXPECT_EQ(rfc5952(parsed("2001:db8:0:0:1:0:0:1").octets), "2001:db8::1:0:0:1");
}

TEST(IpAddress, Ipv4TextRoundTrips) {
  ts::SplitMix64 rng(4);
  for (int n = 0; n < 1000; ++n) {
    const auto host = static_cast<std::uint32_t>(rng.next());
    const IpAddress a = IpAddress::v4(host);
    const std::string text = a.to_string();
    ASSERT_EQ(text, fmt::format("{}.{}.{}.{}", host >> 24, (host >> 16) & 0xff, (host >> 8) & 0xff,
                                host & 0xff));
    ASSERT_EQ(parsed(text), a) << text;
  }
}

TEST(IpAddress, AppendToAppendsToString) {
  std::string out = "src=";
  IpAddress::v4(0x0a010102).append_to(out);
  out += " dst=";
  parsed("2001:db8::1").append_to(out);
  out += ' ';
  parsed("::ffff:1.2.3.4").append_to(out);
  EXPECT_EQ(out, "src=10.1.1.2 dst=2001:db8::1 ::ffff:1.2.3.4");
}

TEST(IpAddress, AppendToDoesNotAllocateForIpv4) {
  std::string out;
  out.reserve(64);
  const IpAddress a = IpAddress::v4(0xffffffff);
  ts::AllocationProbe probe;
  a.append_to(out);
  EXPECT_EQ(probe.count(), 0u);
  EXPECT_EQ(out, "255.255.255.255");
}

TEST(IpAddress, OrderingIsFamilyThenOctets) {
  const std::vector<IpAddress> sorted = {
      parsed("0.0.0.0"),
      parsed("1.2.3.4"),
      parsed("10.0.0.2"),
      parsed("10.0.0.10"),
      parsed("10.1.0.0"),
      parsed("255.255.255.255"),  // every IPv4 address before any IPv6
      parsed("::"),
      parsed("::1"),
      parsed("::ffff:1.2.3.4"),
      parsed("1::"),
      parsed("2001:db8::1"),
      parsed("2001:db8::2"),
      parsed("fe80::1"),
      parsed("ffff::"),
  };
  for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(sorted[i], sorted[i + 1])
        << sorted[i].to_string() << " " << sorted[i + 1].to_string();
    EXPECT_NE(sorted[i], sorted[i + 1]);
  }
  std::vector<IpAddress> shuffled(sorted.rbegin(), sorted.rend());
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, sorted);
  EXPECT_EQ(parsed("::1"), parsed("0:0:0:0:0:0:0:1"));
  EXPECT_EQ(parsed("2001:DB8::1"), parsed("2001:db8:0::1"));
  // The same 16 octets as another family are another address.
  IpAddress as_v4 = parsed("::");
  as_v4.family = Family::v4;
  EXPECT_NE(as_v4, parsed("::"));
  EXPECT_EQ(as_v4, parsed("0.0.0.0"));
}

// --- Endpoint --------------------------------------------------------------------------------
TEST(Endpoint, ToString) {
  EXPECT_EQ((Endpoint{IpAddress::v4(0x0a010102), 135}).to_string(), "10.1.1.2:135");
  EXPECT_EQ(Endpoint{}.to_string(), "0.0.0.0:0");
  EXPECT_EQ((Endpoint{IpAddress::v4(0xffffffff), 65535}).to_string(), "255.255.255.255:65535");
  EXPECT_EQ((Endpoint{parsed("2001:db8::1"), 135}).to_string(), "[2001:db8::1]:135");
  EXPECT_EQ((Endpoint{parsed("::"), 0}).to_string(), "[::]:0");
  EXPECT_EQ((Endpoint{parsed("::ffff:1.2.3.4"), 445}).to_string(), "[::ffff:1.2.3.4]:445");
  EXPECT_EQ((Endpoint{parsed("fe80::abcd"), 49664}).to_string(), "[fe80::abcd]:49664");
}

TEST(Endpoint, OrderingIsAddressThenPort) {
  const Endpoint a{IpAddress::v4(0x0a000001), 9999};
  const Endpoint b{IpAddress::v4(0x0a000002), 1};
  const Endpoint c{IpAddress::v4(0x0a000002), 135};
  const Endpoint d{parsed("::1"), 0};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
  EXPECT_EQ(b, (Endpoint{parsed("10.0.0.2"), 1}));
  EXPECT_NE(b, c);
}

// --- Timestamp -------------------------------------------------------------------------------
TEST(Timestamp, Iso8601) {
  struct Case {
    std::int64_t sec;
    std::int32_t usec;
    std::string_view text;
  };
  for (const Case& c : {
           Case{0, 0, "1970-01-01T00:00:00.000000Z"},
           Case{0, 1, "1970-01-01T00:00:00.000001Z"},
           Case{0, 999999, "1970-01-01T00:00:00.999999Z"},
           Case{1795561714, 123456, "2026-11-24T23:08:34.123456Z"},  // the header's example
           Case{1700000000, 500000, "2023-11-14T22:13:20.500000Z"},
           Case{951782400, 0, "2000-02-29T00:00:00.000000Z"},  // a leap day
           Case{1230767999, 0, "2008-12-31T23:59:59.000000Z"},
           Case{253402300799, 999999, "9999-12-31T23:59:59.999999Z"},
           Case{253402300800, 0, "10000-01-01T00:00:00.000000Z"},
       }) {
    EXPECT_EQ((Timestamp{c.sec, c.usec}).to_iso8601(), c.text) << c.sec;
  }
}

// Before the epoch, and at the bounds CaptureReader clamps a file's seconds to (±2^42,
// kMaxTimestampSeconds; checked against Python's datetime over a 400-year shift).
TEST(Timestamp, Iso8601BeforeTheEpochAndAtTheClampBounds) {
  EXPECT_EQ((Timestamp{-1, 5}).to_iso8601(), "1969-12-31T23:59:59.000005Z");
  EXPECT_EQ((Timestamp{-86400, 0}).to_iso8601(), "1969-12-31T00:00:00.000000Z");
  EXPECT_EQ((Timestamp{-86401, 0}).to_iso8601(), "1969-12-30T23:59:59.000000Z");
  EXPECT_EQ((Timestamp{-2208988800, 0}).to_iso8601(), "1900-01-01T00:00:00.000000Z");
  constexpr std::int64_t kClamp = std::int64_t{1} << 42;
  EXPECT_EQ((Timestamp{kClamp, 5}).to_iso8601(), "141338-07-19T02:25:04.000005Z");
  EXPECT_EQ((Timestamp{-kClamp, 5}).to_iso8601(), "-137399-06-15T21:34:56.000005Z");
}

// The digits put in place for four-digit years agree with fmt's padded fields (the rule for
// every other year and for a fraction that is not one) over random times, from before the
// clamp bound below to after the one above.
TEST(Timestamp, Iso8601AgreesWithFmtsFieldsOverRandomTimes) {
  std::mt19937_64 random(11);
  constexpr std::int64_t kClamp = std::int64_t{1} << 42;
  for (int i = 0; i < 200000; ++i) {
    // Half around the four-digit years (0001 to 9999), half anywhere within the clamp.
    const auto u = static_cast<std::int64_t>(random() >> 1);
    const std::int64_t sec =
        i % 2 == 0 ? u % 330000000000 - 62135596800 : u % (2 * kClamp) - kClamp;
    auto usec = static_cast<std::int32_t>(random() % 1000000);
    if (i % 97 == 0) usec = static_cast<std::int32_t>(random() % 3000000) - 1000000;
    std::time_t t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const std::string expected =
        fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
    ASSERT_EQ((Timestamp{sec, usec}).to_iso8601(), expected) << sec << " " << usec;
  }
}

TEST(Timestamp, MicrosAndOrdering) {
  EXPECT_EQ((Timestamp{0, 0}).micros(), 0);
  EXPECT_EQ((Timestamp{1700000000, 123456}).micros(), 1700000000123456);
  EXPECT_EQ((Timestamp{-1, 500000}).micros(), -500000);
  EXPECT_EQ((Timestamp{std::int64_t{1} << 42, 999999}).micros(),
            (std::int64_t{1} << 42) * 1000000 + 999999);
  EXPECT_LT((Timestamp{1, 999999}), (Timestamp{2, 0}));
  EXPECT_LT((Timestamp{2, 0}), (Timestamp{2, 1}));
  EXPECT_LT((Timestamp{-1, 0}), (Timestamp{0, 0}));
  EXPECT_EQ((Timestamp{3, 4}), (Timestamp{3, 4}));
}

// --- TimestampFormatter ----------------------------------------------------------------------
TEST(TimestampFormatter, GivesToIso8601sTextAcrossSeconds) {
  const std::vector<Timestamp> sequence = {
      {1700000000, 0},
      {1700000000, 1},
      {1700000000, 999999},
      {1700000001, 0},
      {1700000001, 500000},
      {1700000000, 123456},  // back to an earlier second
      {1700000059, 999999},
      {1700000060, 0},  // a minute boundary
      {1230767999, 999999},
      {1230768000, 0},  // a year boundary
      {0, 0},
      {-1, 999999},
      {-1, 0},
      {0, 7},
      {253402300800, 1},
      {std::int64_t{1} << 42, 5},
      {-(std::int64_t{1} << 42), 5},
  };
  TimestampFormatter f;
  std::string out = "ts=";
  std::string expected = "ts=";
  for (const Timestamp& ts : sequence) {
    const std::size_t before = out.size();
    f.append(out, ts);
    EXPECT_EQ(out.substr(before), ts.to_iso8601()) << ts.sec << "." << ts.usec;
    expected += ts.to_iso8601();
  }
  EXPECT_EQ(out, expected);  // appended, never replaced
}

TEST(TimestampFormatter, ReusesTheCachedSecond) {
  TimestampFormatter f;
  std::string out;
  out.reserve(256);
  f.append(out, {1700000000, 1});
  {
    ts::AllocationProbe probe;  // the same second: the cached date and time, no formatting
    f.append(out, {1700000000, 999999});
    f.append(out, {1700000000, 0});
    EXPECT_EQ(probe.count(), 0u);
  }
  {
    ts::AllocationProbe probe;  // a new second is formatted
    f.append(out, {1700000001, 0});
    EXPECT_GT(probe.count(), 0u);
  }
  EXPECT_EQ(out,
            "2023-11-14T22:13:20.000001Z"
            "2023-11-14T22:13:20.999999Z"
            "2023-11-14T22:13:20.000000Z"
            "2023-11-14T22:13:21.000000Z");
}

// The cache starts empty, not at second -1: a first timestamp of exactly -1 s (a classic pcap
// whose first record has ts_sec 0xffffffff) once printed only its fraction, "000000Z".
TEST(TimestampFormatter, FirstTimestampAtMinusOneSecond) {
  TimestampFormatter f;
  std::string out;
  f.append(out, {-1, 5});
  EXPECT_EQ(out, "1969-12-31T23:59:59.000005Z");
}

// Outside 0-999999 microseconds (CaptureReader clamps them, but Timestamp does not say so) the
// formatter prints what to_iso8601() prints.
TEST(TimestampFormatter, MicrosecondsOutOfRange) {
  for (const std::vector<Timestamp>& sequence :
       {std::vector<Timestamp>{{0, 1000000}, {0, 5}}, std::vector<Timestamp>{{0, -5}}}) {
    TimestampFormatter f;
    for (const Timestamp& ts : sequence) {
      std::string out;
      f.append(out, ts);
      EXPECT_EQ(out, ts.to_iso8601()) << ts.usec;
    }
  }
}

}  // namespace
}  // namespace rpctrace::common
