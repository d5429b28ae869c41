// Tests of src/dcerpc/request_response.cpp: request, response and fault bodies (C706
// §12.6.4.9, §12.6.4.10, §12.6.4.7; MS-RPCE 2.2.2.11 for fault statuses), the PDUs without a
// body (auth3 MS-RPCE 2.2.2.10, shutdown §12.6.4.11, co_cancel §12.6.4.6, orphaned §12.6.4.8),
// rts (MS-RPCH 2.2.3.6.1), the sec_trailer and auth padding (C706 §13.2.6.1, MS-RPCE
// 2.2.2.11), and parse_pdu_prefix() on PDUs the capture cut short.
#include <gtest/gtest.h>

#include <vector>

#include "rpctrace/dcerpc/pdu.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::in_order;
using unittest::pattern;
using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

ts::Bytes copy(Bytes b) { return ts::Bytes(b.begin(), b.end()); }

// The returned view points into `pdu` (STYLE.md §8), so a temporary is refused.
PduView parse_ok(ts::Bytes&&) = delete;
PduView parse_ok(const ts::Bytes& pdu) {
  PduResult r = parse_pdu(view(pdu));
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  EXPECT_EQ(r.consumed(), pdu.size());
  EXPECT_FALSE(r.value().truncated);
  return r.value();
}

class RequestResponseOrder : public ::testing::TestWithParam<ts::Endian> {};

// --- C706 §12.6.4.9 request, with and without the object UUID ---------------------------------
TEST_P(RequestResponseOrder, RequestWithoutObject) {
  const ts::Bytes stub = pattern(21);
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::request), GetParam())
                            .call_id(9)
                            .alloc_hint(0x01020304)
                            .p_cont_id(0x0102)
                            .opnum(0x0203)
                            .stub(stub)
                            .build();
  const PduView v = parse_ok(pdu);
  const Request* q = std::get_if<Request>(&v.body);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->alloc_hint, 0x01020304u);
  EXPECT_EQ(q->p_cont_id, 0x0102);
  EXPECT_EQ(q->opnum, 0x0203);
  EXPECT_FALSE(q->object.has_value());
  EXPECT_EQ(q->stub_length, 21u);
  EXPECT_EQ(copy(v.stub), stub);
  EXPECT_FALSE(v.sec_trailer.has_value());
  EXPECT_TRUE(v.auth_value.empty());
}

TEST_P(RequestResponseOrder, RequestWithObjectUuid) {
  const ts::Bytes stub = pattern(8);
  const ts::Uuid object = ts::Uuid::parse("0123abcd-4567-89ef-0011-223344556677");
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::request), GetParam())
                            .opnum(3)
                            .object(object)
                            .stub(stub)
                            .build();
  ASSERT_EQ(pdu.size(), 16u + 8 + 16 + 8);
  const PduView v = parse_ok(pdu);
  EXPECT_EQ(v.header.pfc_flags & pfc::object_uuid, pfc::object_uuid);
  const Request& q = std::get<Request>(v.body);
  ASSERT_TRUE(q.object.has_value());
  EXPECT_EQ(*q.object, to_uuid(object));
  EXPECT_EQ(q.opnum, 3);
  EXPECT_EQ(copy(v.stub), stub);
}

// --- C706 §12.6.4.10 response ----------------------------------------------------------------
TEST_P(RequestResponseOrder, Response) {
  const ts::Bytes stub = pattern(30);
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::response), GetParam())
                            .alloc_hint(300)
                            .p_cont_id(5)
                            .cancel_count(2)
                            .stub(stub)
                            .build();
  const PduView v = parse_ok(pdu);
  const Response& s = std::get<Response>(v.body);
  EXPECT_EQ(s.alloc_hint, 300u);
  EXPECT_EQ(s.p_cont_id, 5);
  EXPECT_EQ(s.cancel_count, 2);
  EXPECT_EQ(s.stub_length, 30u);
  EXPECT_EQ(copy(v.stub), stub);
}

