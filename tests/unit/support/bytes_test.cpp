// Tests for tests/support/bytes.hpp.
#include "support/bytes.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rpctrace::testsupport {
namespace {

TEST(ByteWriter, WritesIntegersInItsOrder) {
  EXPECT_EQ(ByteWriter(Endian::little).u16(0x0102).u32(0x03040506).take(),
            hex_bytes("0201 06050403"));
  EXPECT_EQ(ByteWriter(Endian::big).u16(0x0102).u32(0x03040506).take(), hex_bytes("0102 03040506"));
}

TEST(ByteWriter, FixedOrderWritesIgnoreTheWritersOrder) {
  EXPECT_EQ(ByteWriter(Endian::big).u16_le(0x0102).u32_le(1).take(), hex_bytes("0201 01000000"));
  EXPECT_EQ(ByteWriter(Endian::little).u16_be(0x0102).u32_be(1).take(), hex_bytes("0102 00000001"));
}

TEST(ByteWriter, AlignPadsRelativeToOrigin) {
  ByteWriter w;
  w.u8(1).align(4);
  EXPECT_EQ(w.size(), 4u);
  w.u8(2).align(4, 1);  // (5 - 1) % 4 == 0 already
  EXPECT_EQ(w.size(), 5u);
  w.align(8);
  EXPECT_EQ(w.size(), 8u);
}

TEST(ByteWriter, PatchOverwritesInPlaceAndRejectsOutOfRange) {
  ByteWriter w(Endian::big);
  w.zeros(4);
  w.patch_u16(2, 0xabcd);
  EXPECT_EQ(w.view(), hex_bytes("0000abcd"));
  EXPECT_THROW(w.patch_u32(1, 0), std::invalid_argument);
}

TEST(HexBytes, IgnoresWhitespaceAndRejectsBadDigits) {
  EXPECT_EQ(hex_bytes(" 05 00\n0b "), (Bytes{std::byte{5}, std::byte{0}, std::byte{0x0b}}));
  EXPECT_THROW(hex_bytes("0g"), std::invalid_argument);
  EXPECT_THROW(hex_bytes("050"), std::invalid_argument);
}

TEST(Slice, ClampsToTheEnd) {
  const Bytes b = hex_bytes("01020304");
  EXPECT_EQ(slice(b, 1, 2), hex_bytes("0203"));
  EXPECT_EQ(slice(b, 3, 10), hex_bytes("04"));
  EXPECT_TRUE(slice(b, 4, 1).empty());
}

TEST(PaddingFor, RoundsUpToTheAlignment) {
  EXPECT_EQ(padding_for(310, 8), 2u);
  EXPECT_EQ(padding_for(26, 8), 6u);
  EXPECT_EQ(padding_for(32, 16), 0u);
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
  // First output for seed 0 of the published SplitMix64 algorithm.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(SplitMix64(42).bytes(13), SplitMix64(42).bytes(13));
  EXPECT_NE(SplitMix64(1).bytes(8), SplitMix64(2).bytes(8));
}

}  // namespace
}  // namespace rpctrace::testsupport
