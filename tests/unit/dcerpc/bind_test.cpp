// Tests of src/dcerpc/bind.cpp through parse_pdu() and parse_pdu_prefix(): bind and
// alter_context (C706 §12.6.4.3, §12.6.4.1), bind_ack and alter_context_resp (§12.6.4.4,
// §12.6.4.2, with MS-RPCE 2.2.2.4 negotiate_ack and 3.3.1.5.3 bind time feature negotiation),
// bind_nak (§12.6.4.5, MS-RPCE 2.2.2.5). Every body in both byte orders.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rpctrace/dcerpc/pdu.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::in_order;
using unittest::patch_u16;
using unittest::to_syntax;
using unittest::view;
namespace ts = testsupport;

// Another interface with a non-zero minor version (if_version = major | minor << 16).
constexpr ts::SyntaxId kOther{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 0, 1};

ts::PduBuilder three_context_bind(ts::Ptype ptype = ts::Ptype::bind) {
  ts::PduBuilder b(ptype);
  b.call_id(0x54004e)
      .max_xmit_frag(4280)
      .max_recv_frag(5840)
      .assoc_group_id(0x00033cfa)
      .context({0, ts::kEpmInterface, {ts::kNdrSyntax, ts::kNdr64Syntax}})
      .context({1, ts::kEpmInterface, {ts::kBindTimeFeatureNegotiation}})
      .context({7, kOther, {ts::kNdrSyntax}});
  return b;
}

Bind parse_bind_pdu(const ts::Bytes& pdu) {
  PduResult r = parse_pdu(view(pdu));
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  const Bind* b = std::get_if<Bind>(&r.value().body);
  EXPECT_NE(b, nullptr);
  return b ? *b : Bind{};
}

BindAck parse_ack_pdu(const ts::Bytes& pdu) {
  PduResult r = parse_pdu(view(pdu));
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  const BindAck* a = std::get_if<BindAck>(&r.value().body);
  EXPECT_NE(a, nullptr);
  return a ? *a : BindAck{};
}

Reason malformed_reason(const ts::Bytes& pdu) {
  PduResult r = parse_pdu(view(pdu));
  EXPECT_TRUE(r.is_malformed());
  return r.is_malformed() ? r.error().reason : Reason::count_;
}

// --- Happy paths, both byte orders -----------------------------------------------------------
class BindOrder : public ::testing::TestWithParam<ts::Endian> {};

// C706 §12.6.4.3 / §12.6.4.1: p_cont_list_t with several contexts and transfer syntaxes,
// including NDR64 (MS-RPCE 2.2.4.12) and the bind time feature negotiation syntax.
TEST_P(BindOrder, BindAndAlterContextWithSeveralContexts) {
  for (ts::Ptype ptype : {ts::Ptype::bind, ts::Ptype::alter_context}) {
    const ts::Bytes pdu = in_order(three_context_bind(ptype), GetParam()).build();
    const Bind b = parse_bind_pdu(pdu);
    EXPECT_EQ(b.max_xmit_frag, 4280);
    EXPECT_EQ(b.max_recv_frag, 5840);
    EXPECT_EQ(b.assoc_group_id, 0x00033cfau);
    ASSERT_EQ(b.contexts.size(), 3u);
    EXPECT_EQ(b.contexts[0].p_cont_id, 0);
    EXPECT_EQ(b.contexts[0].abstract_syntax, to_syntax(ts::kEpmInterface));
    EXPECT_EQ(b.contexts[0].transfer_syntaxes,
              (std::vector<SyntaxId>{to_syntax(ts::kNdrSyntax), to_syntax(ts::kNdr64Syntax)}));
    EXPECT_EQ(b.contexts[1].p_cont_id, 1);
    EXPECT_EQ(b.contexts[1].transfer_syntaxes,
              std::vector<SyntaxId>{to_syntax(ts::kBindTimeFeatureNegotiation)});
    EXPECT_EQ(b.contexts[2].p_cont_id, 7);
    EXPECT_EQ(b.contexts[2].abstract_syntax.major, 0);
    EXPECT_EQ(b.contexts[2].abstract_syntax.minor, 1);
    EXPECT_EQ(b.contexts[2].abstract_syntax.uuid.to_string(),
              "12345778-1234-abcd-ef00-0123456789ab");
  }
}