// --- C706 §12.6.4.7 fault, with and without the 4 reserved octets -----------------------------
TEST_P(RequestResponseOrder, FaultWithReservedOctetsAndStub) {
  ts::ByteWriter w(GetParam());
  w.u32(8).u16(1).u8(0).u8(0x01).u32(0x000006f7).u32(0).bytes(pattern(8));  // fault_flags 1
  const ts::Bytes pdu =
      in_order(ts::PduBuilder(ts::Ptype::fault), GetParam()).body(w.view()).build();
  const PduView v = parse_ok(pdu);
  const Fault& f = std::get<Fault>(v.body);
  EXPECT_EQ(f.alloc_hint, 8u);
  EXPECT_EQ(f.p_cont_id, 1);
  EXPECT_EQ(f.fault_flags, 0x01);
  EXPECT_EQ(f.status, 0x000006f7u);
  EXPECT_EQ(f.stub_length, 8u);
  EXPECT_EQ(copy(v.stub), pattern(8));
  // The builder's fault (reserved octets, no stub).
  const ts::Bytes plain =
      in_order(ts::PduBuilder(ts::Ptype::fault), GetParam()).status(0x1c010003).build();
  const PduView b = parse_ok(plain);
  EXPECT_EQ(std::get<Fault>(b.body).status, 0x1c010003u);
  EXPECT_EQ(std::get<Fault>(b.body).stub_length, 0u);
}

TEST_P(RequestResponseOrder, FaultWithoutReservedOctets) {
  ts::ByteWriter w(GetParam());
  w.u32(0).u16(0).u8(1).u8(0).u32(0x1c00001b);  // 12 octets: frag_length 28, the minimum
  const ts::Bytes pdu =
      in_order(ts::PduBuilder(ts::Ptype::fault), GetParam()).body(w.view()).build();
  ASSERT_EQ(pdu.size(), 28u);
  const PduView v = parse_ok(pdu);
  const Fault& f = std::get<Fault>(v.body);
  EXPECT_EQ(f.cancel_count, 1);
  EXPECT_EQ(f.status, 0x1c00001bu);
  EXPECT_EQ(f.stub_length, 0u);
}

// --- MS-RPCH 2.2.3.6.1 rts; PDUs without a body ------------------------------------------------
TEST_P(RequestResponseOrder, Rts) {
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::rts), GetParam())
                            .rts_flags(0x0002)
                            .number_of_commands(0x0102)
                            .rts_commands(pattern(12))
                            .build();
  const PduView v = parse_ok(pdu);
  const Rts& t = std::get<Rts>(v.body);
  EXPECT_EQ(t.flags, 0x0002);
  EXPECT_EQ(t.number_of_commands, 0x0102);
}

TEST_P(RequestResponseOrder, PdusWithoutBody) {
  for (ts::Ptype p : {ts::Ptype::shutdown, ts::Ptype::co_cancel, ts::Ptype::orphaned}) {
    const ts::Bytes pdu = in_order(ts::PduBuilder(p), GetParam()).call_id(0x0a0b0c0d).build();
    const PduView v = parse_ok(pdu);
    EXPECT_EQ(v.header.ptype, static_cast<PacketType>(p));
    EXPECT_EQ(v.header.call_id, 0x0a0b0c0du);
    EXPECT_TRUE(std::holds_alternative<NoBody>(v.body));
    EXPECT_TRUE(v.stub.empty());
  }
}

// MS-RPCE 2.2.2.10: auth3 is 4 octets of padding then the sec_trailer and auth_value.
TEST_P(RequestResponseOrder, Auth3WithSecTrailer) {
  ts::AuthVerifier av =
      ts::make_auth_verifier(pattern(40), 4, ts::kAuthTypeWinnt, ts::kAuthLevelConnect);
  av.auth_context_id = 0x00a1b2c3;
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::auth3), GetParam()).auth(av).build();
  const PduView v = parse_ok(pdu);
  EXPECT_TRUE(std::holds_alternative<NoBody>(v.body));
  ASSERT_TRUE(v.sec_trailer.has_value());
  EXPECT_EQ(v.sec_trailer->auth_type, ts::kAuthTypeWinnt);
  EXPECT_EQ(v.sec_trailer->auth_level, ts::kAuthLevelConnect);
  EXPECT_EQ(v.sec_trailer->auth_context_id, 0x00a1b2c3u);
  EXPECT_EQ(copy(v.auth_value), pattern(40));
}

// --- C706 §13.2.6.1, MS-RPCE 2.2.2.11: auth padding is not stub -------------------------------
TEST_P(RequestResponseOrder, SecTrailerAndAuthPadding) {
  for (std::size_t alignment : {4u, 8u, 16u}) {
    ts::AuthVerifier av = ts::make_auth_verifier(
        pattern(16, 0x70), alignment, ts::kAuthTypeGssNegotiate, ts::kAuthLevelPktPrivacy);
    av.auth_context_id = 0x01020304;
    const ts::Bytes stub = pattern(5);  // 16 + 8 + 5 = 29: pad to 32 (4, 8, 16 alike)
    const ts::Bytes pdu =
        in_order(ts::PduBuilder(ts::Ptype::request), GetParam()).stub(stub).auth(av).build();
    const PduView v = parse_ok(pdu);
    ASSERT_TRUE(v.sec_trailer.has_value());
    EXPECT_EQ(v.sec_trailer->auth_type, ts::kAuthTypeGssNegotiate);
    EXPECT_EQ(v.sec_trailer->auth_level, ts::kAuthLevelPktPrivacy);
    EXPECT_EQ(v.sec_trailer->auth_pad_length, 3);
    EXPECT_EQ(v.sec_trailer->auth_context_id, 0x01020304u);
    EXPECT_EQ(v.header.auth_length, 16);
    EXPECT_EQ(copy(v.auth_value), pattern(16, 0x70));
    EXPECT_EQ(copy(v.stub), stub) << alignment;
    EXPECT_EQ(std::get<Request>(v.body).stub_length, 5u);
  }
}

