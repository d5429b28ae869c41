// Tests of src/epm/ept_ops.cpp: ept_insert (0), ept_delete (1), ept_lookup_handle_free (4),
// ept_inq_object (5), ept_mgmt_delete (6) (C706 appendix O; MS-RPCE 2.2.1.2), and
// decode_epm_stub() over every opnum, in NDR 2.0 and NDR64 and both integer byte orders, with
// truncation sweeps, the entry limit and every Reason's name.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/limits.hpp"
#include "support/epm_builder.hpp"
#include "support/tower_builder.hpp"
#include "unit/dcerpc/test_util.hpp"
#include "unit/epm/epm_test_util.hpp"

namespace rpctrace::epm {
namespace {

using epmtest::entry;
using epmtest::format_name;
using epmtest::kHandleUuid;
using epmtest::kLsa;
using epmtest::kObject;
using unittest::to_order;
using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

// A non-zero status (rpc_s_underspecified_name in DCE rpcsts); the decoders pass any status
// through as-is, so the value only has to be non-zero and recognisable.
constexpr std::uint32_t kFailureStatus = 0x16c9a0d8;

const ts::Bytes kTcpTower = ts::tcp_ip_tower(kLsa, 1067, {192, 168, 0, 6});

ts::EptEntriesRequest two_entries(std::optional<std::uint32_t> replace) {
  ts::EptEntriesRequest r;
  r.entries = {entry(kObject, kTcpTower, "Remote Fw APIs"), entry(ts::kNilUuid, std::nullopt, "x")};
  r.replace = replace;
  return r;
}

class EptOpsFormat : public ::testing::TestWithParam<std::tuple<ts::Endian, bool>> {
 protected:
  ts::Endian endian() const { return std::get<0>(GetParam()); }
  bool ndr64() const { return std::get<1>(GetParam()); }
  Syntax syntax() const { return ndr64() ? Syntax::ndr64 : Syntax::ndr; }
  common::ByteOrder order() const { return to_order(endian()); }

