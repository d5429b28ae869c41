// Tests of src/epm/ept_lookup.cpp and the ept_entry_t reading in src/epm/ndr.cpp: ept_lookup
// (opnum 2) request and response stubs (C706 appendix O; MS-RPCE 2.2.1.2.4) in NDR 2.0 and
// NDR64, both integer byte orders, real bytes from a public capture checked against tshark's
// epm dissector, truncation sweeps, every Reason the response can give, and the limits.
#include <gtest/gtest.h>

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

const ts::Bytes kLrpcTower = ts::TowerBuilder{}
                                 .interface_floor(kLsa)
                                 .transfer_syntax_floor(ts::kNdrSyntax)
                                 .lrpc()
                                 .local_pipe("LRPC-7dcf2e6b9ee345b21f")
                                 .build();

// Stub of frame 76 of discovery_scan_dcerpc_endpoint_mapper.pcapng (an ept_lookup response,
// little-endian NDR 2.0, 184 octets). tshark shows one entry: object nil, annotation
// "Vpn APIs", tower 650a7e26-eab8-5533-ce43-9c1dfce11511 v1.0, NamedPipe \PIPE\ROUTER,
// NetBIOS \\MSEDGEWIN10, return code 0.
const ts::Bytes kFrame76 = ts::hex_bytes(
    "000000002d6482bbbdd58e498a326b0859c414d0010000000100000000000000"
    "0100000000000000000000000000000000000000010000000000000009000000"
    "56706e2041504973000000006000000060000000050013000d267e0a65b8ea33"
    "55ce439c1dfce1151101000200000013000d045d888aeb1cc9119fe808002b10"
    "486002000200000001000b0200000001000f0d005c504950455c524f55544552"
    "000100110e005c5c4d534544474557494e31300000000000");
// Stub of frame 4 of the same capture (156 octets): object 765294ba-60bc-48b8-92e9-
// 89fd77769d91, empty annotation (actual_count 1: the NUL), tower d95afe70-a6d5-4259-822e-
// 2c84da1ddb0d v1.0 over TCP port 49664 at 10.0.2.18.
const ts::Bytes kFrame4 = ts::hex_bytes(
    "000000002d6482bbbdd58e498a326b0859c414d0010000000100000000000000"
    "01000000ba945276bc60b84892e989fd77769d91010000000000000001000000"
    "000000004b0000004b000000050013000d70fe5ad9d5a65942822e2c84da1ddb"
    "0d01000200000013000d045d888aeb1cc9119fe808002b104860020002000000"
    "01000b020000000100070200c20001000904000a0002120000000000");

template <typename T>
T ok(common::ParseResult<T, Reason> r, std::size_t size) {
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  EXPECT_EQ(r.consumed(), size);
  return r.take();
}

Reason reason_of(const ts::Bytes& stub, Syntax syntax = Syntax::ndr) {
  auto s = parse_ept_lookup_response(view(stub), common::ByteOrder::little, syntax);
  EXPECT_TRUE(s.is_malformed());
  return s.is_malformed() ? s.error().reason : Reason::count_;
}

ts::EptLookupResponse three_entries() {
  ts::EptLookupResponse r;
  r.entry_handle.uuid = kHandleUuid;
  r.entries = {entry(kObject, kTcpTower, "Remote Fw APIs"), entry(ts::kNilUuid, std::nullopt, ""),
               entry(ts::kNilUuid, kLrpcTower, "LiveIdSvc RPC Interface")};
  r.max_count = 3;
  return r;
}

// --- real bytes, agreeing with tshark --------------------------------------------------------
TEST(EptLookupCapture, Frame76NamedPipeEntry) {
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(kFrame76), common::ByteOrder::little), kFrame76.size());
  EXPECT_EQ(s.entry_handle.uuid.to_string(), "bb82642d-d5bd-498e-8a32-6b0859c414d0");
  EXPECT_EQ(s.num_ents, 1u);
  ASSERT_EQ(s.entries.size(), 1u);
  const EptEntry& e = s.entries[0];
  EXPECT_TRUE(e.object.is_nil());
  EXPECT_EQ(e.annotation, "Vpn APIs");
  EXPECT_TRUE(e.annotation_terminated);
  ASSERT_TRUE(e.tower.has_value());
  ASSERT_TRUE(e.tower->interface.has_value());
  EXPECT_EQ(e.tower->interface->uuid.to_string(), "650a7e26-eab8-5533-ce43-9c1dfce11511");
  EXPECT_EQ(e.tower->interface->major, 1);
  EXPECT_EQ(e.tower->protseq, "ncacn_np");
  EXPECT_EQ(e.tower->endpoint_name, "\\PIPE\\ROUTER");
  EXPECT_EQ(e.tower->string_binding(), "ncacn_np:\\\\MSEDGEWIN10[\\PIPE\\ROUTER]");
  EXPECT_EQ(s.status, 0u);
}

