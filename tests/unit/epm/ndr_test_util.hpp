// Helpers of the ndr tests (ndr_test.cpp, ndr_entries_test.cpp): byte layouts laid out by hand,
// a stub reader over exact-size buffers, and the byte-order x syntax fixture.
//
// The primitives, twr_t and the first entry tests are laid out octet by octet, not by the
// ept_* builders, so that an alignment rule the builders and the decoders got wrong together
// would still show; the longer entry arrays come from build_ept_entries_request. Padding
// octets are 0xee: a reader that took them for data would give a different value. Every strict
// prefix of each encoding is read from its own exact-size buffer (an over-read is a heap
// overflow under ASan) and must fail.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "epm/ndr.hpp"
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

}  // namespace
}  // namespace rpctrace::epm::detail
