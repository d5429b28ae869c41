// Tests of src/dcerpc/cl_pdu.cpp: the connectionless header (C706 §12.5.1) in both byte orders,
// every packet type's body (§12.5.3), one test per ClReason, the truncation sweep over every
// prefix of every sample PDU, a datagram cut by the snap length, and the auth verifier after
// the body. Inputs come from tests/support/cl_builder (written from the spec); the field-offset
// test places single values at C706's offsets by hand, so the builder and the parser cannot
// agree on a wrong layout unnoticed.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rpctrace/dcerpc/cl.hpp"
#include "support/cl_builder.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {

// gtest prints reasons by name (found by argument-dependent lookup).
void PrintTo(ClReason r, std::ostream* os) { *os << to_string(r); }

namespace {

using unittest::kBothOrders;
using unittest::order_name;
using unittest::pattern;
using unittest::to_syntax;
using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

constexpr ts::Uuid kObject = ts::Uuid::parse("0a0b0c0d-1e1f-2a2b-3c3d-4e4f5a5b5c5d");
constexpr ts::Uuid kActivity = ts::Uuid::parse("6a1c2e3f-0001-4a5b-8c6d-0a05020a0001");
constexpr ts::SyntaxId kIf{ts::Uuid::parse("5a7e0004-0000-4000-8000-000000000004"), 3, 1};

ts::ClPduBuilder in_order(ts::ClPduBuilder b, ts::Endian e) {
  if (e == ts::Endian::little) {
    b.little_endian();
  } else {
    b.big_endian();
  }
  return b;
}

// The whole datagram, captured whole.
ClPduResult parse(const ts::Bytes& b) { return parse_cl_pdu(view(b), b.size()); }

ts::Bytes u32_in(std::uint32_t v, ts::Endian e) {
  ts::ByteWriter w(e);
  w.u32(v);
  return w.take();
}

ts::Bytes concat(ts::Bytes a, const ts::Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --- The header, both byte orders (C706 §12.5.1) -------------------------------------------
class ClHeaderOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(ClHeaderOrder, EveryFieldIsRead) {
  const ts::Endian e = GetParam();
  const std::uint8_t int_nibble = e == ts::Endian::little ? 0x10 : 0x00;
  // Character set EBCDIC (1) and floating point VAX (1): the drep is kept as sent.
  ts::ClPduBuilder b(ts::Ptype::request);
  b.drep({static_cast<std::uint8_t>(int_nibble | 0x01), 0x01, 0x00})
      .flags1(ts::kClFrag | ts::kClIdempotent)
      .flags2(ts::kClCancelPending)
      .serial(0x1234)
      .object(kObject)
      .interface_id(kIf)
      .act_id(kActivity)
      .server_boot(0x11223344)
      .seqnum(0xa1b2c3d4)
      .opnum(0x0102)
      .ihint(0x0304)
      .ahint(0x0506)
      .fragnum(0x0708)
      .stub(pattern(5));
  const ts::Bytes pdu = b.build();

  ClHeaderResult r = parse_cl_header(view(pdu));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), kClHeaderSize);
  const ClHeader& h = r.value();
  EXPECT_EQ(h.rpc_vers, 4);
  EXPECT_EQ(h.ptype, PacketType::request);
  EXPECT_EQ(h.flags1, cl_flags1::frag | cl_flags1::idempotent);
  EXPECT_EQ(h.flags2, cl_flags2::cancel_pending);
  EXPECT_EQ(h.drep.octets[0], int_nibble | 0x01);
  EXPECT_EQ(h.drep.octets[1], 0x01);
  EXPECT_EQ(h.drep.octets[2], 0x00);
  EXPECT_EQ(h.drep.octets[3], 0x00);
  EXPECT_EQ(h.drep.integer_order(), unittest::to_order(e));
  EXPECT_EQ(h.serial_hi, 0x12);
  EXPECT_EQ(h.serial_lo, 0x34);
  EXPECT_EQ(h.serial(), 0x1234);
  EXPECT_EQ(h.object, to_uuid(kObject));
  EXPECT_EQ(h.if_id, to_uuid(kIf.uuid));
  EXPECT_EQ(h.act_id, to_uuid(kActivity));
  EXPECT_EQ(h.server_boot, 0x11223344u);
  EXPECT_EQ(h.if_vers, 0x00010003u);  // major 3 in the low 16 bits, minor 1 in the high
  EXPECT_EQ(h.interface(), to_syntax(kIf));
  EXPECT_EQ(h.seqnum, 0xa1b2c3d4u);
  EXPECT_EQ(h.opnum, 0x0102);
  EXPECT_EQ(h.ihint, 0x0304);
  EXPECT_EQ(h.ahint, 0x0506);
  EXPECT_EQ(h.len, 5);
  EXPECT_EQ(h.fragnum, 0x0708);
  EXPECT_EQ(h.auth_proto, 0);
  EXPECT_TRUE(h.more_fragments());