// C706 §12.6.4.4: results answer the contexts in order; a rejection carries a zero syntax;
// MS-RPCE 2.2.2.4: negotiate_ack (3) carries the accepted feature bits in `reason`.
TEST_P(BindOrder, BindAckResultsAcceptanceRejectionNegotiateAck) {
  for (ts::Ptype ptype : {ts::Ptype::bind_ack, ts::Ptype::alter_context_resp}) {
    const ts::Bytes pdu =
        in_order(ts::PduBuilder(ptype), GetParam())
            .max_xmit_frag(4280)
            .max_recv_frag(4280)
            .assoc_group_id(0x00033cfa)
            .sec_addr("135")
            .result({ts::kResultAcceptance, 0, ts::kNdr64Syntax})
            .result(
                {ts::kResultProviderRejection, ts::kReasonProposedTransferSyntaxesNotSupported, {}})
            .result({ts::kResultNegotiateAck, 0x0003, {}})
            .build();
    const BindAck a = parse_ack_pdu(pdu);
    EXPECT_EQ(a.max_xmit_frag, 4280);
    EXPECT_EQ(a.assoc_group_id, 0x00033cfau);
    EXPECT_EQ(a.sec_addr, "135");
    ASSERT_EQ(a.results.size(), 3u);
    EXPECT_EQ(a.results[0].result, 0);
    EXPECT_EQ(a.results[0].transfer_syntax, to_syntax(ts::kNdr64Syntax));
    EXPECT_EQ(a.results[1].result, 2);
    EXPECT_EQ(a.results[1].reason, 2);
    EXPECT_TRUE(a.results[1].transfer_syntax.uuid.is_nil());
    EXPECT_EQ(a.results[2].result, 3);
    EXPECT_EQ(a.results[2].reason, 3);
  }
}

// C706 §12.6.4.4: sec_addr (port_any_t) then pad to 4 octets from the PDU start. Every
// residue: length 2 needs no pad, 3 needs 3, 4 needs 2, 5 needs 1; length 0 needs 2.
TEST_P(BindOrder, SecAddrOfEveryLengthResidue) {
  for (std::string addr : {"", "1", "12", "135", "4764", "\\PIPE\\lsass", "\\PIPE\\ntsvcs"}) {
    const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::bind_ack), GetParam())
                              .sec_addr(addr)
                              .result({ts::kResultAcceptance, 0, ts::kNdrSyntax})
                              .build();
    const BindAck a = parse_ack_pdu(pdu);
    EXPECT_EQ(a.sec_addr, addr);
    ASSERT_EQ(a.results.size(), 1u) << addr;
    EXPECT_EQ(a.results[0].transfer_syntax, to_syntax(ts::kNdrSyntax)) << addr;
  }
}

// Some peers send sec_addr without its NUL (Wireshark's bind-ack-no-inband-null.pcap).
TEST_P(BindOrder, SecAddrWithoutNul) {
  ts::ByteWriter w(GetParam());
  w.u16(4280).u16(4280).u32(0x1234);
  w.u16(4).text("4764");  // no terminating NUL: 10 + 2 + 4 = 14 body octets, pad 2
  w.zeros(2);
  w.u8(1).u8(0).u16(0);
  w.u16(0).u16(0);
  ts::kNdrSyntax.write(w);
  const BindAck a = parse_ack_pdu(
      in_order(ts::PduBuilder(ts::Ptype::bind_ack), GetParam()).body(w.view()).build());
  EXPECT_EQ(a.sec_addr, "4764");
  ASSERT_EQ(a.results.size(), 1u);
  EXPECT_EQ(a.results[0].transfer_syntax, to_syntax(ts::kNdrSyntax));
}

// C706 §12.6.4.5 and MS-RPCE 2.2.2.5: provider_reject_reason, then the supported versions.
TEST_P(BindOrder, BindNakWithVersions) {
  const ts::Bytes pdu = in_order(ts::PduBuilder(ts::Ptype::bind_nak), GetParam())
                            .provider_reject_reason(4)
                            .protocol_version(5, 0)
                            .protocol_version(5, 1)
                            .build();
  PduResult r = parse_pdu(view(pdu));
  ASSERT_TRUE(r.is_complete());
  const BindNak* n = std::get_if<BindNak>(&r.value().body);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->provider_reject_reason, 4);
  EXPECT_EQ(n->versions, (std::vector<std::pair<std::uint8_t, std::uint8_t>>{{5, 0}, {5, 1}}));
}

