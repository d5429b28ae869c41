// The Summarizer (summary.hpp) end to end over testdata/ captures: each verdict, the latencies a
// conversation's frames prove, how it began and ended, what it bound and who authenticated,
// and the per-operation table over the conversations shown.
#include "rpctrace/analysis/summary.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "rpctrace/app/run.hpp"

namespace rpctrace::analysis {
namespace {

struct Summaries {
  std::map<std::uint64_t, ConversationSummary> by_id;
  OpTable table;
};

Summaries summarize(const std::string& name, const app::RunOptions& options = {}) {
  Summaries out;
  Summarizer s([&](const ConversationSummary& x) { out.by_id.emplace(x.conv.id, x); });
  Sink* sinks[] = {&s};
  app::run(std::string(RPCTRACE_TESTDATA_DIR) + "/" + name, options, sinks);
  out.table = s.operations();
  return out;
}

std::string verdicts(const Summaries& s) {
  std::string out;
  for (const auto& [id, x] : s.by_id)
    out += std::to_string(id) + ":" + std::string(to_string(x.verdict)) + " ";
  return out;
}

TEST(Summary, KbStoryLatenciesAndOrigin) {
  auto s = summarize("kb159298_story.pcap");
  ASSERT_EQ(s.by_id.size(), 3u);
  const auto& epm = s.by_id.at(1);
  EXPECT_EQ(epm.began, "handshake");
  EXPECT_EQ(epm.ended, "fin");
  EXPECT_EQ(epm.verdict, Verdict::ok);
  // 1 ms between frames: SYN (1), SYN/ACK (2), ACK (3); bind (4), bind_ack (5).
  EXPECT_EQ(epm.handshake_rtt_us, 2000);
  EXPECT_EQ(epm.bind_rtt_us, 1000);
  ASSERT_EQ(epm.bound.size(), 1u);
  EXPECT_EQ(epm.bound[0].result, "accepted");
  ASSERT_EQ(epm.operations.size(), 1u);
  EXPECT_EQ(operation_label(epm.operations[0]), "ept_map");
  const auto& mta = s.by_id.at(2);
  ASSERT_TRUE(mta.conv.epm_link);
  EXPECT_EQ(mta.conv.epm_link->conversation, 1u);
  EXPECT_EQ(mta.account, "EXCHANGE-DOMAIN\\EXSERVICE");
  EXPECT_EQ(mta.auth_type, 10);  // NTLMSSP
  EXPECT_EQ(mta.ended, "capture_end");
  EXPECT_EQ(mta.all.calls, 1u);
  EXPECT_EQ(mta.all.srt.max(), 11000);
}

TEST(Summary, RefusedInEachWay) {
  EXPECT_EQ(verdicts(summarize("diag_bind_refused.pcap")), "1:refused 2:refused 3:refused ");
  auto rst = summarize("diag_dynamic_port_rst.pcap");
  EXPECT_EQ(verdicts(rst), "1:ok 2:refused ");
  EXPECT_EQ(rst.by_id.at(2).ended, "rst");
  EXPECT_NE(rst.by_id.at(2).why.find("RST answered the SYN"), std::string::npos);
  auto pipe = summarize("rp_np_refused.pcap");
  EXPECT_EQ(verdicts(pipe), "1:refused ");
  EXPECT_NE(pipe.by_id.at(1).why.find("STATUS_OBJECT_NAME_NOT_FOUND"), std::string::npos);
  auto proxy = summarize("http_v2_failures.pcap");
  EXPECT_EQ(proxy.by_id.at(1).verdict, Verdict::refused);
  EXPECT_NE(proxy.by_id.at(1).why.find("HTTP 401"), std::string::npos);
  auto nak = summarize("diag_bind_refused.pcap").by_id.at(1);
  ASSERT_FALSE(nak.bound.empty());
  EXPECT_EQ(nak.bound[0].result, "bind_nak");
}

TEST(Summary, UnansweredFaultedFailedIncomplete) {
  EXPECT_EQ(verdicts(summarize("diag_epm_unanswered.pcap")), "1:unanswered ");
  EXPECT_EQ(verdicts(summarize("diag_epm_no_answer.pcap")), "1:unanswered ");
  EXPECT_EQ(verdicts(summarize("diag_faults.pcap")), "1:ok 2:faulted 3:faulted 4:ok ");
  auto denied = summarize("rp_ret_denied.pcap");
  EXPECT_EQ(verdicts(denied), "1:failed 2:failed 3:failed 4:failed ");
  ASSERT_FALSE(denied.by_id.at(1).errors.empty());
  EXPECT_EQ(denied.by_id.at(1).errors[0].value, 0xC0000022u);
  EXPECT_EQ(verdicts(summarize("diag_mta_twoway_incomplete.pcap")), "1:ok 2:incomplete ");
  auto late = summarize("kb159298_story_late.pcap");
  EXPECT_EQ(late.by_id.at(2).began, "mid_stream");
  EXPECT_EQ(late.by_id.at(2).verdict, Verdict::incomplete);
  EXPECT_EQ(summarize("reassembly_mix.pcap").by_id.at(5).verdict, Verdict::incomplete);
  // The end of an ept_lookup listing is no error.
  EXPECT_EQ(verdicts(summarize("rp_epm_lookup.pcap")), "1:ok ");
}

TEST(Summary, HealthyTrafficIsOk) {
  for (const char* name : {"diag_healthy.pcap", "kb159298_mta.pcap", "rp_np_samr.pcap",
                           "http_v2_exchange.pcap", "cl_epm_udp.pcap"}) {
    auto s = summarize(name);
    ASSERT_FALSE(s.by_id.empty()) << name;
    for (const auto& [id, x] : s.by_id)
      EXPECT_EQ(x.verdict, Verdict::ok) << name << " conversation " << id << ": " << x.why;
  }
  auto udp = summarize("cl_epm_udp.pcap");
  EXPECT_EQ(udp.by_id.begin()->second.began, "datagram");
}

TEST(Summary, OperationTableAddsUpOverConversations) {
  auto s = summarize("rp_ret_samr.pcap");
  std::uint64_t calls = 0, faults = 0, errors = 0;
  for (const auto& [key, t] : s.table) {
    calls += t.calls;
    faults += t.faults;
    errors += t.error_returns;
  }
  EXPECT_EQ(calls, 16u);
  EXPECT_EQ(faults, 1u);
  EXPECT_EQ(errors, 6u);  // STATUS_SOME_NOT_MAPPED is a warning: not counted
  std::uint64_t conv_calls = 0;
  for (const auto& [id, x] : s.by_id) conv_calls += x.all.calls;
  EXPECT_EQ(conv_calls, calls);
}

TEST(Summary, SelectionLimitsTheSummaries) {
  app::RunOptions o;
  o.analysis.selection.conversations = {2, 4};
  EXPECT_EQ(verdicts(summarize("rp_ret_denied.pcap", o)), "2:failed 4:failed ");
  app::RunOptions only_samr;
  only_samr.analysis.selection.interfaces = {"MTA"};
  // The EPM lookup that asked for MTA is kept with the MTA conversations.
  EXPECT_EQ(verdicts(summarize("kb159298_story.pcap", only_samr)), "1:ok 2:ok 3:ok ");
  app::RunOptions late;
  late.analysis.selection.since = common::Timestamp{852076800, 500000};
  EXPECT_EQ(verdicts(summarize("kb159298_story.pcap", late)), "2:ok 3:ok ");
}

}  // namespace
}  // namespace rpctrace::analysis