  ClPduResult p = parse(pdu);
  ASSERT_TRUE(p.is_complete());
  EXPECT_EQ(p.value().header.act_id, to_uuid(kActivity));
  EXPECT_EQ(p.value().header.seqnum, 0xa1b2c3d4u);
}

TEST_P(ClHeaderOrder, MoreFragmentsOnlyWithFragAndWithoutLastfrag) {
  const ts::Endian e = GetParam();
  const std::pair<std::uint8_t, bool> cases[] = {{0, false},
                                                 {ts::kClFrag, true},
                                                 {ts::kClFrag | ts::kClLastFrag, false},
                                                 {ts::kClLastFrag, false}};
  for (const auto& [flags, more] : cases) {
    const ts::Bytes pdu = in_order(ts::ClPduBuilder(ts::Ptype::request), e).flags1(flags).build();
    ClHeaderResult r = parse_cl_header(view(pdu));
    ASSERT_TRUE(r.is_complete());
    EXPECT_EQ(r.value().more_fragments(), more) << int{flags};
  }
}

INSTANTIATE_TEST_SUITE_P(Both, ClHeaderOrder, kBothOrders, order_name);

// Each multi-octet field placed by hand at its C706 §12.5.1 offset in a little-endian header.
TEST(ClHeader, FieldsSitAtTheSpecOffsets) {
  ts::Bytes pdu(kClHeaderSize);
  pdu[0] = std::byte{4};
  pdu[1] = std::byte{9};  // fack
  pdu[2] = std::byte{0x20};
  pdu[3] = std::byte{0x02};
  pdu[4] = std::byte{0x10};
  pdu[7] = std::byte{0xab};  // serial_hi
  auto put = [&](std::size_t at, std::initializer_list<std::uint8_t> octets) {
    for (std::uint8_t o : octets) pdu[at++] = std::byte{o};
  };
  // object, if_id, act_id: time_low first, little-endian.
  put(8, {0x04, 0x03, 0x02, 0x01, 0x06, 0x05, 0x08, 0x07, 9, 10, 11, 12, 13, 14, 15, 16});
  put(24, {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0,
           0xfa});
  put(40, {0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x88, 0x77, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
           0x00});
  put(56, {0x01, 0x02, 0x03, 0x04});  // server_boot
  put(60, {0x03, 0x00, 0x01, 0x00});  // if_vers 3.1
  put(64, {0x21, 0x22, 0x23, 0x24});  // seqnum
  put(68, {0x31, 0x32});              // opnum
  put(70, {0x41, 0x42});              // ihint
  put(72, {0x51, 0x52});              // ahint
  put(74, {0x00, 0x00});              // len
  put(76, {0x61, 0x62});              // fragnum
  put(78, {0x0a, 0xcd});              // auth_proto, serial_lo
  ClHeaderResult r = parse_cl_header(view(pdu));
  ASSERT_TRUE(r.is_complete());
  const ClHeader& h = r.value();
  EXPECT_EQ(h.ptype, PacketType::fack);
  EXPECT_EQ(h.flags1, 0x20);
  EXPECT_EQ(h.flags2, 0x02);
  EXPECT_EQ(h.object.to_string(), "01020304-0506-0708-090a-0b0c0d0e0f10");
  EXPECT_EQ(h.if_id.to_string(), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  EXPECT_EQ(h.act_id.to_string(), "11223344-5566-7788-99aa-bbccddeeff00");
  EXPECT_EQ(h.server_boot, 0x04030201u);
  EXPECT_EQ(h.interface().major, 3);
  EXPECT_EQ(h.interface().minor, 1);
  EXPECT_EQ(h.seqnum, 0x24232221u);
  EXPECT_EQ(h.opnum, 0x3231);
  EXPECT_EQ(h.ihint, 0x4241);
  EXPECT_EQ(h.ahint, 0x5251);
  EXPECT_EQ(h.len, 0);
  EXPECT_EQ(h.fragnum, 0x6261);
  EXPECT_EQ(h.auth_proto, 0x0a);
  EXPECT_EQ(h.serial(), 0xabcd);
}

TEST(ClHeader, FlagNames) {
  EXPECT_EQ(cl_flags1_string(0), "");
  EXPECT_EQ(cl_flags1_string(cl_flags1::frag | cl_flags1::lastfrag | cl_flags1::idempotent),
            "lastfrag|frag|idempotent");
  EXPECT_EQ(cl_flags1_string(0xff),
            "reserved_01|lastfrag|frag|nofack|maybe|idempotent|broadcast|reserved_80");
  EXPECT_EQ(cl_flags2_string(0), "");
  EXPECT_EQ(cl_flags2_string(cl_flags2::cancel_pending), "cancel_pending");
  EXPECT_EQ(cl_flags2_string(0x81), "reserved_01|reserved_80");
}

// --- Bodies (C706 §12.5.3), both byte orders ----------------------------------------------
class ClBodyOrder : public ::testing::TestWithParam<ts::Endian> {
 protected:
  ts::ClPduBuilder pdu(ts::Ptype t) const { return in_order(ts::ClPduBuilder(t), GetParam()); }
};

TEST_P(ClBodyOrder, RequestAndResponseCarryTheStub) {
  for (ts::Ptype t : {ts::Ptype::request, ts::Ptype::response}) {
    const ts::Bytes stub = pattern(37);
    const ts::Bytes b = pdu(t).stub(stub).build();
    ClPduResult r = parse(b);
    ASSERT_TRUE(r.is_complete());
    const ClPduView& v = r.value();
    EXPECT_EQ(r.consumed(), kClHeaderSize + 37);
    EXPECT_EQ(v.header.len, 37);
    EXPECT_TRUE(std::holds_alternative<NoBody>(v.body));
    EXPECT_TRUE(std::equal(v.stub.begin(), v.stub.end(), stub.begin(), stub.end()));
    EXPECT_EQ(v.stub.data(), b.data() + kClHeaderSize);  // a view into the datagram
    EXPECT_FALSE(v.truncated);
    EXPECT_EQ(v.captured, b.size());
    EXPECT_TRUE(v.auth_verifier.empty());
    EXPECT_EQ(v.trailing, 0u);
  }
}

TEST_P(ClBodyOrder, EmptyRequestHasAnEmptyStub) {
  ClPduResult r = parse(pdu(ts::Ptype::request).build());
  ASSERT_TRUE(r.is_complete());
  EXPECT_TRUE(r.value().stub.empty());
  EXPECT_EQ(r.consumed(), kClHeaderSize);
}

TEST_P(ClBodyOrder, FaultAndRejectCarryAStatus) {
  const std::pair<ts::Ptype, std::uint32_t> cases[] = {{ts::Ptype::fault, ts::kNcaOpRngError},
                                                       {ts::Ptype::reject, ts::kNcaUnkIf}};
  for (const auto& [t, status] : cases) {
    ClPduResult r = parse(pdu(t).status(status).build());
    ASSERT_TRUE(r.is_complete());
    const auto* s = std::get_if<ClStatus>(&r.value().body);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->status, status);
    EXPECT_EQ(r.consumed(), kClHeaderSize + 4);
    EXPECT_TRUE(r.value().stub.empty());
  }
}