TEST(EptLookupCapture, Frame4TcpEntry) {
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(kFrame4), common::ByteOrder::little), kFrame4.size());
  ASSERT_EQ(s.entries.size(), 1u);
  const EptEntry& e = s.entries[0];
  EXPECT_EQ(e.object.to_string(), "765294ba-60bc-48b8-92e9-89fd77769d91");
  EXPECT_EQ(e.annotation, "");
  EXPECT_TRUE(e.annotation_terminated);
  ASSERT_TRUE(e.tower.has_value());
  EXPECT_EQ(e.tower->interface->uuid.to_string(), "d95afe70-a6d5-4259-822e-2c84da1ddb0d");
  EXPECT_EQ(e.tower->string_binding(), "ncacn_ip_tcp:10.0.2.18[49664]");
}

TEST(EptLookupCapture, EveryStrictPrefixIsMalformed) {
  for (const ts::Bytes* stub : {&kFrame76, &kFrame4})
    for (std::size_t n = 0; n < stub->size(); ++n)
      EXPECT_TRUE(
          parse_ept_lookup_response(view(*stub).first(n), common::ByteOrder::little).is_malformed())
          << n;
}

// --- both byte orders x both syntaxes --------------------------------------------------------
class EptLookupFormat : public ::testing::TestWithParam<std::tuple<ts::Endian, bool>> {
 protected:
  ts::Endian endian() const { return std::get<0>(GetParam()); }
  bool ndr64() const { return std::get<1>(GetParam()); }
  Syntax syntax() const { return ndr64() ? Syntax::ndr64 : Syntax::ndr; }
  common::ByteOrder order() const { return to_order(endian()); }
};

TEST_P(EptLookupFormat, Request) {
  ts::EptLookupRequest r;
  r.inquiry_type = 3;
  r.object = kObject;
  r.interface_id = ts::SyntaxId{kLsa.uuid, 1, 2};
  r.vers_option = 1;
  r.entry_handle.uuid = kHandleUuid;
  r.max_ents = 499;
  const ts::Bytes stub = ts::build_ept_lookup_request(r, endian(), ndr64());
  const EptLookupRequest q =
      ok(parse_ept_lookup_request(view(stub), order(), syntax()), stub.size());
  EXPECT_EQ(q.inquiry_type, 3u);
  EXPECT_EQ(q.object, to_uuid(kObject));
  ASSERT_TRUE(q.interface_id.has_value());
  EXPECT_EQ(q.interface_id->uuid, to_uuid(kLsa.uuid));
  EXPECT_EQ(q.interface_id->major, 1);
  EXPECT_EQ(q.interface_id->minor, 2);
  EXPECT_EQ(q.vers_option, 1u);
  EXPECT_EQ(q.entry_handle.uuid, to_uuid(kHandleUuid));
  EXPECT_EQ(q.max_ents, 499u);
  for (std::size_t n = 0; n < stub.size(); ++n)
    EXPECT_TRUE(parse_ept_lookup_request(view(stub).first(n), order(), syntax()).is_malformed())
        << n;
}

TEST_P(EptLookupFormat, RequestNullPointers) {
  ts::EptLookupRequest r;  // rpc_c_ep_all_elts, as rpcdump sends it
  const ts::Bytes stub = ts::build_ept_lookup_request(r, endian(), ndr64());
  EXPECT_EQ(stub.size(), ndr64() ? 52u : 40u);  // the capture's 40 (frame 3)
  const EptLookupRequest q =
      ok(parse_ept_lookup_request(view(stub), order(), syntax()), stub.size());
  EXPECT_FALSE(q.object.has_value());
  EXPECT_FALSE(q.interface_id.has_value());
  EXPECT_TRUE(q.entry_handle.is_null());
  EXPECT_EQ(q.max_ents, 1u);
}