TEST_P(BindOrder, BindNakWithoutVersionsOrWithSignature) {
  // provider_reject_reason only (frag_length 18, the minimum).
  ts::ByteWriter reason_only(GetParam());
  reason_only.u16(9);
  PduResult r = parse_pdu(view(
      in_order(ts::PduBuilder(ts::Ptype::bind_nak), GetParam()).body(reason_only.view()).build()));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(std::get<BindNak>(r.value().body).provider_reject_reason, 9);
  EXPECT_TRUE(std::get<BindNak>(r.value().body).versions.empty());
  // MS-RPCE 2.2.2.5: Windows may append a 16-octet signature after the versions.
  ts::ByteWriter with_sig(GetParam());
  with_sig.u16(8).u8(1).u8(5).u8(0).zeros(3).bytes(unittest::pattern(16));
  r = parse_pdu(view(
      in_order(ts::PduBuilder(ts::Ptype::bind_nak), GetParam()).body(with_sig.view()).build()));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(std::get<BindNak>(r.value().body).versions,
            (std::vector<std::pair<std::uint8_t, std::uint8_t>>{{5, 0}}));
}

// MS-RPCE 2.2.2.11: a bind or ack carrying an auth verifier (NTLMSSP NEGOTIATE/CHALLENGE);
// the body parsers stop at their own end and ignore the auth padding.
TEST_P(BindOrder, BindAndAckWithSecTrailer) {
  ts::AuthVerifier av = ts::make_auth_verifier(unittest::pattern(40), 4, ts::kAuthTypeWinnt,
                                               ts::kAuthLevelPktPrivacy);
  av.auth_context_id = 79231;
  const ts::Bytes bind_pdu = in_order(three_context_bind(), GetParam()).auth(av).build();
  PduResult b = parse_pdu(view(bind_pdu));
  ASSERT_TRUE(b.is_complete());
  EXPECT_EQ(std::get<Bind>(b.value().body).contexts.size(), 3u);
  ASSERT_TRUE(b.value().sec_trailer.has_value());
  EXPECT_EQ(b.value().sec_trailer->auth_level, ts::kAuthLevelPktPrivacy);
  EXPECT_EQ(b.value().sec_trailer->auth_context_id, 79231u);
  EXPECT_EQ(b.value().auth_value.size(), 40u);
  // "4764\0": the body is 10 + 2 + 5 = 17, padded to 20, + 4 + 24 = 44; the PDU's 60 octets
  // then take 4 octets of auth padding to a 16-octet boundary.
  av.alignment = 16;
  const ts::Bytes ack_pdu = in_order(ts::PduBuilder(ts::Ptype::bind_ack), GetParam())
                                .sec_addr("4764")
                                .result(ts::ContextResult{})
                                .auth(av)
                                .build();
  PduResult a = parse_pdu(view(ack_pdu));
  ASSERT_TRUE(a.is_complete());
  EXPECT_EQ(std::get<BindAck>(a.value().body).sec_addr, "4764");
  EXPECT_EQ(std::get<BindAck>(a.value().body).results.size(), 1u);
  ASSERT_TRUE(a.value().sec_trailer.has_value());
  EXPECT_EQ(a.value().sec_trailer->auth_pad_length, 4);
  EXPECT_EQ(a.value().auth_value.size(), 40u);
}

INSTANTIATE_TEST_SUITE_P(Drep, BindOrder, unittest::kBothOrders, unittest::order_name);

// --- n_context_elem (octet 24): 0, maximum, one off either side --------------------------------
TEST(Bind, NContextElemBoundaries) {
  // Two contexts of one transfer syntax each: 2 * 44 = 88 octets after the fixed part.
  ts::PduBuilder two(ts::Ptype::bind);
  two.context({0, ts::kEpmInterface, {ts::kNdrSyntax}}).context({1, kOther, {ts::kNdrSyntax}});
  EXPECT_EQ(parse_bind_pdu(ts::PduBuilder(ts::Ptype::bind).build()).contexts.size(), 0u);
  EXPECT_EQ(parse_bind_pdu(ts::PduBuilder(two).n_context_elem(0).build()).contexts.size(), 0u);
  const Bind minus = parse_bind_pdu(ts::PduBuilder(two).n_context_elem(1).build());
  ASSERT_EQ(minus.contexts.size(), 1u);
  EXPECT_EQ(minus.contexts[0].abstract_syntax, to_syntax(ts::kEpmInterface));
  // 3 * 24 = 72 <= 88 passes the count check; the third element then runs past the body.
  EXPECT_EQ(malformed_reason(ts::PduBuilder(two).n_context_elem(3).build()),
            Reason::body_truncated);
  PduResult max = parse_pdu(view(ts::PduBuilder(two).n_context_elem(255).build()));
  ASSERT_TRUE(max.is_malformed());
  EXPECT_EQ(max.error().reason, Reason::count_too_large);
  EXPECT_EQ(max.error().offset, 24u);  // n_context_elem's offset in the PDU
  // Contexts without transfer syntaxes: 2 * 24 = 48 octets, so 3 fails the count check.
  ts::PduBuilder bare(ts::Ptype::bind);
  bare.context({0, ts::kEpmInterface, {}}).context({1, kOther, {}});
  EXPECT_EQ(malformed_reason(ts::PduBuilder(bare).n_context_elem(3).build()),
            Reason::count_too_large);
}

