// Boxed: an optional value on the heap, copied deeply: a copy must not change with the
// original (the records carrying one go to the writer's thread while the analysis goes on).
#include "rpctrace/common/boxed.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace rpctrace::common {
namespace {

TEST(Boxed, EmptyUntilGivenAValue) {
  Boxed<std::vector<int>> box;
  EXPECT_FALSE(box);
  EXPECT_FALSE(box.has_value());
  box.emplace().push_back(4);
  ASSERT_TRUE(box);
  EXPECT_EQ(box->size(), 1u);
  box.reset();
  EXPECT_FALSE(box);
  box = std::vector<int>{1, 2};
  EXPECT_EQ((*box)[1], 2);
}

TEST(Boxed, ACopyIsItsOwnValue) {
  Boxed<std::vector<std::string>> original;
  original.emplace().push_back("OUT");
  Boxed<std::vector<std::string>> copy = original;
  original->push_back("IN");
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->size(), 1u);
  EXPECT_EQ(original->size(), 2u);

  // Assigned over a box that holds a value, and over an empty one; an empty one empties.
  copy = original;
  EXPECT_EQ(copy->size(), 2u);
  Boxed<std::vector<std::string>> empty, target;
  target = original;
  EXPECT_EQ(target->at(1), "IN");
  target = empty;
  EXPECT_FALSE(target);
  const Boxed<std::vector<std::string>>& self = original;
  original = self;
  EXPECT_EQ(original->size(), 2u);

  Boxed<std::vector<std::string>> moved = std::move(original);
  EXPECT_EQ(moved->size(), 2u);
}

}  // namespace
}  // namespace rpctrace::common
