// Tests of src/dcerpc/cl_activity.cpp: connectionless calls tracked by activity UUID and
// sequence number (C706 §12.5.1 act_id, seqnum), fragments joined by fragnum out of order and
// with duplicates, answers paired (response, fault, reject: C706 §12.5.3), the client's pings
// and the server's working / nocall counted on their call, and every AssociationLimits value
// that applies hit with the limit lowered (STYLE.md §3). Inputs come from
// tests/support/cl_builder; events are recorded by unittest::Recorder.
#include "rpctrace/dcerpc/cl_activity.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "support/cl_builder.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {

// gtest prints outcomes by name (found by argument-dependent lookup).
void PrintTo(CallOutcome o, std::ostream* os) { *os << to_string(o); }

namespace {

using unittest::frame;
using unittest::kBothOrders;
using unittest::order_name;
using unittest::pattern;
using unittest::to_syntax;
using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

constexpr ts::Uuid kAct1 = ts::Uuid::parse("6a1c2e3f-0001-4a5b-8c6d-0a05020a0001");
constexpr ts::Uuid kAct2 = ts::Uuid::parse("6a1c2e3f-0002-4a5b-8c6d-0a05020a0002");
constexpr ts::Uuid kAct3 = ts::Uuid::parse("6a1c2e3f-0003-4a5b-8c6d-0a05020a0003");
constexpr ts::SyntaxId kIf{ts::Uuid::parse("5a7e0004-0000-4000-8000-000000000004"), 1, 0};
constexpr ts::SyntaxId kOther{ts::Uuid::parse("5a7e0006-0000-4000-8000-000000000006"), 1, 0};

using Stub = std::vector<std::byte>;

// A ClActivities with a Recorder, made on first use so a test may lower `limits` (or
// `max_activities`) first.
class ClHarness {
 public:
  ClActivities& acts() {
    if (!acts_) acts_ = std::make_unique<ClActivities>(rec, counters, limits, max_activities);
    return *acts_;
  }
  void feed(Direction dir, const ts::ClPduBuilder& pdu, std::uint64_t frame_number,
            std::int64_t usec = 0) {
    const ts::Bytes b = pdu.build();
    acts().datagram(dir, view(b), b.size(), frame(frame_number, usec));
  }
  // The datagram as a capture cut after `captured` octets holds it.
  void feed_cut(Direction dir, const ts::ClPduBuilder& pdu, std::size_t captured,
                std::uint64_t frame_number, std::int64_t usec = 0) {
    const ts::Bytes b = pdu.build();
    const ts::Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(captured));
    acts().datagram(dir, view(cut), b.size(), frame(frame_number, usec));
  }
  void feed_raw(Direction dir, const ts::Bytes& b, std::uint64_t frame_number) {
    acts().datagram(dir, view(b), b.size(), frame(frame_number));
  }
  void finish(std::uint64_t frame_number, std::int64_t usec = 0) {
    acts().finish(frame(frame_number, usec));
  }
  const PduEvent& pdu(std::size_t i) const { return rec.pdus.at(i).event; }
  const CallEnd& call(std::size_t i) const { return rec.calls.at(i).call; }

  unittest::Recorder rec;
  Counters counters;
  AssociationLimits limits;
  std::size_t max_activities = ClActivities::kMaxActivities;

 private:
  std::unique_ptr<ClActivities> acts_;
};

ts::ClPduBuilder cl_pdu(ts::Ptype t, const ts::Uuid& act, std::uint32_t seqnum, std::uint16_t opnum,
                        ts::Endian e = ts::Endian::little) {
  ts::ClPduBuilder b(t);
  if (e == ts::Endian::big) b.big_endian();
  b.interface_id(kIf).act_id(act).seqnum(seqnum).opnum(opnum);
  return b;
}

ts::ClPduBuilder request(const ts::Uuid& act, std::uint32_t seqnum, std::uint16_t opnum,
                         const Stub& stub, ts::Endian e = ts::Endian::little) {
  ts::ClPduBuilder b = cl_pdu(ts::Ptype::request, act, seqnum, opnum, e);
  b.flags1(ts::kClIdempotent).stub(stub);
  return b;
}

ts::ClPduBuilder response(const ts::Uuid& act, std::uint32_t seqnum, std::uint16_t opnum,
                          const Stub& stub, ts::Endian e = ts::Endian::little) {
  ts::ClPduBuilder b = cl_pdu(ts::Ptype::response, act, seqnum, opnum, e);
  b.stub(stub);
  return b;
}

std::optional<std::array<std::byte, 4>> last4(const Stub& s) {
  std::array<std::byte, 4> out{};
  for (std::size_t i = 0; i < 4; ++i) out[i] = s[s.size() - 4 + i];
  return out;
}

// The datagram with an auth verifier after its body, as MS-RPCE 2.2.3.4 lays it out (auth_proto
// NTLMSSP): sec_trailer_cl (auth_level, key_vers_num), two octets of padding, then a 16-octet
// token (an NTLMSSP signature's size).
ts::Bytes with_verifier(ts::ClPduBuilder b, std::uint8_t auth_level) {
  ts::Bytes out = b.auth_proto(ts::kAuthTypeWinnt).build();
  out.push_back(std::byte{auth_level});
  out.push_back(std::byte{0});             // key_vers_num
  out.insert(out.end(), 2, std::byte{0});  // padding
  const ts::Bytes token = pattern(16, 0x90);
  out.insert(out.end(), token.begin(), token.end());
  return out;
}

// --- One call, one fragment each way, both byte orders ------------------------------------
class ClCallOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(ClCallOrder, OneFragmentRequestAndResponse) {
  const ts::Endian e = GetParam();
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  const Stub req_stub = pattern(12);
  const Stub resp_stub = pattern(8, 0x11);
  h.feed(0, request(kAct1, 7, 3, req_stub, e), 1, 1000);
  h.feed(1, response(kAct1, 7, 3, resp_stub, e), 2, 2500);

