// Tests of src/epm/ndr.cpp's array readers: check_entry_counts() and read_entries() (ept_entry_t
// arrays, their deferred towers and their annotation varying strings, C706 §14.3.3, §14.3.12.3),
// in NDR 2.0 and NDR64 and both byte orders. Helpers and layout rules: ndr_test_util.hpp.
#include "unit/epm/ndr_test_util.hpp"

namespace rpctrace::epm::detail {
namespace {

class NdrEntryFormat : public NdrFormat {};

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
TEST_P(NdrEntryFormat, ReadEntriesHandLaid) {
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

TEST_P(NdrEntryFormat, ReadEntriesPairsDeferredTowersWithTheirEntries) {
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

TEST_P(NdrEntryFormat, ReadEntriesEveryStrictPrefixIsMalformed) {
  const ts::Bytes b = entries_only(three_entries(), endian(), ndr64());
  for (std::size_t n = 0; n < b.size(); ++n) {
    Stub s(prefix(b, n), endian(), ndr64());
    const auto m = malformed(read_entries(s.ndr, 3));
    EXPECT_TRUE(m.reason == Reason::truncated || m.reason == Reason::tower_length)
        << n << ": " << m.detail;
    EXPECT_LE(m.offset, n) << n;
  }
}

TEST_P(NdrEntryFormat, ReadEntriesOfZeroReadsNothing) {
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
TEST_P(NdrEntryFormat, ReadEntriesChecksTheCountAgainstTheStubBeforeTheLoop) {
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

TEST_P(NdrEntryFormat, ReadEntriesLimit) {
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

TEST_P(NdrEntryFormat, ReadEntriesRefusesHostileCountsWithoutAllocating) {
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

TEST_P(NdrEntryFormat, ReadEntriesTruncatedInsideAnEntryNamesIt) {
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
TEST_P(NdrEntryFormat, ReadEntriesAnnotationCounts) {
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

TEST_P(NdrEntryFormat, ReadEntriesAnnotationText) {
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

TEST_P(NdrEntryFormat, ReadEntriesTowerErrorsPropagate) {
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

INSTANTIATE_TEST_SUITE_P(DrepAndSyntax, NdrEntryFormat,
                         ::testing::Combine(unittest::kBothOrders, ::testing::Bool()), format_name);

}  // namespace
}  // namespace rpctrace::epm::detail
