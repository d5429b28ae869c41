// The writers of one line per call (call_writers.hpp): --format zeek's records as Zeek's
// dce_rpc.log writes them (names from Zeek's own tables, its ignored operations, faults and
// unanswered calls not logged, rtt absent when zero, the bind_ack's secondary address as
// named_pipe, a stable uid), calls of conversations shown late kept until they end, and
// --calls's text line.
#include "rpctrace/report/call_writers.hpp"

#include <gtest/gtest.h>

#include <string>

#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

using namespace harness;

const common::Uuid kSamr = *common::Uuid::parse("12345778-1234-abcd-ef00-0123456789ac");
const common::Uuid kWinreg = *common::Uuid::parse("338cd001-2244-31f1-aaaa-900038001003");

common::Endpoint ep(std::string_view ip, std::uint16_t port) {
  return common::Endpoint{*common::IpAddress::parse(ip), port};
}

analysis::CallRecord answered(std::uint64_t conversation, const common::Uuid& iface,
                              std::uint16_t opnum, bool shown = true) {
  analysis::CallRecord r;
  r.conversation = conversation;
  r.client = ep("10.0.0.1", 49700);
  r.server = ep("10.0.0.2", 49667);
  r.shown = shown;
  dcerpc::CallEnd& c = r.call;
  c.interface = dcerpc::SyntaxId{iface, 1, 0};
  c.opnum = opnum;
  c.request_first = {10, {1700000000, 250000}};
  c.request_last = {11, {1700000000, 250000}};
  c.response_first = dcerpc::FrameRef{12, {1700000000, 250734}};
  c.end = {12, {1700000000, 250734}};
  c.latency_us = 734;
  c.outcome = dcerpc::CallOutcome::response;
  return r;
}

analysis::Conversation ended(std::uint64_t id, bool shown) {
  analysis::Conversation c;
  c.id = id;
  c.shown = shown;
  return c;
}

TEST(ZeekWriter, NamesComeFromZeeksTables) {
  EXPECT_EQ(ZeekWriter::endpoint_name(kSamr), "samr");
  EXPECT_EQ(ZeekWriter::operation_name(kSamr, 64), "SamrConnect5");
  EXPECT_EQ(ZeekWriter::operation_name(kSamr, 999), "unknown-999");
  const auto other = *common::Uuid::parse("01234567-89AB-CDEF-0123-456789ABCDEF");
  EXPECT_EQ(ZeekWriter::endpoint_name(other), "unknown-01234567-89ab-cdef-0123-456789abcdef");
  // Zeek's name for the interface, not ours (SVCCTL)
  const auto svcctl = *common::Uuid::parse("367abb81-9844-35f1-ad32-98f038001003");
  EXPECT_EQ(ZeekWriter::endpoint_name(svcctl), "svcctl");
}

