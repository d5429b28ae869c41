// Tests of src/epm/ndr.hpp and src/epm/ndr.cpp, the NDR reading shared by the endpoint mapper
// decoders: the Ndr reader's primitives (u32, count, align_pointer_struct, uuid, handle, if_id)
// in NDR 2.0 (C706 chapter 14) and NDR64 (MS-RPCE 2.2.5) and both integer byte orders,
// truncated(), twr_t and twr_p_t (C706 appendix N/O), check_entry_counts() and read_entries()
// (ept_entry_t arrays and their annotation varying strings, C706 §14.3.3, §14.3.12.3).
//
// The primitives, twr_t and the first entry tests are laid out octet by octet here, not by the
// ept_* builders, so that an alignment rule the builders and the decoders got wrong together
// would still show; the longer entry arrays come from build_ept_entries_request. Padding
// octets are 0xee: a reader that took them for data would give a different value. Every strict
// prefix of each encoding is read from its own exact-size buffer (an over-read is a heap
// overflow under ASan) and must fail.
#include "epm/ndr.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "rpctrace/epm/limits.hpp"
#include "support/alloc_probe.hpp"
#include "support/tower_builder.hpp"
#include "unit/dcerpc/test_util.hpp"
#include "unit/epm/epm_test_util.hpp"

namespace rpctrace::epm::detail {
namespace {

using epmtest::format_name;
using epmtest::kLsa;
using epmtest::kObject;
using epmtest::kTcpTower;
using unittest::to_order;
using unittest::to_syntax;
using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

constexpr std::uint64_t k2e31 = std::uint64_t{1} << 31;
constexpr std::uint64_t k2e63 = std::uint64_t{1} << 63;
constexpr std::uint64_t kMax64 = ~std::uint64_t{0};
// Far more than any of these calls may allocate on a refusal (its detail text), far less than
// any array a hostile count could size.
constexpr std::size_t kSmallAllocation = 1024;

// A reader over its own exact-size copy of the octets, and an Ndr over that reader.
struct Stub {
  Stub(const ts::Bytes& b, ts::Endian e, bool ndr64)
      : bytes(b),
        reader(view(bytes), to_order(e)),
        ndr(reader, ndr64 ? Syntax::ndr64 : Syntax::ndr) {}
  Stub(const Stub&) = delete;
  Stub& operator=(const Stub&) = delete;