  ASSERT_EQ(h.rec.pdus.size(), 2u);
  const PduEvent& q = h.pdu(0);
  ASSERT_TRUE(q.cl.has_value());
  EXPECT_EQ(q.header.ptype, PacketType::request);
  EXPECT_EQ(q.header.call_id, 7u);
  EXPECT_EQ(q.header.pfc_flags & (pfc::first_frag | pfc::last_frag),
            pfc::first_frag | pfc::last_frag);
  EXPECT_EQ(q.header.frag_length, kClHeaderSize + 12);
  EXPECT_EQ(q.header.packed_drep.integer_order(), unittest::to_order(e));
  EXPECT_EQ(q.cl->header.act_id, to_uuid(kAct1));
  EXPECT_FALSE(q.cl->duplicate);
  EXPECT_EQ(q.interface, to_syntax(kIf));
  EXPECT_EQ(q.dir, 0);
  EXPECT_EQ(q.at.frame, 1u);
  const auto* body = std::get_if<Request>(&q.body);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->opnum, 3);
  EXPECT_EQ(body->stub_length, 12u);
  EXPECT_FALSE(body->object.has_value());
  EXPECT_TRUE(q.call_complete);
  EXPECT_EQ(q.call_fragments, 1u);
  EXPECT_EQ(q.call_stub_length, 12u);
  EXPECT_FALSE(q.call_stub_truncated);
  EXPECT_EQ(h.rec.pdus[0].call_stub, req_stub);
  EXPECT_FALSE(q.request_frame.has_value());
  EXPECT_FALSE(q.latency_us.has_value());

  const PduEvent& r = h.pdu(1);
  EXPECT_EQ(r.header.ptype, PacketType::response);
  EXPECT_EQ(r.dir, 1);
  EXPECT_EQ(r.interface, to_syntax(kIf));
  EXPECT_EQ(r.opnum, 3);
  EXPECT_EQ(r.request_frame, 1u);
  EXPECT_EQ(r.latency_us, 1500);
  EXPECT_TRUE(r.call_complete);
  EXPECT_EQ(r.call_fragments, 1u);
  EXPECT_EQ(r.call_stub_length, 8u);
  EXPECT_EQ(r.stub_tail, last4(resp_stub));
  EXPECT_EQ(h.rec.pdus[1].call_stub, resp_stub);
  EXPECT_EQ(h.rec.pdus[1].request_stub, req_stub);
  const auto* rb = std::get_if<Response>(&r.body);
  ASSERT_NE(rb, nullptr);
  EXPECT_EQ(rb->stub_length, 8u);

  ASSERT_EQ(h.rec.calls.size(), 1u);
  const CallEnd& c = h.call(0);
  EXPECT_EQ(c.outcome, CallOutcome::response);
  EXPECT_EQ(c.call_id, 7u);
  EXPECT_EQ(c.activity, to_uuid(kAct1));
  EXPECT_TRUE(c.request_seen);
  EXPECT_EQ(c.dir, 0);
  EXPECT_EQ(c.opnum, 3);
  EXPECT_EQ(c.interface, to_syntax(kIf));
  EXPECT_EQ(c.packed_drep.integer_order(), unittest::to_order(e));
  EXPECT_EQ(c.response_drep.integer_order(), unittest::to_order(e));
  EXPECT_EQ(c.request_first.frame, 1u);
  EXPECT_EQ(c.request_last.frame, 1u);
  EXPECT_TRUE(c.request_complete);
  EXPECT_EQ(c.request_fragments, 1u);
  EXPECT_EQ(c.request_stub_length, 12u);
  ASSERT_TRUE(c.response_first.has_value());
  EXPECT_EQ(c.response_first->frame, 2u);
  EXPECT_EQ(c.end.frame, 2u);
  EXPECT_EQ(c.response_fragments, 1u);
  EXPECT_EQ(c.response_stub_length, 8u);
  EXPECT_EQ(c.response_tail, last4(resp_stub));
  EXPECT_EQ(c.latency_us, 1500);
  EXPECT_EQ(c.fault_status, 0u);
  EXPECT_EQ(c.pings + c.working + c.nocalls + c.resent, 0u);
  EXPECT_EQ(h.rec.calls[0].request_stub, req_stub);
  EXPECT_EQ(h.rec.calls[0].response_stub, resp_stub);

  EXPECT_EQ(h.acts().outstanding_calls(), 0u);
  EXPECT_EQ(h.counters.pdus, 2u);
  EXPECT_EQ(h.counters.pdus_by_ptype[0], 1u);
  EXPECT_EQ(h.counters.pdus_by_ptype[2], 1u);
  EXPECT_TRUE(h.rec.notes.empty());
  h.finish(3);
  EXPECT_EQ(h.rec.calls.size(), 1u);  // nothing left to end
}

