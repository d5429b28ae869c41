// Tests of src/dcerpc/common_header.cpp: the 16-octet common header (C706 §12.6.3.1), the
// packed_drep check (C706 §14.1), the fixed parts per PTYPE (C706 §12.6.4, MS-RPCE 2.2.2.10,
// MS-RPCH 2.2.3.6.1) and the framer, which alone returns need_more (STYLE.md §2).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/pdu.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::in_order;
using unittest::patch_u16;
using unittest::pattern;
using unittest::view;
namespace ts = testsupport;

// --- C706 §12.6.3.1: every field of the header, in the PDU's integer order -------------------
class CommonHeaderOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(CommonHeaderOrder, DecodesEveryFieldInDrepOrder) {
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::request), GetParam())
                            .pfc_flags(ts::kPfcFirstFrag | ts::kPfcConcMpx)
                            .call_id(0x11223344)
                            .stub(pattern(20))
                            .auth(ts::make_auth_verifier(pattern(16), 4))
                            .build();
  HeaderResult h = parse_common_header(view(pdu));
  ASSERT_TRUE(h.is_complete()) << h.error().detail;
  EXPECT_EQ(h.consumed(), kCommonHeaderSize);
  const CommonHeader& c = h.value();
  EXPECT_EQ(c.rpc_vers, 5);
  EXPECT_EQ(c.rpc_vers_minor, 0);
  EXPECT_EQ(c.ptype, PacketType::request);
  EXPECT_EQ(c.pfc_flags, pfc::first_frag | pfc::conc_mpx);
  EXPECT_EQ(c.packed_drep.integer_order(), unittest::to_order(GetParam()));
  EXPECT_EQ(c.frag_length, pdu.size());
  EXPECT_EQ(c.frag_length, 16 + 8 + 20 + 8 + 16);
  EXPECT_EQ(c.auth_length, 16);
  EXPECT_EQ(c.call_id, 0x11223344u);
}

TEST_P(CommonHeaderOrder, FramerReadsFragLengthInDrepOrder) {
  // frag_length 0x0118 = 280: byte-swapped it would be 0x1801 = 6145.
  const ts::Bytes pdu =
      in_order(ts::PduBuilder(ts::Ptype::request), GetParam()).stub(pattern(280 - 24)).build();
  ASSERT_EQ(pdu.size(), 280u);
  HeaderResult f = frame_pdu(view(pdu));
  ASSERT_TRUE(f.is_complete());
  EXPECT_EQ(f.consumed(), 280u);
  HeaderResult short_by_one = frame_pdu(view(pdu).first(279));
  ASSERT_TRUE(short_by_one.is_need_more());
  EXPECT_EQ(short_by_one.needed(), 280u);
}

TEST_P(CommonHeaderOrder, MinorVersionOneIsAccepted) {
  const ts::Bytes pdu =
      in_order(ts::PduBuilder(ts::Ptype::shutdown), GetParam()).rpc_vers_minor(1).build();
  HeaderResult h = parse_common_header(view(pdu));
  ASSERT_TRUE(h.is_complete());
  EXPECT_EQ(h.value().rpc_vers_minor, 1);
}

INSTANTIATE_TEST_SUITE_P(Drep, CommonHeaderOrder, unittest::kBothOrders, unittest::order_name);

// --- One test per header Reason (types.hpp), with the offset of the offending field ----------
void expect_header_reason(const ts::Bytes& pdu, Reason reason, std::size_t offset) {
  HeaderResult h = parse_common_header(view(pdu));
  ASSERT_TRUE(h.is_malformed());
  EXPECT_EQ(h.error().reason, reason) << h.error().detail;
  EXPECT_EQ(h.error().offset, offset);
  EXPECT_FALSE(h.error().detail.empty());
  PduResult p = parse_pdu(view(pdu));
  ASSERT_TRUE(p.is_malformed());
  EXPECT_EQ(p.error().reason, reason);
}

TEST(CommonHeader, BadRpcVers) {
  for (std::uint8_t v : std::vector<std::uint8_t>{0, 4, 6, 255})
    expect_header_reason(ts::PduBuilder(ts::Ptype::shutdown).rpc_vers(v).build(),
                         Reason::bad_rpc_vers, 0);
}

TEST(CommonHeader, BadRpcVersMinor) {
  for (std::uint8_t v : std::vector<std::uint8_t>{2, 255})
    expect_header_reason(ts::PduBuilder(ts::Ptype::shutdown).rpc_vers_minor(v).build(),
                         Reason::bad_rpc_vers_minor, 1);
}