  ts::Bytes bytes;
  common::ByteReader reader;
  Ndr ndr;
};

ts::Bytes prefix(const ts::Bytes& b, std::size_t n) {
  return ts::Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

// n padding octets.
ts::ByteWriter& pad(ts::ByteWriter& w, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) w.u8(0xee);
  return w;
}

// A referent id or an array count as it is on the wire, unaligned (the tests pad by hand).
ts::ByteWriter& put_count(ts::ByteWriter& w, std::uint64_t v, bool ndr64) {
  return ndr64 ? w.u64(v) : w.u32(static_cast<std::uint32_t>(v));
}

// kObject (0123abcd-4567-89ef-0011-223344556677) as NDR puts it: time_low, time_mid and
// time_hi_and_version in the PDU's byte order (C706 appendix A), the last 8 octets as they are.
ts::Bytes object_octets(ts::Endian e) {
  return ts::hex_bytes(e == ts::Endian::little ? "cdab2301 6745 ef89 0011223344556677"
                                               : "0123abcd 4567 89ef 0011223344556677");
}

// A twr_t at an aligned position: max_count, tower_length, the octets; 8 + n octets, or 12 + n
// in NDR64 (an 8-octet max_count, then the tower_length, which stays a 4-aligned u32).
ts::Bytes twr(const ts::Bytes& tower, ts::Endian e, bool ndr64,
              std::optional<std::uint64_t> max_count = std::nullopt,
              std::optional<std::uint32_t> tower_length = std::nullopt) {
  ts::ByteWriter w(e);
  put_count(w, max_count.value_or(tower.size()), ndr64);
  w.u32(tower_length.value_or(static_cast<std::uint32_t>(tower.size()))).bytes(tower);
  return w.take();
}

template <typename T>
T complete(common::ParseResult<T, Reason> r) {
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return T{};
  return r.take();
}

template <typename T>
common::Malformed<Reason> malformed(const common::ParseResult<T, Reason>& r) {
  EXPECT_TRUE(r.is_malformed());
  if (!r.is_malformed()) return {Reason::count_, 0, "not malformed"};
  return r.error();
}

class NdrFormat : public ::testing::TestWithParam<std::tuple<ts::Endian, bool>> {
 protected:
  ts::Endian endian() const { return std::get<0>(GetParam()); }
  bool ndr64() const { return std::get<1>(GetParam()); }
  std::size_t count_octets() const { return ndr64() ? 8 : 4; }
  // Where a twr_t's octets start when it begins at an aligned position.
  std::size_t twr_header() const { return count_octets() + 4; }
};

// --- the Ndr reader's primitives -------------------------------------------------------------
TEST(NdrReader, SyntaxAndReader) {
  const ts::Bytes b(4);
  common::ByteReader r(view(b));
  Ndr ndr(r, Syntax::ndr);
  Ndr ndr64(r, Syntax::ndr64);
  EXPECT_FALSE(ndr.ndr64());
  EXPECT_TRUE(ndr64.ndr64());
  EXPECT_EQ(&ndr.reader(), &r);
  ndr.reader().skip(3);
  EXPECT_EQ(r.position(), 3u);  // the Ndr reads through the caller's reader, not a copy
}

TEST_P(NdrFormat, U32IsFourAlignedInBothSyntaxes) {
  ts::ByteWriter w(endian());
  w.u8(0xaa);
  pad(w, 3).u32(0x01020304).u32(0xfffffffe);
  Stub s(w.view(), endian(), ndr64());
  EXPECT_EQ(s.reader.u8(), 0xaa);
  EXPECT_EQ(s.ndr.u32(), 0x01020304u);  // at 4, not 8 in NDR64
  EXPECT_EQ(s.reader.position(), 8u);
  EXPECT_EQ(s.ndr.u32(), 0xfffffffeu);  // already aligned: no padding skipped
  EXPECT_EQ(s.reader.position(), 12u);
  EXPECT_TRUE(s.reader.ok());
}

TEST_P(NdrFormat, CountIsFourOctetsInNdrAndEightAlignedToEightInNdr64) {
  ts::ByteWriter w(endian());
  w.u8(0xaa);
  if (ndr64()) {
    pad(w, 7).u64(0x0123456789abcdefull);
  } else {
    pad(w, 3).u32(0x89abcdef);
  }
  Stub s(w.view(), endian(), ndr64());
  s.reader.u8();
  EXPECT_EQ(s.ndr.count(), ndr64() ? 0x0123456789abcdefull : 0x89abcdefull);
  EXPECT_EQ(s.reader.position(), ndr64() ? 16u : 8u);
  EXPECT_TRUE(s.reader.ok());
}

TEST_P(NdrFormat, CountKeepsEveryBit) {
  ts::ByteWriter w(endian());
  if (ndr64()) {
    w.u64(k2e63).u64(kMax64).u64(0x0000000100000000ull);
  } else {
    w.u32(0x80000000u).u32(0xffffffffu).u32(1);
  }
  Stub s(w.view(), endian(), ndr64());
  if (ndr64()) {
    EXPECT_EQ(s.ndr.count(), k2e63);
    EXPECT_EQ(s.ndr.count(), kMax64);
    EXPECT_EQ(s.ndr.count(), 0x0000000100000000ull);  // only the high half set
  } else {
    EXPECT_EQ(s.ndr.count(), k2e31);
    EXPECT_EQ(s.ndr.count(), 0xffffffffull);  // widened, not sign-extended
    EXPECT_EQ(s.ndr.count(), 1u);
  }
  EXPECT_TRUE(s.reader.ok());
}

// The same 16 octets are three NDR 2.0 counts or two NDR64 ones.
TEST(NdrReader, SameOctetsReadAsCountsOfEitherSyntax) {
  const ts::Bytes b = ts::hex_bytes("01000000 02000000 03000000 00000000");
  Stub as_ndr(b, ts::Endian::little, false);
  EXPECT_EQ(as_ndr.ndr.count(), 1u);
  EXPECT_EQ(as_ndr.ndr.count(), 2u);
  EXPECT_EQ(as_ndr.ndr.count(), 3u);
  EXPECT_EQ(as_ndr.reader.position(), 12u);
  Stub as_ndr64(b, ts::Endian::little, true);
  EXPECT_EQ(as_ndr64.ndr.count(), 0x0000000200000001ull);
  EXPECT_EQ(as_ndr64.ndr.count(), 3u);
  EXPECT_EQ(as_ndr64.reader.position(), 16u);
  Stub big(b, ts::Endian::big, false);
  EXPECT_EQ(big.ndr.count(), 0x01000000u);
}

TEST_P(NdrFormat, AlignPointerStructIsFourOrEight) {
  const ts::Bytes b(16);
  // start position -> position after align_pointer_struct()
  const std::vector<std::pair<std::size_t, std::size_t>> cases =
      ndr64() ? std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {1, 8},  {4, 8},
                                                                 {8, 8}, {9, 16}, {16, 16}}
              : std::vector<std::pair<std::size_t, std::size_t>>{{0, 0}, {1, 4}, {4, 4},
                                                                 {5, 8}, {8, 8}, {16, 16}};
  for (const auto& [start, after] : cases) {
    Stub s(b, endian(), ndr64());
    s.reader.skip(start);
    s.ndr.align_pointer_struct();
    EXPECT_TRUE(s.reader.ok()) << start;
    EXPECT_EQ(s.reader.position(), after) << start;
  }
  // Padding past the end fails: 12 octets, at 9 (NDR64 needs 16; NDR's 12 is the very end).
  Stub s(ts::Bytes(12), endian(), ndr64());
  s.reader.skip(9);
  s.ndr.align_pointer_struct();
  EXPECT_EQ(s.reader.ok(), !ndr64());
  EXPECT_EQ(s.reader.position(), ndr64() ? 9u : 12u);
}

TEST_P(NdrFormat, UuidIsFourAlignedAndFollowsTheByteOrder) {
  ts::ByteWriter w(endian());
  w.u8(0xaa);
  pad(w, 3).bytes(object_octets(endian()));
  Stub s(w.view(), endian(), ndr64());
  s.reader.u8();
  EXPECT_EQ(s.ndr.uuid(), to_uuid(kObject));
  EXPECT_EQ(s.reader.position(), 20u);  // from 4, in NDR64 too
}

TEST_P(NdrFormat, HandleIsAttributesThenUuid) {
  ts::ByteWriter w(endian());
  w.u8(0xaa);
  pad(w, 3).u32(0x11223344).bytes(object_octets(endian()));
  w.u32(0).bytes(ts::Bytes(16));  // a null handle after it
  Stub s(w.view(), endian(), ndr64());
  s.reader.u8();
  const ContextHandle h = s.ndr.handle();
  EXPECT_EQ(h.attributes, 0x11223344u);
  EXPECT_EQ(h.uuid, to_uuid(kObject));
  EXPECT_FALSE(h.is_null());
  EXPECT_EQ(s.reader.position(), 24u);  // 20 octets from 4, in NDR64 too
  const ContextHandle null = s.ndr.handle();
  EXPECT_TRUE(null.is_null());
  EXPECT_EQ(s.reader.position(), 44u);
  EXPECT_TRUE(s.reader.ok());
}

TEST_P(NdrFormat, IfIdIsUuidThenMajorThenMinor) {
  ts::ByteWriter w(endian());
  w.u8(0xaa);
  pad(w, 3).bytes(object_octets(endian()));
  w.u16(3).u16(1);
  Stub s(w.view(), endian(), ndr64());
  s.reader.u8();
  const dcerpc::SyntaxId id = s.ndr.if_id();
  EXPECT_EQ(id.uuid, to_uuid(kObject));
  EXPECT_EQ(id.major, 3);
  EXPECT_EQ(id.minor, 1);
  EXPECT_EQ(s.reader.position(), 24u);
}

// Reads `full` after its leading octet and expects `value`; then every strict prefix n: the
// read gives at_cut(n) (the fields read before the cut keep their values, the one cut and any
// after it are zero: callers check ok() once, at the end), the reader is failed and stays
// failed, and nothing past the prefix was read.
template <typename T, typename Read, typename AtCut>
void expect_every_prefix_fails(const ts::Bytes& full, ts::Endian e, bool ndr64, const T& value,
                               Read read, AtCut at_cut) {
  {
    Stub s(full, e, ndr64);
    s.reader.u8();
    EXPECT_EQ(read(s.ndr), value);
    EXPECT_TRUE(s.reader.ok());
    EXPECT_EQ(s.reader.position(), full.size());
  }
  for (std::size_t n = 0; n < full.size(); ++n) {
    Stub s(prefix(full, n), e, ndr64);
    s.reader.u8();
    EXPECT_EQ(read(s.ndr), at_cut(n)) << n;
    EXPECT_FALSE(s.reader.ok()) << n;
    EXPECT_EQ(s.reader.remaining(), 0u) << n;
    EXPECT_LE(s.reader.position(), n) << n;
    EXPECT_EQ(s.ndr.count(), 0u) << n;  // sticky, whatever the next read is
    EXPECT_EQ(s.ndr.u32(), 0u) << n;
    EXPECT_FALSE(s.reader.ok()) << n;
  }
}

TEST_P(NdrFormat, EveryStrictPrefixOfAPrimitiveFails) {
  const ts::Endian e = endian();
  auto lead = [&](std::size_t pad_octets) {
    ts::ByteWriter w(e);
    w.u8(0xaa);
    pad(w, pad_octets);
    return w;
  };
  const common::Uuid object = to_uuid(kObject);
  {
    ts::ByteWriter w = lead(3);
    w.u32(0x01020304);
    SCOPED_TRACE("u32");
    expect_every_prefix_fails(
        w.view(), e, ndr64(), std::uint32_t{0x01020304}, [](Ndr& n) { return n.u32(); },
        [](std::size_t) { return std::uint32_t{0}; });
  }
  {
    ts::ByteWriter w = lead(count_octets() - 1);
    put_count(w, 0x0102030405060708ull, ndr64());
    SCOPED_TRACE("count");
    expect_every_prefix_fails(
        w.view(), e, ndr64(), ndr64() ? std::uint64_t{0x0102030405060708} : 0x05060708u,
        [](Ndr& n) { return n.count(); }, [](std::size_t) { return std::uint64_t{0}; });
  }
  {
    ts::ByteWriter w = lead(3);
    w.bytes(object_octets(e));
    SCOPED_TRACE("uuid");
    expect_every_prefix_fails(
        w.view(), e, ndr64(), object, [](Ndr& n) { return n.uuid(); },
        [](std::size_t) { return common::Uuid{}; });
  }
  {  // attributes at 4-8, the UUID at 8-24
    ts::ByteWriter w = lead(3);
    w.u32(0x11223344).bytes(object_octets(e));
    SCOPED_TRACE("handle");
    expect_every_prefix_fails(
        w.view(), e, ndr64(), std::pair(0x11223344u, object),
        [](Ndr& n) {
          const ContextHandle h = n.handle();
          return std::pair(h.attributes, h.uuid);
        },
        [](std::size_t n) { return std::pair(n < 8 ? 0u : 0x11223344u, common::Uuid{}); });
  }
  {  // the UUID at 4-20, vers_major at 20-22, vers_minor at 22-24
    ts::ByteWriter w = lead(3);
    w.bytes(object_octets(e)).u16(3).u16(1);
    SCOPED_TRACE("if_id");
    expect_every_prefix_fails(
        w.view(), e, ndr64(), dcerpc::SyntaxId{object, 3, 1}, [](Ndr& n) { return n.if_id(); },
        [&](std::size_t n) {
          if (n < 20) return dcerpc::SyntaxId{};
          return dcerpc::SyntaxId{object, static_cast<std::uint16_t>(n < 22 ? 0 : 3), 0};
        });
  }
  {
    ts::ByteWriter w = lead(ndr64() ? 7 : 3);
    SCOPED_TRACE("align_pointer_struct");
    expect_every_prefix_fails(
        w.view(), e, ndr64(), 0,
        [](Ndr& n) {
          n.align_pointer_struct();
          return 0;
        },
        [](std::size_t) { return 0; });
  }
}

// --- truncated() -----------------------------------------------------------------------------
TEST(NdrTruncated, NamesTheFieldAtTheReadersPositionAndTheStubSize) {
  const ts::Bytes b(10);
  common::ByteReader r(view(b));
  r.skip(6);
  r.u64();  // fails: the position stays at 6
  const auto m = truncated<Tower>(r, "twr_t");
  ASSERT_TRUE(m.is_malformed());
  EXPECT_EQ(m.error().reason, Reason::truncated);
  EXPECT_EQ(m.error().offset, 6u);
  EXPECT_EQ(m.error().detail, "stub ends inside twr_t (10 octets)");
}

// --- read_twr: twr_t -------------------------------------------------------------------------
TEST_P(NdrFormat, ReadTwrTcpTower) {
  // Tower octets are little-endian whatever the PDU's order (C706 appendix L).
  const ts::Bytes b = twr(kTcpTower, endian(), ndr64());
  ASSERT_EQ(b.size(), ndr64() ? 87u : 83u);
  Stub s(b, endian(), ndr64());
  const Tower t = complete(read_twr(s.ndr));
  EXPECT_EQ(s.reader.position(), b.size());
  ASSERT_EQ(t.floors.size(), 5u);
  EXPECT_EQ(t.interface, to_syntax(kLsa));
  EXPECT_EQ(t.transfer_syntax, to_syntax(ts::kNdrSyntax));
  EXPECT_EQ(t.protseq, "ncacn_ip_tcp");
  EXPECT_EQ(t.port, 49712);
  EXPECT_EQ(t.address, common::IpAddress::v4(0x0a010102));
  EXPECT_EQ(t.string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
}

TEST_P(NdrFormat, ReadTwrAlignsItsMaxCount) {
  ts::ByteWriter w(endian());
  w.u8(0xaa);
  pad(w, count_octets() - 1).bytes(twr(kTcpTower, endian(), ndr64()));
  Stub s(w.view(), endian(), ndr64());
  s.reader.u8();
  EXPECT_EQ(complete(read_twr(s.ndr)).string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
  EXPECT_EQ(s.reader.position(), w.size());
}

// The octets after the tower (the caller's padding, the next field) are not read.
TEST_P(NdrFormat, ReadTwrStopsAtTheEndOfTheTower) {
  const ts::Bytes b = ts::concat({twr(kTcpTower, endian(), ndr64()), ts::Bytes(5)});
  Stub s(b, endian(), ndr64());
  EXPECT_EQ(complete(read_twr(s.ndr)).port, 49712);
  EXPECT_EQ(s.reader.position(), twr_header() + kTcpTower.size());
}

// read_twr's consumed() is the stub position after the tower, as read_twr_pointer's and
// read_entries' are (it once counted from the tower's first octet).
TEST_P(NdrFormat, ReadTwrConsumedIsTheStubPosition) {
  const ts::Bytes b = twr(kTcpTower, endian(), ndr64());
  Stub s(b, endian(), ndr64());
  auto r = read_twr(s.ndr);
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), b.size());
}

TEST_P(NdrFormat, ReadTwrEveryStrictPrefixIsMalformed) {
  const ts::Bytes b = twr(kTcpTower, endian(), ndr64());
  for (std::size_t n = 0; n < b.size(); ++n) {
    Stub s(prefix(b, n), endian(), ndr64());
    const auto m = malformed(read_twr(s.ndr));
    if (n < twr_header()) {
      EXPECT_EQ(m.reason, Reason::truncated) << n;
      EXPECT_NE(m.detail.find("twr_t"), std::string::npos) << n << ": " << m.detail;
    } else {
      EXPECT_EQ(m.reason, Reason::tower_length) << n;  // 75 > the octets left
      EXPECT_EQ(m.offset, twr_header() - 4) << n;
    }
  }
}

TEST_P(NdrFormat, ReadTwrTowerLengthAgainstMaxCount) {
  {  // one above max_count
    Stub s(twr(kTcpTower, endian(), ndr64(), 74), endian(), ndr64());
    const auto m = malformed(read_twr(s.ndr));
    EXPECT_EQ(m.reason, Reason::tower_length);
    EXPECT_EQ(m.offset, twr_header() - 4);  // the tower_length field
    EXPECT_EQ(m.detail, "tower_length 75 (max_count 74, 75 octets left)");
  }
  // Equal, and (as implemented) a conformance above the length.
  for (std::uint64_t max_count :
       {std::uint64_t{75}, std::uint64_t{76}, std::uint64_t{0xffffffff}}) {
    Stub s(twr(kTcpTower, endian(), ndr64(), max_count), endian(), ndr64());
    EXPECT_EQ(complete(read_twr(s.ndr)).port, 49712) << max_count;
  }
}

TEST_P(NdrFormat, ReadTwrTowerLengthAgainstTheStub) {
  {  // one past the stub
    Stub s(twr(kTcpTower, endian(), ndr64(), 76, 76), endian(), ndr64());
    const auto m = malformed(read_twr(s.ndr));
    EXPECT_EQ(m.reason, Reason::tower_length);
    EXPECT_EQ(m.offset, twr_header() - 4);
    EXPECT_EQ(m.detail, "tower_length 76 (max_count 76, 75 octets left)");
  }
  {  // one short: the last floor's rhs (4 octets at tower offset 71) has only 3
    Stub s(twr(kTcpTower, endian(), ndr64(), 75, 74), endian(), ndr64());
    const auto m = malformed(read_twr(s.ndr));
    EXPECT_EQ(m.reason, Reason::floor_length);
    EXPECT_EQ(m.offset, twr_header() + 71);  // a stub offset
  }
}

TEST_P(NdrFormat, ReadTwrHostileLengthsAreRefusedWithoutAllocating) {
  const std::uint64_t huge_max = ndr64() ? k2e63 : k2e31;
  for (std::uint32_t length : {0x80000000u, 0xffffffffu}) {
    Stub s(twr(kTcpTower, endian(), ndr64(), huge_max, length), endian(), ndr64());
    ts::AllocationProbe probe;
    const auto m = malformed(read_twr(s.ndr));
    EXPECT_LT(probe.largest(), kSmallAllocation) << length;
    EXPECT_EQ(m.reason, Reason::tower_length) << length;
    EXPECT_EQ(m.offset, twr_header() - 4) << length;
  }
  // A huge conformance alone is no error: tower_length is what is read.
  Stub s(twr(kTcpTower, endian(), ndr64(), ndr64() ? kMax64 : 0xffffffffu), endian(), ndr64());
  EXPECT_EQ(complete(read_twr(s.ndr)).port, 49712);
}

// parse_tower's errors, with their tower offsets turned into stub offsets.
TEST_P(NdrFormat, ReadTwrTowerErrorsCarryStubOffsets) {
  auto error_of = [&](const ts::Bytes& tower) {
    Stub s(twr(tower, endian(), ndr64()), endian(), ndr64());
    return malformed(read_twr(s.ndr));
  };
  const std::size_t start = twr_header();
  for (const ts::Bytes& tower : {ts::Bytes{}, ts::Bytes{std::byte{0x05}}}) {
    const auto m = error_of(tower);  // tower_length 0 and 1: no floor_count
    EXPECT_EQ(m.reason, Reason::truncated);
    EXPECT_EQ(m.offset, start);
    EXPECT_EQ(m.detail, "tower shorter than its floor_count");
  }
  for (std::uint16_t floor_count : {std::uint16_t{kMaxFloorsPerTower + 1}, std::uint16_t{65535}}) {
    const auto m = error_of(ts::TowerBuilder{}.tcp(135).floor_count(floor_count).build());
    EXPECT_EQ(m.reason, Reason::too_many_floors) << floor_count;
    EXPECT_EQ(m.offset, start) << floor_count;
  }
  ts::TowerFloor f;
  f.lhs = ts::Bytes{std::byte{0x07}};
  f.rhs = ts::Bytes{std::byte{0}, std::byte{135}};
  f.rhs_length = 9;
  const auto m = error_of(ts::TowerBuilder{}.floor(f).build());
  EXPECT_EQ(m.reason, Reason::floor_length);
  EXPECT_EQ(m.offset, start + 7);  // floor_count 2, lhs_length 2, lhs 1, rhs_length 2
}

// --- read_twr_pointer: [ptr] twr_p_t ---------------------------------------------------------
TEST_P(NdrFormat, ReadTwrPointerNullIsOnlyTheReferent) {
  ts::ByteWriter w(endian());
  put_count(w, 0, ndr64());
  pad(w, 8);  // whatever follows is not read
  Stub s(w.view(), endian(), ndr64());
  auto r = read_twr_pointer(s.ndr);
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), count_octets());
  EXPECT_FALSE(r.value().has_value());
  EXPECT_EQ(s.reader.position(), count_octets());
}

