// The ncadg_ip_udp adapter through the whole run (transport/ncadg_ip_udp.hpp): a flow found by
// its first datagram's connectionless header, UDP that is not DCE/RPC left to the capture's
// "udp" count, the idle timeout and the flow table bound ending flows, an answer from another
// server port joining its request's flow, and the statistics adding up.
#include <gtest/gtest.h>

#include "rpctrace/app/export.hpp"
#include "support/cl_builder.hpp"
#include "support/packet_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report::harness {
namespace {

using analysis::EndReason;
using dcerpc::CallOutcome;

constexpr ts::Uuid kInterface = ts::Uuid::parse("5a7e0004-0000-4000-8000-000000000004");
constexpr ts::Uuid kActivity = ts::Uuid::parse("3e8d7c10-9a2b-4c5d-8e6f-0a05000a0001");

void datagram(ts::Capture& cap, std::string_view src, std::uint16_t sport, std::string_view dst,
              std::uint16_t dport, ts::Bytes payload, std::uint64_t after_us = 1000) {
  cap.clock().advance(after_us);
  cap.add(ts::build_udp_frame(ts::LinkType::ethernet, ts::LinkHeader{}, ts::IpAddress::parse(src),
                              ts::IpAddress::parse(dst),
                              ts::UdpDatagram{sport, dport, std::move(payload)}));
}

ts::Bytes pdu(ts::Ptype type, std::uint32_t seq, const ts::Uuid& activity = kActivity) {
  ts::ClPduBuilder b(type);
  b.if_id(kInterface).if_vers(1).act_id(activity).seqnum(seq).opnum(2);
  if (type == ts::Ptype::request || type == ts::Ptype::response) {
    const std::byte stub[8] = {};
    b.stub(stub);
  }
  return b.build();
}

TEST(UdpAdapter, UdpThatIsNotDceRpcStartsNoConversation) {
  ts::Capture cap;
  const std::byte dns[12] = {std::byte{0x12}, std::byte{0x34}, std::byte{0x01}};
  datagram(cap, "10.5.0.10", 5353, "10.5.0.20", 53, ts::Bytes(std::begin(dns), std::end(dns)));
  datagram(cap, "10.5.0.10", 1025, "10.5.0.20", 1030, pdu(ts::Ptype::request, 0));
  datagram(cap, "10.5.0.20", 1030, "10.5.0.10", 1025, pdu(ts::Ptype::response, 0));
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), 1u);
  const auto& c = run.writer.conversations[0];
  EXPECT_EQ(c.protseq, analysis::Protseq::ncadg_ip_udp);
  EXPECT_EQ(c.client.port, 1025);
  EXPECT_EQ(c.server.port, 1030);
  EXPECT_EQ(c.calls, 1u);
  EXPECT_EQ(run.result.stats.udp_datagrams, 2u);
  EXPECT_EQ(run.result.stats.counter("udp"), 1u);
  EXPECT_EQ(run.result.stats.conversations_udp, 1u);
  EXPECT_EQ(run.result.stats.conversations_tcp, 0u);
  EXPECT_EQ(run.result.stats.frames_read, run.result.stats.tcp_segments +
                                              run.result.stats.udp_datagrams +
                                              run.result.stats.frames_skipped);
  ASSERT_EQ(run.writer.calls.size(), 1u);
  EXPECT_EQ(run.writer.calls[0].call.outcome, CallOutcome::response);
  ASSERT_TRUE(run.writer.calls[0].call.activity);
  EXPECT_EQ(run.writer.calls[0].call.activity->to_string(), "3e8d7c10-9a2b-4c5d-8e6f-0a05000a0001");
}

TEST(UdpAdapter, AQuietFlowEndsAfterTheIdleTimeout) {
  ts::Capture cap;
  datagram(cap, "10.5.0.10", 1025, "10.5.0.20", 1030, pdu(ts::Ptype::request, 0));
  // 121 s later (idle_timeout_us is 120 s): a new conversation on the same addresses.
  datagram(cap, "10.5.0.10", 1025, "10.5.0.20", 1030, pdu(ts::Ptype::request, 1), 121000000);
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  EXPECT_EQ(run.writer.conversations[0].end_reason, EndReason::evicted_idle);
  EXPECT_EQ(run.writer.conversations[1].end_reason, EndReason::capture_end);
  EXPECT_NE(run.writer.conversations[0].id, run.writer.conversations[1].id);
  EXPECT_EQ(run.result.stats.counter("udp_flows_evicted_idle"), 1u);
  // The first call ended with its flow, unanswered.
  ASSERT_EQ(run.writer.calls.size(), 2u);
  EXPECT_EQ(run.writer.calls[0].call.outcome, CallOutcome::unanswered);
}