TEST_P(EptLookupFormat, ResponseThreeEntries) {
  const ts::Bytes stub = ts::build_ept_lookup_response(three_entries(), endian(), ndr64());
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(stub), order(), syntax()), stub.size());
  EXPECT_EQ(s.entry_handle.uuid, to_uuid(kHandleUuid));
  EXPECT_EQ(s.num_ents, 3u);
  ASSERT_EQ(s.entries.size(), 3u);
  EXPECT_EQ(s.entries[0].object, to_uuid(kObject));
  EXPECT_EQ(s.entries[0].annotation, "Remote Fw APIs");
  ASSERT_TRUE(s.entries[0].tower.has_value());
  EXPECT_EQ(s.entries[0].tower->interface, to_syntax(kLsa));
  EXPECT_EQ(s.entries[0].tower->string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
  EXPECT_FALSE(s.entries[1].tower.has_value());
  EXPECT_EQ(s.entries[1].annotation, "");
  ASSERT_TRUE(s.entries[2].tower.has_value());
  EXPECT_EQ(s.entries[2].annotation, "LiveIdSvc RPC Interface");
  EXPECT_EQ(s.entries[2].tower->string_binding(), "ncalrpc:[LRPC-7dcf2e6b9ee345b21f]");
  EXPECT_EQ(s.status, 0u);
  for (std::size_t n = 0; n < stub.size(); ++n)
    EXPECT_TRUE(parse_ept_lookup_response(view(stub).first(n), order(), syntax()).is_malformed())
        << n;
}

TEST_P(EptLookupFormat, ResponseNoMoreEntries) {
  ts::EptLookupResponse r;
  r.status = kEptSNotRegistered;
  r.max_count = 1;
  const ts::Bytes stub = ts::build_ept_lookup_response(r, endian(), ndr64());
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(stub), order(), syntax()), stub.size());
  EXPECT_TRUE(s.entries.empty());
  EXPECT_TRUE(s.entry_handle.is_null());
  EXPECT_EQ(s.status, kEptSNotRegistered);
}

INSTANTIATE_TEST_SUITE_P(DrepAndSyntax, EptLookupFormat,
                         ::testing::Combine(unittest::kBothOrders, ::testing::Bool()), format_name);

// --- annotation: [string] char[64] -----------------------------------------------------------
ts::EptLookupResponse one_entry(ts::EptEntry e) {
  ts::EptLookupResponse r;
  r.entries = {std::move(e)};
  return r;
}

TEST(EptLookup, AnnotationOf63CharactersAndTheNulIsAccepted) {
  const ts::Bytes stub = ts::build_ept_lookup_response(
      one_entry(entry(ts::kNilUuid, kTcpTower, std::string(63, 'a'))));
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(stub), common::ByteOrder::little), stub.size());
  EXPECT_EQ(s.entries.at(0).annotation, std::string(63, 'a'));
}

TEST(EptLookup, AnnotationPastSixtyFourIsMalformed) {
  // 64 characters and the NUL: actual_count 65.
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(
                one_entry(entry(ts::kNilUuid, kTcpTower, std::string(64, 'a'))))),
            Reason::annotation_too_long);
  ts::EptEntry shifted = entry(ts::kNilUuid, kTcpTower, std::string(63, 'a'));
  shifted.annotation_offset = 1;  // offset 1 + actual_count 64 > 64
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(one_entry(shifted))),
            Reason::annotation_too_long);
  ts::EptEntry huge = entry(ts::kNilUuid, kTcpTower, "x");
  huge.annotation_actual_count = 0xffffffff;
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(one_entry(huge))), Reason::annotation_too_long);
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(one_entry(huge), ts::Endian::little, true),
                      Syntax::ndr64),
            Reason::annotation_too_long);
}

// Decision: an annotation with no NUL within actual_count is accepted as sent (tshark shows
// it too) and flagged, not malformed: the characters are all there.
TEST(EptLookup, UnterminatedAnnotationIsAcceptedAndFlagged) {
  ts::EptEntry e = entry(ts::kNilUuid, kTcpTower, "KeyIso");
  e.nul = false;
  const ts::Bytes stub = ts::build_ept_lookup_response(one_entry(e));
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(stub), common::ByteOrder::little), stub.size());
  EXPECT_EQ(s.entries.at(0).annotation, "KeyIso");
  EXPECT_FALSE(s.entries.at(0).annotation_terminated);
  ASSERT_TRUE(s.entries.at(0).tower.has_value());  // alignment after 6 characters held
}