TEST_P(ClBodyOrder, FackWithoutSelack) {
  const ts::Bytes b =
      pdu(ts::Ptype::fack).fragnum(3).fack(ts::make_fack_body(8, 65000, 1464, 0x0203)).build();
  ClPduResult r = parse(b);
  ASSERT_TRUE(r.is_complete());
  const auto* f = std::get_if<ClFack>(&r.value().body);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->vers, 1);
  EXPECT_EQ(f->window_size, 8);
  EXPECT_EQ(f->max_tsdu, 65000u);
  EXPECT_EQ(f->max_frag_size, 1464u);
  EXPECT_EQ(f->serial_num, 0x0203);
  EXPECT_EQ(f->selack_len, 0);
  EXPECT_TRUE(f->selack.empty());
  EXPECT_EQ(r.value().header.fragnum, 3);
  EXPECT_EQ(r.consumed(), kClHeaderSize + 16);
}

TEST_P(ClBodyOrder, FackWithSelack) {
  const ts::Bytes b = pdu(ts::Ptype::fack)
                          .fack(ts::make_fack_body(16, 4096, 1464, 7, {0x0000000b, 0x80000001}))
                          .build();
  ClPduResult r = parse(b);
  ASSERT_TRUE(r.is_complete());
  const auto* f = std::get_if<ClFack>(&r.value().body);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->selack_len, 2);
  EXPECT_EQ(f->selack, (std::vector<std::uint32_t>{0x0000000b, 0x80000001}));
  EXPECT_EQ(r.consumed(), kClHeaderSize + 24);
}

