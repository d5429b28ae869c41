// FlatMap: against std::map on a random mix of inserts, look-ups and erases, including the
// erase of the first entry that Association uses to bound its waiting binds; and
// iteration in key order.
#include "rpctrace/common/flat_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

namespace rpctrace::common {
namespace {

TEST(FlatMap, AgreesWithStdMapOnRandomOperations) {
  FlatMap<std::uint32_t, std::string> map;
  std::map<std::uint32_t, std::string> expected;
  std::mt19937 random(29);
  for (int step = 0; step < 100000; ++step) {
    const auto key = static_cast<std::uint32_t>(random() % 300);
    switch (random() % 5) {
      case 0:
        map[key] = std::to_string(step);
        expected[key] = std::to_string(step);
        break;
      case 1:
        ASSERT_EQ(map.erase(key), expected.erase(key)) << step;
        break;
      case 2:
        if (!expected.empty()) {
          map.erase(map.begin());
          expected.erase(expected.begin());
        }
        break;
      default: {
        auto it = map.find(key);
        auto e = expected.find(key);
        ASSERT_EQ(it != map.end(), e != expected.end()) << step;
        ASSERT_EQ(map.contains(key), e != expected.end());
        if (it != map.end()) {
          ASSERT_EQ(it->second, e->second);
        }
      }
    }
    ASSERT_EQ(map.size(), expected.size());
  }
  auto e = expected.begin();
  for (const auto& [key, value] : map) {
    ASSERT_NE(e, expected.end());
    EXPECT_EQ(key, e->first);
    EXPECT_EQ(value, e->second);
    ++e;
  }
  EXPECT_EQ(e, expected.end());
}

TEST(FlatMap, IndexingAddsAValueInitialisedEntryOnce) {
  FlatMap<std::uint16_t, int> map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map[7], 0);
  map[7] += 2;
  map[3] = 1;
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map[7], 2);
  EXPECT_EQ(map.begin()->first, 3);
  const FlatMap<std::uint16_t, int>& view = map;
  EXPECT_EQ(view.find(7)->second, 2);
  EXPECT_EQ(view.find(8), view.end());
  map.clear();
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.erase(7), 0u);
}

}  // namespace
}  // namespace rpctrace::common
