// ByteReader: bounds, sticky failure, byte orders, sub-readers, alignment.
#include "rpctrace/common/byte_reader.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rpctrace::common {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(ByteReader, ReadsBothByteOrders) {
  auto data = bytes({0x01, 0x02, 0x03, 0x04, 0x05, 0x06});
  ByteReader le(data, ByteOrder::little);
  EXPECT_EQ(le.u16(), 0x0201);
  EXPECT_EQ(le.u32(), 0x06050403u);
  EXPECT_TRUE(le.ok());
  ByteReader be(data, ByteOrder::big);
  EXPECT_EQ(be.u16(), 0x0102);
  EXPECT_EQ(be.u32(), 0x03040506u);
}

TEST(ByteReader, FailureIsStickyAndReadsReturnZero) {
  auto data = bytes({0xff, 0xff, 0xff});
  ByteReader r(data);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0u);  // would fit, but the reader stays failed
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(r.position(), 0u);
}

TEST(ByteReader, SubReaderIsBoundedAndAdvancesParent) {
  auto data = bytes({1, 2, 3, 4, 5});
  ByteReader r(data);
  ByteReader sub = r.sub(2);
  EXPECT_EQ(sub.size(), 2u);
  EXPECT_EQ(sub.u8(), 1u);
  EXPECT_EQ(sub.u8(), 2u);
  sub.u8();
  EXPECT_FALSE(sub.ok());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u8(), 3u);
  ByteReader too_long = r.sub(10);
  EXPECT_FALSE(too_long.ok());
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, AlignCountsFromReaderStart) {
  auto data = bytes({1, 2, 3, 4, 5, 6, 7, 8});
  ByteReader r(data);
  r.u8();
  r.align(4);
  EXPECT_EQ(r.position(), 4u);
  r.align(4);
  EXPECT_EQ(r.position(), 4u);
  r.skip(3);
  r.align(8);
  EXPECT_EQ(r.position(), 8u);
  EXPECT_TRUE(r.ok());
  r.align(16);  // past the end
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, BytesOfExactRemainderSucceedsOneMoreFails) {
  auto data = bytes({1, 2, 3});
  ByteReader a(data);
  EXPECT_EQ(a.bytes(3).size(), 3u);
  EXPECT_TRUE(a.ok());
  ByteReader b(data);
  EXPECT_TRUE(b.bytes(4).empty());
  EXPECT_FALSE(b.ok());
}

}  // namespace
}  // namespace rpctrace::common
