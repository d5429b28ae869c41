// Tests of src/dcerpc/association.cpp: presentation contexts from bind/alter_context and their
// acks (C706 §12.6.3.1 p_cont_list_t / p_result_list_t, results matched by position), calls
// paired by call_id (C706 §12.4), fragment reassembly (C706 §12.6.3.3 PFC_FIRST_FRAG /
// PFC_LAST_FRAG; §12.6.4.8 orphaned), and every AssociationLimits value hit with the limit
// lowered (STYLE.md §3).
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::AssociationHarness;
using unittest::frame;
using unittest::in_order;
using unittest::pattern;
using unittest::RecordedCall;
using unittest::to_syntax;
namespace ts = testsupport;

constexpr ts::SyntaxId kOther{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 0, 0};
constexpr ts::SyntaxId kThird{ts::Uuid::parse("367abb81-9844-35f1-ad32-98f038001003"), 2, 0};

ts::PduBuilder bind(std::uint32_t call_id, std::vector<ts::ContextElement> contexts,
                    ts::Ptype ptype = ts::Ptype::bind) {
  ts::PduBuilder b(ptype);
  b.call_id(call_id);
  for (auto& c : contexts) b.context(c);
  return b;
}

ts::PduBuilder ack(std::uint32_t call_id, std::vector<ts::ContextResult> results,
                   ts::Ptype ptype = ts::Ptype::bind_ack) {
  ts::PduBuilder b(ptype);
  b.call_id(call_id).sec_addr("135");
  for (auto& r : results) b.result(r);
  return b;
}

ts::PduBuilder request(std::uint32_t call_id, std::uint16_t p_cont_id, std::uint16_t opnum = 0,
                       std::size_t stub = 4) {
  ts::PduBuilder b(ts::Ptype::request);
  b.call_id(call_id).p_cont_id(p_cont_id).opnum(opnum).stub(pattern(stub));
  return b;
}

ts::PduBuilder response(std::uint32_t call_id, std::uint16_t p_cont_id, std::size_t stub = 4) {
  ts::PduBuilder b(ts::Ptype::response);
  b.call_id(call_id).p_cont_id(p_cont_id).stub(pattern(stub, 0x11));
  return b;
}

const ts::ContextResult kAccept{ts::kResultAcceptance, 0, ts::kNdrSyntax};
const ts::ContextResult kReject{
    ts::kResultProviderRejection, ts::kReasonAbstractSyntaxNotSupported, {}};

// --- Contexts (C706 §12.6.3.1), both byte orders ----------------------------------------------
class ContextOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(ContextOrder, BindAndAckLabelTheAcceptedContextsOnly) {
  const ts::Endian e = GetParam();
  AssociationHarness h;
  h.feed(0,
         in_order(bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax, ts::kNdr64Syntax}},
                           {1, kOther, {ts::kNdrSyntax}},
                           {2, ts::kEpmInterface, {ts::kBindTimeFeatureNegotiation}}}),
                  e),
         1);
  // Before the ack (or in a one-sided capture) a proposed context already names its calls.
  h.feed(0, in_order(request(10, 1), e), 2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_EQ(h.rec.pdus[1].event.interface, to_syntax(kOther));
  EXPECT_FALSE(h.rec.pdus[1].event.transfer_syntax.has_value());

  h.feed(1,
         in_order(ack(1, {{ts::kResultAcceptance, 0, ts::kNdr64Syntax},
                          kReject,
                          {ts::kResultNegotiateAck, 0x0003, {}}}),
                  e),
         3);
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  const PduEvent& a = h.rec.pdus[2].event;
  ASSERT_EQ(a.proposed.size(), 3u);  // results are named after the proposal
  EXPECT_EQ(a.proposed[1].abstract_syntax, to_syntax(kOther));
  EXPECT_EQ(h.assoc().context_count(), 1u);

  for (std::uint16_t ctx : std::vector<std::uint16_t>{0, 1, 2})
    h.feed(0, in_order(request(20u + ctx, ctx), e), 4);
  ASSERT_EQ(h.rec.pdus.size(), 6u);
  EXPECT_EQ(h.rec.pdus[3].event.interface, to_syntax(ts::kEpmInterface));
  EXPECT_EQ(h.rec.pdus[3].event.transfer_syntax, to_syntax(ts::kNdr64Syntax));
  EXPECT_FALSE(h.rec.pdus[4].event.interface.has_value());  // provider_rejection
  EXPECT_FALSE(h.rec.pdus[5].event.interface.has_value());  // negotiate_ack: no context
}