TEST_P(NdrFormat, ReadTwrPointerReadsTheTowerAfterTheReferent) {
  ts::ByteWriter w(endian());
  put_count(w, 0x00020000, ndr64()).bytes(twr(kTcpTower, endian(), ndr64()));
  ASSERT_EQ(w.size(), ndr64() ? 8u + 8u + 4u + 75u : 4u + 4u + 4u + 75u);
  Stub s(w.view(), endian(), ndr64());
  auto r = read_twr_pointer(s.ndr);
  ASSERT_TRUE(r.is_complete()) << r.error().detail;
  EXPECT_EQ(r.consumed(), w.size());
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(r.value()->string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
}

TEST(NdrTwrPointer, AnyNonZeroReferentIsNonNull) {
  {  // NDR64: only the high half set
    ts::ByteWriter w(ts::Endian::little);
    w.u64(0x0000000100000000ull).bytes(twr(kTcpTower, ts::Endian::little, true));
    Stub s(w.view(), ts::Endian::little, true);
    EXPECT_TRUE(complete(read_twr_pointer(s.ndr)).has_value());
  }
  {  // NDR 2.0: the sign bit only
    ts::ByteWriter w(ts::Endian::big);
    w.u32(0x80000000u).bytes(twr(kTcpTower, ts::Endian::big, false));
    Stub s(w.view(), ts::Endian::big, false);
    EXPECT_TRUE(complete(read_twr_pointer(s.ndr)).has_value());
  }
}

TEST_P(NdrFormat, ReadTwrPointerEveryStrictPrefixIsMalformed) {
  ts::ByteWriter w(endian());
  put_count(w, 1, ndr64()).bytes(twr(kTcpTower, endian(), ndr64()));
  const ts::Bytes b = w.take();
  for (std::size_t n = 0; n < b.size(); ++n) {
    Stub s(prefix(b, n), endian(), ndr64());
    const auto m = malformed(read_twr_pointer(s.ndr));
    if (n < count_octets()) {
      EXPECT_EQ(m.reason, Reason::truncated) << n;
      EXPECT_NE(m.detail.find("twr_p_t referent"), std::string::npos) << n << ": " << m.detail;
    } else if (n < count_octets() + twr_header()) {
      EXPECT_EQ(m.reason, Reason::truncated) << n;
      EXPECT_NE(m.detail.find("twr_t"), std::string::npos) << n << ": " << m.detail;
    } else {
      EXPECT_EQ(m.reason, Reason::tower_length) << n;
    }
  }
}

// --- check_entry_counts: a conformant varying array's counts ---------------------------------
TEST(NdrCheckEntryCounts, AcceptsOffsetPlusActualCountUpToMaxCount) {
  const ts::Bytes b(16);
  common::ByteReader r(view(b));
  struct Case {
    std::uint64_t max_count, offset, actual_count;
  };
  for (const Case& c :
       {Case{0, 0, 0}, Case{3, 0, 3}, Case{3, 1, 2}, Case{3, 3, 0}, Case{3, 0, 0},
        Case{kMax64, 0, kMax64}, Case{kMax64, k2e63, k2e63 - 1}, Case{kMax64, kMax64, 0}}) {
    EXPECT_FALSE(check_entry_counts(r, c.max_count, c.offset, c.actual_count).has_value())
        << c.max_count << " " << c.offset << " " << c.actual_count;
  }
}

TEST(NdrCheckEntryCounts, RefusesWithoutOverflow) {
  const ts::Bytes b(16);
  common::ByteReader r(view(b));
  r.skip(12);
  struct Case {
    std::uint64_t max_count, offset, actual_count;
  };
  for (const Case& c :
       {Case{2, 0, 3}, Case{3, 1, 3}, Case{3, 4, 0}, Case{0, 0, 1}, Case{k2e63, k2e63, k2e63},
        Case{kMax64, 1, kMax64}, Case{kMax64 - 1, kMax64, 0}, Case{kMax64, k2e63, k2e63}}) {
    const auto bad = check_entry_counts(r, c.max_count, c.offset, c.actual_count);
    ASSERT_TRUE(bad.has_value()) << c.max_count << " " << c.offset << " " << c.actual_count;
    EXPECT_EQ(bad->reason, Reason::count_mismatch);
    EXPECT_EQ(bad->offset, 12u);  // the reader's position
  }
  EXPECT_EQ(check_entry_counts(r, 3, 1, 3)->detail,
            "entries offset 1 + actual_count 3 > max_count 3");
}

// --- read_entries: ept_entry_t elements, then their deferred towers --------------------------
// One ept_entry_t at an aligned position: object, tower referent, annotation offset and
// actual_count, then `chars` as they are (they need not match actual_count).
ts::ByteWriter& put_entry(ts::ByteWriter& w, bool ndr64, const ts::Bytes& object,
                          std::uint64_t referent, std::uint64_t offset, std::uint64_t actual_count,
                          std::string_view chars) {
  w.bytes(object);
  put_count(w, referent, ndr64);
  put_count(w, offset, ndr64);
  put_count(w, actual_count, ndr64);
  return w.text(chars);
}

std::string with_nul(std::string s) {
  s.push_back('\0');
  return s;
}

// Two entries, the first without a tower, the second with kTcpTower, laid out by hand.
TEST_P(NdrFormat, ReadEntriesHandLaid) {
  const ts::Bytes nil(16);
  ts::ByteWriter w(endian());
  put_entry(w, ndr64(), object_octets(endian()), 0, 0, 3, with_nul("ab"));
  ASSERT_EQ(w.size(), ndr64() ? 43u : 31u);
  pad(w, ndr64() ? 5 : 1);  // the next ept_entry_t is aligned to 8 in NDR64 (it holds a pointer)
  put_entry(w, ndr64(), nil, 0x00020000, 0, 1, with_nul(""));
  ASSERT_EQ(w.size(), ndr64() ? 89u : 61u);
  pad(w, ndr64() ? 7 : 3).bytes(twr(kTcpTower, endian(), ndr64()));
  ASSERT_EQ(w.size(), ndr64() ? 96u + 87u : 64u + 83u);

  Stub s(w.view(), endian(), ndr64());
  auto r = read_entries(s.ndr, 2);
  ASSERT_TRUE(r.is_complete()) << r.error().detail;
  EXPECT_EQ(r.consumed(), w.size());
  const std::vector<EptEntry>& e = r.value();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].object, to_uuid(kObject));
  EXPECT_EQ(e[0].annotation, "ab");
  EXPECT_TRUE(e[0].annotation_terminated);
  EXPECT_FALSE(e[0].tower.has_value());
  EXPECT_TRUE(e[1].object.is_nil());
  EXPECT_EQ(e[1].annotation, "");
  EXPECT_TRUE(e[1].annotation_terminated);
  ASSERT_TRUE(e[1].tower.has_value());
  EXPECT_EQ(e[1].tower->string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
}

