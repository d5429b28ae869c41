// Tests of src/dcom/string_binding.cpp: DUALSTRINGARRAY (MS-DCOM 2.2.19.2) and STRINGBINDING
// (2.2.19.3) as every answer carries them, here inside a ResolveOxid2 response; the tower id
// names; the "[endpoint]" split; each limit at and past its bound; hostile counts.
#include "unit/dcom/dcom_test_util.hpp"

namespace rpctrace::dcom {
namespace {

using dcomtest::decode;
namespace ts = testsupport;

class DcomDualStringArray : public ::testing::TestWithParam<ts::Endian> {
 protected:
  common::ParseResult<ActivationAnswer, Reason> run(const ts::DualStringArray& d) {
    ts::ResolveOxidResponse r;
    r.bindings = d;
    stub_ = ts::build_resolve_oxid_response(r, GetParam());
    return decode(iface::object_exporter, opnum::resolve_oxid2, stub_, GetParam());
  }
  ts::Bytes stub_;
};

TEST_P(DcomDualStringArray, NamedPipeAndOtherTowerIds) {
  ts::DualStringArray d;
  d.string_bindings = {{0x0f, "\\\\HOST[\\PIPE\\atsvc]"},
                       {0x08, "10.0.0.1[5000]"},
                       {0x1f, "web[593]"},
                       {0x10, "[lrpc-endpoint]"},
                       {0x0c, "SPXHOST"}};
  auto a = run(d);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  const auto& b = a.value().bindings;
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b[0].protseq, "ncacn_np");
  EXPECT_EQ(b[0].network_address, "\\\\HOST");
  EXPECT_EQ(b[0].endpoint, "\\PIPE\\atsvc");
  EXPECT_FALSE(b[0].port.has_value());  // a pipe name is not a port
  EXPECT_EQ(b[1].protseq, "ncadg_ip_udp");
  EXPECT_EQ(b[1].port, std::optional<std::uint16_t>(5000));
  EXPECT_EQ(b[2].protseq, "ncacn_http");
  EXPECT_EQ(b[2].port, std::optional<std::uint16_t>(593));
  EXPECT_EQ(b[3].protseq, "ncalrpc");
  EXPECT_EQ(b[3].network_address, "");
  EXPECT_EQ(b[3].endpoint, "lrpc-endpoint");
  EXPECT_EQ(b[4].tower_id, 0x0c);
  EXPECT_EQ(b[4].protseq, "");  // an id not named here is kept as its number
  EXPECT_EQ(b[4].network_address, "SPXHOST");
}

TEST_P(DcomDualStringArray, EndpointsThatAreNotPorts) {
  ts::DualStringArray d;
  d.string_bindings = {{0x07, "h[65535]"},      {0x07, "h[65536]"}, {0x07, "h[123456]"},
                       {0x07, "h[80a]"},        {0x07, "h[]"},      {0x07, "h[1"},
                       {0x07, "fe80::1[49667]"}};
  auto a = run(d);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  const auto& b = a.value().bindings;
  ASSERT_EQ(b.size(), 7u);
  EXPECT_EQ(b[0].port, std::optional<std::uint16_t>(65535));
  EXPECT_FALSE(b[1].port.has_value());
  EXPECT_EQ(b[1].endpoint, "65536");
  EXPECT_FALSE(b[2].port.has_value());
  EXPECT_FALSE(b[3].port.has_value());
  EXPECT_FALSE(b[4].port.has_value());
  EXPECT_EQ(b[4].network_address, "h");
  EXPECT_EQ(b[5].network_address, "h[1");  // no closing bracket: all of it is the name
  EXPECT_EQ(b[6].network_address, "fe80::1");
  EXPECT_EQ(b[6].port, std::optional<std::uint16_t>(49667));
}

TEST_P(DcomDualStringArray, Utf16AddressesBecomeUtf8) {
  // By hand: tower 7, "é" U+00E9, "€" U+20AC, a surrogate pair (U+1F600), a lone
  // surrogate, 0, nullterm1, one empty security binding list terminator.
  ts::ByteWriter w(GetParam());
  const std::vector<std::uint16_t> a = {0x07, 0x00e9, 0x20ac, 0xd83d, 0xde00, 0xdc00, 0, 0, 0};
  w.u32(0x20000)
      .u32(static_cast<std::uint32_t>(a.size()))
      .u16(static_cast<std::uint16_t>(a.size()))
      .u16(8);
  for (auto u : a) w.u16(u);
  w.align(4).zeros(16).u32(4).u16(5).u16(7).u32(0);
  stub_ = w.take();
  auto d = decode(iface::object_exporter, opnum::resolve_oxid2, stub_, GetParam());
  ASSERT_TRUE(d.is_complete()) << d.error().detail;
  ASSERT_EQ(d.value().bindings.size(), 1u);
  EXPECT_EQ(d.value().bindings[0].network_address,
            "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd");
}

TEST_P(DcomDualStringArray, TheSmallestArrayHasNoBindings) {
  // MS-DCOM 2.2.19.1: wNumEntries 4, wSecurityOffset 2, four zeros.
  ts::ByteWriter w(GetParam());
  w.u32(0x20000).u32(4).u16(4).u16(2).u16(0).u16(0).u16(0).u16(0);
  w.zeros(16).u32(4).u16(5).u16(7).u32(0);
  stub_ = w.take();
  auto a = decode(iface::object_exporter, opnum::resolve_oxid2, stub_, GetParam());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_TRUE(a.value().bindings.empty());
}

TEST_P(DcomDualStringArray, MaxCountMustEqualWNumEntries) {
  for (std::uint32_t delta : {1u, 0xffffffffu}) {
    auto d = dcomtest::tcp_bindings();
    const auto n = static_cast<std::uint32_t>(ts::dualstringarray_entries(d).size());
    d.max_count = n + delta;  // one more, and one less (wraps)
    auto a = run(d);
    ASSERT_TRUE(a.is_malformed());
    EXPECT_EQ(a.error().reason, Reason::count_mismatch) << a.error().detail;
  }
}

TEST_P(DcomDualStringArray, WNumEntriesPastTheStubIsTruncated) {
  auto d = dcomtest::tcp_bindings();
  d.num_entries = 0xffff;
  d.max_count = 0xffff;
  auto a = run(d);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::truncated);
  EXPECT_EQ(a.error().offset, 12u);  // referent, max_count, wNumEntries, wSecurityOffset
}