TEST_P(ClBodyOrder, FackWithoutBody) {
  // Implementations before the fack body send none (C706 §12.5.3.4).
  ClPduResult r = parse(pdu(ts::Ptype::fack).build());
  ASSERT_TRUE(r.is_complete());
  EXPECT_TRUE(std::holds_alternative<NoBody>(r.value().body));
}

TEST_P(ClBodyOrder, NocallWithAndWithoutAFackBody) {
  ClPduResult plain = parse(pdu(ts::Ptype::nocall).build());
  ASSERT_TRUE(plain.is_complete());
  EXPECT_TRUE(std::holds_alternative<NoBody>(plain.value().body));

  ClPduResult with = parse(pdu(ts::Ptype::nocall)
                               .fragnum(0xffff)
                               .fack(ts::make_fack_body(8, 1464, 1464, 0, {0x5}))
                               .build());
  ASSERT_TRUE(with.is_complete());
  const auto* f = std::get_if<ClFack>(&with.value().body);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->window_size, 8);
  EXPECT_EQ(f->max_tsdu, 1464u);
  EXPECT_EQ(f->selack, std::vector<std::uint32_t>{0x5});
  EXPECT_EQ(with.value().header.fragnum, 0xffff);
}

TEST_P(ClBodyOrder, Cancel) {
  ClPduResult r = parse(pdu(ts::Ptype::cl_cancel).cancel(0x01020304, 0).build());
  ASSERT_TRUE(r.is_complete());
  const auto* c = std::get_if<ClCancel>(&r.value().body);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->vers, 0u);
  EXPECT_EQ(c->cancel_id, 0x01020304u);
  EXPECT_EQ(r.consumed(), kClHeaderSize + 8);
}

TEST_P(ClBodyOrder, CancelAckWithAOneOctetServerIsAccepting) {
  for (bool accepting : {true, false}) {
    ClPduResult r = parse(pdu(ts::Ptype::cancel_ack).cancel_ack(9, accepting, 0).build());
    ASSERT_TRUE(r.is_complete());
    const auto* c = std::get_if<ClCancelAck>(&r.value().body);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->vers, 0u);
    EXPECT_EQ(c->cancel_id, 9u);
    EXPECT_EQ(c->server_is_accepting, accepting);
    EXPECT_EQ(r.consumed(), kClHeaderSize + 9);
  }
}

TEST_P(ClBodyOrder, CancelAckWithAFourOctetServerIsAccepting) {
  const ts::Endian e = GetParam();
  // boolean32 (C706 §12.5.3.1) in the drep's order: its first octet alone would read as
  // false for 0x01000000 little-endian and 0x00000001 big-endian.
  const std::uint32_t truth = e == ts::Endian::little ? 0x01000000u : 0x00000001u;
  for (std::uint32_t value : {truth, 0u}) {
    const ts::Bytes body = concat(concat(u32_in(1, e), u32_in(0x0a0b0c0d, e)), u32_in(value, e));
    ClPduResult r = parse(pdu(ts::Ptype::cancel_ack).body(body).build());
    ASSERT_TRUE(r.is_complete());
    const auto* c = std::get_if<ClCancelAck>(&r.value().body);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->vers, 1u);
    EXPECT_EQ(c->cancel_id, 0x0a0b0c0du);
    EXPECT_EQ(c->server_is_accepting, value != 0);
    EXPECT_EQ(r.consumed(), kClHeaderSize + 12);
  }
}

TEST_P(ClBodyOrder, PingWorkingAckHaveNoBody) {
  for (ts::Ptype t : {ts::Ptype::ping, ts::Ptype::working, ts::Ptype::ack}) {
    ClPduResult r = parse(pdu(t).build());
    ASSERT_TRUE(r.is_complete());
    EXPECT_TRUE(std::holds_alternative<NoBody>(r.value().body));
    EXPECT_TRUE(r.value().stub.empty());
    // Octets their len announces are skipped, not read.
    ClPduResult extra = parse(pdu(t).body(pattern(6)).build());
    ASSERT_TRUE(extra.is_complete());
    EXPECT_TRUE(std::holds_alternative<NoBody>(extra.value().body));
    EXPECT_EQ(extra.consumed(), kClHeaderSize + 6);
  }
}

TEST_P(ClBodyOrder, FackBodyParserReadsInTheReadersOrder) {
  const ts::Endian e = GetParam();
  const ts::Bytes b = pdu(ts::Ptype::fack).fack(ts::make_fack_body(5, 6, 7, 8, {9})).build();
  const ts::Bytes body = ts::slice(b, kClHeaderSize, b.size() - kClHeaderSize);
  auto r = parse_cl_fack(common::ByteReader(view(body), unittest::to_order(e)));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), 20u);
  EXPECT_EQ(r.value().window_size, 5);
  EXPECT_EQ(r.value().max_tsdu, 6u);
  EXPECT_EQ(r.value().max_frag_size, 7u);
  EXPECT_EQ(r.value().serial_num, 8);
  EXPECT_EQ(r.value().selack, std::vector<std::uint32_t>{9});
}

