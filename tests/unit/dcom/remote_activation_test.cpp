// Tests of src/dcom/remote_activation.cpp: IRemoteActivation::RemoteActivation (opnum 0)
// responses (MS-DCOM 3.1.2.5.2.3.1), NDR 2.0 in both byte orders, and the ORPCTHAT reading
// of src/dcom/ndr.cpp (extensions, MS-DCOM 2.2.13.3) that every ORPC answer starts with.
#include "unit/dcom/dcom_test_util.hpp"

namespace rpctrace::dcom {
namespace {

using dcomtest::decode;
namespace ts = testsupport;

ts::OrpcExtent extent(const ts::Uuid& id, ts::Bytes data,
                      std::optional<std::uint32_t> max_count = std::nullopt) {
  ts::OrpcExtent x;
  x.id = id;
  x.data = std::move(data);
  x.max_count = max_count;
  return x;
}

ts::RemoteActivationResponse sample() {
  ts::RemoteActivationResponse r;
  r.oxid = 0x0f982b370edc3e3e;
  r.bindings = dcomtest::tcp_bindings("50937");
  r.interface_data = {ts::Bytes(40, std::byte{0x4d}), std::nullopt};
  r.results = {0, 0x80004002};  // S_OK, E_NOINTERFACE
  return r;
}

class DcomRemoteActivation : public ::testing::TestWithParam<ts::Endian> {
 protected:
  common::ParseResult<ActivationAnswer, Reason> run(const ts::RemoteActivationResponse& r) {
    stub_ = ts::build_remote_activation_response(r, GetParam());
    return decode(iface::remote_activation, opnum::remote_activation, stub_, GetParam());
  }
  ts::Bytes stub_;
};

TEST_P(DcomRemoteActivation, GivesOxidBindingsAndResults) {
  auto a = run(sample());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.consumed(), stub_.size());
  const ActivationAnswer& v = a.value();
  EXPECT_EQ(v.operation, "RemoteActivation");
  EXPECT_EQ(v.oxid, std::optional<std::uint64_t>(0x0f982b370edc3e3e));
  ASSERT_EQ(v.bindings.size(), 2u);
  EXPECT_EQ(v.bindings[0].port, std::optional<std::uint16_t>(50937));
  EXPECT_EQ(v.activation_hresult, std::optional<std::uint32_t>(0));
  EXPECT_EQ(v.interface_hresults, (std::vector<std::uint32_t>{0, 0x80004002}));
  EXPECT_EQ(v.hresult, std::optional<std::uint32_t>(0));
}

TEST_P(DcomRemoteActivation, AFailedActivation) {
  ts::RemoteActivationResponse r;
  r.hr = 0x80070005;  // E_ACCESSDENIED
  r.interface_data = {std::nullopt};
  r.results = {0x80070005};
  r.return_value = 0x80070005;
  auto a = run(r);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_TRUE(a.value().bindings.empty());
  EXPECT_EQ(a.value().activation_hresult, std::optional<std::uint32_t>(0x80070005));
  EXPECT_EQ(a.value().hresult, std::optional<std::uint32_t>(0x80070005));
}

TEST_P(DcomRemoteActivation, EveryPrefixIsMalformed) {
  auto r = sample();
  r.orpcthat.extensions =
      std::vector<ts::OrpcExtent>{extent(ts::kNilUuid, ts::Bytes(5, std::byte{1}))};
  dcomtest::expect_every_prefix_malformed(iface::remote_activation, opnum::remote_activation,
                                          ts::build_remote_activation_response(r, GetParam()),
                                          GetParam());
}

TEST_P(DcomRemoteActivation, ResultsCountMustMatchTheInterfaces) {
  auto r = sample();
  r.results_max_count = 3;
  auto a = run(r);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::count_mismatch);
}

TEST_P(DcomRemoteActivation, InterfaceCountAtAndPastItsBound) {
  auto r = sample();
  r.interface_data = {};
  r.results = {};
  r.interfaces_max_count = static_cast<std::uint32_t>(kMaxInterfaces) + 1;
  auto a = run(r);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::too_many_interfaces);
  // At the bound the count is accepted, and then checked against what remains.
  r.interfaces_max_count = static_cast<std::uint32_t>(kMaxInterfaces);
  auto b = run(r);
  ASSERT_TRUE(b.is_malformed());
  EXPECT_EQ(b.error().reason, Reason::truncated);
  r.interfaces_max_count = 0xffffffff;
  EXPECT_EQ(run(r).error().reason, Reason::too_many_interfaces);
}