TEST(CommonHeader, BadPtypeIncludesConnectionlessTypes) {
  // C706 §12.5.1: ping(1), working(4) .. cancel_ack(10) are connectionless only; 21+ undefined.
  for (std::uint8_t t : std::vector<std::uint8_t>{1, 4, 5, 6, 7, 8, 9, 10, 21, 255})
    expect_header_reason(ts::PduBuilder(ts::Ptype::shutdown).ptype(t).build(), Reason::bad_ptype,
                         2);
  EXPECT_EQ(parse_common_header(view(ts::PduBuilder(ts::Ptype::ping).build())).error().detail,
            "ptype 1 is not a connection-oriented PDU");
}

TEST(CommonHeader, IsConnectionOrientedMatchesC706) {
  for (int t = 0; t < 256; ++t) {
    const bool co = t == 0 || t == 2 || t == 3 || (t >= 11 && t <= 20);
    EXPECT_EQ(is_connection_oriented(static_cast<std::uint8_t>(t)), co) << t;
  }
}

TEST(CommonHeader, BadDrep) {
  // C706 §14.1: integer 0/1, character 0/1, floating point 0-3, octets 2-3 zero.
  const std::vector<std::array<std::uint8_t, 4>> bad = {
      {0x20, 0, 0, 0}, {0x12, 0, 0, 0}, {0x10, 4, 0, 0}, {0x10, 0, 1, 0}, {0x10, 0, 0, 1}};
  for (const auto& d : bad)
    expect_header_reason(ts::PduBuilder(ts::Ptype::shutdown).packed_drep(d).build(),
                         Reason::bad_drep, 4);
  const std::vector<std::array<std::uint8_t, 4>> good = {
      {0x11, 0, 0, 0}, {0x10, 1, 0, 0}, {0x10, 3, 0, 0}, {0x01, 2, 0, 0}};
  for (const auto& d : good) {
    HeaderResult h =
        parse_common_header(view(ts::PduBuilder(ts::Ptype::shutdown).packed_drep(d).build()));
    ASSERT_TRUE(h.is_complete());
    EXPECT_EQ(h.value().packed_drep.character(), d[0] & 0x0f);
    EXPECT_EQ(h.value().packed_drep.floating_point(), d[1]);
  }
}

TEST(CommonHeader, FragLengthTooSmall) {
  expect_header_reason(ts::PduBuilder(ts::Ptype::request).frag_length(23).build(),
                       Reason::frag_length_too_small, 8);
}

TEST(CommonHeader, AuthLengthTooLarge) {
  expect_header_reason(
      ts::PduBuilder(ts::Ptype::request).stub(pattern(8)).auth_length(65535).build(),
      Reason::auth_length_too_large, 10);
}

// Every Reason value has a PDU that parse_pdu() rejects with it (a new Reason needs a row).
TEST(Reasons, EveryReasonHasAPduThatCausesIt) {
  ts::PduBuilder ack(ts::Ptype::bind_ack);
  ack.sec_addr("135").result(ts::ContextResult{});
  ts::Bytes bad_sec_addr = ack.build();
  patch_u16(bad_sec_addr, 24, 200, ts::Endian::little);
  ts::Bytes cut_ack = ts::PduBuilder(ack).frag_length(30).build();
  cut_ack.resize(30);
  const std::vector<std::pair<Reason, ts::Bytes>> rows = {
      {Reason::bad_rpc_vers, ts::PduBuilder(ts::Ptype::shutdown).rpc_vers(4).build()},
      {Reason::bad_rpc_vers_minor, ts::PduBuilder(ts::Ptype::shutdown).rpc_vers_minor(2).build()},
      {Reason::bad_ptype, ts::PduBuilder(ts::Ptype::ping).build()},
      {Reason::bad_drep, ts::PduBuilder(ts::Ptype::shutdown).packed_drep({0x20, 0, 0, 0}).build()},
      {Reason::frag_length_too_small, ts::PduBuilder(ts::Ptype::response).body(pattern(4)).build()},
      {Reason::auth_length_too_large, ts::PduBuilder(ts::Ptype::auth3).auth_length(1).build()},
      {Reason::body_truncated, cut_ack},
      {Reason::count_too_large, ts::PduBuilder(ts::Ptype::bind).n_context_elem(1).build()},
      {Reason::bad_sec_addr, bad_sec_addr},
  };
  ASSERT_EQ(rows.size(), kReasonCount);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(static_cast<std::size_t>(rows[i].first), i);
    PduResult r = parse_pdu(view(rows[i].second));
    ASSERT_TRUE(r.is_malformed()) << to_string(rows[i].first);
    EXPECT_EQ(r.error().reason, rows[i].first) << r.error().detail;
  }
}