TEST_P(ContextOrder, AlterContextAddsAContext) {
  const ts::Endian e = GetParam();
  AssociationHarness h;
  h.feed(0, in_order(bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), e), 1);
  h.feed(1, in_order(ack(1, {kAccept}), e), 2);
  h.feed(0, in_order(bind(2, {{1, kOther, {ts::kNdr64Syntax}}}, ts::Ptype::alter_context), e), 3);
  h.feed(
      1,
      in_order(
          ack(2, {{ts::kResultAcceptance, 0, ts::kNdr64Syntax}}, ts::Ptype::alter_context_resp), e),
      4);
  EXPECT_EQ(h.assoc().context_count(), 2u);
  h.feed(0, in_order(request(3, 0), e), 5);
  h.feed(0, in_order(request(4, 1), e), 6);
  ASSERT_EQ(h.rec.pdus.size(), 6u);
  EXPECT_EQ(h.rec.pdus[3].event.proposed.size(), 1u);
  EXPECT_EQ(h.rec.pdus[4].event.interface, to_syntax(ts::kEpmInterface));
  EXPECT_EQ(h.rec.pdus[4].event.transfer_syntax, to_syntax(ts::kNdrSyntax));
  EXPECT_EQ(h.rec.pdus[5].event.interface, to_syntax(kOther));
  EXPECT_EQ(h.rec.pdus[5].event.transfer_syntax, to_syntax(ts::kNdr64Syntax));
}

TEST_P(ContextOrder, ContextIdReusedWithANewAbstractSyntax) {
  const ts::Endian e = GetParam();
  AssociationHarness h;
  h.feed(0, in_order(bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), e), 1);
  h.feed(1, in_order(ack(1, {kAccept}), e), 2);
  h.feed(0, in_order(bind(2, {{0, kOther, {ts::kNdr64Syntax}}}, ts::Ptype::alter_context), e), 3);
  h.feed(
      1,
      in_order(
          ack(2, {{ts::kResultAcceptance, 0, ts::kNdr64Syntax}}, ts::Ptype::alter_context_resp), e),
      4);
  h.feed(0, in_order(request(3, 0), e), 5);
  EXPECT_EQ(h.assoc().context_count(), 1u);
  EXPECT_EQ(h.rec.pdus.back().event.interface, to_syntax(kOther));
  EXPECT_EQ(h.rec.pdus.back().event.transfer_syntax, to_syntax(ts::kNdr64Syntax));
}

INSTANTIATE_TEST_SUITE_P(Drep, ContextOrder, unittest::kBothOrders, unittest::order_name);

TEST(Contexts, BindNakForgetsTheProposal) {
  AssociationHarness h;
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  h.feed(1,
         ts::PduBuilder(ts::Ptype::bind_nak)
             .call_id(1)
             .provider_reject_reason(4)
             .protocol_version(5, 0),
         2);
  h.feed(1, ack(1, {kAccept}), 3);  // a stray ack for the same call_id: nothing to match
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  EXPECT_TRUE(h.rec.pdus[2].event.proposed.empty());
}