TEST_P(DcomRemoteActivation, AnInterfacePointerLongerThanTheStub) {
  auto r = sample();
  auto stub = ts::build_remote_activation_response(r, GetParam());
  // The first MInterfacePointer's max_count and ulCntData: find them by their value 40.
  ts::ByteWriter forty(GetParam());
  forty.u32(40).u32(40);
  auto it = std::search(stub.begin(), stub.end(), forty.view().begin(), forty.view().end());
  ASSERT_NE(it, stub.end());
  const auto at = static_cast<std::size_t>(it - stub.begin());
  ts::ByteWriter big(GetParam());
  big.u32(0x7fffffff).u32(0x7fffffff);
  std::copy(big.view().begin(), big.view().end(), stub.begin() + static_cast<std::ptrdiff_t>(at));
  auto a = decode(iface::remote_activation, opnum::remote_activation, stub, GetParam());
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::truncated);
  EXPECT_EQ(a.error().offset, at + 8);
  ts::ByteWriter odd(GetParam());
  odd.u32(41).u32(40);
  std::copy(odd.view().begin(), odd.view().end(), stub.begin() + static_cast<std::ptrdiff_t>(at));
  EXPECT_EQ(
      decode(iface::remote_activation, opnum::remote_activation, stub, GetParam()).error().reason,
      Reason::count_mismatch);
}

TEST_P(DcomRemoteActivation, OrpcExtensionsAreSkipped) {
  auto r = sample();
  r.orpcthat.extensions = std::vector<ts::OrpcExtent>{
      extent(ts::Uuid::parse("0000031c-0000-0000-c000-000000000046"), ts::Bytes(13, std::byte{7})),
      extent(ts::kNilUuid, ts::Bytes{})};
  auto a = run(r);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.consumed(), stub_.size());
  EXPECT_EQ(a.value().oxid, std::optional<std::uint64_t>(0x0f982b370edc3e3e));
}

TEST_P(DcomRemoteActivation, OrpcExtentCountsAreChecked) {
  auto r = sample();
  // ORPC_EXTENT_ARRAY.size says 3, so its array must hold (3 + 1) & ~1 = 4 pointers.
  r.orpcthat.extensions = std::vector<ts::OrpcExtent>{extent(ts::kNilUuid, ts::Bytes{})};
  r.orpcthat.array_size = 3;
  r.orpcthat.array_max_count = 3;
  EXPECT_EQ(run(r).error().reason, Reason::count_mismatch);
  r.orpcthat.array_size = 0xffffffff;  // (size + 1) must not wrap to 0
  r.orpcthat.array_max_count = 0;
  EXPECT_EQ(run(r).error().reason, Reason::count_mismatch);
  // An extent whose max_count is not (size + 7) & ~7.
  r.orpcthat.array_size.reset();
  r.orpcthat.array_max_count.reset();
  r.orpcthat.extensions = std::vector<ts::OrpcExtent>{extent(ts::kNilUuid, ts::Bytes(3), 4)};
  EXPECT_EQ(run(r).error().reason, Reason::count_mismatch);
}

TEST_P(DcomRemoteActivation, OrpcExtentLimitAtAndPastItsBound) {
  auto r = sample();
  r.orpcthat.extensions =
      std::vector<ts::OrpcExtent>(kMaxOrpcExtents, extent(ts::kNilUuid, ts::Bytes{}));
  auto a = run(r);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  r.orpcthat.extensions->push_back(extent(ts::kNilUuid, ts::Bytes{}));
  r.orpcthat.extensions->push_back(extent(ts::kNilUuid, ts::Bytes{}));
  auto b = run(r);
  ASSERT_TRUE(b.is_malformed());
  EXPECT_EQ(b.error().reason, Reason::too_many_extents);
}

INSTANTIATE_TEST_SUITE_P(ByteOrders, DcomRemoteActivation,
                         ::testing::Values(ts::Endian::little, ts::Endian::big),
                         dcomtest::endian_name);

}  // namespace
}  // namespace rpctrace::dcom