INSTANTIATE_TEST_SUITE_P(Drep, RequestResponseOrder, unittest::kBothOrders, unittest::order_name);

// --- auth_length at 0 and one off the true value (its maximum: common_header_test) ------------
TEST(SecTrailer, AuthLengthZeroLeavesTrailerInTheStub) {
  const ts::Bytes pdu = ts::PduBuilder(ts::Ptype::request)
                            .stub(pattern(8))
                            .auth(ts::make_auth_verifier(pattern(16), 4))
                            .auth_length(0)
                            .build();
  const PduView v = parse_ok(pdu);
  EXPECT_FALSE(v.sec_trailer.has_value());
  EXPECT_EQ(v.stub.size(), 8u + 8 + 16);  // stub, sec_trailer, auth_value
}

TEST(SecTrailer, AuthLengthOneOffShiftsTheTrailer) {
  // Stub 8 (no padding), sec_trailer at 32: type 10, level 5, pad 0, reserved 0, ctx 0x11223344.
  ts::AuthVerifier av = ts::make_auth_verifier(pattern(16), 4);
  av.auth_context_id = 0x11223344;
  ts::PduBuilder b(ts::Ptype::request);
  b.stub(ts::hex_bytes("0102030405060708")).auth(av);
  // One more: the trailer starts one octet early, on the stub's last octet.
  const ts::Bytes plus_pdu = ts::PduBuilder(b).auth_length(17).build();
  const PduView plus = parse_ok(plus_pdu);
  ASSERT_TRUE(plus.sec_trailer.has_value());
  EXPECT_EQ(plus.sec_trailer->auth_type, 0x08);
  EXPECT_EQ(plus.sec_trailer->auth_level, 10);
  EXPECT_EQ(plus.sec_trailer->auth_pad_length, 5);  // the real auth_level, taken as padding
  EXPECT_EQ(plus.auth_value.size(), 17u);
  EXPECT_EQ(plus.stub.size(), 7u - 5);
  // One less: it starts one octet late.
  const ts::Bytes minus_pdu = ts::PduBuilder(b).auth_length(15).build();
  const PduView minus = parse_ok(minus_pdu);
  ASSERT_TRUE(minus.sec_trailer.has_value());
  EXPECT_EQ(minus.sec_trailer->auth_type, 5);
  EXPECT_EQ(minus.sec_trailer->auth_context_id, 0x40112233u);  // 33 22 11 then auth_value[0] 0x40
  EXPECT_EQ(minus.auth_value.size(), 15u);
  EXPECT_EQ(minus.stub.size(), 9u);
}

TEST(SecTrailer, AuthPadLengthLargerThanTheStubLeavesNoStub) {
  ts::AuthVerifier av = ts::make_auth_verifier(pattern(16), 4);
  av.auth_pad_length = 200;
  const ts::Bytes pdu = ts::PduBuilder(ts::Ptype::request).stub(pattern(8)).auth(av).build();
  const PduView v = parse_ok(pdu);
  ASSERT_TRUE(v.sec_trailer.has_value());
  EXPECT_EQ(v.sec_trailer->auth_pad_length, 200);
  EXPECT_TRUE(v.stub.empty());
}

TEST(SecTrailer, ParseSecTrailerNeedsEightOctets) {
  const ts::Bytes seven = pattern(7);
  auto r = parse_sec_trailer(common::ByteReader(view(seven)));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, Reason::body_truncated);
  const ts::Bytes eight = ts::hex_bytes("0a 05 02 00 44 33 22 11");
  auto ok = parse_sec_trailer(common::ByteReader(view(eight), common::ByteOrder::little));
  ASSERT_TRUE(ok.is_complete());
  EXPECT_EQ(ok.value().auth_pad_length, 2);
  EXPECT_EQ(ok.value().auth_context_id, 0x11223344u);
  auto big = parse_sec_trailer(common::ByteReader(view(eight), common::ByteOrder::big));
  EXPECT_EQ(big.value().auth_context_id, 0x44332211u);
}