// --- Calls paired by call_id (C706 §12.4) --------------------------------------------------------
TEST(Calls, ResponsesAndFaultsPairedByCallIdWithSeveralOutstanding) {
  AssociationHarness h;
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  h.feed(0, request(11, 0, 3), 10, 1000);
  h.feed(0, request(12, 0, 2), 11, 2000);
  h.feed(0, request(13, 0, 4), 12, 3000);
  EXPECT_EQ(h.assoc().outstanding_calls(), 3u);
  h.feed(1, response(12, 0), 20, 2500);
  h.feed(1, ts::PduBuilder(ts::Ptype::fault).call_id(11).status(0x1c010002), 21, 1001000);
  h.feed(1, response(13, 0), 22, 3000);
  EXPECT_EQ(h.assoc().outstanding_calls(), 0u);
  ASSERT_EQ(h.rec.pdus.size(), 8u);
  struct Want {
    std::uint32_t call_id;
    std::uint16_t opnum;
    std::uint64_t request_frame;
    std::int64_t latency_us;
  };
  const Want want[] = {{12, 2, 11, 500}, {11, 3, 10, 1000000}, {13, 4, 12, 0}};
  for (std::size_t i = 0; i < 3; ++i) {
    const PduEvent& r = h.rec.pdus[5 + i].event;
    EXPECT_EQ(r.header.call_id, want[i].call_id);
    EXPECT_EQ(r.opnum, want[i].opnum);
    EXPECT_EQ(r.request_frame, want[i].request_frame);
    EXPECT_EQ(r.latency_us, want[i].latency_us);
    EXPECT_EQ(r.interface, to_syntax(ts::kEpmInterface));
    EXPECT_TRUE(r.call_complete);
  }
  // A response nobody asked for: counted, labelled from its p_cont_id only.
  h.feed(1, response(99, 0), 23);
  EXPECT_EQ(h.counters.responses_without_request, 1u);
  EXPECT_FALSE(h.rec.pdus.back().event.opnum.has_value());
  EXPECT_EQ(h.rec.pdus.back().event.interface, to_syntax(ts::kEpmInterface));
}

// --- The end of every call (AssociationObserver::on_call_end) -----------------------------------
TEST(CallEnds, AnsweredFaultedAndOrphanedCallsEndAfterTheirPdu) {
  AssociationHarness h;
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  h.feed(0, request(11, 0, 3), 10, 1000);
  h.feed(0, request(12, 0, 2), 11, 2000);
  h.feed(0, request(13, 0, 4), 12, 3000);
  h.feed(1, response(12, 0), 20, 2500);
  ASSERT_EQ(h.rec.calls.size(), 1u);  // after the response's own on_pdu
  EXPECT_EQ(h.rec.pdus.size(), 6u);
  h.feed(1, ts::PduBuilder(ts::Ptype::fault).call_id(11).status(0x1c010002), 21, 1001000);
  h.feed(0, ts::PduBuilder(ts::Ptype::orphaned).call_id(13), 22, 4000);
  ASSERT_EQ(h.rec.outcomes(), (std::vector<CallOutcome>{CallOutcome::response, CallOutcome::fault,
                                                        CallOutcome::orphaned}));
  const CallEnd& answered = h.rec.calls[0].call;
  EXPECT_EQ(answered.call_id, 12u);
  EXPECT_EQ(answered.opnum, 2);
  EXPECT_EQ(answered.interface, to_syntax(ts::kEpmInterface));
  EXPECT_EQ(answered.request_first.frame, 11u);
  EXPECT_TRUE(answered.request_complete);
  EXPECT_EQ(answered.request_fragments, 1u);
  EXPECT_EQ(answered.request_stub_length, 4u);
  ASSERT_TRUE(answered.response_first.has_value());
  EXPECT_EQ(answered.response_first->frame, 20u);
  EXPECT_EQ(answered.end.frame, 20u);
  EXPECT_EQ(answered.latency_us, 500);
  EXPECT_EQ(answered.response_stub_length, 4u);
  const CallEnd& faulted = h.rec.calls[1].call;
  EXPECT_EQ(faulted.call_id, 11u);
  EXPECT_EQ(faulted.fault_status, 0x1c010002u);
  EXPECT_EQ(faulted.latency_us, 1000000);
  const CallEnd& orphaned = h.rec.calls[2].call;
  EXPECT_EQ(orphaned.call_id, 13u);
  EXPECT_FALSE(orphaned.response_first.has_value());
  EXPECT_EQ(orphaned.end.frame, 22u);
  EXPECT_EQ(h.assoc().outstanding_calls(), 0u);
}

