// JsonLine: escaping and structure.
#include "rpctrace/report/json.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rpctrace::report