  // A referent id or count in this format.
  void count(ts::ByteWriter& w, std::uint64_t v) const {
    if (ndr64()) {
      w.align(8).u64(v);
    } else {
      w.align(4).u32(static_cast<std::uint32_t>(v));
    }
  }
  ts::Bytes handle_stub(bool with_status) const {
    ts::ByteWriter w(endian());
    w.u32(0);
    kHandleUuid.write(w);
    if (with_status) w.u32(kFailureStatus);
    return w.take();
  }
  ts::Bytes inq_object_response() const {
    ts::ByteWriter w(endian());
    kObject.write(w);
    w.u32(0);
    return w.take();
  }
  ts::Bytes mgmt_delete_request(bool with_object, bool with_tower) const {
    ts::ByteWriter w(endian());
    w.u32(1);  // object_speced
    count(w, with_object ? 1 : 0);
    if (with_object) kObject.write(w);
    count(w, with_tower ? 2 : 0);
    if (with_tower) {
      count(w, kTcpTower.size());
      w.u32(static_cast<std::uint32_t>(kTcpTower.size())).bytes(kTcpTower);
    }
    return w.take();
  }
  ts::Bytes status_stub() const {
    ts::ByteWriter w(endian());
    w.u32(kFailureStatus);
    return w.take();
  }
  EpmValue decode(std::uint16_t op, bool request, const ts::Bytes& stub) const {
    auto r = decode_epm_stub(op, request, view(stub), order(), syntax());
    EXPECT_TRUE(r.is_complete()) << op << (r.is_malformed() ? r.error().detail : "");
    if (!r.is_complete()) return EpmValue{};
    EXPECT_EQ(r.consumed(), stub.size()) << op;
    return r.take();
  }
  void expect_prefixes_malformed(std::uint16_t op, bool request, const ts::Bytes& stub) const {
    for (std::size_t n = 0; n < stub.size(); ++n)
      EXPECT_TRUE(
          decode_epm_stub(op, request, view(stub).first(n), order(), syntax()).is_malformed())
          << "opnum " << op << " prefix " << n;
  }
};

TEST_P(EptOpsFormat, InsertRequest) {
  const ts::Bytes stub = ts::build_ept_entries_request(two_entries(1), endian(), ndr64());
  const auto q = std::get<EptInsertRequest>(decode(opnum::ept_insert, true, stub));
  EXPECT_EQ(q.num_ents, 2u);
  ASSERT_EQ(q.entries.size(), 2u);
  EXPECT_EQ(q.entries[0].object, to_uuid(kObject));
  EXPECT_EQ(q.entries[0].annotation, "Remote Fw APIs");
  ASSERT_TRUE(q.entries[0].tower.has_value());
  EXPECT_EQ(q.entries[0].tower->string_binding(), "ncacn_ip_tcp:192.168.0.6[1067]");
  EXPECT_FALSE(q.entries[1].tower.has_value());
  EXPECT_EQ(q.entries[1].annotation, "x");
  EXPECT_EQ(q.replace, 1u);
  expect_prefixes_malformed(opnum::ept_insert, true, stub);
}

TEST_P(EptOpsFormat, DeleteRequest) {
  const ts::Bytes stub =
      ts::build_ept_entries_request(two_entries(std::nullopt), endian(), ndr64());
  const auto q = std::get<EptDeleteRequest>(decode(opnum::ept_delete, true, stub));
  EXPECT_EQ(q.num_ents, 2u);
  ASSERT_EQ(q.entries.size(), 2u);
  EXPECT_EQ(q.entries[0].tower->port, 1067);
  expect_prefixes_malformed(opnum::ept_delete, true, stub);
}

TEST_P(EptOpsFormat, StatusOnlyResponses) {
  const ts::Bytes stub = status_stub();
  EXPECT_EQ(std::get<EptInsertResponse>(decode(opnum::ept_insert, false, stub)).status,
            kFailureStatus);
  EXPECT_EQ(std::get<EptDeleteResponse>(decode(opnum::ept_delete, false, stub)).status,
            kFailureStatus);
  EXPECT_EQ(std::get<EptMgmtDeleteResponse>(decode(opnum::ept_mgmt_delete, false, stub)).status,
            kFailureStatus);
  for (std::uint16_t op : {opnum::ept_insert, opnum::ept_delete, opnum::ept_mgmt_delete})
    expect_prefixes_malformed(op, false, stub);
}

TEST_P(EptOpsFormat, LookupHandleFree) {
  const ts::Bytes rq = handle_stub(false);
  const ts::Bytes rs = handle_stub(true);
  EXPECT_EQ(std::get<EptLookupHandleFreeRequest>(decode(opnum::ept_lookup_handle_free, true, rq))
                .entry_handle.uuid,
            to_uuid(kHandleUuid));
  const auto s =
      std::get<EptLookupHandleFreeResponse>(decode(opnum::ept_lookup_handle_free, false, rs));
  EXPECT_EQ(s.entry_handle.uuid, to_uuid(kHandleUuid));
  EXPECT_EQ(s.status, kFailureStatus);
  expect_prefixes_malformed(opnum::ept_lookup_handle_free, true, rq);
  expect_prefixes_malformed(opnum::ept_lookup_handle_free, false, rs);
}

TEST_P(EptOpsFormat, InqObject) {
  // No [in] data: an empty stub is the whole request.
  auto q = decode_epm_stub(opnum::ept_inq_object, true, {}, order(), syntax());
  ASSERT_TRUE(q.is_complete());
  EXPECT_TRUE(std::holds_alternative<EptInqObjectRequest>(q.value()));
  EXPECT_EQ(q.consumed(), 0u);
  const ts::Bytes rs = inq_object_response();
  const auto s = std::get<EptInqObjectResponse>(decode(opnum::ept_inq_object, false, rs));
  EXPECT_EQ(s.ept_object, to_uuid(kObject));
  EXPECT_EQ(s.status, 0u);
  expect_prefixes_malformed(opnum::ept_inq_object, false, rs);
}

TEST_P(EptOpsFormat, MgmtDeleteRequest) {
  for (bool with_object : {true, false}) {
    for (bool with_tower : {true, false}) {
      const ts::Bytes stub = mgmt_delete_request(with_object, with_tower);
      const auto q = std::get<EptMgmtDeleteRequest>(decode(opnum::ept_mgmt_delete, true, stub));
      EXPECT_EQ(q.object_speced, 1u);
      EXPECT_EQ(q.object.has_value(), with_object);
      ASSERT_EQ(q.tower.has_value(), with_tower);
      if (with_tower) {
        EXPECT_EQ(q.tower->string_binding(), "ncacn_ip_tcp:192.168.0.6[1067]");
      }
      expect_prefixes_malformed(opnum::ept_mgmt_delete, true, stub);
    }
  }
}

TEST_P(EptOpsFormat, DispatcherReachesLookupAndMap) {
  const ts::Bytes lq = ts::build_ept_lookup_request({}, endian(), ndr64());
  EXPECT_TRUE(std::holds_alternative<EptLookupRequest>(decode(opnum::ept_lookup, true, lq)));
  ts::EptLookupResponse lr;
  lr.entries = {entry(kObject, kTcpTower, "a")};
  const ts::Bytes ls = ts::build_ept_lookup_response(lr, endian(), ndr64());
  EXPECT_EQ(std::get<EptLookupResponse>(decode(opnum::ept_lookup, false, ls)).entries.size(), 1u);
  if (!ndr64()) {  // the ept_map builder writes NDR 2.0
    ts::EptMapRequest mq;
    mq.map_tower = kTcpTower;
    const ts::Bytes m = ts::build_ept_map_request(mq, endian());
    EXPECT_TRUE(std::holds_alternative<EptMapRequest>(decode(opnum::ept_map, true, m)));
    ts::EptMapResponse ms;
    ms.towers = {kTcpTower};
    const ts::Bytes mr = ts::build_ept_map_response(ms, endian());
    EXPECT_EQ(std::get<EptMapResponse>(decode(opnum::ept_map, false, mr)).towers.size(), 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(DrepAndSyntax, EptOpsFormat,
                         ::testing::Combine(unittest::kBothOrders, ::testing::Bool()), format_name);

Reason reason_of(common::ParseResult<EpmValue, Reason> r) {
  EXPECT_TRUE(r.is_malformed());
  return r.is_malformed() ? r.error().reason : Reason::count_;
}

TEST(EptOps, UnknownOpnum) {
  const ts::Bytes stub(8);
  for (std::uint16_t op : {std::uint16_t{7}, std::uint16_t{0xffff}}) {
    auto r = decode_epm_stub(op, true, view(stub), common::ByteOrder::little, Syntax::ndr);
    EXPECT_EQ(reason_of(std::move(r)), Reason::unknown_opnum);
  }
}

TEST(EptOps, InsertEntriesLimit) {
  ts::EptEntriesRequest r;
  r.entries.assign(kMaxEntriesPerCall, entry(ts::kNilUuid, std::nullopt, ""));
  r.replace = 0;
  const ts::Bytes at = ts::build_ept_entries_request(r);
  auto ok =
      decode_epm_stub(opnum::ept_insert, true, view(at), common::ByteOrder::little, Syntax::ndr);
  ASSERT_TRUE(ok.is_complete());
  EXPECT_EQ(std::get<EptInsertRequest>(ok.value()).entries.size(), kMaxEntriesPerCall);
  r.entries.emplace_back(entry(ts::kNilUuid, std::nullopt, ""));
  EXPECT_EQ(
      reason_of(decode_epm_stub(opnum::ept_insert, true, view(ts::build_ept_entries_request(r)),
                                common::ByteOrder::little, Syntax::ndr)),
      Reason::too_many_entries);
}

TEST(EptOps, HostileEntryCounts) {
  ts::EptEntriesRequest r;
  r.max_count = 0x80000000u;  // 2^31 entries, no octets
  r.num_ents = 0x80000000u;
  EXPECT_EQ(
      reason_of(decode_epm_stub(opnum::ept_delete, true, view(ts::build_ept_entries_request(r)),
                                common::ByteOrder::little, Syntax::ndr)),
      Reason::too_many_entries);
  r.max_count = 3;  // within the limit, past the stub
  EXPECT_EQ(
      reason_of(decode_epm_stub(opnum::ept_delete, true, view(ts::build_ept_entries_request(r)),
                                common::ByteOrder::little, Syntax::ndr)),
      Reason::truncated);
  // num_ents disagreeing with the array's max_count is reported as sent.
  ts::EptEntriesRequest odd = two_entries(std::nullopt);
  odd.num_ents = 9;
  auto d = decode_epm_stub(opnum::ept_delete, true, view(ts::build_ept_entries_request(odd)),
                           common::ByteOrder::little, Syntax::ndr);
  ASSERT_TRUE(d.is_complete());
  EXPECT_EQ(std::get<EptDeleteRequest>(d.value()).num_ents, 9u);
  EXPECT_EQ(std::get<EptDeleteRequest>(d.value()).entries.size(), 2u);
}

TEST(EptOps, InsertAnnotationTooLong) {
  ts::EptEntriesRequest r;
  r.entries = {entry(ts::kNilUuid, kTcpTower, std::string(64, 'n'))};
  r.replace = 1;
  EXPECT_EQ(
      reason_of(decode_epm_stub(opnum::ept_insert, true, view(ts::build_ept_entries_request(r)),
                                common::ByteOrder::little, Syntax::ndr)),
      Reason::annotation_too_long);
}

TEST(EptOps, MgmtDeleteTowerLengthPastTheStub) {
  ts::ByteWriter w(ts::Endian::little);
  w.u32(0).u32(0).u32(1).u32(0xffffffff).u32(0xfffffff0).bytes(kTcpTower);
  EXPECT_EQ(reason_of(decode_epm_stub(opnum::ept_mgmt_delete, true, view(w.view()),
                                      common::ByteOrder::little, Syntax::ndr)),
            Reason::tower_length);
}

TEST(EptOps, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (int i = 0; i < static_cast<int>(Reason::count_); ++i) {
    const std::string name(to_string(static_cast<Reason>(i)));
    EXPECT_NE(name, "?") << i;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(Reason::count_));
}

}  // namespace
}  // namespace rpctrace::epm
