// Tests of src/dcom/scm_activator.cpp: IRemoteSCMActivator (ISystemActivator)
// RemoteGetClassObject (3) and RemoteCreateInstance (4) responses (MS-DCOM 3.1.2.5.2.3.2/.3):
// ORPCTHAT, the MInterfacePointer holding an OBJREF_CUSTOM (2.2.18.6) whose activation
// properties BLOB (2.2.22) carries ScmReplyInfoData and PropsOutInfo, each a type
// serialization version 1 stream (MS-RPCE 2.2.6). The stub's byte order and each property's
// own order vary independently.
#include "unit/dcom/dcom_test_util.hpp"

namespace rpctrace::dcom {
namespace {

using dcomtest::decode;
namespace ts = testsupport;

ts::ActivationProperty prop(const ts::Uuid& clsid, ts::Bytes ndr, ts::Endian e) {
  ts::ActivationProperty p;
  p.clsid = clsid;
  p.ndr = std::move(ndr);
  p.endian = e;
  return p;
}

// (stub byte order, properties' byte order)
class DcomScmActivator : public ::testing::TestWithParam<std::tuple<ts::Endian, ts::Endian>> {
 protected:
  ts::Endian stub_order() const { return std::get<0>(GetParam()); }
  ts::Endian props_order() const { return std::get<1>(GetParam()); }

  ts::ActivationPropertiesOut properties() const {
    ts::ActivationPropertiesOut p;
    p.header_endian = props_order();
    ts::ScmReplyInfo reply;
    reply.oxid = 0x0f982b370edc3e3e;
    reply.bindings = dcomtest::tcp_bindings("50937");
    p.properties = {
        prop(ts::kClsidPropsOutInfo, ts::props_out_info_ndr({0, 0x80004002}, props_order()),
             props_order()),
        prop(ts::kClsidInstanceInfo, ts::Bytes(20, std::byte{0xab}), props_order()),
        prop(ts::kClsidScmReplyInfo, ts::scm_reply_info_ndr(reply, props_order()), props_order())};
    return p;
  }
  common::ParseResult<ActivationAnswer, Reason> run(
      const ts::ActivationPropertiesOut& p, std::uint16_t op = opnum::remote_create_instance) {
    ts::ScmActivatorResponse r;
    r.act_properties = ts::build_activation_properties_out(p);
    stub_ = ts::build_scm_activator_response(r, stub_order());
    return decode(iface::remote_scm_activator, op, stub_, stub_order());
  }
  ts::Bytes stub_;
};

TEST_P(DcomScmActivator, RemoteCreateInstanceGivesOxidBindingsAndResults) {
  auto a = run(properties());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.consumed(), stub_.size());
  const ActivationAnswer& v = a.value();
  EXPECT_EQ(v.operation, "RemoteCreateInstance");
  EXPECT_EQ(v.oxid, std::optional<std::uint64_t>(0x0f982b370edc3e3e));
  ASSERT_EQ(v.bindings.size(), 2u);
  EXPECT_EQ(v.bindings[0].network_address, "HOST");
  EXPECT_EQ(v.bindings[0].port, std::optional<std::uint16_t>(50937));
  EXPECT_EQ(v.bindings[1].network_address, "10.1.1.5");
  EXPECT_EQ(v.interface_hresults, (std::vector<std::uint32_t>{0, 0x80004002}));
  EXPECT_FALSE(v.activation_hresult.has_value());
  EXPECT_EQ(v.hresult, std::optional<std::uint32_t>(0));
}

TEST_P(DcomScmActivator, RemoteGetClassObjectIsTheSameAnswer) {
  auto a = run(properties(), opnum::remote_get_class_object);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.value().operation, "RemoteGetClassObject");
  EXPECT_EQ(a.value().bindings.size(), 2u);
}

TEST_P(DcomScmActivator, ANullActPropertiesPointerGivesOnlyTheHresult) {
  ts::ScmActivatorResponse r;
  r.return_value = 0x80040154;  // REGDB_E_CLASSNOTREG
  stub_ = ts::build_scm_activator_response(r, stub_order());
  auto a = decode(iface::remote_scm_activator, opnum::remote_create_instance, stub_, stub_order());
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_TRUE(a.value().bindings.empty());
  EXPECT_FALSE(a.value().oxid.has_value());
  EXPECT_EQ(a.value().hresult, std::optional<std::uint32_t>(0x80040154));
}

TEST_P(DcomScmActivator, ANullRemoteReplyGivesNoOxid) {
  auto p = properties();
  ts::ScmReplyInfo reply;
  reply.oxid.reset();
  p.properties[2].ndr = ts::scm_reply_info_ndr(reply, props_order());
  auto a = run(p);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_FALSE(a.value().oxid.has_value());
  EXPECT_TRUE(a.value().bindings.empty());
}

TEST_P(DcomScmActivator, EveryPrefixIsMalformed) {
  ts::ScmActivatorResponse r;
  r.act_properties = ts::build_activation_properties_out(properties());
  dcomtest::expect_every_prefix_malformed(
      iface::remote_scm_activator, opnum::remote_create_instance,
      ts::build_scm_activator_response(r, stub_order()), stub_order());
}

