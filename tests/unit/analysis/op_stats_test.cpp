// Per-operation tallies (op_stats.hpp): nearest-rank percentiles, exact count/min/max/mean past
// the sample bound, merging; and --host networks (HostPrefix) and --since/--until.
#include "rpctrace/analysis/op_stats.hpp"

#include <gtest/gtest.h>

#include "rpctrace/analysis/selection.hpp"

namespace rpctrace::analysis {
namespace {

TEST(Latencies, NearestRankPercentiles) {
  Latencies l;
  for (std::int64_t v : {50, 10, 40, 20, 30}) l.add(v);
  EXPECT_EQ(l.count(), 5u);
  EXPECT_EQ(l.min(), 10);
  EXPECT_EQ(l.max(), 50);
  EXPECT_DOUBLE_EQ(l.mean(), 30.0);
  EXPECT_EQ(l.percentile(50), 30);  // rank ceil(2.5) = 3
  EXPECT_EQ(l.percentile(95), 50);  // rank ceil(4.75) = 5
  EXPECT_EQ(l.percentile(0), 10);   // rank clamped to 1
  EXPECT_FALSE(l.approximate());
}

TEST(Latencies, EvenCountMedianIsTheLowerMiddle) {
  Latencies l;
  for (std::int64_t v : {4, 1, 3, 2}) l.add(v);
  EXPECT_EQ(l.percentile(50), 2);
  l.add(0);  // a later add after a percentile was asked keeps the order right
  EXPECT_EQ(l.percentile(50), 2);
  EXPECT_EQ(l.min(), 0);
}

TEST(Latencies, PastTheSampleBoundCountsStayExact) {
  Latencies l;
  const std::int64_t n = static_cast<std::int64_t>(Latencies::kMaxSamples) * 3;
  for (std::int64_t v = 1; v <= n; ++v) l.add(v);
  EXPECT_TRUE(l.approximate());
  EXPECT_EQ(l.count(), static_cast<std::uint64_t>(n));
  EXPECT_EQ(l.min(), 1);
  EXPECT_EQ(l.max(), n);
  EXPECT_DOUBLE_EQ(l.mean(), static_cast<double>(n + 1) / 2.0);
  // A uniform sample: its median is near the true one (within 2 % of the range).
  const double median = static_cast<double>(l.percentile(50));
  EXPECT_NEAR(median, static_cast<double>(n) / 2.0, static_cast<double>(n) * 0.02);
}

TEST(Latencies, MergeAddsEverything) {
  Latencies a, b;
  a.add(5);
  a.add(1);
  b.add(9);
  a.merge(b);
  a.merge(Latencies{});
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 1);
  EXPECT_EQ(a.max(), 9);
  EXPECT_EQ(a.percentile(50), 5);
  EXPECT_EQ(a.sum(), 15);
}

CallRecord call(dcerpc::CallOutcome outcome, std::optional<std::int64_t> latency,
                std::optional<ReturnCode> rc = std::nullopt) {
  CallRecord c;
  c.call.outcome = outcome;
  c.call.latency_us = latency;
  c.call.request_stub_length = 10;
  c.call.response_stub_length = 4;
  c.return_code = rc;
  return c;
}

TEST(OpTally, CountsAnswersFaultsErrorsAndBytes) {
  using dcerpc::CallOutcome;
  OpTally t;
  t.add(call(CallOutcome::response, 100, ReturnCode{0, dcerpc::ReturnType::ntstatus}));
  t.add(call(CallOutcome::response, 300, ReturnCode{0xC0000022, dcerpc::ReturnType::ntstatus}));
  // STATUS_SOME_NOT_MAPPED is a warning, not a failure (MS-ERREF 2.3).
  t.add(call(CallOutcome::response, 200, ReturnCode{0x107, dcerpc::ReturnType::ntstatus}));
  t.add(call(CallOutcome::fault, 50));
  t.add(call(CallOutcome::unanswered, std::nullopt));
  EXPECT_EQ(t.calls, 5u);
  EXPECT_EQ(t.answered, 4u);
  EXPECT_EQ(t.faults, 1u);
  EXPECT_EQ(t.error_returns, 1u);
  EXPECT_EQ(t.unanswered, 1u);
  EXPECT_EQ(t.request_stub_bytes, 50u);
  EXPECT_EQ(t.srt.count(), 4u);
  EXPECT_EQ(t.srt.min(), 50);
  EXPECT_EQ(t.srt.max(), 300);
}

TEST(OpTally, TheEndOfAnEptLookupListingIsNoError) {
  const std::uint32_t not_registered = 0x16C9A0D6;
  CallRecord c = call(dcerpc::CallOutcome::response, 10,
                      ReturnCode{not_registered, dcerpc::ReturnType::error_status_t});
  c.call.interface = dcerpc::SyntaxId{dcerpc::epm_uuid(), 3, 0};
  c.call.opnum = 2;  // ept_lookup
  EXPECT_FALSE(is_error_return(c));
  c.call.opnum = 3;  // ept_map: the service is not registered
  EXPECT_TRUE(is_error_return(c));
}

TEST(OpTally, AnOrdinaryProtocolStepIsNoError) {
  // ERROR_MORE_DATA: the buffer was too small, the client asks again (as diagnose reads it).
  EXPECT_FALSE(is_error_return(
      call(dcerpc::CallOutcome::response, 10, ReturnCode{0xEA, dcerpc::ReturnType::werror})));
  EXPECT_TRUE(is_error_return(
      call(dcerpc::CallOutcome::response, 10, ReturnCode{0x5, dcerpc::ReturnType::werror})));
}

TEST(OpTally, LabelsByNameOrOpnum) {
  EXPECT_EQ(operation_label({dcerpc::SyntaxId{dcerpc::epm_uuid(), 3, 0}, 3}), "ept_map");
  EXPECT_EQ(operation_label({std::nullopt, 7}), "opnum 7");
}

common::IpAddress ip(std::string_view text) { return *common::IpAddress::parse(text); }

TEST(HostPrefix, ParsesAddressesAndNetworks) {
  auto p = HostPrefix::parse("10.1.0.0/16");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(ip("10.1.200.3")));
  EXPECT_FALSE(p->contains(ip("10.2.0.1")));
  EXPECT_FALSE(p->contains(ip("::ffff:10.1.0.1")));  // another family
  auto host = HostPrefix::parse("10.1.1.2");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->bits, 32);
  EXPECT_TRUE(host->contains(ip("10.1.1.2")));
  EXPECT_FALSE(host->contains(ip("10.1.1.3")));
  auto odd = HostPrefix::parse("10.1.1.130/25");  // host bits cleared
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->address, ip("10.1.1.128"));
  EXPECT_TRUE(odd->contains(ip("10.1.1.255")));
  EXPECT_FALSE(odd->contains(ip("10.1.1.127")));
  auto v6 = HostPrefix::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6->contains(ip("2001:db9::1")));
  EXPECT_TRUE(HostPrefix::parse("0.0.0.0/0")->contains(ip("192.0.2.1")));
  for (const char* bad : {"10.1.0.0/33", "10.1.0.0/", "10.1.0.0/x", "host", "::/129", "1.2.3/8"})
    EXPECT_FALSE(HostPrefix::parse(bad)) << bad;
}