// --- frag_length: 0, its maximum, one off either side, and each PTYPE's minimum ---------------
struct Minimum {
  ts::Ptype ptype;
  std::uint8_t flags;
  std::size_t frag_length;  // header + fixed part (C706 §12.6.4)
};

TEST(CommonHeader, FragLengthMinimumPerPtype) {
  const std::vector<Minimum> table = {
      {ts::Ptype::request, 3, 24},   {ts::Ptype::request, 0x83, 40},
      {ts::Ptype::response, 3, 24},  {ts::Ptype::fault, 3, 28},
      {ts::Ptype::bind, 3, 28},      {ts::Ptype::alter_context, 3, 28},
      {ts::Ptype::bind_ack, 3, 26},  {ts::Ptype::alter_context_resp, 3, 26},
      {ts::Ptype::bind_nak, 3, 18},  {ts::Ptype::rts, 3, 20},
      {ts::Ptype::auth3, 3, 16},     {ts::Ptype::shutdown, 3, 16},
      {ts::Ptype::co_cancel, 3, 16}, {ts::Ptype::orphaned, 3, 16}};
  for (const Minimum& m : table) {
    const auto t = static_cast<PacketType>(m.ptype);
    EXPECT_EQ(kCommonHeaderSize + fixed_body_size(t, m.flags), m.frag_length) << to_string(t);
    ts::PduBuilder b(m.ptype);
    b.pfc_flags(m.flags).body(ts::Bytes(m.frag_length - 16));
    ts::Bytes at_min = b.build();
    EXPECT_TRUE(parse_common_header(view(at_min)).is_complete()) << to_string(t);
    if (m.frag_length == 16) continue;
    ts::Bytes below = b.frag_length(static_cast<std::uint16_t>(m.frag_length - 1)).build();
    HeaderResult h = parse_common_header(view(below));
    ASSERT_TRUE(h.is_malformed()) << to_string(t);
    EXPECT_EQ(h.error().reason, Reason::frag_length_too_small);
    // The framing check only needs frag_length >= 16 to trust it (the framer then skips the
    // PDU by frag_length and stays in sync).
    EXPECT_TRUE(parse_framing_header(view(below)).is_complete()) << to_string(t);
  }
}

TEST(Framer, FragLengthZeroAndBelowHeader) {
  for (std::uint16_t v : std::vector<std::uint16_t>{0, 1, 15}) {
    HeaderResult f = frame_pdu(view(ts::PduBuilder(ts::Ptype::shutdown).frag_length(v).build()));
    ASSERT_TRUE(f.is_malformed()) << v;
    EXPECT_EQ(f.error().reason, Reason::frag_length_too_small);
    EXPECT_EQ(f.error().offset, 8u);
  }
  HeaderResult sixteen = frame_pdu(view(ts::PduBuilder(ts::Ptype::shutdown).build()));
  ASSERT_TRUE(sixteen.is_complete());
  EXPECT_EQ(sixteen.consumed(), 16u);
}

TEST(Framer, FragLengthAtMaximumNeedsTheWholePdu) {
  ts::Bytes pdu = ts::PduBuilder(ts::Ptype::request).stub(pattern(100)).frag_length(65535).build();
  HeaderResult f = frame_pdu(view(pdu));
  ASSERT_TRUE(f.is_need_more());
  EXPECT_EQ(f.needed(), kMaxFragLength);
  PduResult p = parse_pdu(view(pdu));
  ASSERT_TRUE(p.is_malformed());
  EXPECT_EQ(p.error().reason, Reason::body_truncated);
  // With all 65535 octets present it frames and parses.
  pdu.resize(65535);
  f = frame_pdu(view(pdu));
  ASSERT_TRUE(f.is_complete());
  EXPECT_EQ(f.consumed(), 65535u);
  PduResult whole = parse_pdu(view(pdu));
  ASSERT_TRUE(whole.is_complete());
  EXPECT_EQ(whole.value().stub.size(), 65535u - 24);
}