// Octets after the body: the auth verifier when auth_proto is set, padding otherwise.
TEST_P(ClBodyOrder, AuthVerifierFollowsTheBodyWhenAuthProtoIsSet) {
  const ts::Bytes stub = pattern(12);
  const ts::Bytes verifier = pattern(20, 0x90);
  const ts::Bytes b = concat(pdu(ts::Ptype::request).auth_proto(10).stub(stub).build(), verifier);
  ClPduResult r = parse(b);
  ASSERT_TRUE(r.is_complete());
  const ClPduView& v = r.value();
  EXPECT_EQ(v.header.auth_proto, 10);
  EXPECT_TRUE(std::equal(v.stub.begin(), v.stub.end(), stub.begin(), stub.end()));
  EXPECT_TRUE(
      std::equal(v.auth_verifier.begin(), v.auth_verifier.end(), verifier.begin(), verifier.end()));
  EXPECT_EQ(v.trailing, 0u);
  EXPECT_EQ(r.consumed(), kClHeaderSize + 12);  // the header and the body

  const ts::Bytes plain = concat(pdu(ts::Ptype::request).stub(stub).build(), verifier);
  ClPduResult p = parse(plain);
  ASSERT_TRUE(p.is_complete());
  EXPECT_TRUE(p.value().auth_verifier.empty());
  EXPECT_EQ(p.value().trailing, 20u);
}

INSTANTIATE_TEST_SUITE_P(Both, ClBodyOrder, kBothOrders, order_name);

// --- One test per reason ------------------------------------------------------------------
void expect_malformed(const ClPduResult& r, ClReason reason, std::size_t offset) {
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, reason);
  EXPECT_EQ(r.error().offset, offset);
  EXPECT_FALSE(r.error().detail.empty());
}

TEST(ClReasons, HeaderTruncated) {
  const ts::Bytes b = ts::ClPduBuilder(ts::Ptype::ping).build();
  const ts::Bytes cut(b.begin(), b.begin() + 79);
  ClHeaderResult h = parse_cl_header(view(cut));
  ASSERT_TRUE(h.is_need_more());
  EXPECT_EQ(h.needed(), kClHeaderSize);
  expect_malformed(parse(cut), ClReason::header_truncated, 0);
  expect_malformed(parse_cl_pdu({}, 0), ClReason::header_truncated, 0);
  // A datagram longer on the wire than captured is still cut inside its header.
  expect_malformed(parse_cl_pdu(view(cut), 200), ClReason::header_truncated, 0);
}

TEST(ClReasons, BadRpcVers) {
  for (std::uint8_t vers : std::initializer_list<std::uint8_t>{0, 3, 5, 255}) {
    const ts::Bytes b = ts::ClPduBuilder(ts::Ptype::request).rpc_vers(vers).build();
    expect_malformed(parse(b), ClReason::bad_rpc_vers, 0);
    EXPECT_TRUE(parse_cl_header(view(b)).is_malformed());
  }
}

TEST(ClReasons, BadPtype) {
  for (std::uint8_t t : std::initializer_list<std::uint8_t>{11, 12, 20, 255}) {
    const ts::Bytes b = ts::ClPduBuilder(ts::Ptype::request).ptype(t).build();
    expect_malformed(parse(b), ClReason::bad_ptype, 1);
  }
  // 10 (cancel_ack) is the highest connectionless type.
  EXPECT_TRUE(parse(ts::ClPduBuilder(ts::Ptype::request).ptype(10).build()).is_complete());
}

TEST(ClReasons, BadDrep) {
  const std::array<std::uint8_t, 3> bad[] = {
      {0x20, 0, 0}, {0x12, 0, 0}, {0x10, 4, 0}, {0x00, 0, 1}, {0xff, 0xff, 0xff}};
  for (const auto& d : bad) {
    const ts::Bytes b = ts::ClPduBuilder(ts::Ptype::request).drep(d).build();
    expect_malformed(parse(b), ClReason::bad_drep, 4);
  }
  const std::array<std::uint8_t, 3> good[] = {{0x10, 0, 0}, {0x00, 0, 0}, {0x11, 3, 0}};
  for (const auto& d : good) {
    EXPECT_TRUE(parse(ts::ClPduBuilder(ts::Ptype::request).drep(d).build()).is_complete());
  }
}