// The array of an ept_insert request (the builder's), with its num_ents and max_count
// header cut off: the entries start at 8 (NDR) or 16 (NDR64), so the alignment is kept.
ts::Bytes entries_only(const std::vector<ts::EptEntry>& entries, ts::Endian e, bool ndr64) {
  ts::EptEntriesRequest q;
  q.entries = entries;
  const ts::Bytes full = ts::build_ept_entries_request(q, e, ndr64);
  return ts::Bytes(full.begin() + (ndr64 ? 16 : 8), full.end());
}

const ts::Bytes kLrpcTower = ts::TowerBuilder{}
                                 .interface_floor(kLsa)
                                 .transfer_syntax_floor(ts::kNdrSyntax)
                                 .lrpc()
                                 .local_pipe("LRPC-7dcf2e6b9ee345b21f")
                                 .build();

std::vector<ts::EptEntry> three_entries() {
  return {epmtest::entry(kObject, kTcpTower, "Remote Fw APIs"),
          epmtest::entry(ts::kNilUuid, std::nullopt, ""),
          epmtest::entry(ts::kNilUuid, kLrpcTower, "LiveIdSvc RPC Interface")};
}

TEST_P(NdrFormat, ReadEntriesPairsDeferredTowersWithTheirEntries) {
  const ts::Bytes b = entries_only(three_entries(), endian(), ndr64());
  Stub s(b, endian(), ndr64());
  auto r = read_entries(s.ndr, 3);
  ASSERT_TRUE(r.is_complete()) << r.error().detail;
  EXPECT_EQ(r.consumed(), b.size());
  const std::vector<EptEntry>& e = r.value();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].object, to_uuid(kObject));
  EXPECT_EQ(e[0].annotation, "Remote Fw APIs");
  ASSERT_TRUE(e[0].tower.has_value());
  EXPECT_EQ(e[0].tower->string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
  EXPECT_FALSE(e[1].tower.has_value());
  ASSERT_TRUE(e[2].tower.has_value());  // the second tower, skipping the null pointer
  EXPECT_EQ(e[2].annotation, "LiveIdSvc RPC Interface");
  EXPECT_EQ(e[2].tower->string_binding(), "ncalrpc:[LRPC-7dcf2e6b9ee345b21f]");
}