// --- n_transfer_syn (octet 30 for the first context): 0, maximum, one off either side ---------
TEST(Bind, NTransferSynBoundaries) {
  const ts::Bytes one =
      ts::PduBuilder(ts::Ptype::bind).context({0, ts::kEpmInterface, {ts::kNdrSyntax}}).build();
  auto with = [&](std::uint8_t n) {
    ts::Bytes b = one;
    b.at(30) = std::byte{n};
    return b;
  };
  ASSERT_EQ(parse_bind_pdu(with(1)).contexts.at(0).transfer_syntaxes.size(), 1u);
  EXPECT_TRUE(parse_bind_pdu(with(0)).contexts.at(0).transfer_syntaxes.empty());
  EXPECT_EQ(malformed_reason(with(2)), Reason::count_too_large);
  EXPECT_EQ(malformed_reason(with(255)), Reason::count_too_large);
  const Bind zero_syntaxes =
      parse_bind_pdu(ts::PduBuilder(ts::Ptype::bind).context({0, ts::kEpmInterface, {}}).build());
  ASSERT_EQ(zero_syntaxes.contexts.size(), 1u);
  EXPECT_TRUE(zero_syntaxes.contexts[0].transfer_syntaxes.empty());
}

// --- n_results: 0, maximum, one off either side -------------------------------------------------
TEST(BindAck, NResultsBoundaries) {
  ts::PduBuilder two(ts::Ptype::bind_ack);
  two.sec_addr("135").result(ts::ContextResult{}).result({ts::kResultProviderRejection, 1, {}});
  EXPECT_TRUE(
      parse_ack_pdu(ts::PduBuilder(ts::Ptype::bind_ack).sec_addr("135").build()).results.empty());
  EXPECT_TRUE(parse_ack_pdu(ts::PduBuilder(two).n_results(0).build()).results.empty());
  EXPECT_EQ(parse_ack_pdu(ts::PduBuilder(two).n_results(1).build()).results.size(), 1u);
  EXPECT_EQ(parse_ack_pdu(two.build()).results.size(), 2u);
  EXPECT_EQ(malformed_reason(ts::PduBuilder(two).n_results(3).build()), Reason::count_too_large);
  PduResult max = parse_pdu(view(ts::PduBuilder(two).n_results(255).build()));
  ASSERT_TRUE(max.is_malformed());
  EXPECT_EQ(max.error().reason, Reason::count_too_large);
  EXPECT_EQ(max.error().offset, 32u);  // after "135\0" (30) and 2 octets of padding
}

// --- sec_addr length (octet 24): 0, maximum, one off either side, past the body -------------
TEST(BindAck, SecAddrLengthBoundaries) {
  for (ts::Endian e : {ts::Endian::little, ts::Endian::big}) {
    const ts::Bytes good = in_order(ts::PduBuilder(ts::Ptype::bind_ack), e)
                               .sec_addr("135")  // length 4, then 2 octets of padding
                               .result({ts::kResultAcceptance, 0, ts::kNdr64Syntax})
                               .build();
    auto with = [&](std::uint16_t length) {
      ts::Bytes b = good;
      patch_u16(b, 24, length, e);
      return b;
    };
    // One more takes a padding octet (a NUL), one less drops the NUL: the padding to the
    // 4-octet boundary still lands the results in the same place.
    for (std::uint16_t length : {std::uint16_t{3}, std::uint16_t{5}}) {
      const BindAck a = parse_ack_pdu(with(length));
      EXPECT_EQ(a.sec_addr, "135") << length;
      ASSERT_EQ(a.results.size(), 1u) << length;
      EXPECT_EQ(a.results[0].transfer_syntax, to_syntax(ts::kNdr64Syntax));
    }
    // 0: the "135\0" octets are then read as padding + n_results ('5' = 53 results).
    EXPECT_EQ(malformed_reason(with(0)), Reason::count_too_large);
    // Past the body: 60 - 26 = 34 octets remain after the length field.
    PduResult past = parse_pdu(view(with(35)));
    ASSERT_TRUE(past.is_malformed());
    EXPECT_EQ(past.error().reason, Reason::bad_sec_addr);
    EXPECT_EQ(past.error().offset, 24u);
    EXPECT_EQ(malformed_reason(with(65535)), Reason::bad_sec_addr);
    // Exactly the rest of the body: then no room for the result list.
    EXPECT_EQ(malformed_reason(with(34)), Reason::body_truncated);
  }
}