TEST(CallEnds, CallsStillOutstandingEndUnansweredInCallIdOrder) {
  AssociationHarness h;
  h.feed(0, request(30, 0, 1), 1);
  h.feed(0, request(4, 0, 2), 2);
  h.feed(0, request(17, 0, 3).pfc_flags(ts::kPfcFirstFrag), 3);  // its last fragment never came
  h.feed(1, response(4, 0).pfc_flags(ts::kPfcFirstFrag), 4);     // answered in part
  h.finish(frame(9));
  ASSERT_EQ(h.rec.calls.size(), 3u);
  std::vector<std::uint32_t> ids;
  for (const auto& c : h.rec.calls) {
    ids.push_back(c.call.call_id);
    EXPECT_EQ(c.call.outcome, CallOutcome::unanswered);
    EXPECT_EQ(c.call.end.frame, 9u);
  }
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{4, 17, 30}));
  EXPECT_EQ(h.rec.calls[0].call.response_fragments, 1u);
  EXPECT_FALSE(h.rec.calls[1].call.request_complete);
  EXPECT_TRUE(h.rec.calls[2].call.request_complete);
  EXPECT_EQ(h.assoc().outstanding_calls(), 0u);
}

TEST(CallEnds, AReusedCallIdSupersedesAndTheLimitForgets) {
  AssociationHarness h;
  h.limits.max_outstanding_calls = 2;
  h.feed(0, request(1, 0, 5), 1);
  h.feed(0, request(1, 0, 6), 2);  // a new first fragment on call_id 1
  ASSERT_EQ(h.rec.outcomes(), std::vector<CallOutcome>{CallOutcome::superseded});
  EXPECT_EQ(h.rec.calls[0].call.opnum, 5);
  EXPECT_EQ(h.rec.calls[0].call.end.frame, 2u);
  h.feed(0, request(2, 0, 7), 3);
  h.feed(0, request(3, 0, 8), 4);  // the oldest (call_id 1, opnum 6) is forgotten
  ASSERT_EQ(h.rec.outcomes(),
            (std::vector<CallOutcome>{CallOutcome::superseded, CallOutcome::forgotten}));
  EXPECT_EQ(h.rec.calls[1].call.call_id, 1u);
  EXPECT_EQ(h.rec.calls[1].call.opnum, 6);
}

TEST(CallEnds, KeptStubsComeWithTheEndAndTheRequestsDrepAndAuthLevel) {
  AssociationHarness h;
  h.rec.wanted.insert(to_syntax(ts::kEpmInterface));
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  const ts::Bytes verifier = pattern(16, 0x90);
  h.feed(0,
         in_order(request(5, 0, 3, 12), ts::Endian::big)
             .auth(ts::make_auth_verifier(verifier, 4, 10, 5)),
         3);
  h.feed(1, response(5, 0, 20), 4);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  const RecordedCall& c = h.rec.calls[0];
  EXPECT_EQ(c.call.packed_drep.integer_order(), common::ByteOrder::big);
  EXPECT_EQ(c.call.auth_level, 5);
  ASSERT_TRUE(c.request_stub.has_value());
  EXPECT_EQ(c.request_stub->size(), 12u);
  ASSERT_TRUE(c.response_stub.has_value());
  EXPECT_EQ(*c.response_stub, pattern(20, 0x11));
}

