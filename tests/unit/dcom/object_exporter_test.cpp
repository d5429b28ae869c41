// Tests of src/dcom/object_exporter.cpp: IObjectExporter ResolveOxid (0), ResolveOxid2 (4) and
// ServerAlive2 (5) responses (MS-DCOM 3.1.2.5.1.1, .5, .6), NDR 2.0 in both byte orders.
#include "unit/dcom/dcom_test_util.hpp"

namespace rpctrace::dcom {
namespace {

using dcomtest::decode;
using dcomtest::tcp_bindings;
namespace ts = testsupport;

class DcomObjectExporter : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(DcomObjectExporter, ResolveOxid2GivesTheBindingsAndStatus) {
  ts::ResolveOxidResponse r;
  r.bindings = tcp_bindings();
  const auto stub = ts::build_resolve_oxid_response(r, GetParam());
  auto a = decode(iface::object_exporter, opnum::resolve_oxid2, stub, GetParam());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.consumed(), stub.size());
  EXPECT_EQ(a.value().operation, "ResolveOxid2");
  EXPECT_FALSE(a.value().oxid.has_value());  // the OXID is the request's
  ASSERT_EQ(a.value().bindings.size(), 2u);
  const StringBinding& b = a.value().bindings[0];
  EXPECT_EQ(b.tower_id, 0x07);
  EXPECT_EQ(b.protseq, "ncacn_ip_tcp");
  EXPECT_EQ(b.network_address, "HOST");
  EXPECT_EQ(b.endpoint, "49667");
  EXPECT_EQ(b.port, std::optional<std::uint16_t>(49667));
  EXPECT_EQ(a.value().bindings[1].network_address, "10.1.1.5");
  EXPECT_EQ(a.value().hresult, std::optional<std::uint32_t>(0));
}

TEST_P(DcomObjectExporter, ResolveOxidHasNoComversion) {
  ts::ResolveOxidResponse r;
  r.resolve_oxid2 = false;
  r.bindings = tcp_bindings("135");
  r.status = 0x776;  // OR_INVALID_OXID
  const auto stub = ts::build_resolve_oxid_response(r, GetParam());
  auto a = decode(iface::object_exporter, opnum::resolve_oxid, stub, GetParam());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.consumed(), stub.size());
  EXPECT_EQ(a.value().operation, "ResolveOxid");
  EXPECT_EQ(a.value().hresult, std::optional<std::uint32_t>(0x776));
  ASSERT_EQ(a.value().bindings.size(), 2u);
  EXPECT_EQ(a.value().bindings[0].port, std::optional<std::uint16_t>(135));
  // The same octets read as ResolveOxid2 lack 4 octets: the status becomes the COMVERSION.
  EXPECT_TRUE(
      decode(iface::object_exporter, opnum::resolve_oxid2, stub, GetParam()).is_malformed());
}

TEST_P(DcomObjectExporter, AFailedResolveOxidHasANullBindingsPointer) {
  ts::ResolveOxidResponse r;
  r.status = 0x776;
  const auto stub = ts::build_resolve_oxid_response(r, GetParam());
  auto a = decode(iface::object_exporter, opnum::resolve_oxid2, stub, GetParam());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_TRUE(a.value().bindings.empty());
  EXPECT_EQ(a.value().hresult, std::optional<std::uint32_t>(0x776));
}

TEST_P(DcomObjectExporter, ServerAlive2GivesTheResolverBindingsWithoutEndpoints) {
  ts::ServerAlive2Response r;
  r.bindings = ts::DualStringArray{};
  r.bindings->string_bindings = {{0x07, "DC1"}, {0x07, "192.168.56.101"}};
  const auto stub = ts::build_server_alive2_response(r, GetParam());
  auto a = decode(iface::object_exporter, opnum::server_alive2, stub, GetParam());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.consumed(), stub.size());
  EXPECT_EQ(a.value().operation, "ServerAlive2");
  ASSERT_EQ(a.value().bindings.size(), 2u);
  EXPECT_EQ(a.value().bindings[0].network_address, "DC1");
  EXPECT_EQ(a.value().bindings[0].endpoint, "");
  EXPECT_FALSE(a.value().bindings[0].port.has_value());
  EXPECT_EQ(a.value().bindings[1].network_address, "192.168.56.101");
  EXPECT_EQ(a.value().hresult, std::optional<std::uint32_t>(0));
}

TEST_P(DcomObjectExporter, EveryPrefixIsMalformed) {
  ts::ResolveOxidResponse r;
  r.bindings = tcp_bindings();
  dcomtest::expect_every_prefix_malformed(iface::object_exporter, opnum::resolve_oxid2,
                                          ts::build_resolve_oxid_response(r, GetParam()),
                                          GetParam());
  r.resolve_oxid2 = false;
  dcomtest::expect_every_prefix_malformed(iface::object_exporter, opnum::resolve_oxid,
                                          ts::build_resolve_oxid_response(r, GetParam()),
                                          GetParam());
  ts::ServerAlive2Response s;
  s.bindings = tcp_bindings();
  dcomtest::expect_every_prefix_malformed(iface::object_exporter, opnum::server_alive2,
                                          ts::build_server_alive2_response(s, GetParam()),
                                          GetParam());
}

TEST_P(DcomObjectExporter, TrailingOctetsAreLeftUnconsumed) {
  ts::ResolveOxidResponse r;
  r.bindings = tcp_bindings();
  auto stub = ts::build_resolve_oxid_response(r, GetParam());
  const std::size_t size = stub.size();
  stub.resize(size + 8);
  auto a = decode(iface::object_exporter, opnum::resolve_oxid2, stub, GetParam());
  ASSERT_TRUE(a.is_complete());
  EXPECT_EQ(a.consumed(), size);
}

INSTANTIATE_TEST_SUITE_P(ByteOrders, DcomObjectExporter,
                         ::testing::Values(ts::Endian::little, ts::Endian::big),
                         dcomtest::endian_name);

}  // namespace
}  // namespace rpctrace::dcom