TEST(ZeekWriter, UidHasZeeksFormAndIsStable) {
  const std::string a = ZeekWriter::uid(1, ep("10.0.0.1", 1), ep("10.0.0.2", 2));
  ASSERT_GE(a.size(), 3u);
  EXPECT_EQ(a[0], 'C');
  EXPECT_LE(a.size(), 18u);
  for (char c : a.substr(1)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << a;
  EXPECT_EQ(a, ZeekWriter::uid(1, ep("10.0.0.1", 1), ep("10.0.0.2", 2)));
  EXPECT_NE(a, ZeekWriter::uid(2, ep("10.0.0.1", 1), ep("10.0.0.2", 2)));
}

TEST(ZeekWriter, AnAnsweredCallIsOneRecordInZeeksForm) {
  MemoryFile out, stats;
  ZeekWriter w(out.get(), stats.get());
  w.call(answered(3, kSamr, 64));
  const std::string uid = ZeekWriter::uid(3, ep("10.0.0.1", 49700), ep("10.0.0.2", 49667));
  EXPECT_EQ(out.text(), "{\"ts\":1700000000.25,\"uid\":\"" + uid +
                            "\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":49700,\"id.resp_h\":"
                            "\"10.0.0.2\",\"id.resp_p\":49667,\"rtt\":0.000734,\"endpoint\":"
                            "\"samr\",\"operation\":\"SamrConnect5\"}\n");
}

TEST(ZeekWriter, NamedPipeIsTheBindAcksSecondaryAddress) {
  MemoryFile out, stats;
  ZeekWriter w(out.get(), stats.get());
  analysis::FrameRecord f;
  f.conversation = 3;
  analysis::ReportedPdu ack;
  ack.event.header.ptype = dcerpc::PacketType::bind_ack;
  dcerpc::BindAck body;
  body.sec_addr = "\\PIPE\\samr";
  ack.event.body = body;
  f.pdus.push_back(ack);
  w.frame(f);
  w.call(answered(3, kSamr, 64));
  EXPECT_NE(out.text().find(",\"named_pipe\":\"\\\\PIPE\\\\samr\","), std::string::npos)
      << out.text();
}

TEST(ZeekWriter, FaultsUnansweredAndIgnoredOperationsAreNotLogged) {
  MemoryFile out, stats;
  ZeekWriter w(out.get(), stats.get());
  auto fault = answered(1, kSamr, 64);
  fault.call.outcome = dcerpc::CallOutcome::fault;
  auto unanswered = answered(1, kSamr, 64);
  unanswered.call.outcome = dcerpc::CallOutcome::unanswered;
  auto no_interface = answered(1, kSamr, 64);
  no_interface.call.interface.reset();
  w.call(fault);
  w.call(unanswered);
  w.call(no_interface);
  w.call(answered(1, kWinreg, 5));  // BaseRegCloseKey: in Zeek's ignored_operations
  auto zero_rtt = answered(1, kSamr, 1);
  zero_rtt.call.end = zero_rtt.call.request_last;
  w.call(zero_rtt);
  w.finish({}, {});
  EXPECT_EQ(out.text().find("BaseRegCloseKey"), std::string::npos);
  EXPECT_EQ(out.text().find("\"rtt\""), std::string::npos) << out.text();  // absent when zero
  EXPECT_NE(out.text().find("SamrCloseHandle"), std::string::npos);
  EXPECT_NE(stats.text().find("zeek dce_rpc.log records: 1 (not logged, as Zeek does not: 1 "
                              "faulted, 1 never answered, 1 of Zeek's ignored operations, 1 "
                              "with no interface known)"),
            std::string::npos)
      << stats.text();
}

TEST(ZeekWriter, CallsOfAConversationShownLateWaitForItsEnd) {
  MemoryFile out, stats;
  ZeekWriter w(out.get(), stats.get());
  w.call(answered(1, kSamr, 64, false));
  w.call(answered(2, kSamr, 64, false));
  EXPECT_EQ(out.text(), "");
  w.conversation_end(ended(1, true));  // shown after all: its call goes out
  w.conversation_end(ended(2, false));
  EXPECT_EQ(out.text().find("SamrConnect5"), out.text().rfind("SamrConnect5"));
  EXPECT_NE(out.text().find(ZeekWriter::uid(1, ep("10.0.0.1", 49700), ep("10.0.0.2", 49667))),
            std::string::npos);
}

TEST(CallLineWriter, OneLinePerCallWithItsFramesLatencyAndResult) {
  MemoryFile out, stats;
  CallLineWriter w(out.get(), stats.get());
  auto r = answered(4, kSamr, 64);
  r.call.auth_level = 6;
  w.call(r);
  auto f = answered(4, kSamr, 7);
  f.call.outcome = dcerpc::CallOutcome::fault;
  f.call.fault_status = 0x1C010003;  // nca_s_unk_if
  w.call(f);
  w.finish({}, {});
  const std::string text = out.text();
  EXPECT_NE(text.find("    4       10       12  2023-11-14T22:13:20.250000Z    0.000734  "
                      "10.0.0.1:49700 -> 10.0.0.2:49667  SAMR SamrConnect5 (64): answered "
                      "(sealed); stub 0/0, sealed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("SamrOpenDomain (7): fault"), std::string::npos) << text;
}

}  // namespace
}  // namespace rpctrace::report