TEST(EptLookup, AnnotationStopsAtTheFirstNul) {
  ts::EptEntry e = entry(ts::kNilUuid, kTcpTower, std::string("ab\0cd", 5));
  const ts::Bytes stub = ts::build_ept_lookup_response(one_entry(e));
  const EptLookupResponse s =
      ok(parse_ept_lookup_response(view(stub), common::ByteOrder::little), stub.size());
  EXPECT_EQ(s.entries.at(0).annotation, "ab");
  EXPECT_TRUE(s.entries.at(0).annotation_terminated);
}

// --- entries array counts and limits ---------------------------------------------------------
TEST(EptLookup, EntriesCountMismatch) {
  ts::EptLookupResponse r = three_entries();
  r.max_count = 2;  // actual_count 3 > max_count 2
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(r)), Reason::count_mismatch);
  r.max_count = 3;
  r.offset = 1;  // offset 1 + actual_count 3 > 3
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(r)), Reason::count_mismatch);
  r.max_count = 0xffffffff;  // a large max_count alone is fine
  const ts::Bytes stub = ts::build_ept_lookup_response(r);
  EXPECT_EQ(ok(parse_ept_lookup_response(view(stub), common::ByteOrder::little), stub.size())
                .entries.size(),
            3u);
}

TEST(EptLookup, EntriesAtAndAboveKMaxEntriesPerCall) {
  ts::EptLookupResponse r;
  r.entries.assign(kMaxEntriesPerCall, entry(ts::kNilUuid, std::nullopt, ""));
  const ts::Bytes at = ts::build_ept_lookup_response(r);
  EXPECT_EQ(
      ok(parse_ept_lookup_response(view(at), common::ByteOrder::little), at.size()).entries.size(),
      kMaxEntriesPerCall);
  r.entries.emplace_back(entry(ts::kNilUuid, std::nullopt, ""));
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(r)), Reason::too_many_entries);
  // 2^31 entries announced, none sent: refused by the limit before any loop.
  ts::EptLookupResponse hostile;
  hostile.max_count = 0x80000000u;
  hostile.actual_count = 0x80000000u;
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(hostile)), Reason::too_many_entries);
  hostile.max_count = hostile.actual_count = 0xffffffffffffffffull;
  EXPECT_EQ(
      reason_of(ts::build_ept_lookup_response(hostile, ts::Endian::little, true), Syntax::ndr64),
      Reason::too_many_entries);
}

TEST(EptLookup, CountWithinTheLimitButPastTheStubIsTruncated) {
  ts::EptLookupResponse r;
  r.max_count = r.actual_count = kMaxEntriesPerCall;
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(r)), Reason::truncated);
}

// --- hostile towers inside entries -----------------------------------------------------------
TEST(EptLookup, TowerLengthPastTheStub) {
  ts::Bytes stub = ts::build_ept_lookup_response(one_entry(entry(ts::kNilUuid, kTcpTower, "")));
  // twr_t after the 36-octet header and the 32-octet entry: max_count at 68, tower_length 72.
  ts::Bytes bigger = stub;
  bigger[72] = std::byte{0xff};
  bigger[73] = std::byte{0xff};
  bigger[68] = std::byte{0xff};
  bigger[69] = std::byte{0xff};  // max_count too, so only the stub bounds it
  EXPECT_EQ(reason_of(bigger), Reason::tower_length);
}

TEST(EptLookup, FloorCount65535) {
  const ts::Bytes tower = ts::TowerBuilder{}.tcp(135).floor_count(65535).build();
  auto s = parse_ept_lookup_response(
      view(ts::build_ept_lookup_response(one_entry(entry(ts::kNilUuid, tower, "")))),
      common::ByteOrder::little);
  ASSERT_TRUE(s.is_malformed());
  EXPECT_EQ(s.error().reason, Reason::too_many_floors);
  EXPECT_EQ(s.error().offset, 76u);  // a stub offset: the tower's octets start at 76
}

TEST(EptLookup, FloorLengthPastTheTower) {
  ts::TowerFloor f;
  f.lhs = ts::Bytes{std::byte{0x07}};
  f.rhs = ts::Bytes{std::byte{0}, std::byte{135}};
  f.rhs_length = 9;
  const ts::Bytes tower = ts::TowerBuilder{}.floor(f).build();
  EXPECT_EQ(reason_of(ts::build_ept_lookup_response(one_entry(entry(ts::kNilUuid, tower, "")))),
            Reason::floor_length);
}

}  // namespace
}  // namespace rpctrace::epm
