// Tests of src/epm/ndr.hpp and src/epm/ndr.cpp, the NDR reading shared by the endpoint mapper
// decoders: the Ndr reader's primitives (u32, count, align_pointer_struct, uuid, handle, if_id)
// in NDR 2.0 (C706 chapter 14) and NDR64 (MS-RPCE 2.2.5) and both integer byte orders,
// truncated(), twr_t and twr_p_t (C706 appendix N/O). The array readers are in
// ndr_entries_test.cpp; the layout rules and helpers in ndr_test_util.hpp.
#include "unit/epm/ndr_test_util.hpp"

namespace rpctrace::epm::detail {
namespace {

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

INSTANTIATE_TEST_SUITE_P(DrepAndSyntax, NdrFormat,
                         ::testing::Combine(unittest::kBothOrders, ::testing::Bool()), format_name);

}  // namespace
}  // namespace rpctrace::epm::detail