TEST_P(NdrFormat, ReadEntriesEveryStrictPrefixIsMalformed) {
  const ts::Bytes b = entries_only(three_entries(), endian(), ndr64());
  for (std::size_t n = 0; n < b.size(); ++n) {
    Stub s(prefix(b, n), endian(), ndr64());
    const auto m = malformed(read_entries(s.ndr, 3));
    EXPECT_TRUE(m.reason == Reason::truncated || m.reason == Reason::tower_length)
        << n << ": " << m.detail;
    EXPECT_LE(m.offset, n) << n;
  }
}

TEST_P(NdrFormat, ReadEntriesOfZeroReadsNothing) {
  {
    Stub s(ts::Bytes{}, endian(), ndr64());
    auto r = read_entries(s.ndr, 0);
    ASSERT_TRUE(r.is_complete());
    EXPECT_TRUE(r.value().empty());
    EXPECT_EQ(r.consumed(), 0u);
    EXPECT_TRUE(s.reader.ok());
  }
  Stub s(ts::Bytes(8), endian(), ndr64());
  s.reader.skip(1);  // no alignment either
  auto r = read_entries(s.ndr, 0);
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), 1u);
  EXPECT_EQ(s.reader.position(), 1u);
}

// Entries of the fewest octets: no tower, annotation actual_count 0 (28 octets, or 40 in NDR64).
TEST_P(NdrFormat, ReadEntriesChecksTheCountAgainstTheStubBeforeTheLoop) {
  const std::size_t min = ndr64() ? 40 : 28;
  ts::EptEntry bare = epmtest::entry(ts::kNilUuid, std::nullopt, "");
  bare.nul = false;
  const ts::Bytes b = entries_only(std::vector<ts::EptEntry>(4, bare), endian(), ndr64());
  ASSERT_EQ(b.size(), 4 * min);
  {
    Stub s(b, endian(), ndr64());
    const std::vector<EptEntry> e = complete(read_entries(s.ndr, 4));
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[3].annotation, "");
    EXPECT_FALSE(e[3].annotation_terminated);  // [string] wants the NUL counted
    EXPECT_EQ(s.reader.position(), b.size());
  }
  {  // one more than fits: refused before any element is read
    Stub s(b, endian(), ndr64());
    ts::AllocationProbe probe;
    const auto m = malformed(read_entries(s.ndr, 5));
    EXPECT_LT(probe.largest(), kSmallAllocation);
    EXPECT_EQ(m.reason, Reason::truncated);
    EXPECT_EQ(m.offset, 0u);
    EXPECT_EQ(m.detail,
              fmt::format("5 entries need at least {} octets, {} left", 5 * min, 4 * min));
    EXPECT_EQ(s.reader.position(), 0u);
  }
}

