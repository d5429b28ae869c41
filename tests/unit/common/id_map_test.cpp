// IdMap: against std::unordered_map on a random mix of inserts, look-ups and erases (erase's
// backward shift is where an open-addressed table goes wrong).
#include "rpctrace/common/id_map.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace rpctrace::common {
namespace {

TEST(IdMap, AgreesWithUnorderedMapOnRandomOperations) {
  IdMap<std::uint64_t> map;
  std::unordered_map<std::uint64_t, std::uint64_t> expected;
  std::mt19937_64 random(17);
  for (int step = 0; step < 200000; ++step) {
    // Ids from a small range so erases and re-inserts hit the same runs of slots.
    const std::uint64_t id = random() % 3000;
    switch (random() % 3) {
      case 0: {
        auto [value, added] = map.try_emplace(id, id * 7);
        auto [it, added_expected] = expected.try_emplace(id, id * 7);
        ASSERT_EQ(added, added_expected) << step;
        ASSERT_EQ(*value, it->second);
        break;
      }
      case 1:
        map.erase(id);
        expected.erase(id);
        break;
      default: {
        const std::uint64_t* value = map.find(id);
        ASSERT_EQ(value != nullptr, expected.count(id) == 1) << step;
        if (value != nullptr) {
          ASSERT_EQ(*value, id * 7);
        }
      }
    }
    ASSERT_EQ(map.size(), expected.size());
  }
  for (const auto& [id, value] : expected) {
    ASSERT_NE(map.find(id), nullptr) << id;
    EXPECT_EQ(*map.find(id), value);
  }
}

TEST(IdMap, EmptyAndSequentialIds) {
  IdMap<int> map;
  EXPECT_EQ(map.find(1), nullptr);
  map.erase(1);  // nothing to erase
  for (std::uint64_t id = 1; id <= 100000; ++id) map.try_emplace(id, static_cast<int>(id % 1000));
  EXPECT_EQ(map.size(), 100000u);
  for (std::uint64_t id = 1; id <= 100000; id += 2) map.erase(id);
  EXPECT_EQ(map.size(), 50000u);
  EXPECT_EQ(map.find(99999), nullptr);
  ASSERT_NE(map.find(100000), nullptr);
  EXPECT_EQ(*map.find(100000), 0);
  *map.try_emplace(0, 5).first += 1;  // id 0 is an id like any other
  EXPECT_EQ(*map.find(0), 6);
}

}  // namespace
}  // namespace rpctrace::common