TEST_P(DcomScmActivator, NotAnActivationPropertiesOutObjref) {
  auto p = properties();
  p.signature = 0x574f454e;
  EXPECT_EQ(run(p).error().reason, Reason::bad_objref);
  p = properties();
  p.flags = 1;  // OBJREF_STANDARD
  EXPECT_EQ(run(p).error().reason, Reason::bad_objref);
  p = properties();
  p.clsid = ts::Uuid::parse("00000338-0000-0000-c000-000000000046");  // ...PropertiesIn
  auto a = run(p);
  ASSERT_TRUE(a.is_malformed());
  EXPECT_EQ(a.error().reason, Reason::bad_objref);
  EXPECT_NE(a.error().detail.find("00000338"), std::string::npos);
}

TEST_P(DcomScmActivator, MInterfacePointerCountsMustAgree) {
  ts::ScmActivatorResponse r;
  r.act_properties = ts::build_activation_properties_out(properties());
  r.max_count = static_cast<std::uint32_t>(r.act_properties->size() + 1);
  stub_ = ts::build_scm_activator_response(r, stub_order());
  EXPECT_EQ(decode(iface::remote_scm_activator, opnum::remote_create_instance, stub_, stub_order())
                .error()
                .reason,
            Reason::count_mismatch);
}

TEST_P(DcomScmActivator, PropertyCountAtAndPastItsBounds) {
  auto p = properties();
  while (p.properties.size() < kMaxActivationProperties)
    p.properties.push_back(prop(ts::kClsidInstanceInfo, ts::Bytes(8), props_order()));
  auto a = run(p);
  ASSERT_TRUE(a.is_complete()) << a.error().detail;
  EXPECT_EQ(a.value().bindings.size(), 2u);
  p.properties.push_back(prop(ts::kClsidInstanceInfo, ts::Bytes(8), props_order()));
  auto b = run(p);
  ASSERT_TRUE(b.is_malformed());
  EXPECT_EQ(b.error().reason, Reason::bad_property_count);
  p = properties();
  p.c_ifs = 0;  // MIN_ACTPROP_LIMIT is 1
  EXPECT_EQ(run(p).error().reason, Reason::bad_property_count);
  p.c_ifs = 0xffffffff;
  EXPECT_EQ(run(p).error().reason, Reason::bad_property_count);
  p.c_ifs = 2;  // pclsid and pSizes still hold 3
  EXPECT_EQ(run(p).error().reason, Reason::count_mismatch);
}

TEST_P(DcomScmActivator, SizesThatOverrunTheBlob) {
  auto p = properties();
  p.properties[2].size = 0x10000;
  EXPECT_EQ(run(p).error().reason, Reason::property_size);
  p = properties();
  p.header_size = 0x10000;
  EXPECT_EQ(run(p).error().reason, Reason::property_size);
  p = properties();
  p.dw_size = 0x10000;
  EXPECT_EQ(run(p).error().reason, Reason::truncated);
  p = properties();
  p.properties[0].object_buffer_length = 0x10000;
  EXPECT_EQ(run(p).error().reason, Reason::truncated);
  // A property shorter than its type: its own reader ends, not the neighbour's.
  p = properties();
  p.properties[2].size = 24;
  EXPECT_EQ(run(p).error().reason, Reason::truncated);
}

TEST_P(DcomScmActivator, TypeSerializationHeaderIsChecked) {
  auto p = properties();
  p.properties[0].version = 2;
  EXPECT_EQ(run(p).error().reason, Reason::bad_type_header);
  // A skipped property's header is not read.
  p = properties();
  p.properties[1].version = 2;
  EXPECT_TRUE(run(p).is_complete());
}

TEST_P(DcomScmActivator, PropsOutInfoCounts) {
  auto p = properties();
  p.properties[0].ndr = ts::props_out_info_ndr({0, 0}, props_order(), 3);
  EXPECT_EQ(run(p).error().reason, Reason::count_mismatch);
  p.properties[0].ndr =
      ts::props_out_info_ndr({}, props_order(), static_cast<std::uint32_t>(kMaxInterfaces) + 1);
  EXPECT_EQ(run(p).error().reason, Reason::too_many_interfaces);
}

std::string order_names(const ::testing::TestParamInfo<std::tuple<ts::Endian, ts::Endian>>& p) {
  auto name = [](ts::Endian e) { return e == ts::Endian::little ? "little" : "big"; };
  return std::string("stub_") + name(std::get<0>(p.param)) + "_props_" + name(std::get<1>(p.param));
}

INSTANTIATE_TEST_SUITE_P(ByteOrders, DcomScmActivator,
                         ::testing::Combine(::testing::Values(ts::Endian::little, ts::Endian::big),
                                            ::testing::Values(ts::Endian::little, ts::Endian::big)),
                         order_names);

}  // namespace
}  // namespace rpctrace::dcom
