// Tests of src/dcom/activation.cpp: which (interface, opnum) pairs are activation answers,
// the dispatch, and the Reason names.
#include <set>
#include <string>

#include "unit/dcom/dcom_test_util.hpp"

namespace rpctrace::dcom {
namespace {

TEST(DcomIsActivationAnswer, TheSixAnswers) {
  EXPECT_TRUE(is_activation_answer(iface::object_exporter, 0));
  EXPECT_TRUE(is_activation_answer(iface::object_exporter, 4));
  EXPECT_TRUE(is_activation_answer(iface::object_exporter, 5));
  EXPECT_TRUE(is_activation_answer(iface::remote_activation, 0));
  EXPECT_TRUE(is_activation_answer(iface::remote_scm_activator, 3));
  EXPECT_TRUE(is_activation_answer(iface::remote_scm_activator, 4));
  // SimplePing, ComplexPing, ServerAlive; the activator's reserved opnums 0-2.
  for (std::uint16_t op : std::initializer_list<std::uint16_t>{1, 2, 3, 6})
    EXPECT_FALSE(is_activation_answer(iface::object_exporter, op));
  EXPECT_FALSE(is_activation_answer(iface::remote_activation, 1));
  for (std::uint16_t op : std::initializer_list<std::uint16_t>{0, 1, 2, 5})
    EXPECT_FALSE(is_activation_answer(iface::remote_scm_activator, op));
  EXPECT_FALSE(is_activation_answer(common::Uuid{}, 0));
}

TEST(DcomIsActivationAnswer, UuidsAreTheSpecs) {
  EXPECT_EQ(iface::object_exporter.to_string(), "99fcfec4-5260-101b-bbcb-00aa0021347a");
  EXPECT_EQ(iface::remote_activation.to_string(), "4d9f4ab8-7d1c-11cf-861e-0020af6e7c57");
  EXPECT_EQ(iface::remote_scm_activator.to_string(), "000001a0-0000-0000-c000-000000000046");
}

TEST(DcomDecodeActivationAnswer, OtherCallsAreNotActivation) {
  const testsupport::Bytes stub(64);
  auto a = dcom::decode_activation_answer(iface::object_exporter, 1, dcomtest::view(stub),
                                          common::ByteOrder::little);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::not_activation);
  EXPECT_NE(a.error().detail.find("opnum 1"), std::string::npos);
}

TEST(DcomDecodeActivationAnswer, ReasonNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::uint8_t i = 0; i < static_cast<std::uint8_t>(Reason::count_); ++i) {
    auto n = to_string(static_cast<Reason>(i));
    EXPECT_NE(n, "unknown");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(Reason::count_));
  EXPECT_EQ(to_string(Reason::count_), "unknown");
}

}  // namespace
}  // namespace rpctrace::dcom