// --- Fragment reassembly (C706 §12.6.3.3) --------------------------------------------------------
TEST(Calls, MultiFragmentRequestAndResponseKeepTheStubWhenWanted) {
  const ts::Bytes req_stub = pattern(100);
  const ts::Bytes resp_stub = pattern(203, 0x21);
  AssociationHarness h;
  h.rec.wanted.insert(to_syntax(ts::kEpmInterface));
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  ts::PduBuilder req(ts::Ptype::request);
  req.call_id(5).opnum(3);
  const auto req_frags = ts::fragment(req, req_stub, 3);
  for (std::size_t i = 0; i < req_frags.size(); ++i)
    h.feed(0, req_frags[i], 10 + i, 1000 * static_cast<std::int64_t>(i));
  ts::PduBuilder resp(ts::Ptype::response);
  resp.call_id(5);
  const auto resp_frags = ts::fragment(resp, resp_stub, 4);
  for (std::size_t i = 0; i < resp_frags.size(); ++i)
    h.feed(1, resp_frags[i], 20 + i, 5000 + 100 * static_cast<std::int64_t>(i));
  ASSERT_EQ(h.rec.pdus.size(), 2u + 3 + 4);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& r = h.rec.pdus[2 + i];
    EXPECT_EQ(r.event.call_complete, i == 2);
    EXPECT_EQ(r.call_stub.has_value(), i == 2);
  }
  const auto& last_req = h.rec.pdus[4];
  EXPECT_EQ(last_req.event.call_fragments, 3u);
  EXPECT_EQ(last_req.event.call_stub_length, 100u);
  EXPECT_FALSE(last_req.event.call_stub_truncated);
  EXPECT_EQ(last_req.call_stub, req_stub);
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& r = h.rec.pdus[5 + i];
    EXPECT_EQ(r.event.opnum, 3);
    EXPECT_EQ(r.event.request_frame, 10u);
    // Latency: first response fragment - last request fragment, only once.
    EXPECT_EQ(r.event.latency_us, i == 0 ? std::optional<std::int64_t>(3000) : std::nullopt);
    EXPECT_EQ(r.event.call_complete, i == 3);
  }
  const auto& last_resp = h.rec.pdus[8];
  EXPECT_EQ(last_resp.event.call_fragments, 4u);
  EXPECT_EQ(last_resp.event.call_stub_length, 203u);
  EXPECT_EQ(last_resp.call_stub, resp_stub);
  EXPECT_EQ(last_resp.request_stub, req_stub);
  EXPECT_EQ(h.assoc().outstanding_calls(), 0u);
}