TEST_P(NdrFormat, ReadEntriesLimit) {
  const ts::Bytes b = entries_only(
      std::vector<ts::EptEntry>(kMaxEntriesPerCall, epmtest::entry(ts::kNilUuid, std::nullopt, "")),
      endian(), ndr64());
  {
    Stub s(b, endian(), ndr64());
    EXPECT_EQ(complete(read_entries(s.ndr, kMaxEntriesPerCall)).size(), kMaxEntriesPerCall);
  }
  {
    Stub s(b, endian(), ndr64());
    s.reader.skip(8);
    const auto m = malformed(read_entries(s.ndr, kMaxEntriesPerCall + 1));
    EXPECT_EQ(m.reason, Reason::too_many_entries);
    EXPECT_EQ(m.offset, 8u);
    EXPECT_EQ(m.detail, "501 entries > 500");
  }
}

TEST_P(NdrFormat, ReadEntriesRefusesHostileCountsWithoutAllocating) {
  const ts::Bytes b = entries_only(three_entries(), endian(), ndr64());
  for (std::uint64_t count : {k2e31, std::uint64_t{0xffffffff}, k2e63, kMax64}) {
    Stub s(b, endian(), ndr64());
    ts::AllocationProbe probe;
    const auto m = malformed(read_entries(s.ndr, count));
    EXPECT_LT(probe.largest(), kSmallAllocation) << count;
    EXPECT_EQ(m.reason, Reason::too_many_entries) << count;
    EXPECT_EQ(s.reader.position(), 0u) << count;
  }
}