TEST_P(ClCallOrder, StubsAreKeptOnlyForWantedInterfaces) {
  const ts::Endian e = GetParam();
  ClHarness h;
  h.feed(0, request(kAct1, 1, 0, pattern(12), e), 1);
  h.feed(1, response(kAct1, 1, 0, pattern(8), e), 2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_TRUE(h.pdu(0).call_complete);
  EXPECT_FALSE(h.rec.pdus[0].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[1].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[1].request_stub.has_value());
  // The status tail does not depend on the stub being kept.
  EXPECT_EQ(h.pdu(1).stub_tail, last4(pattern(8)));
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_FALSE(h.rec.calls[0].request_stub.has_value());
  EXPECT_FALSE(h.rec.calls[0].response_stub.has_value());
}

// --- Fragments --------------------------------------------------------------------------------
TEST_P(ClCallOrder, ThreeFragmentRequestOutOfOrderWithADuplicate) {
  const ts::Endian e = GetParam();
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  const Stub stub = pattern(21);
  const std::vector<std::size_t> sizes{8, 8, 5};
  const auto frags = ts::cl_fragment(request(kAct1, 5, 2, {}, e), stub, sizes);
  h.feed(0, frags[0], 1, 0);
  h.feed(0, frags[2], 2, 100);
  EXPECT_EQ(h.acts().outstanding_calls(), 1u);
  h.feed(0, frags[1], 3, 200);
  h.feed(0, frags[1], 4, 300);  // retransmitted
  h.feed(0, frags[0], 5, 400);  // retransmitted after the request was whole

  ASSERT_EQ(h.rec.pdus.size(), 5u);
  EXPECT_FALSE(h.pdu(0).call_complete);
  EXPECT_EQ(h.pdu(0).header.pfc_flags & (pfc::first_frag | pfc::last_frag), pfc::first_frag);
  EXPECT_FALSE(h.pdu(1).call_complete);
  EXPECT_EQ(h.pdu(1).header.pfc_flags & (pfc::first_frag | pfc::last_frag), pfc::last_frag);
  EXPECT_FALSE(h.pdu(1).cl->duplicate);
  const PduEvent& whole = h.pdu(2);
  EXPECT_TRUE(whole.call_complete);
  EXPECT_FALSE(whole.cl->duplicate);
  EXPECT_EQ(whole.call_fragments, 3u);
  EXPECT_EQ(whole.call_stub_length, 21u);
  EXPECT_FALSE(whole.call_stub_truncated);
  EXPECT_EQ(h.rec.pdus[2].call_stub, stub);  // joined in fragnum order
  for (std::size_t i : {3u, 4u}) {
    EXPECT_TRUE(h.pdu(i).cl->duplicate) << i;
    EXPECT_FALSE(h.pdu(i).call_complete) << i;
    EXPECT_EQ(h.pdu(i).interface, to_syntax(kIf)) << i;
  }

  const Stub resp = pattern(6, 0x21);
  h.feed(1, response(kAct1, 5, 2, resp, e), 6, 1300);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  const CallEnd& c = h.call(0);
  EXPECT_EQ(c.outcome, CallOutcome::response);
  EXPECT_EQ(c.resent, 2u);
  EXPECT_EQ(c.request_fragments, 3u);
  EXPECT_EQ(c.request_stub_length, 21u);
  EXPECT_TRUE(c.request_complete);
  EXPECT_EQ(c.request_first.frame, 1u);
  EXPECT_EQ(c.request_last.frame, 3u);  // the fragment that completed it, not the duplicates
  EXPECT_EQ(c.latency_us, 1100);
  EXPECT_EQ(h.rec.calls[0].request_stub, stub);
  EXPECT_EQ(h.rec.pdus[5].request_stub, stub);
  EXPECT_EQ(h.rec.calls[0].response_stub, resp);
}

TEST_P(ClCallOrder, TwoFragmentResponseWithATailAcrossFragments) {
  const ts::Endian e = GetParam();
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  h.feed(0, request(kAct1, 2, 1, pattern(4), e), 1, 0);
  const Stub stub = pattern(10, 0x31);
  const std::vector<std::size_t> sizes{8, 2};  // the last fragment shorter than a status
  const auto frags = ts::cl_fragment(response(kAct1, 2, 1, {}, e), stub, sizes);
  h.feed(1, frags[0], 2, 700);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_FALSE(h.pdu(1).call_complete);
  EXPECT_EQ(h.pdu(1).latency_us, 700);
  EXPECT_EQ(h.pdu(1).request_frame, 1u);
  EXPECT_FALSE(h.pdu(1).stub_tail.has_value());
  EXPECT_TRUE(h.rec.calls.empty());

  h.feed(1, frags[1], 3, 900);
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  const PduEvent& last = h.pdu(2);
  EXPECT_TRUE(last.call_complete);
  EXPECT_EQ(last.call_fragments, 2u);
  EXPECT_EQ(last.call_stub_length, 10u);
  EXPECT_FALSE(last.latency_us.has_value());  // on the first answer fragment only
  EXPECT_EQ(last.request_frame, 1u);
  EXPECT_EQ(last.stub_tail, last4(stub));
  EXPECT_EQ(h.rec.pdus[2].call_stub, stub);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  const CallEnd& c = h.call(0);
  EXPECT_EQ(c.response_fragments, 2u);
  EXPECT_EQ(c.response_stub_length, 10u);
  EXPECT_EQ(c.response_first->frame, 2u);
  EXPECT_EQ(c.end.frame, 3u);
  EXPECT_EQ(c.latency_us, 700);
  EXPECT_EQ(c.response_tail, last4(stub));
  EXPECT_EQ(h.rec.calls[0].response_stub, stub);
}

TEST(ClFragments, ResponseFragmentsOutOfOrderAndDuplicated) {
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  h.feed(0, request(kAct1, 2, 1, pattern(4)), 1);
  const Stub stub = pattern(24, 0x31);
  const std::vector<std::size_t> sizes{8, 8, 8};
  const auto frags = ts::cl_fragment(response(kAct1, 2, 1, {}), stub, sizes);
  h.feed(1, frags[2], 2);
  h.feed(1, frags[0], 3);
  h.feed(1, frags[0], 4);
  EXPECT_TRUE(h.pdu(3).cl->duplicate);
  EXPECT_TRUE(h.rec.calls.empty());
  h.feed(1, frags[1], 5);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_TRUE(h.pdu(4).call_complete);
  EXPECT_EQ(h.rec.pdus[4].call_stub, stub);
  EXPECT_EQ(h.call(0).response_first->frame, 2u);
  EXPECT_EQ(h.call(0).response_tail, last4(stub));
  EXPECT_EQ(h.call(0).resent, 0u);  // resent counts request fragments
}

// --- Failures: fault, reject ---------------------------------------------------------------
TEST_P(ClCallOrder, FaultEndsTheCallWithItsStatus) {
  const ts::Endian e = GetParam();
  ClHarness h;
  h.feed(0, request(kAct1, 3, 99, pattern(16), e), 1, 0);
  h.feed(1, cl_pdu(ts::Ptype::fault, kAct1, 3, 99, e).status(ts::kNcaOpRngError), 2, 520);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  const PduEvent& f = h.pdu(1);
  const auto* body = std::get_if<Fault>(&f.body);
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->status, ts::kNcaOpRngError);
  EXPECT_EQ(f.opnum, 99);
  EXPECT_EQ(f.request_frame, 1u);
  EXPECT_EQ(f.latency_us, 520);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::fault);
  EXPECT_EQ(h.call(0).fault_status, ts::kNcaOpRngError);
  EXPECT_EQ(h.call(0).latency_us, 520);
  EXPECT_EQ(h.call(0).response_first->frame, 2u);
  EXPECT_EQ(h.call(0).response_fragments, 0u);
  EXPECT_FALSE(h.call(0).response_tail.has_value());
}

TEST_P(ClCallOrder, RejectEndsTheCallRejected) {
  const ts::Endian e = GetParam();
  ClHarness h;
  h.feed(0, request(kAct2, 0, 0, pattern(32), e).flags1(0), 1, 0);
  h.feed(1, cl_pdu(ts::Ptype::reject, kAct2, 0, 0, e).status(ts::kNcaUnkIf), 2, 450);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  ASSERT_TRUE(h.pdu(1).cl.has_value());
  const auto* s = std::get_if<ClStatus>(&h.pdu(1).cl->body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->status, ts::kNcaUnkIf);
  EXPECT_EQ(h.pdu(1).request_frame, 1u);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::rejected);
  EXPECT_EQ(h.call(0).fault_status, ts::kNcaUnkIf);
  EXPECT_EQ(h.call(0).latency_us, 450);
  EXPECT_EQ(h.call(0).activity, to_uuid(kAct2));
}

INSTANTIATE_TEST_SUITE_P(Both, ClCallOrder, kBothOrders, order_name);