// The status a method returns is the response stub's last four octets (C706 14.3.12): kept
// across fragments however they are cut, whether or not the stub itself is kept.
TEST(Calls, ResponseStubTailAcrossFragments) {
  AssociationHarness h;
  h.feed(0, bind(1, {{0, kOther, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  h.feed(0, request(5, 0, 34), 3);
  ts::Bytes first = pattern(30, 0x40);
  first.insert(first.end(), {std::byte{0x22}, std::byte{0x00}});
  h.feed(1, response(5, 0).stub(first).pfc_flags(ts::kPfcFirstFrag), 4);
  h.feed(
      1,
      response(5, 0).stub(ts::Bytes{std::byte{0x00}, std::byte{0xc0}}).pfc_flags(ts::kPfcLastFrag),
      5);
  ASSERT_EQ(h.rec.pdus.size(), 5u);
  EXPECT_FALSE(h.rec.pdus[3].event.stub_tail.has_value());  // not the call's last fragment
  const auto& last = h.rec.pdus[4].event;
  ASSERT_TRUE(last.stub_tail.has_value());
  const std::array<std::byte, 4> want{std::byte{0x22}, std::byte{0x00}, std::byte{0x00},
                                      std::byte{0xc0}};
  EXPECT_EQ(*last.stub_tail, want);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  ASSERT_TRUE(h.rec.calls[0].call.response_tail.has_value());
  EXPECT_EQ(*h.rec.calls[0].call.response_tail, want);
  EXPECT_EQ(h.rec.calls[0].call.response_drep.integer_order(), common::ByteOrder::little);
}

TEST(Calls, NoStubTailWhenSealedShortOrCut) {
  AssociationHarness h;
  h.feed(0, bind(1, {{0, kOther, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  // Packet privacy: the octets are ciphertext.
  h.feed(0, request(5, 0, 1), 3);
  h.feed(1, response(5, 0, 8).auth(ts::make_auth_verifier(pattern(16, 0x90), 4, 10, 6)), 4);
  // Three octets: no status there.
  h.feed(0, request(6, 0, 1), 5);
  h.feed(1, response(6, 0, 3), 6);
  // Packet integrity: the stub is plain, the tail is read (the auth padding is not stub).
  h.feed(0, request(7, 0, 1), 7);
  h.feed(1, response(7, 0, 8).auth(ts::make_auth_verifier(pattern(16, 0x90), 16, 10, 5)), 8);
  ASSERT_EQ(h.rec.pdus.size(), 8u);
  EXPECT_FALSE(h.rec.pdus[3].event.stub_tail.has_value());
  EXPECT_FALSE(h.rec.pdus[5].event.stub_tail.has_value());
  ASSERT_TRUE(h.rec.pdus[7].event.stub_tail.has_value());
  const ts::Bytes stub = pattern(8, 0x11);
  EXPECT_EQ(0, std::memcmp(h.rec.pdus[7].event.stub_tail->data(), stub.data() + 4, 4));
  ASSERT_EQ(h.rec.calls.size(), 3u);
  EXPECT_FALSE(h.rec.calls[0].call.response_tail.has_value());
  EXPECT_FALSE(h.rec.calls[1].call.response_tail.has_value());
  EXPECT_TRUE(h.rec.calls[2].call.response_tail.has_value());
}

TEST(Calls, StubNotKeptWhenTheObserverDoesNotWantIt) {
  AssociationHarness h;
  h.rec.wanted.insert(to_syntax(kOther));
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  h.feed(1, ack(1, {kAccept}), 2);
  ts::PduBuilder req(ts::Ptype::request);
  req.call_id(5);
  for (const auto& f : ts::fragment(req, pattern(90), 2)) h.feed(0, f, 3);
  h.feed(1, response(5, 0, 50), 4);
  ASSERT_EQ(h.rec.pdus.size(), 5u);
  EXPECT_TRUE(h.rec.pdus[3].event.call_complete);
  EXPECT_EQ(h.rec.pdus[3].event.call_stub_length, 90u);
  EXPECT_FALSE(h.rec.pdus[3].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[3].event.call_stub_truncated);
  EXPECT_EQ(h.rec.pdus[4].event.call_stub_length, 50u);
  EXPECT_FALSE(h.rec.pdus[4].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[4].request_stub.has_value());
}

TEST(Calls, OrphanedEndsTheCall) {
  AssociationHarness h;
  h.feed(0, request(7, 0).pfc_flags(ts::kPfcFirstFrag), 1);
  EXPECT_EQ(h.assoc().outstanding_calls(), 1u);
  h.feed(0, ts::PduBuilder(ts::Ptype::orphaned).call_id(7), 2);
  EXPECT_EQ(h.assoc().outstanding_calls(), 0u);
}

TEST(Calls, FragmentCutByTheCaptureMarksTheStubIncomplete) {
  AssociationHarness h;
  h.rec.wanted.insert(to_syntax(ts::kEpmInterface));
  h.framer().start(0, true);
  h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
  const ts::Bytes last = request(5, 0, 3, 60).pfc_flags(ts::kPfcLastFrag).build();
  h.feed(0, request(5, 0, 3, 60).pfc_flags(ts::kPfcFirstFrag), 2);
  h.feed(0, ts::slice(last, 0, 40), 3);
  h.finish(unittest::frame(4));
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  const auto& cut = h.rec.pdus[2];
  EXPECT_TRUE(cut.event.truncated);
  EXPECT_TRUE(cut.event.call_complete);
  EXPECT_TRUE(cut.event.call_stub_truncated);
  EXPECT_TRUE(cut.event.call_stub_incomplete);
  EXPECT_FALSE(cut.call_stub.has_value());
  EXPECT_EQ(cut.event.call_fragments, 2u);
}

// --- AssociationLimits, each hit with the limit lowered (STYLE.md §3) ------------------------
TEST(Limits, MaxContexts) {
  AssociationHarness h;
  h.limits.max_contexts = 2;
  h.feed(0,
         bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}},
                  {1, kOther, {ts::kNdrSyntax}},
                  {2, kThird, {ts::kNdrSyntax}}}),
         1);
  h.feed(1, ack(1, {kAccept, kAccept, kAccept}), 2);
  EXPECT_EQ(h.assoc().context_count(), 2u);
  EXPECT_EQ(h.counters.contexts_evicted, 1u);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::limit});
  EXPECT_NE(h.rec.notes[0].detail.find("max_contexts"), std::string::npos);
  h.feed(0, request(2, 1), 3);
  h.feed(0, request(3, 2), 4);
  EXPECT_EQ(h.rec.pdus[2].event.interface, to_syntax(kOther));
  EXPECT_FALSE(h.rec.pdus[3].event.interface.has_value());
}

TEST(Limits, MaxOutstandingCallsForgetsTheOldest) {
  AssociationHarness h;
  h.limits.max_outstanding_calls = 2;
  for (std::uint32_t id : {1u, 2u}) h.feed(0, request(id, 0, static_cast<std::uint16_t>(id)), id);
  EXPECT_TRUE(h.rec.notes.empty());
  h.feed(0, request(3, 0, 3), 3);
  EXPECT_EQ(h.assoc().outstanding_calls(), 2u);
  EXPECT_EQ(h.counters.calls_evicted, 1u);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::limit});
  EXPECT_NE(h.rec.notes[0].detail.find("call_id 1"), std::string::npos);
  h.feed(1, response(1, 0), 4);
  EXPECT_EQ(h.counters.responses_without_request, 1u);
  EXPECT_FALSE(h.rec.pdus.back().event.opnum.has_value());
  h.feed(1, response(2, 0), 5);
  EXPECT_EQ(h.rec.pdus.back().event.opnum, 2);
}

