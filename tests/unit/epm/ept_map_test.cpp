// Tests of src/epm/ept_map.cpp: ept_map (opnum 3) request and response stubs (C706 appendix O
// ept.idl; MS-RPCE 3.1.1.1), in NDR 2.0 (C706 chapter 14: referents and counts 4 octets) in
// both integer byte orders, and in NDR64 (MS-RPCE 2.2.5: referents and counts 8 octets,
// aligned to 8). Towers inside are little-endian whatever the drep (C706 appendix L).
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/limits.hpp"
#include "support/epm_builder.hpp"
#include "support/tower_builder.hpp"
#include "unit/dcerpc/test_util.hpp"
#include "unit/epm/epm_test_util.hpp"

namespace rpctrace::epm {
namespace {

using epmtest::kEptSNotRegistered;
using epmtest::kHandleUuid;
using epmtest::kLsa;
using epmtest::kObject;
using epmtest::kTcpTower;
using unittest::to_order;
using unittest::to_syntax;
using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

const ts::Bytes kNpTower = ts::TowerBuilder{}
                               .interface_floor(kLsa)
                               .transfer_syntax_floor(ts::kNdrSyntax)
                               .rpc_connection_oriented()
                               .named_pipe("\\PIPE\\lsass")
                               .netbios("\\\\DC01")
                               .build();

ts::EptMapRequest map_request() {
  ts::EptMapRequest r;
  r.object = kObject;
  r.map_tower = kTcpTower;
  r.max_towers = 4;
  return r;
}

ts::EptMapResponse map_response(std::vector<ts::Bytes> towers) {
  ts::EptMapResponse r;
  r.entry_handle.attributes = 0;
  r.entry_handle.uuid = kHandleUuid;
  r.towers = std::move(towers);
  return r;
}

// NDR 2.0 response with the ITowers header written out: handle, num_towers, max_count,
// offset, actual_count, then the referents given (a 0 is a null pointer), then `rest`.
ts::Bytes ndr_response(ts::Endian e, std::uint32_t max_count, std::uint32_t offset,
                       std::uint32_t actual_count, const std::vector<std::uint32_t>& referents,
                       const ts::Bytes& rest) {
  ts::ByteWriter w(e);
  w.u32(0);
  kHandleUuid.write(w);
  w.u32(actual_count).u32(max_count).u32(offset).u32(actual_count);
  for (std::uint32_t ref : referents) w.u32(ref);
  w.bytes(rest);
  return w.take();
}

// NDR64 stubs, written by hand after the MS-ADOD capture's frames 142/143: referent ids and
// conformance/variance counts are 8 octets aligned to 8; twr_t = max_count u64, tower_length
// u32, octets. Request: ref u64, uuid 16, ref u64, max_count u64, tower_length u32, tower,
// align 4, handle 20, max_towers u32. Response: handle 20, num_towers u32, max_count u64,
// offset u64, actual_count u64, one u64 referent per tower, each twr_t (align 8), align 4,
// status u32.
ts::Bytes ndr64_request(ts::Endian e, bool with_object, bool with_tower) {
  ts::ByteWriter w(e);
  w.u64(with_object ? 0x20000 : 0);
  if (with_object) kObject.write(w);
  w.align(8).u64(with_tower ? 0x20004 : 0);
  if (with_tower) {
    w.align(8)
        .u64(kTcpTower.size())
        .u32(static_cast<std::uint32_t>(kTcpTower.size()))
        .bytes(kTcpTower);
  }
  w.align(4).u32(0);  // entry_handle: attributes, uuid
  ts::kNilUuid.write(w);
  w.u32(4);  // max_towers
  return w.take();
}

ts::Bytes ndr64_response(ts::Endian e, const std::vector<std::optional<ts::Bytes>>& towers,
                         std::uint32_t status) {
  ts::ByteWriter w(e);
  w.u32(0);
  kHandleUuid.write(w);
  w.u32(static_cast<std::uint32_t>(towers.size()));
  w.align(8).u64(4).u64(0).u64(towers.size());
  std::uint64_t ref = 0x20000;
  for (const auto& t : towers) w.u64(t ? ref++ : 0);
  for (const auto& t : towers) {
    if (!t) continue;
    w.align(8).u64(t->size()).u32(static_cast<std::uint32_t>(t->size())).bytes(*t);
  }
  w.align(4).u32(status);
  return w.take();
}

template <typename T>
T ok(common::ParseResult<T, Reason> r, std::size_t size) {
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  EXPECT_EQ(r.consumed(), size);
  return r.take();
}

void expect_tcp_tower(const Tower& t) {
  EXPECT_EQ(t.interface, to_syntax(kLsa));
  EXPECT_EQ(t.string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
}

// --- NDR 2.0 and NDR64, both byte orders ------------------------------------------------------
class EptMapOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(EptMapOrder, RequestNdr) {
  const ts::Bytes stub = ts::build_ept_map_request(map_request(), GetParam());
  const EptMapRequest q = ok(parse_ept_map_request(view(stub), to_order(GetParam())), stub.size());
  EXPECT_EQ(q.object, to_uuid(kObject));
  ASSERT_TRUE(q.map_tower.has_value());
  expect_tcp_tower(*q.map_tower);
  EXPECT_TRUE(q.entry_handle.is_null());
  EXPECT_EQ(q.max_towers, 4u);
}

TEST_P(EptMapOrder, RequestNdrNullPointers) {
  ts::EptMapRequest r = map_request();
  r.object.reset();
  r.map_tower.reset();
  const ts::Bytes stub = ts::build_ept_map_request(r, GetParam());
  const EptMapRequest q = ok(parse_ept_map_request(view(stub), to_order(GetParam())), stub.size());
  EXPECT_FALSE(q.object.has_value());
  EXPECT_FALSE(q.map_tower.has_value());
  EXPECT_EQ(q.max_towers, 4u);
}

TEST_P(EptMapOrder, ResponseNdrTwoTowers) {
  const ts::Bytes stub =
      ts::build_ept_map_response(map_response({kTcpTower, kNpTower}), GetParam());
  const EptMapResponse s =
      ok(parse_ept_map_response(view(stub), to_order(GetParam())), stub.size());
  EXPECT_EQ(s.entry_handle.uuid, to_uuid(kHandleUuid));
  EXPECT_FALSE(s.entry_handle.is_null());
  EXPECT_EQ(s.num_towers, 2u);
  ASSERT_EQ(s.towers.size(), 2u);
  expect_tcp_tower(s.towers[0]);
  EXPECT_EQ(s.towers[1].string_binding(), "ncacn_np:\\\\DC01[\\PIPE\\lsass]");
  EXPECT_EQ(s.status, 0u);
}

TEST_P(EptMapOrder, ResponseNotRegisteredWithZeroTowers) {
  ts::EptMapResponse r = map_response({});
  r.status = kEptSNotRegistered;
  r.max_count = 4;  // Windows answers with max_count = the request's max_towers
  const ts::Bytes stub = ts::build_ept_map_response(r, GetParam());
  const EptMapResponse s =
      ok(parse_ept_map_response(view(stub), to_order(GetParam())), stub.size());
  EXPECT_EQ(s.num_towers, 0u);
  EXPECT_TRUE(s.towers.empty());
  EXPECT_EQ(s.status, kEptSNotRegistered);
}

TEST_P(EptMapOrder, ResponseNdrNullTowerPointer) {
  // Two referents, the first null: only the second tower's twr_t follows.
  ts::ByteWriter rest(GetParam());
  rest.u32(static_cast<std::uint32_t>(kTcpTower.size()))
      .u32(static_cast<std::uint32_t>(kTcpTower.size()));
  rest.bytes(kTcpTower).align(4).u32(0);  // pad 75 -> 76, status 0
  const ts::Bytes stub = ndr_response(GetParam(), 2, 0, 2, {0, 3}, rest.view());
  const EptMapResponse s =
      ok(parse_ept_map_response(view(stub), to_order(GetParam())), stub.size());
  ASSERT_EQ(s.towers.size(), 1u);
  expect_tcp_tower(s.towers[0]);
  EXPECT_EQ(s.status, 0u);
}

TEST_P(EptMapOrder, RequestNdr64) {
  for (bool with_object : {true, false}) {
    for (bool with_tower : {true, false}) {
      const ts::Bytes stub = ndr64_request(GetParam(), with_object, with_tower);
      const EptMapRequest q =
          ok(parse_ept_map_request(view(stub), to_order(GetParam()), Syntax::ndr64), stub.size());
      EXPECT_EQ(q.object.has_value(), with_object);
      if (with_object) {
        EXPECT_EQ(*q.object, to_uuid(kObject));
      }
      ASSERT_EQ(q.map_tower.has_value(), with_tower);
      if (with_tower) expect_tcp_tower(*q.map_tower);
      EXPECT_EQ(q.max_towers, 4u);
    }
  }
  EXPECT_EQ(ndr64_request(GetParam(), true, true).size(), 144u);  // the capture's stub length
}

TEST_P(EptMapOrder, ResponseNdr64) {
  const ts::Bytes stub = ndr64_response(GetParam(), {kTcpTower, std::nullopt, kNpTower}, 0);
  const EptMapResponse s =
      ok(parse_ept_map_response(view(stub), to_order(GetParam()), Syntax::ndr64), stub.size());
  EXPECT_EQ(s.num_towers, 3u);
  ASSERT_EQ(s.towers.size(), 2u);
  expect_tcp_tower(s.towers[0]);
  EXPECT_EQ(s.towers[1].protseq, "ncacn_np");
  const ts::Bytes none = ndr64_response(GetParam(), {}, kEptSNotRegistered);
  const EptMapResponse n =
      ok(parse_ept_map_response(view(none), to_order(GetParam()), Syntax::ndr64), none.size());
  EXPECT_TRUE(n.towers.empty());
  EXPECT_EQ(n.status, kEptSNotRegistered);
}

// Every strict prefix is malformed, never complete (the stub is a whole call's stub).
TEST_P(EptMapOrder, EveryStrictPrefixIsMalformed) {
  const common::ByteOrder o = to_order(GetParam());
  const ts::Bytes rq = ts::build_ept_map_request(map_request(), GetParam());
  const ts::Bytes rs = ts::build_ept_map_response(map_response({kTcpTower, kNpTower}), GetParam());
  const ts::Bytes rq64 = ndr64_request(GetParam(), true, true);
  const ts::Bytes rs64 = ndr64_response(GetParam(), {kTcpTower, kNpTower}, 0);
  for (std::size_t n = 0; n < rq.size(); ++n)
    EXPECT_TRUE(parse_ept_map_request(view(rq).first(n), o).is_malformed()) << n;
  for (std::size_t n = 0; n < rs.size(); ++n)
    EXPECT_TRUE(parse_ept_map_response(view(rs).first(n), o).is_malformed()) << n;
  for (std::size_t n = 0; n < rq64.size(); ++n)
    EXPECT_TRUE(parse_ept_map_request(view(rq64).first(n), o, Syntax::ndr64).is_malformed()) << n;
  for (std::size_t n = 0; n < rs64.size(); ++n)
    EXPECT_TRUE(parse_ept_map_response(view(rs64).first(n), o, Syntax::ndr64).is_malformed()) << n;
}

INSTANTIATE_TEST_SUITE_P(Drep, EptMapOrder, unittest::kBothOrders, unittest::order_name);

Reason request_reason(const ts::EptMapRequest& r) {
  const ts::Bytes stub = ts::build_ept_map_request(r);
  auto q = parse_ept_map_request(view(stub), common::ByteOrder::little);
  EXPECT_TRUE(q.is_malformed());
  return q.is_malformed() ? q.error().reason : Reason::count_;
}

Reason response_reason(const ts::Bytes& stub) {
  auto s = parse_ept_map_response(view(stub), common::ByteOrder::little);
  EXPECT_TRUE(s.is_malformed());
  return s.is_malformed() ? s.error().reason : Reason::count_;
}

// --- tower_length (twr_t): 0, maximum, one off either side (max_count stays 75) --------------
TEST(EptMap, TowerLengthBoundaries) {
  for (std::uint32_t v : {0u, 74u, 76u, 0xffffffffu}) {
    ts::EptMapRequest r = map_request();
    r.tower_length = v;
    const Reason want = v == 0    ? Reason::truncated
                        : v == 74 ? Reason::floor_length
                                  : Reason::tower_length;
    EXPECT_EQ(request_reason(r), want) << v;
  }
}

// --- ITowers (conformant varying array): max_count, offset, actual_count ----------------------
TEST(EptMap, ITowersCountMismatch) {
  ts::EptMapResponse two = map_response({kTcpTower, kNpTower});
  two.max_count = 1;  // actual_count 2 > max_count 1
  EXPECT_EQ(response_reason(ts::build_ept_map_response(two)), Reason::count_mismatch);
  two.max_count = 0;
  EXPECT_EQ(response_reason(ts::build_ept_map_response(two)), Reason::count_mismatch);
  // offset > max_count, and offset + actual_count > max_count.
  EXPECT_EQ(response_reason(ndr_response(ts::Endian::little, 1, 2, 0, {}, ts::Bytes(4))),
            Reason::count_mismatch);
  EXPECT_EQ(response_reason(ndr_response(ts::Endian::little, 2, 1, 2, {3, 4}, ts::Bytes(4))),
            Reason::count_mismatch);
  // offset + actual_count == max_count is fine.
  ts::ByteWriter rest(ts::Endian::little);
  rest.u32(75).u32(75).bytes(kTcpTower).align(4).u32(0);
  auto s = parse_ept_map_response(view(ndr_response(ts::Endian::little, 2, 1, 1, {3}, rest.view())),
                                  common::ByteOrder::little);
  ASSERT_TRUE(s.is_complete());
  EXPECT_EQ(s.value().towers.size(), 1u);
}

TEST(EptMap, ITowersMaxCountAtItsMaximum) {
  ts::EptMapResponse one = map_response({kTcpTower});
  one.max_count = 0xffffffff;
  const ts::Bytes stub = ts::build_ept_map_response(one);
  EXPECT_EQ(
      ok(parse_ept_map_response(view(stub), common::ByteOrder::little), stub.size()).towers.size(),
      1u);
}

TEST(EptMap, ActualCountAboveKMaxTowersPerResponse) {
  const auto n = static_cast<std::uint32_t>(kMaxTowersPerResponse);
  auto over = parse_ept_map_response(
      view(ndr_response(ts::Endian::little, n + 1, 0, n + 1, {}, {})), common::ByteOrder::little);
  ASSERT_TRUE(over.is_malformed());
  EXPECT_EQ(over.error().reason, Reason::too_many_towers);
  // At the limit the count is accepted, then checked against the octets that follow.
  EXPECT_EQ(response_reason(ndr_response(ts::Endian::little, n, 0, n, {}, {})), Reason::truncated);
}

TEST(EptMap, ActualCountOneOffTheTrueValue) {
  const ts::Bytes good = ts::build_ept_map_response(map_response({kTcpTower}));
  // actual_count is at octet 32 (handle 20, num_towers, max_count, offset).
  ts::Bytes plus = good;
  ts::Bytes minus = good;
  plus[32] = std::byte{2};
  plus[24] = std::byte{2};  // max_count too, so the count check passes
  minus[32] = std::byte{0};
  // One more: the twr_t's max_count is taken as a second referent, the tower's floor_count
  // and first lhs_length as its tower_length.
  EXPECT_EQ(response_reason(plus), Reason::tower_length);
  // One less: no tower is read and the first referent is taken as the status; the stub's
  // remaining octets are left over (consumed < size).
  auto s = parse_ept_map_response(view(minus), common::ByteOrder::little);
  ASSERT_TRUE(s.is_complete());
  EXPECT_TRUE(s.value().towers.empty());
  EXPECT_EQ(s.value().status, 3u);
  EXPECT_EQ(s.consumed(), 40u);
  EXPECT_LT(s.consumed(), minus.size());
}

TEST(EptMap, NumTowersIsReportedAsSent) {
  ts::EptMapResponse r = map_response({kTcpTower});
  r.num_towers = 5;
  const ts::Bytes stub = ts::build_ept_map_response(r);
  const EptMapResponse s =
      ok(parse_ept_map_response(view(stub), common::ByteOrder::little), stub.size());
  EXPECT_EQ(s.num_towers, 5u);
  EXPECT_EQ(s.towers.size(), 1u);
}

TEST(EptMap, MalformedTowerInsideAResponse) {
  const ts::Bytes bad_tower = ts::TowerBuilder{}.tcp(135).floor_count(40).build();
  EXPECT_EQ(response_reason(ts::build_ept_map_response(map_response({kTcpTower, bad_tower}))),
            Reason::too_many_floors);
}

}  // namespace
}  // namespace rpctrace::epm