// --- Pings, working, nocall --------------------------------------------------------------------
TEST(ClActivities, PingWorkingNocallAreCountedAndTheCallEndsUnanswered) {
  ClHarness h;
  h.feed(0, request(kAct1, 1, 5, pattern(40)), 1, 0);
  h.feed(0, cl_pdu(ts::Ptype::ping, kAct1, 1, 5), 2, 1'000'000);
  h.feed(1, cl_pdu(ts::Ptype::working, kAct1, 1, 5), 3, 1'000'400);
  h.feed(0, cl_pdu(ts::Ptype::ping, kAct1, 1, 5), 4, 3'000'000);
  h.feed(1, cl_pdu(ts::Ptype::nocall, kAct1, 1, 5), 5, 3'000'400);
  EXPECT_TRUE(h.rec.calls.empty());
  for (std::size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(h.pdu(i).interface, to_syntax(kIf)) << i;
    EXPECT_EQ(h.pdu(i).opnum, 5) << i;
    EXPECT_EQ(h.pdu(i).header.call_id, 1u) << i;
    EXPECT_FALSE(h.pdu(i).latency_us.has_value()) << i;
  }
  h.finish(6, 9'000'000);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  const CallEnd& c = h.call(0);
  EXPECT_EQ(c.outcome, CallOutcome::unanswered);
  EXPECT_EQ(c.pings, 2u);
  EXPECT_EQ(c.working, 1u);
  EXPECT_EQ(c.nocalls, 1u);
  EXPECT_EQ(c.end.frame, 6u);
  EXPECT_FALSE(c.response_first.has_value());
  EXPECT_FALSE(c.latency_us.has_value());
  EXPECT_TRUE(c.request_complete);
  EXPECT_EQ(h.acts().outstanding_calls(), 0u);
}

TEST(ClActivities, FinishEndsOutstandingCallsInTheOrderTheyBegan) {
  ClHarness h;
  h.feed(0, request(kAct3, 1, 0, pattern(4)), 1);
  h.feed(0, request(kAct1, 9, 0, pattern(4)), 2);
  h.feed(0, request(kAct2, 4, 0, pattern(4)), 3);
  h.finish(4);
  ASSERT_EQ(h.rec.calls.size(), 3u);
  EXPECT_EQ(h.call(0).activity, to_uuid(kAct3));
  EXPECT_EQ(h.call(1).activity, to_uuid(kAct1));
  EXPECT_EQ(h.call(2).activity, to_uuid(kAct2));
  for (const auto& c : h.rec.calls) EXPECT_EQ(c.call.outcome, CallOutcome::unanswered);
}

// --- Activities and sequence numbers ------------------------------------------------------
TEST(ClActivities, ANewSeqnumSupersedesTheUnansweredCallOnItsActivityOnly) {
  ClHarness h;
  h.feed(0, request(kAct1, 1, 0, pattern(4)), 1);
  h.feed(0, request(kAct2, 1, 0, pattern(4)), 2);
  h.feed(0, request(kAct1, 2, 1, pattern(4)), 3);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::superseded);
  EXPECT_EQ(h.call(0).activity, to_uuid(kAct1));
  EXPECT_EQ(h.call(0).call_id, 1u);
  EXPECT_EQ(h.call(0).end.frame, 3u);
  EXPECT_EQ(h.acts().outstanding_calls(), 2u);
  h.feed(1, response(kAct1, 2, 1, pattern(4)), 4);
  ASSERT_EQ(h.rec.calls.size(), 2u);
  EXPECT_EQ(h.call(1).outcome, CallOutcome::response);
  EXPECT_EQ(h.call(1).call_id, 2u);
  EXPECT_EQ(h.call(1).opnum, 1);
  EXPECT_EQ(h.counters.responses_without_request, 0u);
  h.finish(5);
  ASSERT_EQ(h.rec.calls.size(), 3u);
  EXPECT_EQ(h.call(2).activity, to_uuid(kAct2));
  EXPECT_EQ(h.call(2).outcome, CallOutcome::unanswered);
}

// Windows sends a wrong if_id in a request's later fragments: the call is named by activity
// and sequence number, and by its fragment 0's interface.
TEST(ClActivities, ALaterFragmentsWrongIfIdDoesNotRelabelTheCall) {
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  const Stub stub = pattern(1200);
  const std::vector<std::size_t> sizes{1000, 200};
  auto frags = ts::cl_fragment(request(kAct1, 0, 4, {}), stub, sizes);
  frags[1].if_id(kOther.uuid);
  h.feed(0, frags[0], 1);
  h.feed(0, frags[1], 2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_EQ(h.pdu(1).interface, to_syntax(kIf));
  EXPECT_TRUE(h.pdu(1).call_complete);
  EXPECT_EQ(h.rec.pdus[1].call_stub, stub);
  EXPECT_EQ(h.pdu(1).cl->header.if_id, to_uuid(kOther.uuid));  // the header as sent
  h.feed(1, response(kAct1, 0, 4, pattern(96)), 3);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).interface, to_syntax(kIf));
  EXPECT_EQ(h.call(0).outcome, CallOutcome::response);
  EXPECT_EQ(h.call(0).request_fragments, 2u);
}

TEST(ClActivities, FragmentZeroNamesTheCallEvenWhenItArrivesLast) {
  ClHarness h;
  const std::vector<std::size_t> sizes{8, 8};
  auto frags = ts::cl_fragment(request(kAct1, 0, 4, {}), pattern(16), sizes);
  frags[1].if_id(kOther.uuid).opnum(7);
  h.feed(0, frags[1], 1);
  h.feed(0, frags[0], 2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_EQ(h.pdu(1).interface, to_syntax(kIf));
  EXPECT_TRUE(h.pdu(1).call_complete);
  h.feed(1, response(kAct1, 0, 4, pattern(4)), 3);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).interface, to_syntax(kIf));
  EXPECT_EQ(h.call(0).opnum, 4);
  EXPECT_EQ(h.pdu(2).opnum, 4);
}

// Whether a call's stubs are kept (for a decoder: EPM's) is its interface's, and fragment 0
// names the interface: a later fragment seen first, with another if_id, does not decide it.
TEST(ClActivities, FragmentZeroArrivingLastDecidesWhetherTheStubIsKept) {
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  const Stub stub = pattern(16);
  const Stub resp = pattern(12, 0x51);
  const std::vector<std::size_t> sizes{8, 8};
  auto frags = ts::cl_fragment(request(kAct1, 0, 4, {}), stub, sizes);
  frags[1].if_id(kOther.uuid);  // Windows' wrong if_id in a later fragment
  h.feed(0, frags[1], 1);
  h.feed(0, frags[0], 2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_TRUE(h.pdu(1).call_complete);
  EXPECT_EQ(h.pdu(1).interface, to_syntax(kIf));
  EXPECT_EQ(h.rec.pdus[1].call_stub, stub);
  h.feed(1, response(kAct1, 0, 4, resp), 3);
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  EXPECT_EQ(h.rec.pdus[2].call_stub, resp);
  EXPECT_EQ(h.rec.pdus[2].request_stub, stub);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.rec.calls[0].request_stub, stub);
  EXPECT_EQ(h.rec.calls[0].response_stub, resp);
  // After the call its activity labels what follows with fragment 0's interface too.
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct1, 0, 0).if_id(ts::kNilUuid), 4);
  EXPECT_EQ(h.pdu(3).interface, to_syntax(kIf));

  // The other way round: a later fragment names a wanted interface, fragment 0 another one.
  auto other = ts::cl_fragment(request(kAct2, 0, 4, {}).interface_id(kOther), stub, sizes);
  other[1].if_id(kIf.uuid);
  h.feed(0, other[1], 5);
  h.feed(0, other[0], 6);
  h.feed(1, response(kAct2, 0, 4, resp).interface_id(kOther), 7);
  ASSERT_EQ(h.rec.pdus.size(), 7u);
  EXPECT_TRUE(h.pdu(5).call_complete);
  EXPECT_EQ(h.pdu(5).interface, to_syntax(kOther));
  EXPECT_FALSE(h.rec.pdus[5].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[6].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[6].request_stub.has_value());
  ASSERT_EQ(h.rec.calls.size(), 2u);
  EXPECT_EQ(h.call(1).interface, to_syntax(kOther));
  EXPECT_FALSE(h.rec.calls[1].request_stub.has_value());
  EXPECT_FALSE(h.rec.calls[1].response_stub.has_value());
}