// The limit note belongs to the direction whose request hit the limit (here the capture began
// after the SYN was lost, so the client is direction 1).
TEST(Limits, MaxOutstandingCallsNoteNamesTheRequestsDirection) {
  AssociationHarness h;
  h.limits.max_outstanding_calls = 1;
  h.feed(1, request(1, 0), 1);
  h.feed(1, request(2, 0), 2);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::limit});
  EXPECT_EQ(h.rec.notes[0].dir, 1);
  EXPECT_EQ(h.rec.notes[0].at.frame, 2u);
}

TEST(Limits, MaxFragmentsPerCall) {
  for (std::size_t count : {2u, 3u}) {
    AssociationHarness h;
    h.limits.max_fragments_per_call = 2;
    h.rec.wanted.insert(to_syntax(ts::kEpmInterface));
    h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
    ts::PduBuilder req(ts::Ptype::request);
    req.call_id(5);
    for (const auto& f : ts::fragment(req, pattern(60), count)) h.feed(0, f, 2);
    const auto& last = h.rec.pdus.back();
    ASSERT_TRUE(last.event.call_complete);
    EXPECT_EQ(last.event.call_fragments, count);
    EXPECT_EQ(last.event.call_stub_length, 60u);
    EXPECT_EQ(last.event.call_stub_truncated, count > 2) << count;
    EXPECT_EQ(last.call_stub.has_value(), count <= 2) << count;
    EXPECT_EQ(h.counters.stub_truncated_calls, count > 2 ? 1u : 0u);
  }
}

TEST(Limits, MaxStubBytes) {
  for (std::size_t size : {64u, 65u}) {
    AssociationHarness h;
    h.limits.max_stub_bytes = 64;
    h.rec.wanted.insert(to_syntax(ts::kEpmInterface));
    h.feed(0, bind(1, {{0, ts::kEpmInterface, {ts::kNdrSyntax}}}), 1);
    ts::PduBuilder req(ts::Ptype::request);
    req.call_id(5);
    for (const auto& f : ts::fragment(req, pattern(size), 2)) h.feed(0, f, 2);
    h.feed(1, response(5, 0, size + 1), 3);
    const auto& rq = h.rec.pdus[2];
    ASSERT_TRUE(rq.event.call_complete);
    EXPECT_EQ(rq.event.call_stub_length, size);
    EXPECT_EQ(rq.event.call_stub_truncated, size > 64);
    EXPECT_EQ(rq.call_stub.has_value(), size <= 64);
    const auto& rs = h.rec.pdus[3];
    EXPECT_TRUE(rs.event.call_stub_truncated);  // size + 1 > 64 in both cases
    EXPECT_FALSE(rs.call_stub.has_value());
    EXPECT_EQ(rs.request_stub.has_value(), size <= 64);
    EXPECT_EQ(h.counters.stub_truncated_calls, size > 64 ? 2u : 1u);
  }
}

// max_resync_scan: framer_test.cpp (Framing.MaxResyncScanFallsBackToHunting).

}  // namespace
}  // namespace rpctrace::dcerpc