// --- parse_pdu_prefix(): fields present up to the cut, truncated flag --------------------------
class PrefixOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(PrefixOrder, RequestFieldsUpToTheCut) {
  const ts::Uuid object = ts::Uuid::parse("0123abcd-4567-89ef-0011-223344556677");
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::request), GetParam())
                            .call_id(44)
                            .p_cont_id(2)
                            .opnum(3)
                            .object(object)
                            .stub(pattern(60))
                            .build();
  for (std::size_t cut = 16; cut < pdu.size(); ++cut) {
    PduResult r = parse_pdu_prefix(view(pdu).first(cut));
    ASSERT_TRUE(r.is_complete()) << cut;
    const PduView& v = r.value();
    EXPECT_TRUE(v.truncated);
    EXPECT_EQ(v.captured, cut);
    EXPECT_EQ(r.consumed(), cut);
    EXPECT_EQ(v.header.call_id, 44u);
    EXPECT_EQ(v.header.frag_length, pdu.size());
    const Request* q = std::get_if<Request>(&v.body);
    if (cut < 24) {
      EXPECT_EQ(q, nullptr) << cut;
      continue;
    }
    ASSERT_NE(q, nullptr) << cut;
    EXPECT_EQ(q->opnum, 3);
    EXPECT_EQ(q->p_cont_id, 2);
    EXPECT_EQ(q->object.has_value(), cut >= 40) << cut;
    if (q->object) {
      EXPECT_EQ(*q->object, to_uuid(object));
    }
  }
}

TEST_P(PrefixOrder, ResponseAndFaultFieldsUpToTheCut) {
  const ts::Bytes resp = in_order(ts::PduBuilder(ts::Ptype::response), GetParam())
                             .p_cont_id(4)
                             .cancel_count(1)
                             .stub(pattern(40))
                             .build();
  EXPECT_EQ(std::get_if<Response>(&parse_pdu_prefix(view(resp).first(23)).value().body), nullptr);
  PduResult r = parse_pdu_prefix(view(resp).first(24));
  ASSERT_NE(std::get_if<Response>(&r.value().body), nullptr);
  EXPECT_EQ(std::get<Response>(r.value().body).p_cont_id, 4);
  EXPECT_EQ(std::get<Response>(r.value().body).cancel_count, 1);
  EXPECT_TRUE(r.value().truncated);

  const ts::Bytes fault = in_order(ts::PduBuilder(ts::Ptype::fault), GetParam())
                              .status(0x1c010002)
                              .stub(pattern(8))
                              .build();
  EXPECT_EQ(std::get_if<Fault>(&parse_pdu_prefix(view(fault).first(27)).value().body), nullptr);
  PduResult f = parse_pdu_prefix(view(fault).first(28));
  ASSERT_NE(std::get_if<Fault>(&f.value().body), nullptr);
  EXPECT_EQ(std::get<Fault>(f.value().body).status, 0x1c010002u);
}

INSTANTIATE_TEST_SUITE_P(Drep, PrefixOrder, unittest::kBothOrders, unittest::order_name);

TEST(Prefix, FewerThanSixteenOctetsOrABadHeaderIsMalformed) {
  const ts::Bytes pdu = ts::PduBuilder(ts::Ptype::request).stub(pattern(40)).build();
  for (std::size_t cut = 0; cut < 16; ++cut) {
    PduResult r = parse_pdu_prefix(view(pdu).first(cut));
    ASSERT_TRUE(r.is_malformed()) << cut;
    EXPECT_EQ(r.error().reason, Reason::body_truncated);
  }
  const ts::Bytes bad = ts::PduBuilder(ts::Ptype::request).rpc_vers(4).stub(pattern(40)).build();
  PduResult r = parse_pdu_prefix(view(bad).first(30));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, Reason::bad_rpc_vers);
}

TEST(Prefix, InputLongerThanFragLengthIsCutToIt) {
  const ts::Bytes two = ts::build_all(
      std::vector<ts::PduBuilder>{ts::PduBuilder(ts::Ptype::request).opnum(9).stub(pattern(8)),
                                  ts::PduBuilder(ts::Ptype::shutdown)});
  PduResult r = parse_pdu_prefix(view(two));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.value().captured, 32u);
  EXPECT_EQ(r.consumed(), 32u);
  EXPECT_EQ(std::get<Request>(r.value().body).opnum, 9);
}

}  // namespace
}  // namespace rpctrace::dcerpc