TEST(ClActivities, AResponseWhoseRequestWasNotSeen) {
  ClHarness h;
  h.feed(1, response(kAct1, 9, 4, pattern(8)), 1);
  EXPECT_EQ(h.counters.responses_without_request, 1u);
  ASSERT_EQ(h.rec.pdus.size(), 1u);
  EXPECT_EQ(h.pdu(0).interface, to_syntax(kIf));  // the server echoes the interface
  EXPECT_EQ(h.pdu(0).opnum, 4);
  EXPECT_FALSE(h.pdu(0).request_frame.has_value());
  EXPECT_FALSE(h.pdu(0).latency_us.has_value());
  EXPECT_TRUE(h.pdu(0).call_complete);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  const CallEnd& c = h.call(0);
  EXPECT_FALSE(c.request_seen);
  EXPECT_EQ(c.outcome, CallOutcome::response);
  EXPECT_EQ(c.dir, 0);  // the request would have come the other way
  EXPECT_EQ(c.call_id, 9u);
  EXPECT_EQ(c.activity, to_uuid(kAct1));
  EXPECT_EQ(c.opnum, 4);
  EXPECT_EQ(c.interface, to_syntax(kIf));
  EXPECT_FALSE(c.latency_us.has_value());
  EXPECT_EQ(c.request_fragments, 0u);
  EXPECT_FALSE(c.request_complete);
  EXPECT_EQ(c.response_first->frame, 1u);

  // A fault for an unseen request, too.
  h.feed(1, cl_pdu(ts::Ptype::fault, kAct2, 3, 1).status(ts::kNcaFaultCancel), 2);
  EXPECT_EQ(h.counters.responses_without_request, 2u);
  ASSERT_EQ(h.rec.calls.size(), 2u);
  EXPECT_EQ(h.call(1).outcome, CallOutcome::fault);
  EXPECT_EQ(h.call(1).fault_status, ts::kNcaFaultCancel);
  EXPECT_FALSE(h.call(1).request_seen);
}

TEST(ClActivities, PdusAfterTheCallEndedAreLabelledFromTheActivity) {
  ClHarness h;
  h.feed(0, request(kAct1, 6, 2, pattern(8)), 1);
  h.feed(1, response(kAct1, 6, 2, pattern(8)), 2);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  // The client's ack, a retransmitted response and a late fack carry no interface of their
  // own worth trusting; the activity's memory names them.
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct1, 6, 0).if_id(ts::kNilUuid), 3);
  h.feed(1, response(kAct1, 6, 2, pattern(8)), 4);
  h.feed(0, cl_pdu(ts::Ptype::fack, kAct1, 6, 0).fack(ts::make_fack_body(8, 1464, 1464, 0)), 5);
  ASSERT_EQ(h.rec.pdus.size(), 5u);
  for (std::size_t i = 2; i < 5; ++i) {
    EXPECT_EQ(h.pdu(i).interface, to_syntax(kIf)) << i;
    EXPECT_EQ(h.pdu(i).opnum, 2) << i;
  }
  EXPECT_EQ(h.pdu(2).header.ptype, PacketType::ack);
  EXPECT_FALSE(h.pdu(2).cl->duplicate);
  EXPECT_TRUE(h.pdu(3).cl->duplicate);  // the response again: not a new call
  EXPECT_FALSE(h.pdu(3).call_complete);
  EXPECT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.counters.responses_without_request, 0u);
  EXPECT_EQ(h.acts().outstanding_calls(), 0u);
  // Another sequence number on the activity, or another activity, is not labelled.
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct1, 7, 0), 6);
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct2, 6, 0), 7);
  EXPECT_FALSE(h.pdu(5).interface.has_value());
  EXPECT_FALSE(h.pdu(6).interface.has_value());
}

// A client retransmits its request until an answer arrives; a retransmission that crosses the
// response on the wire is the same call (same activity and sequence number), not a new one.
TEST(ClActivities, ARequestRetransmittedAfterItsResponseIsNotANewCall) {
  ClHarness h;
  h.feed(0, request(kAct1, 6, 2, pattern(8)), 1, 0);
  h.feed(1, response(kAct1, 6, 2, pattern(8)), 2, 1000);
  h.feed(0, request(kAct1, 6, 2, pattern(8)).serial(1), 3, 1100);  // crossed the response
  h.feed(1, response(kAct1, 6, 2, pattern(8)), 4, 1200);           // the server answers again
  ASSERT_EQ(h.rec.pdus.size(), 4u);
  EXPECT_TRUE(h.pdu(2).cl->duplicate);
  EXPECT_FALSE(h.pdu(2).call_complete);
  EXPECT_EQ(h.pdu(2).interface, to_syntax(kIf));
  EXPECT_TRUE(h.pdu(3).cl->duplicate);
  EXPECT_EQ(h.acts().outstanding_calls(), 0u);
  h.finish(5);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::response);
  // The next call on the activity is tracked as usual.
  h.feed(0, request(kAct1, 7, 2, pattern(8)), 6);
  h.feed(1, response(kAct1, 7, 2, pattern(8)), 7);
  ASSERT_EQ(h.rec.calls.size(), 2u);
  EXPECT_EQ(h.call(1).call_id, 7u);
  EXPECT_TRUE(h.call(1).request_seen);
}

