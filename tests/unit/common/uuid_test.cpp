// Uuid: text round trip, drep-aware wire reading (C706 appendix A).
#include "rpctrace/common/uuid.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rpctrace::common {
namespace {

TEST(Uuid, ParsesAndPrintsBothCases) {
  auto u = Uuid::parse("E1AF8308-5D1F-11C9-91A4-08002B14A0FA");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->to_string(), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  EXPECT_EQ(u->to_string(true), "E1AF8308-5D1F-11C9-91A4-08002B14A0FA");
}

TEST(Uuid, RejectsMalformedText) {
  EXPECT_FALSE(Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0f"));
  EXPECT_FALSE(Uuid::parse("e1af8308x5d1f-11c9-91a4-08002b14a0fa"));
  EXPECT_FALSE(Uuid::parse("g1af8308-5d1f-11c9-91a4-08002b14a0fa"));
  EXPECT_FALSE(Uuid::parse(""));
}

TEST(Uuid, WireOrderFollowsDrepForFirstThreeFields) {
  // e1af8308-5d1f-11c9-91a4-08002b14a0fa as a little-endian sender writes it (KB159298's bind).
  std::vector<std::byte> le;
  for (int b : {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14,
                0xa0, 0xfa})
    le.push_back(static_cast<std::byte>(b));
  std::vector<std::byte> be;
  for (int b : {0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14,
                0xa0, 0xfa})
    be.push_back(static_cast<std::byte>(b));
  ByteReader rl(le, ByteOrder::little);
  ByteReader rb(be, ByteOrder::big);
  Uuid a = read_uuid(rl), b = read_uuid(rb);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.to_string(), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
}

TEST(Uuid, ShortInputLeavesNilAndFails) {
  std::vector<std::byte> data(15);
  ByteReader r(data);
  EXPECT_TRUE(read_uuid(r).is_nil());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace rpctrace::common