TEST(UdpAdapter, TheFlowTableBoundEndsTheLeastRecentlyActive) {
  ts::Capture cap;
  for (std::uint16_t port = 2000; port < 2003; ++port)
    datagram(cap, "10.5.0.10", port, "10.5.0.20", 1030, pdu(ts::Ptype::request, 0));
  RunOptions options;
  options.transport.udp.max_flows = 2;
  Analysis run = analyze_capture(cap, options);
  ASSERT_EQ(run.writer.conversations.size(), 3u);
  EXPECT_EQ(run.writer.conversations[0].client.port, 2000);
  EXPECT_EQ(run.writer.conversations[0].end_reason, EndReason::evicted_limit);
  EXPECT_EQ(run.result.stats.counter("udp_flows_evicted_limit"), 1u);
}

// PROFINET IO devices answer from another port than the one the request went to
// (../shared/captures/public/dcerpc.pcap): the answer joins its activity's flow.
TEST(UdpAdapter, AnAnswerFromAnotherServerPortJoinsItsRequestsFlow) {
  ts::Capture cap;
  datagram(cap, "192.168.1.11", 49155, "192.168.1.20", 34964, pdu(ts::Ptype::request, 0));
  datagram(cap, "192.168.1.20", 49161, "192.168.1.11", 49155, pdu(ts::Ptype::response, 0));
  // Another activity's answer from that port does not join.
  datagram(cap, "192.168.1.20", 49161, "192.168.1.11", 49155,
           pdu(ts::Ptype::response, 0, ts::Uuid::parse("3e8d7c10-9a2b-4c5d-8e6f-0a05000a0099")));
  Analysis run = analyze_capture(cap);
  ASSERT_EQ(run.writer.conversations.size(), 2u);
  EXPECT_EQ(run.writer.conversations[0].calls, 1u);
  EXPECT_EQ(run.result.stats.counter("udp_answers_other_port"), 1u);
  ASSERT_GE(run.writer.calls.size(), 1u);
  EXPECT_EQ(run.writer.calls[0].call.outcome, CallOutcome::response);
  EXPECT_EQ(run.writer.calls[0].conversation, run.writer.conversations[0].id);
  // The answer's record keeps its real source port.
  bool seen = false;
  for (const auto& f : run.writer.frames)
    if (f.frame == 2) {
      seen = true;
      EXPECT_EQ(f.src.port, 49161);
      EXPECT_EQ(f.dst.port, 49155);
      EXPECT_EQ(f.conversation, run.writer.conversations[0].id);
    }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace rpctrace::report::harness

namespace rpctrace::report::harness {
namespace {

// --port selects conversations, not frames: the answer from the device's other port still
// joins the call of a conversation on the selected port (it was dropped when --port filtered
// frames), and -w takes the flow it came on (app::ConversationSlice).
TEST(UdpAdapter, APortSelectionKeepsTheAnswerFromAnotherPort) {
  ts::Capture cap;
  datagram(cap, "192.168.1.11", 49155, "192.168.1.20", 34964, pdu(ts::Ptype::request, 0));
  datagram(cap, "192.168.1.20", 49161, "192.168.1.11", 49155, pdu(ts::Ptype::response, 0));
  RunOptions o;
  o.analysis.selection.ports = {34964};
  app::ConversationSlice slice;
  Analysis run = analyze_capture(cap, o, {&slice});
  ASSERT_EQ(run.writer.calls.size(), 1u);
  EXPECT_EQ(run.writer.calls[0].call.outcome, CallOutcome::response);
  EXPECT_EQ(slice.conversations(), 1u);
  for (std::uint64_t n = 1; n <= 2; ++n) {
    const auto& bytes = cap.frames()[n - 1].data;
    EXPECT_TRUE(slice.contains(pcap::decode_frame(1, common::Bytes(bytes.data(), bytes.size())), n))
        << "frame " << n;
  }
}

}  // namespace
}  // namespace rpctrace::report::harness
