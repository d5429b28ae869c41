// common::octets16: sixteen octets compared as two 64-bit halves must order and compare exactly
// as std::array's operators do (the flow table's canonical key, the names tables' binary
// search and every std::map keyed by a UUID or an address rely on that order).
#include "rpctrace/common/octets16.hpp"

#include <gtest/gtest.h>

#include <random>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/uuid.hpp"

namespace rpctrace::common {
namespace {

// Random octets, drawn from a few values so that equal prefixes of every length are common.
octets16::Octets draw(std::mt19937& rng) {
  std::uniform_int_distribution<int> pick(0, 3);
  static constexpr std::uint8_t kValues[] = {0x00, 0x01, 0x80, 0xff};
  octets16::Octets o{};
  for (auto& b : o) b = kValues[pick(rng)];
  return o;
}

TEST(Octets16, OrdersAndComparesAsTheArrayDoes) {
  std::mt19937 rng(17);
  for (int i = 0; i < 200000; ++i) {
    const auto a = draw(rng);
    auto b = i % 3 == 0 ? a : draw(rng);
    if (i % 3 == 0) b[static_cast<std::size_t>(i / 3 % 16)] ^= static_cast<std::uint8_t>(i % 2);
    ASSERT_EQ(octets16::equal(a, b), a == b);
    ASSERT_EQ(octets16::compare(a, b), a <=> b);
    ASSERT_EQ((Uuid{a} <=> Uuid{b}), a <=> b);
    ASSERT_EQ(Uuid{a} == Uuid{b}, a == b);
  }
}

TEST(Octets16, AddressesOrderByFamilyThenOctets) {
  IpAddress v4 = IpAddress::v4(0xffffffff), v6{IpAddress::Family::v6, {}};
  EXPECT_LT(v4, v6);  // v4 = 4 before v6 = 6 whatever the octets
  EXPECT_NE(v4, v6);
  IpAddress a = IpAddress::v4(0x0a000001), b = IpAddress::v4(0x0a000002);
  EXPECT_LT(a, b);
  EXPECT_EQ(a, IpAddress::v4(0x0a000001));
  v6.octets[15] = 1;
  IpAddress w6{IpAddress::Family::v6, {}};
  w6.octets[0] = 1;
  EXPECT_LT(v6, w6);  // the first octet decides, not the last
}

}  // namespace
}  // namespace rpctrace::common