TEST(Framer, FragLengthOneOffTheTrueValue) {
  const ts::Bytes two = ts::build_all(std::vector<ts::PduBuilder>{
      ts::PduBuilder(ts::Ptype::request).stub(pattern(12)), ts::PduBuilder(ts::Ptype::shutdown)});
  ASSERT_EQ(two.size(), 36u + 16u);
  // True value: the first PDU only.
  HeaderResult exact = frame_pdu(view(two));
  ASSERT_TRUE(exact.is_complete());
  EXPECT_EQ(exact.consumed(), 36u);
  // One more: the PDU takes the next one's first octet.
  ts::Bytes plus = two;
  patch_u16(plus, 8, 37, ts::Endian::little);
  ASSERT_TRUE(frame_pdu(view(plus)).is_complete());
  EXPECT_EQ(frame_pdu(view(plus)).consumed(), 37u);
  EXPECT_TRUE(frame_pdu(view(plus).first(36)).is_need_more());
  EXPECT_EQ(frame_pdu(view(plus).first(36)).needed(), 37u);
  // One less: the stub loses its last octet.
  ts::Bytes minus = two;
  patch_u16(minus, 8, 35, ts::Endian::little);
  ASSERT_TRUE(frame_pdu(view(minus)).is_complete());
  EXPECT_EQ(frame_pdu(view(minus)).consumed(), 35u);
  PduResult p = parse_pdu(view(minus));
  ASSERT_TRUE(p.is_complete());
  EXPECT_EQ(p.value().stub.size(), 11u);
}

TEST(Framer, FramesOnlyTheFirstOfSeveralPdus) {
  const ts::Bytes three = ts::build_all(std::vector<ts::PduBuilder>{
      ts::PduBuilder(ts::Ptype::shutdown), ts::PduBuilder(ts::Ptype::co_cancel),
      ts::PduBuilder(ts::Ptype::orphaned)});
  HeaderResult f = frame_pdu(view(three));
  ASSERT_TRUE(f.is_complete());
  EXPECT_EQ(f.consumed(), 16u);
  EXPECT_EQ(f.value().ptype, PacketType::shutdown);
}

// --- auth_length: 0, exactly the room after the fixed part, one more, its maximum -------------
TEST(CommonHeader, AuthLengthBoundaries) {
  auto with_auth_length = [](std::uint16_t v) {
    return ts::PduBuilder(ts::Ptype::request).stub(pattern(16)).auth_length(v).build();
  };
  // frag_length 40: room after the 24 fixed octets is 16 = sec_trailer 8 + auth_value 8.
  EXPECT_TRUE(parse_common_header(view(with_auth_length(0))).is_complete());
  EXPECT_TRUE(parse_common_header(view(with_auth_length(8))).is_complete());
  for (std::uint16_t v : std::vector<std::uint16_t>{9, 65535}) {
    HeaderResult h = parse_common_header(view(with_auth_length(v)));
    ASSERT_TRUE(h.is_malformed()) << v;
    EXPECT_EQ(h.error().reason, Reason::auth_length_too_large);
  }
  // The framer does not judge auth_length: it still frames the PDU by frag_length.
  HeaderResult f = frame_pdu(view(with_auth_length(65535)));
  ASSERT_TRUE(f.is_complete());
  EXPECT_EQ(f.consumed(), 40u);
}

// --- Truncation sweep (STYLE.md §9): every strict prefix of every PDU type --------------------
class TruncationSweep : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(TruncationSweep, EveryStrictPrefixNeedsMoreAtTheFramerAndIsMalformedInParsePdu) {
  for (const auto& [name, pdu] : unittest::sample_pdus(GetParam())) {
    ASSERT_TRUE(parse_pdu(view(pdu)).is_complete()) << name;
    ASSERT_TRUE(frame_pdu(view(pdu)).is_complete()) << name;
    for (std::size_t n = 0; n < pdu.size(); ++n) {
      const Bytes prefix = view(pdu).first(n);
      HeaderResult f = frame_pdu(prefix);
      ASSERT_TRUE(f.is_need_more()) << name << " prefix " << n;
      EXPECT_EQ(f.needed(), n < 16 ? 16u : pdu.size()) << name << " prefix " << n;
      PduResult p = parse_pdu(prefix);
      ASSERT_TRUE(p.is_malformed()) << name << " prefix " << n;
      EXPECT_EQ(p.error().reason, n < 16 ? Reason::frag_length_too_small : Reason::body_truncated)
          << name << " prefix " << n;
      EXPECT_EQ(parse_common_header(prefix).is_need_more(), n < 16) << name << " prefix " << n;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Drep, TruncationSweep, unittest::kBothOrders, unittest::order_name);

}  // namespace
}  // namespace rpctrace::dcerpc