// A client's sequence numbers only grow on an activity (C706 §12.5.2.11; MS-RPCE 3.2.3.1.7: it
// never wraps them). A request older than the activity's latest call is a late copy of a call
// already over: it neither ends the call in progress nor starts one.
TEST(ClActivities, ALateRequestWithAnOlderSeqnumLeavesTheLiveCallAlone) {
  ClHarness h;
  h.feed(0, request(kAct1, 5, 1, pattern(8)), 1, 0);
  h.feed(1, response(kAct1, 5, 1, pattern(8)), 2, 100);
  h.feed(0, request(kAct1, 6, 2, pattern(8)), 3, 200);
  h.feed(0, request(kAct1, 5, 1, pattern(8)).serial(1), 4, 300);  // late on the network
  ASSERT_EQ(h.rec.pdus.size(), 4u);
  EXPECT_TRUE(h.pdu(3).cl->duplicate);
  EXPECT_FALSE(h.pdu(3).call_complete);
  EXPECT_EQ(h.pdu(3).interface, to_syntax(kIf));  // as its own header names it
  EXPECT_EQ(h.acts().late_requests(), 1u);
  ASSERT_EQ(h.rec.calls.size(), 1u);  // seq 6 is not superseded
  EXPECT_EQ(h.acts().outstanding_calls(), 1u);
  h.feed(1, response(kAct1, 6, 2, pattern(8)), 5, 900);
  ASSERT_EQ(h.rec.calls.size(), 2u);
  const CallEnd& c = h.call(1);
  EXPECT_EQ(c.call_id, 6u);
  EXPECT_EQ(c.outcome, CallOutcome::response);
  EXPECT_TRUE(c.request_seen);
  EXPECT_EQ(c.opnum, 2);
  EXPECT_EQ(c.request_first.frame, 3u);
  EXPECT_EQ(c.latency_us, 700);
  EXPECT_EQ(c.resent, 0u);
  EXPECT_EQ(h.counters.responses_without_request, 0u);

  // With no call in progress: no call starts, and the activity still remembers seq 6.
  h.feed(0, request(kAct1, 4, 9, pattern(8)), 6, 1000);
  ASSERT_EQ(h.rec.pdus.size(), 6u);
  EXPECT_TRUE(h.pdu(5).cl->duplicate);
  EXPECT_EQ(h.acts().late_requests(), 2u);
  EXPECT_EQ(h.acts().outstanding_calls(), 0u);
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct1, 6, 0).if_id(ts::kNilUuid), 7, 1100);
  EXPECT_EQ(h.pdu(6).opnum, 2);
  h.finish(8);
  EXPECT_EQ(h.rec.calls.size(), 2u);
}

// --- Authentication (MS-RPCE 2.2.3.4 sec_trailer_cl) ---------------------------------------
// At packet privacy the stub is sealed: its last four octets are ciphertext, not a status, and
// it is not handed to a decoder. At integrity the stub is signed, in clear.
TEST(ClAuth, ASealedResponseHasNoStatusTailAndItsStubsAreNotDecoded) {
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  h.feed_raw(0, with_verifier(request(kAct1, 1, 3, pattern(16)), ts::kAuthLevelPktPrivacy), 1);
  h.feed_raw(1, with_verifier(response(kAct1, 1, 3, pattern(16, 0x11)), ts::kAuthLevelPktPrivacy),
             2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_EQ(h.pdu(1).cl->auth_verifier_length, 20u);
  EXPECT_EQ(h.pdu(0).cl->auth_level, ts::kAuthLevelPktPrivacy);  // the analysis says "sealed"
  EXPECT_EQ(h.pdu(1).cl->auth_level, ts::kAuthLevelPktPrivacy);
  EXPECT_TRUE(h.pdu(0).call_complete);
  EXPECT_FALSE(h.rec.pdus[0].call_stub.has_value());
  EXPECT_TRUE(h.pdu(1).call_complete);
  EXPECT_FALSE(h.pdu(1).stub_tail.has_value());
  EXPECT_FALSE(h.rec.pdus[1].call_stub.has_value());
  EXPECT_FALSE(h.rec.pdus[1].request_stub.has_value());
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::response);
  EXPECT_EQ(h.call(0).auth_level, ts::kAuthLevelPktPrivacy);
  EXPECT_FALSE(h.call(0).response_tail.has_value());
  EXPECT_FALSE(h.rec.calls[0].request_stub.has_value());
  EXPECT_FALSE(h.rec.calls[0].response_stub.has_value());

  const Stub resp = pattern(16, 0x21);
  h.feed_raw(0, with_verifier(request(kAct2, 1, 3, pattern(16)), ts::kAuthLevelPktIntegrity), 3);
  h.feed_raw(1, with_verifier(response(kAct2, 1, 3, resp), ts::kAuthLevelPktIntegrity), 4);
  ASSERT_EQ(h.rec.pdus.size(), 4u);
  EXPECT_EQ(h.pdu(3).cl->auth_level, ts::kAuthLevelPktIntegrity);
  EXPECT_EQ(h.pdu(3).stub_tail, last4(resp));
  EXPECT_EQ(h.rec.pdus[3].call_stub, resp);
  ASSERT_EQ(h.rec.calls.size(), 2u);
  EXPECT_EQ(h.call(1).auth_level, ts::kAuthLevelPktIntegrity);
  EXPECT_EQ(h.call(1).response_tail, last4(resp));
  EXPECT_EQ(h.rec.calls[1].response_stub, resp);
}

// --- Truncated datagrams ---------------------------------------------------------------------
TEST(ClActivities, ACutFragmentLeavesTheStubIncomplete) {
  ClHarness h;
  h.rec.wanted.insert(to_syntax(kIf));
  h.feed_cut(0, request(kAct1, 1, 0, pattern(100)), kClHeaderSize + 30, 1);
  ASSERT_EQ(h.rec.pdus.size(), 1u);
  EXPECT_TRUE(h.pdu(0).truncated);
  EXPECT_EQ(h.pdu(0).captured, kClHeaderSize + 30);
  EXPECT_TRUE(h.pdu(0).call_complete);
  EXPECT_TRUE(h.pdu(0).call_stub_truncated);
  EXPECT_TRUE(h.pdu(0).call_stub_incomplete);
  EXPECT_FALSE(h.rec.pdus[0].call_stub.has_value());
  EXPECT_EQ(h.counters.truncated_pdus, 1u);
  h.feed_cut(1, response(kAct1, 1, 0, pattern(100)), kClHeaderSize + 50, 2);
  EXPECT_TRUE(h.pdu(1).call_complete);
  EXPECT_TRUE(h.pdu(1).call_stub_incomplete);
  EXPECT_FALSE(h.pdu(1).stub_tail.has_value());  // the status was not captured
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_FALSE(h.call(0).response_tail.has_value());
  EXPECT_FALSE(h.rec.calls[0].request_stub.has_value());
  EXPECT_EQ(h.counters.truncated_pdus, 2u);
}