TEST(ClReasons, BadLengthWhenLenRunsPastTheDatagram) {
  for (ts::Endian e : {ts::Endian::little, ts::Endian::big}) {
    const ts::Bytes b = in_order(ts::ClPduBuilder(ts::Ptype::request), e)
                            .stub(pattern(8))
                            .len(9)  // one past what the datagram holds
                            .build();
    expect_malformed(parse(b), ClReason::bad_length, 74);
    // The same octets, but a datagram one octet longer on the wire: the capture cut it.
    ClPduResult cut = parse_cl_pdu(view(b), b.size() + 1);
    ASSERT_TRUE(cut.is_complete());
    EXPECT_TRUE(cut.value().truncated);
    // len exactly what is there, and one less (one octet of padding).
    const ts::Bytes exact =
        in_order(ts::ClPduBuilder(ts::Ptype::request), e).stub(pattern(8)).len(8).build();
    EXPECT_TRUE(parse(exact).is_complete());
    const ts::Bytes less =
        in_order(ts::ClPduBuilder(ts::Ptype::request), e).stub(pattern(8)).len(7).build();
    ClPduResult l = parse(less);
    ASSERT_TRUE(l.is_complete());
    EXPECT_EQ(l.value().stub.size(), 7u);
    EXPECT_EQ(l.value().trailing, 1u);
    // len 0xffff on an 80-octet datagram.
    const ts::Bytes max = in_order(ts::ClPduBuilder(ts::Ptype::ping), e).len(0xffff).build();
    expect_malformed(parse(max), ClReason::bad_length, 74);
  }
}

TEST(ClReasons, BodyTruncatedForShortStatusBodies) {
  for (ts::Ptype t : {ts::Ptype::fault, ts::Ptype::reject}) {
    for (std::size_t n : {0u, 1u, 3u}) {
      const ts::Bytes b = ts::ClPduBuilder(t).body(pattern(n)).build();
      expect_malformed(parse(b), ClReason::body_truncated, kClHeaderSize);
    }
  }
}

TEST(ClReasons, BodyTruncatedForShortFackBodies) {
  for (ts::Ptype t : {ts::Ptype::fack, ts::Ptype::nocall}) {
    for (std::size_t n : {1u, 8u, 15u}) {
      const ts::Bytes b = ts::ClPduBuilder(t).body(pattern(n)).build();
      ClPduResult r = parse(b);
      ASSERT_TRUE(r.is_malformed()) << n;
      EXPECT_EQ(r.error().reason, ClReason::body_truncated) << n;
      EXPECT_GE(r.error().offset, kClHeaderSize) << n;
    }
  }
}

TEST(ClReasons, BodyTruncatedForShortCancelBodies) {
  for (std::size_t n : {0u, 4u, 7u}) {
    expect_malformed(parse(ts::ClPduBuilder(ts::Ptype::cl_cancel).body(pattern(n)).build()),
                     ClReason::body_truncated, kClHeaderSize);
  }
  // cancel_ack needs 9 octets at least (vers, cancel_id, a one-octet boolean).
  for (std::size_t n : {0u, 7u, 8u}) {
    expect_malformed(parse(ts::ClPduBuilder(ts::Ptype::cancel_ack).body(pattern(n)).build()),
                     ClReason::body_truncated, kClHeaderSize);
  }
}

TEST(ClReasons, CountTooLargeWhenSelackLenRunsPastTheBody) {
  for (ts::Endian e : {ts::Endian::little, ts::Endian::big}) {
    ts::FackBody body = ts::make_fack_body(8, 1464, 1464, 0, {1, 2});
    body.selack_len = 3;  // one more than the body holds
    const ts::Bytes b = in_order(ts::ClPduBuilder(ts::Ptype::fack), e).fack(body).build();
    expect_malformed(parse(b), ClReason::count_too_large, kClHeaderSize + 14);
    body.selack_len = 2;
    EXPECT_TRUE(
        parse(in_order(ts::ClPduBuilder(ts::Ptype::fack), e).fack(body).build()).is_complete());
    body.selack_len = 0xffff;
    expect_malformed(parse(in_order(ts::ClPduBuilder(ts::Ptype::nocall), e).fack(body).build()),
                     ClReason::count_too_large, kClHeaderSize + 14);
  }
}