TEST_P(NdrFormat, ReadEntriesTruncatedInsideAnEntryNamesIt) {
  const ts::Bytes b =
      entries_only({epmtest::entry(ts::kNilUuid, std::nullopt, ""),
                    epmtest::entry(ts::kNilUuid, std::nullopt, std::string(40, 'x'))},
                   endian(), ndr64());
  // Cut inside the second annotation's characters: enough octets for two entries' minimum.
  Stub s(prefix(b, b.size() - 1), endian(), ndr64());
  const auto m = malformed(read_entries(s.ndr, 2));
  EXPECT_EQ(m.reason, Reason::truncated);
  EXPECT_EQ(m.detail, fmt::format("stub ends inside entry 2 ({} octets)", b.size() - 1));
}

// annotation: [string] char[64], a varying array whose offset + actual_count is at most 64.
TEST_P(NdrFormat, ReadEntriesAnnotationCounts) {
  struct Case {
    std::uint64_t offset, actual_count;
    std::string chars;
    bool ok;
  };
  const std::vector<Case> cases = {
      {0, 64, with_nul(std::string(63, 'a')), true},
      {0, 65, with_nul(std::string(64, 'a')), false},
      {1, 63, with_nul(std::string(62, 'a')), true},
      {1, 64, with_nul(std::string(63, 'a')), false},
      {64, 0, "", true},
      {65, 0, "", false},
      {0, 0xffffffffull, "x", false},
      {0xffffffffull, 1, "x", false},
      {0, ndr64() ? kMax64 : 0x80000000ull, "x", false},
      {ndr64() ? kMax64 : 0xffffffffull, ndr64() ? 1u : 0u, "", false},
  };
  const std::size_t after_counts = ndr64() ? 40 : 28;
  for (const Case& c : cases) {
    ts::ByteWriter w(endian());
    put_entry(w, ndr64(), ts::Bytes(16), 0, c.offset, c.actual_count, c.chars);
    Stub s(w.view(), endian(), ndr64());
    ts::AllocationProbe probe;
    auto r = read_entries(s.ndr, 1);
    EXPECT_LT(probe.largest(), kSmallAllocation);
    if (c.ok) {
      ASSERT_TRUE(r.is_complete()) << c.offset << " " << c.actual_count;
      EXPECT_EQ(r.value().at(0).annotation.size(), c.chars.empty() ? 0 : c.chars.size() - 1);
      EXPECT_EQ(r.consumed(), w.size());
    } else {
      const auto m = malformed(r);
      EXPECT_EQ(m.reason, Reason::annotation_too_long) << c.offset << " " << c.actual_count;
      EXPECT_EQ(m.offset, after_counts);
      EXPECT_EQ(m.detail, fmt::format("annotation offset {} + actual_count {} > 64", c.offset,
                                      c.actual_count));
    }
  }
}