// --- Limits (AssociationLimits lowered) ----------------------------------------------------
TEST(ClLimits, MaxOutstandingCallsForgetsTheOldestWithALimitNote) {
  ClHarness h;
  h.limits.max_outstanding_calls = 2;
  h.feed(0, request(kAct1, 11, 0, pattern(4)), 1);
  h.feed(0, request(kAct2, 12, 0, pattern(4)), 2);
  EXPECT_TRUE(h.rec.notes.empty());
  h.feed(0, request(kAct3, 13, 0, pattern(4)), 3);
  EXPECT_EQ(h.acts().outstanding_calls(), 2u);
  EXPECT_EQ(h.counters.calls_evicted, 1u);
  ASSERT_EQ(h.rec.notes.size(), 1u);
  EXPECT_EQ(h.rec.notes[0].kind, NoteKind::limit);
  EXPECT_EQ(h.rec.notes[0].at.frame, 3u);
  EXPECT_NE(h.rec.notes[0].detail.find("max_outstanding_calls"), std::string::npos);
  EXPECT_NE(h.rec.notes[0].detail.find("seq 11"), std::string::npos);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::forgotten);
  EXPECT_EQ(h.call(0).activity, to_uuid(kAct1));
  // The calls still tracked are paired as usual.
  h.feed(1, response(kAct2, 12, 0, pattern(4)), 4);
  EXPECT_EQ(h.call(1).outcome, CallOutcome::response);
  EXPECT_TRUE(h.call(1).request_seen);
}

// Answers whose request was not seen make calls too (a response's first fragments): they are
// bounded by the same limit.
TEST(ClLimits, MaxOutstandingCallsBoundsResponsesWithoutRequest) {
  ClHarness h;
  h.limits.max_outstanding_calls = 2;
  const std::vector<std::size_t> sizes{8, 8};
  for (std::uint32_t seq = 0; seq < 5; ++seq) {
    const auto frags = ts::cl_fragment(response(kAct1, seq, 0, {}), pattern(16), sizes);
    h.feed(1, frags[0], seq + 1);  // the last fragment never comes
    EXPECT_LE(h.acts().outstanding_calls(), 2u) << seq;
  }
  EXPECT_EQ(h.counters.responses_without_request, 5u);
  EXPECT_EQ(h.counters.calls_evicted, 3u);
  EXPECT_EQ(h.rec.calls.size(), 3u);
  for (const auto& c : h.rec.calls) EXPECT_EQ(c.call.outcome, CallOutcome::forgotten);
}

TEST(ClLimits, MaxFragmentsPerCall) {
  ClHarness h;
  h.limits.max_fragments_per_call = 2;
  h.rec.wanted.insert(to_syntax(kIf));
  const std::vector<std::size_t> sizes{8, 8, 8};
  const auto frags = ts::cl_fragment(request(kAct1, 1, 0, {}), pattern(24), sizes);
  for (std::size_t i = 0; i < frags.size(); ++i) h.feed(0, frags[i], i + 1);
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  EXPECT_FALSE(h.pdu(1).call_complete);
  EXPECT_TRUE(h.pdu(2).call_complete);  // its last fragment arrived
  EXPECT_TRUE(h.pdu(2).call_stub_truncated);
  EXPECT_FALSE(h.pdu(2).call_stub_incomplete);
  EXPECT_EQ(h.pdu(2).call_stub_length, 24u);
  EXPECT_FALSE(h.rec.pdus[2].call_stub.has_value());
  EXPECT_EQ(h.counters.stub_truncated_calls, 1u);

  // The response over the limit too: its status tail is either the true one or none.
  const Stub resp = pattern(18, 0x61);
  const std::vector<std::size_t> rsizes{8, 8, 2};
  const auto rfrags = ts::cl_fragment(response(kAct1, 1, 0, {}), resp, rsizes);
  for (std::size_t i = 0; i < rfrags.size(); ++i) h.feed(1, rfrags[i], i + 10);
  ASSERT_EQ(h.rec.pdus.size(), 6u);
  EXPECT_TRUE(h.pdu(5).call_complete);
  EXPECT_TRUE(h.pdu(5).call_stub_truncated);
  EXPECT_EQ(h.counters.stub_truncated_calls, 2u);
  if (h.pdu(5).stub_tail) {
    EXPECT_EQ(h.pdu(5).stub_tail, last4(resp));
  }
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_EQ(h.call(0).outcome, CallOutcome::response);
  if (h.call(0).response_tail) {
    EXPECT_EQ(h.call(0).response_tail, last4(resp));
  }
  EXPECT_FALSE(h.rec.calls[0].request_stub.has_value());
  EXPECT_FALSE(h.rec.calls[0].response_stub.has_value());
}

// Past max_fragments_per_call a fragment is counted, its octets not stored: the call reports
// every fragment it had, knows a retransmission of one it did not store, and is whole only once
// every fragment from 0 to the last is in.
TEST(ClLimits, MaxFragmentsPerCallCountsTheFragmentsItDoesNotStore) {
  ClHarness h;
  h.limits.max_fragments_per_call = 2;
  const std::vector<std::size_t> sizes{8, 8, 8, 8, 8};
  const auto frags = ts::cl_fragment(request(kAct1, 1, 0, {}), pattern(40), sizes);
  h.feed(0, frags[0], 1);
  h.feed(0, frags[1], 2);
  h.feed(0, frags[3], 3);
  h.feed(0, frags[3], 4);  // retransmitted, past the limit
  h.feed(0, frags[4], 5);
  ASSERT_EQ(h.rec.pdus.size(), 5u);
  EXPECT_TRUE(h.pdu(3).cl->duplicate);
  EXPECT_FALSE(h.pdu(4).call_complete);  // fragment 2 is still missing
  h.feed(0, frags[2], 6);
  ASSERT_EQ(h.rec.pdus.size(), 6u);
  const PduEvent& whole = h.pdu(5);
  EXPECT_TRUE(whole.call_complete);
  EXPECT_EQ(whole.call_fragments, 5u);
  EXPECT_EQ(whole.call_stub_length, 40u);
  EXPECT_TRUE(whole.call_stub_truncated);
  EXPECT_EQ(h.counters.stub_truncated_calls, 1u);

  const std::vector<std::size_t> rsizes{8, 8, 8, 8};
  const auto rfrags = ts::cl_fragment(response(kAct1, 1, 0, {}), pattern(32, 0x61), rsizes);
  for (std::size_t i = 0; i < rfrags.size(); ++i) h.feed(1, rfrags[i], i + 10);
  ASSERT_EQ(h.rec.pdus.size(), 10u);
  EXPECT_TRUE(h.pdu(9).call_complete);
  EXPECT_EQ(h.pdu(9).call_fragments, 4u);
  EXPECT_EQ(h.pdu(9).call_stub_length, 32u);
  ASSERT_EQ(h.rec.calls.size(), 1u);
  const CallEnd& c = h.call(0);
  EXPECT_EQ(c.outcome, CallOutcome::response);
  EXPECT_TRUE(c.request_complete);
  EXPECT_EQ(c.request_fragments, 5u);
  EXPECT_EQ(c.request_stub_length, 40u);
  EXPECT_EQ(c.request_last.frame, 6u);
  EXPECT_EQ(c.resent, 1u);
  EXPECT_EQ(c.response_fragments, 4u);
  EXPECT_EQ(c.response_stub_length, 32u);
}