TEST_P(DcomDualStringArray, SecurityOffsetPastWNumEntries) {
  auto d = dcomtest::tcp_bindings();
  const auto n = static_cast<std::uint16_t>(ts::dualstringarray_entries(d).size());
  d.security_offset = static_cast<std::uint16_t>(n + 1);
  auto a = run(d);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::bad_dualstringarray);
  d.security_offset = n;  // at the bound: nullterm1 still ends the string bindings
  EXPECT_TRUE(run(d).is_complete());
}

TEST_P(DcomDualStringArray, NoNullterm1BeforeTheSecurityOffset) {
  auto d = dcomtest::tcp_bindings();
  d.nullterm1 = false;
  d.security_bindings = {};
  d.security_offset = static_cast<std::uint16_t>(ts::dualstringarray_entries(d).size() - 1);
  auto a = run(d);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::bad_dualstringarray) << a.error().detail;
}

TEST_P(DcomDualStringArray, AnAddressCutByTheSecurityOffset) {
  auto d = dcomtest::tcp_bindings();
  d.security_offset = 3;  // inside "HOST[49667]"
  auto a = run(d);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::bad_dualstringarray) << a.error().detail;
}

TEST_P(DcomDualStringArray, BindingLimitAtAndPastItsBound) {
  ts::DualStringArray d;
  for (std::size_t i = 0; i < kMaxStringBindings; ++i) d.string_bindings.push_back({0x07, "h"});
  auto a = run(d);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.value().bindings.size(), kMaxStringBindings);
  d.string_bindings.push_back({0x07, "h"});
  auto b = run(d);
  ASSERT_TRUE(b.is_malformed());
  EXPECT_EQ(b.error().reason, Reason::too_many_bindings);
}

TEST_P(DcomDualStringArray, AddressLengthLimitAtAndPastItsBound) {
  ts::DualStringArray d;
  d.string_bindings = {{0x07, std::string(kMaxNetworkAddressChars, 'a')}};
  auto a = run(d);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.value().bindings.at(0).network_address.size(), kMaxNetworkAddressChars);
  d.string_bindings = {{0x07, std::string(kMaxNetworkAddressChars + 1, 'a')}};
  auto b = run(d);
  ASSERT_TRUE(b.is_malformed());
  EXPECT_EQ(b.error().reason, Reason::address_too_long);
}

TEST(DcomTowerIdProtseq, KnownAndUnknownIds) {
  EXPECT_EQ(tower_id_protseq(0x07), "ncacn_ip_tcp");
  EXPECT_EQ(tower_id_protseq(0x08), "ncadg_ip_udp");
  EXPECT_EQ(tower_id_protseq(0x0f), "ncacn_np");
  EXPECT_EQ(tower_id_protseq(0x10), "ncalrpc");
  EXPECT_EQ(tower_id_protseq(0x1f), "ncacn_http");
  EXPECT_EQ(tower_id_protseq(0x00), "");
  EXPECT_EQ(tower_id_protseq(0xffff), "");
}

INSTANTIATE_TEST_SUITE_P(ByteOrders, DcomDualStringArray,
                         ::testing::Values(ts::Endian::little, ts::Endian::big),
                         dcomtest::endian_name);

}  // namespace
}  // namespace rpctrace::dcom
