// JsonLine: escaping and structure.
#include "rpctrace/report/json.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace rpctrace::report {
namespace {

TEST(JsonLine, EscapesControlQuoteBackslashAndNonAscii) {
  JsonLine j;
  j.begin_object().str("s", std::string("a\"b\\c\n\x01\xff", 8)).end_object();
  EXPECT_EQ(j.text(), R"({"s":"a\"b\\c\n\u0001\u00ff"})");
}

TEST(JsonLine, NestsObjectsAndArraysWithCommas) {
  JsonLine j;
  j.begin_object().num("a", 1).begin_array("b").element("x").element("y").end_array();
  j.begin_object("c").boolean("d", true).inum("e", -2).end_object().end_object();
  EXPECT_EQ(j.text(), R"({"a":1,"b":["x","y"],"c":{"d":true,"e":-2}})");
}

// The line grows past its first buffer (256 octets) many times over, in every kind of field,
// and a cleared line is reused: the text is what the same calls give appended to a string.
TEST(JsonLine, GrowsAcrossItsBufferAndIsReusedAfterClear) {
  JsonLine j;
  for (int round = 0; round < 2; ++round) {
    j.clear();
    std::string expected = "{";
    j.begin_object();
    for (int i = 0; i < 300; ++i) {
      const std::string key = "k" + std::to_string(i);
      const std::string sep = i == 0 ? "" : ",";
      switch (i % 4) {
        case 0:
          j.num(key, static_cast<std::uint64_t>(i) * 1000003u);
          expected += sep + "\"" + key + "\":" + std::to_string(i * 1000003);
          break;
        case 1:
          j.str(key, std::string(static_cast<std::size_t>(i), '"'));
          expected += sep + "\"" + key + "\":\"";
          for (int n = 0; n < i; ++n) expected += "\\\"";
          expected += "\"";
          break;
        case 2:
          j.uuid(key, common::Uuid{});
          expected += sep + "\"" + key + "\":\"00000000-0000-0000-0000-000000000000\"";
          break;
        default:
          j.str(key, "");
          expected += sep + "\"" + key + "\":\"\"";
      }
    }
    j.end_object();
    expected += "}";
    EXPECT_EQ(j.text(), expected);
  }
  j.clear();
  EXPECT_EQ(j.text(), "");
  j.begin_object().end_object();
  EXPECT_EQ(j.text(), "{}");
}

}  // namespace
}  // namespace rpctrace::report