TEST(Selection, TimeWindowKeepsConversationsWithAFrameInIt) {
  Selection s;
  const common::Timestamp t10{10, 0}, t20{20, 0}, t30{30, 0}, t40{40, 0};
  EXPECT_TRUE(s.matches_time(t10, t20));
  s.since = t20;
  s.until = t30;
  EXPECT_TRUE(s.matches_time(t10, t20));  // its last frame at the start of the window
  EXPECT_TRUE(s.matches_time(t10, t40));  // spans the window
  EXPECT_TRUE(s.matches_time(t30, t40));  // begins at its end
  EXPECT_FALSE(s.matches_time(t10, {19, 999999}));
  EXPECT_FALSE(s.matches_time({30, 1}, t40));
}

TEST(Selection, OpnumsByNumberOrByName) {
  Selection s;
  const dcerpc::SyntaxId epm{dcerpc::epm_uuid(), 3, 0};
  EXPECT_TRUE(s.matches_call(3, epm));
  s.opnums = {{std::nullopt, 2}};
  EXPECT_TRUE(s.matches_call(2, epm));
  EXPECT_TRUE(s.matches_call(2, std::nullopt));
  EXPECT_FALSE(s.matches_call(3, epm));
  s.opnums = {{dcerpc::epm_uuid(), 3}};  // ept_map by name
  EXPECT_TRUE(s.matches_call(3, epm));
  EXPECT_FALSE(s.matches_call(3, std::nullopt));  // its interface not known
  s.interfaces = {"SAMR"};
  EXPECT_FALSE(s.matches_call(3, epm));  // --interface too
  Selection c;
  EXPECT_TRUE(c.matches_conversation(7));
  c.conversations = {2, 7};
  EXPECT_TRUE(c.matches_conversation(7));
  EXPECT_FALSE(c.matches_conversation(3));
}

TEST(Names, OperationsAndInterfacesByName) {
  auto ops = dcerpc::operations_by_name("samrconnect5");
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].second, 64);
  EXPECT_TRUE(dcerpc::operations_by_name("NoSuchOperation").empty());
  EXPECT_FALSE(dcerpc::interfaces_by_name("samr").empty());
  EXPECT_TRUE(dcerpc::interfaces_by_name("FOO").empty());
}

}  // namespace
}  // namespace rpctrace::analysis