TEST(ClReasons, CountTooLargePastTheDatagramBound) {
  // kMaxSelackWords masks are accepted, one more is not, even with the octets present.
  std::vector<std::uint32_t> masks(kMaxSelackWords + 1, 0xffffffffu);
  ts::FackBody body = ts::make_fack_body(8, 1464, 1464, 0, masks);
  ClPduResult over = parse(ts::ClPduBuilder(ts::Ptype::fack).fack(body).build());
  ASSERT_TRUE(over.is_malformed());
  EXPECT_EQ(over.error().reason, ClReason::count_too_large);
  masks.pop_back();
  body = ts::make_fack_body(8, 1464, 1464, 0, masks);
  ClPduResult at = parse(ts::ClPduBuilder(ts::Ptype::fack).fack(body).build());
  ASSERT_TRUE(at.is_complete());
  const auto* f = std::get_if<ClFack>(&at.value().body);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->selack.size(), kMaxSelackWords);
}

TEST(ClReasons, EveryReasonHasADistinctNameAndDescription) {
  std::set<std::string_view> names, texts;
  for (std::size_t i = 0; i < kClReasonCount; ++i) {
    const auto r = static_cast<ClReason>(i);
    EXPECT_TRUE(to_string(r).starts_with("cl_")) << to_string(r);
    names.insert(to_string(r));
    texts.insert(describe(r));
  }
  EXPECT_EQ(names.size(), kClReasonCount);
  EXPECT_EQ(texts.size(), kClReasonCount);
  EXPECT_EQ(to_string(ClReason::count_too_large), "cl_count_too_large");
}

// --- Truncation sweep -----------------------------------------------------------------------
std::vector<std::pair<std::string, ts::Bytes>> sample_cl_pdus(ts::Endian e) {
  std::vector<std::pair<std::string, ts::ClPduBuilder>> b;
  auto add = [&](std::string name, ts::ClPduBuilder pdu) {
    b.emplace_back(std::move(name), in_order(std::move(pdu), e));
  };
  ts::ClPduBuilder request(ts::Ptype::request);
  request.act_id(kActivity).interface_id(kIf).seqnum(3).opnum(2).stub(pattern(13));
  add("request", request);
  add("response", ts::ClPduBuilder(ts::Ptype::response).seqnum(3).stub(pattern(9)));
  add("fault", ts::ClPduBuilder(ts::Ptype::fault).status(ts::kNcaOpRngError));
  add("reject", ts::ClPduBuilder(ts::Ptype::reject).status(ts::kNcaUnkIf));
  add("ping", ts::ClPduBuilder(ts::Ptype::ping));
  add("working", ts::ClPduBuilder(ts::Ptype::working));
  add("ack", ts::ClPduBuilder(ts::Ptype::ack));
  add("nocall", ts::ClPduBuilder(ts::Ptype::nocall));
  add("nocall_fack",
      ts::ClPduBuilder(ts::Ptype::nocall).fack(ts::make_fack_body(8, 1464, 1464, 0)));
  add("fack", ts::ClPduBuilder(ts::Ptype::fack).fack(ts::make_fack_body(8, 1464, 1464, 1)));
  add("fack_selack", ts::ClPduBuilder(ts::Ptype::fack)
                         .fack(ts::make_fack_body(8, 1464, 1464, 1, {0x3, 0x70000000})));
  add("cl_cancel", ts::ClPduBuilder(ts::Ptype::cl_cancel).cancel(4));
  add("cancel_ack", ts::ClPduBuilder(ts::Ptype::cancel_ack).cancel_ack(4, true));
  std::vector<std::pair<std::string, ts::Bytes>> out;
  for (auto& [name, pdu] : b) out.emplace_back(name, pdu.build());
  // request with an auth verifier after its body
  ts::ClPduBuilder auth(ts::Ptype::request);
  out.emplace_back(
      "request_auth",
      concat(in_order(auth, e).auth_proto(10).stub(pattern(11)).build(), pattern(16, 0x90)));
  return out;
}