TEST(BindAck, BodyEndingBeforeTheResultList) {
  // frag_length cut to 30: fixed fields + "135\0" and nothing else.
  ts::Bytes pdu = ts::PduBuilder(ts::Ptype::bind_ack).sec_addr("135").frag_length(30).build();
  pdu.resize(30);
  EXPECT_EQ(malformed_reason(pdu), Reason::body_truncated);
}

// --- bind_nak n_protocols (octet 18): 0, maximum, one off either side --------------------------
TEST(BindNak, NProtocolsBoundaries) {
  const ts::Bytes two = ts::PduBuilder(ts::Ptype::bind_nak)
                            .provider_reject_reason(4)
                            .protocol_version(5, 0)
                            .protocol_version(5, 1)
                            .build();
  auto with = [&](std::uint8_t n) {
    ts::Bytes b = two;
    b.at(18) = std::byte{n};
    return b;
  };
  auto versions = [](const ts::Bytes& pdu) {
    PduResult r = parse_pdu(Bytes(pdu.data(), pdu.size()));
    EXPECT_TRUE(r.is_complete());
    return r.is_complete() ? std::get<BindNak>(r.value().body).versions.size() : 99u;
  };
  EXPECT_EQ(versions(two), 2u);
  EXPECT_EQ(versions(with(0)), 0u);
  EXPECT_EQ(versions(with(1)), 1u);
  EXPECT_EQ(malformed_reason(with(3)), Reason::count_too_large);
  EXPECT_EQ(malformed_reason(with(255)), Reason::count_too_large);
}

// --- parse_pdu_prefix on cut binds and acks (STYLE.md §2: truncated is not malformed) ---------
TEST(BindPrefix, KeepsTheContextsCapturedWhole) {
  for (ts::Endian e : {ts::Endian::little, ts::Endian::big}) {
    const ts::Bytes pdu = in_order(three_context_bind(), e).build();
    // Fixed part 28, context 0: 24 + 40 = 64 (ends at 92), context 1: 44 (ends at 136).
    struct Cut {
      std::size_t at;
      std::size_t contexts;
    };
    for (Cut c : {Cut{27, 99}, Cut{28, 0}, Cut{91, 0}, Cut{92, 1}, Cut{135, 1}, Cut{136, 2},
                  Cut{pdu.size() - 1, 2}}) {
      PduResult r = parse_pdu_prefix(view(pdu).first(c.at));
      ASSERT_TRUE(r.is_complete());
      EXPECT_TRUE(r.value().truncated);
      EXPECT_EQ(r.value().captured, c.at);
      EXPECT_EQ(r.value().header.frag_length, pdu.size());
      const Bind* b = std::get_if<Bind>(&r.value().body);
      if (c.contexts == 99) {  // not even the fixed fields
        EXPECT_EQ(b, nullptr);
        continue;
      }
      ASSERT_NE(b, nullptr) << c.at;
      EXPECT_EQ(b->assoc_group_id, 0x00033cfau);
      EXPECT_EQ(b->contexts.size(), c.contexts) << c.at;
    }
  }
}

TEST(BindAckPrefix, FixedFieldsWhenTheResultsAreCut) {
  const ts::Bytes pdu = ts::PduBuilder(ts::Ptype::bind_ack)
                            .assoc_group_id(77)
                            .sec_addr("135")
                            .result(ts::ContextResult{})
                            .build();
  PduResult cut = parse_pdu_prefix(view(pdu).first(40));
  ASSERT_TRUE(cut.is_complete());
  const BindAck* a = std::get_if<BindAck>(&cut.value().body);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->assoc_group_id, 77u);
  EXPECT_TRUE(a->results.empty());
  EXPECT_EQ(std::get_if<BindAck>(&parse_pdu_prefix(view(pdu).first(23)).value().body), nullptr);
}

}  // namespace
}  // namespace rpctrace::dcerpc