TEST(ClLimits, MaxStubBytes) {
  ClHarness h;
  h.limits.max_stub_bytes = 10;
  h.rec.wanted.insert(to_syntax(kIf));
  const std::vector<std::size_t> sizes{8, 8};
  const auto frags = ts::cl_fragment(request(kAct1, 1, 0, {}), pattern(16), sizes);
  h.feed(0, frags[0], 1);
  h.feed(0, frags[1], 2);
  ASSERT_EQ(h.rec.pdus.size(), 2u);
  EXPECT_TRUE(h.pdu(1).call_complete);
  EXPECT_TRUE(h.pdu(1).call_stub_truncated);
  EXPECT_FALSE(h.pdu(1).call_stub_incomplete);
  EXPECT_EQ(h.pdu(1).call_stub_length, 16u);
  EXPECT_FALSE(h.rec.pdus[1].call_stub.has_value());
  EXPECT_EQ(h.counters.stub_truncated_calls, 1u);
  // A response of exactly the limit is kept; the request's is not.
  h.feed(1, response(kAct1, 1, 0, pattern(10)), 3);
  ASSERT_EQ(h.rec.pdus.size(), 3u);
  EXPECT_FALSE(h.pdu(2).call_stub_truncated);
  EXPECT_EQ(h.rec.pdus[2].call_stub, pattern(10));
  EXPECT_FALSE(h.rec.pdus[2].request_stub.has_value());
  EXPECT_EQ(h.pdu(2).stub_tail, last4(pattern(10)));
  ASSERT_EQ(h.rec.calls.size(), 1u);
  EXPECT_FALSE(h.rec.calls[0].request_stub.has_value());
  EXPECT_EQ(h.rec.calls[0].response_stub, pattern(10));
  EXPECT_EQ(h.counters.stub_truncated_calls, 1u);
}

// Activities are remembered (to label the PDUs after their call: ack, a late fack) up to
// max_activities; past it the least recently used one is forgotten, with a limit note. Any PDU
// of an activity uses it; a new call on a remembered activity adds none, so forgets none.
TEST(ClLimits, MaxActivitiesForgetsTheLeastRecentlyUsed) {
  ClHarness h;
  h.max_activities = 2;
  h.feed(0, request(kAct2, 1, 2, pattern(4)), 1);
  h.feed(1, response(kAct2, 1, 2, pattern(4)), 2);
  h.feed(0, request(kAct1, 1, 1, pattern(4)), 3);
  h.feed(1, response(kAct1, 1, 1, pattern(4)), 4);
  h.feed(0, request(kAct1, 2, 1, pattern(4)), 5);
  h.feed(1, response(kAct1, 2, 1, pattern(4)), 6);
  EXPECT_TRUE(h.rec.notes.empty());
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct2, 1, 0), 7);  // kAct2 is the most recently used now
  ASSERT_EQ(h.rec.pdus.size(), 7u);
  EXPECT_EQ(h.pdu(6).opnum, 2);
  h.feed(0, request(kAct3, 1, 3, pattern(4)), 8);
  ASSERT_EQ(h.rec.notes.size(), 1u);
  EXPECT_EQ(h.rec.notes[0].kind, NoteKind::limit);
  EXPECT_EQ(h.rec.notes[0].at.frame, 8u);
  EXPECT_NE(h.rec.notes[0].detail.find("max_activities"), std::string::npos);
  EXPECT_NE(h.rec.notes[0].detail.find(to_uuid(kAct1).to_string()), std::string::npos);
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct2, 1, 0), 9);
  h.feed(0, cl_pdu(ts::Ptype::ack, kAct1, 2, 0), 10);
  ASSERT_EQ(h.rec.pdus.size(), 10u);
  EXPECT_EQ(h.pdu(8).interface, to_syntax(kIf));
  EXPECT_EQ(h.pdu(8).opnum, 2);
  EXPECT_FALSE(h.pdu(9).interface.has_value());  // kAct1 was forgotten
  EXPECT_FALSE(h.pdu(9).opnum.has_value());
  h.feed(1, response(kAct3, 1, 3, pattern(4)), 11);
  ASSERT_EQ(h.rec.calls.size(), 4u);
  EXPECT_EQ(h.call(3).outcome, CallOutcome::response);
  EXPECT_TRUE(h.call(3).request_seen);
  EXPECT_EQ(h.rec.notes.size(), 1u);
}

// --- Malformed datagrams ---------------------------------------------------------------------
TEST(ClActivities, AMalformedDatagramIsANoteAndACount) {
  ClHarness h;
  h.feed_raw(0, pattern(40), 1);
  ASSERT_EQ(h.rec.notes.size(), 1u);
  EXPECT_EQ(h.rec.notes[0].kind, NoteKind::malformed_pdu);
  EXPECT_EQ(h.rec.notes[0].bytes, 40u);
  EXPECT_EQ(h.rec.notes[0].at.frame, 1u);
  EXPECT_NE(h.rec.notes[0].detail.find("cl_header_truncated"), std::string::npos);
  EXPECT_EQ(h.counters.cl_malformed[static_cast<std::size_t>(ClReason::header_truncated)], 1u);

  ts::FackBody body = ts::make_fack_body(8, 1464, 1464, 0);
  body.selack_len = 4;
  h.feed(1, cl_pdu(ts::Ptype::fack, kAct1, 3, 0).fack(body), 2);
  ASSERT_EQ(h.rec.notes.size(), 2u);
  EXPECT_EQ(h.rec.notes[1].dir, 1);
  EXPECT_EQ(h.rec.notes[1].bytes, kClHeaderSize + 16);
  EXPECT_NE(h.rec.notes[1].detail.find("connectionless fack seq 3"), std::string::npos);
  EXPECT_NE(h.rec.notes[1].detail.find("cl_count_too_large"), std::string::npos);
  EXPECT_EQ(h.counters.cl_malformed[static_cast<std::size_t>(ClReason::count_too_large)], 1u);

  h.feed(0, cl_pdu(ts::Ptype::request, kAct1, 3, 0).ptype(11), 3);
  EXPECT_EQ(h.counters.cl_malformed[static_cast<std::size_t>(ClReason::bad_ptype)], 1u);
  EXPECT_TRUE(h.rec.pdus.empty());
  EXPECT_EQ(h.counters.pdus, 0u);
  EXPECT_EQ(h.acts().outstanding_calls(), 0u);
}

}  // namespace
}  // namespace rpctrace::dcerpc