class ClTruncationSweep : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(ClTruncationSweep, EveryPrefixIsHeaderTruncatedOrCutOrShortNeverReadPastItsEnd) {
  for (const auto& [name, whole] : sample_cl_pdus(GetParam())) {
    ClPduResult full = parse(whole);
    ASSERT_TRUE(full.is_complete()) << name;
    const std::size_t body_end = kClHeaderSize + full.value().header.len;
    for (std::size_t n = 0; n < whole.size(); ++n) {
      SCOPED_TRACE(name + " prefix " + std::to_string(n));
      // An exact-size copy, so a one-octet over-read is an ASan report.
      const ts::Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
      const common::Bytes data = view(prefix);
      // (a) the capture cut the datagram: the wire length is the whole PDU's
      ClPduResult cut = parse_cl_pdu(data, whole.size());
      // (b) the datagram itself is this short
      ClPduResult short_dgram = parse_cl_pdu(data, n);
      if (n < kClHeaderSize) {
        expect_malformed(cut, ClReason::header_truncated, 0);
        expect_malformed(short_dgram, ClReason::header_truncated, 0);
        EXPECT_TRUE(parse_cl_header(data).is_need_more());
        continue;
      }
      ASSERT_TRUE(parse_cl_header(data).is_complete());
      if (n < body_end) {
        ASSERT_TRUE(cut.is_complete());
        const ClPduView& v = cut.value();
        EXPECT_TRUE(v.truncated);
        EXPECT_EQ(v.captured, n);
        EXPECT_EQ(cut.consumed(), n);
        EXPECT_TRUE(v.auth_verifier.empty());
        // Every view lies within the captured octets.
        if (!v.stub.empty()) {
          EXPECT_GE(v.stub.data(), data.data());
          EXPECT_LE(v.stub.data() + v.stub.size(), data.data() + data.size());
        }
        expect_malformed(short_dgram, ClReason::bad_length, 74);
      } else {
        // Only the auth verifier is cut: the body is whole.
        ASSERT_TRUE(cut.is_complete());
        EXPECT_FALSE(cut.value().truncated);
        EXPECT_EQ(cut.value().auth_verifier.size(), n - body_end);
        ASSERT_TRUE(short_dgram.is_complete());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Both, ClTruncationSweep, kBothOrders, order_name);

// --- Snap length ---------------------------------------------------------------------------
TEST(ClSnapLength, ACutRequestKeepsItsCapturedStub) {
  const ts::Bytes stub = pattern(100);
  const ts::Bytes whole = ts::ClPduBuilder(ts::Ptype::request).seqnum(4).stub(stub).build();
  const ts::Bytes captured(whole.begin(), whole.begin() + 120);
  ClPduResult r = parse_cl_pdu(view(captured), whole.size());
  ASSERT_TRUE(r.is_complete());
  const ClPduView& v = r.value();
  EXPECT_TRUE(v.truncated);
  EXPECT_EQ(v.captured, 120u);
  EXPECT_EQ(v.header.len, 100);
  EXPECT_EQ(v.header.seqnum, 4u);
  ASSERT_EQ(v.stub.size(), 40u);
  EXPECT_TRUE(std::equal(v.stub.begin(), v.stub.end(), stub.begin()));
  EXPECT_EQ(r.consumed(), 120u);
}

TEST(ClSnapLength, ACutBodyIsNotBlamedOnTheSender) {
  // A status, fack, cancel or cancel_ack body cut by the capture: the header only, truncated.
  const ts::Bytes pdus[] = {
      ts::ClPduBuilder(ts::Ptype::fault).status(ts::kNcaUnkIf).build(),
      ts::ClPduBuilder(ts::Ptype::fack).fack(ts::make_fack_body(8, 1464, 1464, 0, {1})).build(),
      ts::ClPduBuilder(ts::Ptype::cl_cancel).cancel(1).build(),
      ts::ClPduBuilder(ts::Ptype::cancel_ack).cancel_ack(1, true).build()};
  for (const ts::Bytes& whole : pdus) {
    const ts::Bytes captured(whole.begin(), whole.begin() + kClHeaderSize + 2);
    ClPduResult r = parse_cl_pdu(view(captured), whole.size());
    ASSERT_TRUE(r.is_complete());
    EXPECT_TRUE(r.value().truncated);
    EXPECT_TRUE(std::holds_alternative<NoBody>(r.value().body));
  }
  // A fault cut after its status still has it.
  const ts::Bytes fault =
      concat(ts::ClPduBuilder(ts::Ptype::fault).status(ts::kNcaUnkIf).len(8).build(), pattern(4));
  const ts::Bytes cut(fault.begin(), fault.begin() + kClHeaderSize + 5);
  ClPduResult r = parse_cl_pdu(view(cut), fault.size());
  ASSERT_TRUE(r.is_complete());
  EXPECT_TRUE(r.value().truncated);
  const auto* s = std::get_if<ClStatus>(&r.value().body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->status, ts::kNcaUnkIf);
}

TEST(ClSnapLength, AWireLengthShorterThanTheCaptureIsTheCaptureLength) {
  const ts::Bytes b = ts::ClPduBuilder(ts::Ptype::response).stub(pattern(10)).build();
  ClPduResult r = parse_cl_pdu(view(b), 0);
  ASSERT_TRUE(r.is_complete());
  EXPECT_FALSE(r.value().truncated);
  EXPECT_EQ(r.value().stub.size(), 10u);
}

}  // namespace
}  // namespace rpctrace::dcerpc