TEST_P(NdrFormat, ReadEntriesAnnotationText) {
  struct Case {
    std::string chars;
    std::string annotation;
    bool terminated;
  };
  const std::vector<Case> cases = {
      {std::string("ab\0cd", 5), "ab", true},  // stops at the first NUL; the rest is read past
      {"KeyIso", "KeyIso", false},             // no NUL: kept as sent, flagged
      {"", "", false},                         // actual_count 0
      {std::string(1, '\0'), "", true},
      {"caf\xe9", "caf\xe9", false},  // octets above 0x7f kept as they are
  };
  const std::size_t after_counts = ndr64() ? 40 : 28;
  for (const Case& c : cases) {
    ts::ByteWriter w(endian());
    put_entry(w, ndr64(), ts::Bytes(16), 0, 0, c.chars.size(), c.chars);
    Stub s(w.view(), endian(), ndr64());
    const std::vector<EptEntry> e = complete(read_entries(s.ndr, 1));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].annotation, c.annotation);
    EXPECT_EQ(e[0].annotation_terminated, c.terminated) << c.annotation;
    EXPECT_EQ(s.reader.position(), after_counts + c.chars.size());
  }
}

TEST_P(NdrFormat, ReadEntriesTowerErrorsPropagate) {
  // One entry (annotation: the NUL) with a tower; its twr_t starts at 32 (NDR) or 48 (NDR64).
  const std::size_t twr_at = ndr64() ? 48 : 32;
  auto stub = [&](const ts::Bytes& twr_octets) {
    ts::ByteWriter w(endian());
    put_entry(w, ndr64(), ts::Bytes(16), 1, 0, 1, with_nul(""));
    pad(w, twr_at - w.size()).bytes(twr_octets);
    return w.take();
  };
  {
    Stub s(stub(twr(kTcpTower, endian(), ndr64(), 0x7fffffff, 0x7fffffff)), endian(), ndr64());
    const auto m = malformed(read_entries(s.ndr, 1));
    EXPECT_EQ(m.reason, Reason::tower_length);
    EXPECT_EQ(m.offset, twr_at + twr_header() - 4);
  }
  {
    const ts::Bytes tower = ts::TowerBuilder{}.tcp(135).floor_count(65535).build();
    Stub s(stub(twr(tower, endian(), ndr64())), endian(), ndr64());
    const auto m = malformed(read_entries(s.ndr, 1));
    EXPECT_EQ(m.reason, Reason::too_many_floors);
    EXPECT_EQ(m.offset, twr_at + twr_header());
  }
  {  // the referent says a tower follows; the stub ends after the entry
    ts::ByteWriter w(endian());
    put_entry(w, ndr64(), ts::Bytes(16), 1, 0, 1, with_nul(""));
    Stub s(w.view(), endian(), ndr64());
    const auto m = malformed(read_entries(s.ndr, 1));
    EXPECT_EQ(m.reason, Reason::truncated);
    EXPECT_NE(m.detail.find("twr_t"), std::string::npos) << m.detail;
  }
}

TEST(NdrEntries, ReferentWithOnlyTheHighHalfSetHasATower) {
  ts::ByteWriter w(ts::Endian::little);
  put_entry(w, true, ts::Bytes(16), 0x0000000100000000ull, 0, 1, with_nul(""));
  pad(w, 7).bytes(twr(kTcpTower, ts::Endian::little, true));
  Stub s(w.view(), ts::Endian::little, true);
  const std::vector<EptEntry> e = complete(read_entries(s.ndr, 1));
  ASSERT_EQ(e.size(), 1u);
  ASSERT_TRUE(e[0].tower.has_value());
  EXPECT_EQ(e[0].tower->port, 49712);
}

INSTANTIATE_TEST_SUITE_P(DrepAndSyntax, NdrFormat,
                         ::testing::Combine(unittest::kBothOrders, ::testing::Bool()), format_name);

}  // namespace
}  // namespace rpctrace::epm::detail
