// JsonlWriter (docs/jsonl.md): every line is exactly one JSON object (RFC 8259, checked with a
// strict reader), records carry the documented fields with the specs' names (C706 §12.6.3.1),
// hidden conversations leave no record, held "tcp" records of a conversation shown later are
// released, and the last line is the "stats" record whose counts add up.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>

#include "mini_json.hpp"
#include "support/packet_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

using namespace harness;
using minijson::Value;

// Conversations: 1 EPM lookup (135), 2 HTTP (80, hidden), 3 SYN to the announced 4764,
// 4 EPM with a lost segment (gap), 5 DCE/RPC on 6001 (shown from its bind on); one UDP frame.
ts::Capture scenario() {
  ts::Capture cap;
  epm_lookup(cap);
  http(cap, 3000);
  syn_only(cap, "10.1.1.1", 3001, "10.1.1.2", 4764);
  ts::UdpDatagram udp;
  udp.src_port = 1025;
  udp.dst_port = 135;
  udp.payload = ts::text_bytes("cl");
  cap.add(ts::build_udp_frame(ts::LinkType::ethernet, {}, ts::IpAddress::parse("10.1.1.1"),
                              ts::IpAddress::parse("10.1.1.2"), udp));
  ts::TcpScript lossy(cap, config("10.1.1.1", 3010, "10.1.1.2", 135));
  lossy.handshake();
  lossy.send(ts::Direction::to_server, ts::epm_bind(1).build());
  lossy.send(ts::Direction::to_client, ts::epm_bind_ack(1, 0x20, "135").build());
  ts::SendOptions lose_first;
  lose_first.segment_size = 100;
  lose_first.drop = {0};
  lossy.send(ts::Direction::to_server, ts::ept_map_request(2, ts::kExchangeMtaInterface).build(),
             lose_first);
  lossy.send(ts::Direction::to_client,
             ts::ept_map_response(2, ts::kExchangeMtaInterface, 4764, {10, 1, 1, 2}).build());
  ts::TcpScript other_port(cap, config("10.1.1.1", 3020, "10.1.1.2", 6001));
  other_port.handshake();
  other_port.send(ts::Direction::to_server, ts::epm_bind(9).build());
  return cap;
}

struct Parsed {
  std::vector<Value> records;
  std::vector<std::string> lines;
};

Parsed parse_lines(const std::string& out) {
  Parsed p;
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(start, end - start);
    start = end + 1;
    minijson::Parser parser(line);
    auto v = parser.parse();
    EXPECT_TRUE(v.has_value()) << parser.error() << ": " << line;
    if (!v) continue;
    EXPECT_EQ(v->kind, Value::Kind::object) << line;
    p.records.push_back(std::move(*v));
    p.lines.push_back(line);
  }
  return p;
}

void expect_fields(const Value& v, std::initializer_list<const char*> fields,
                   const std::string& line) {
  for (const char* f : fields) EXPECT_TRUE(v.has(f)) << "no \"" << f << "\" in " << line;
}

class JsonlWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { parsed_ = parse_lines(jsonl_of(scenario())); }
  std::vector<const Value*> of(std::string_view type, std::uint64_t conversation = 0) const {
    std::vector<const Value*> out;
    for (const auto& v : parsed_.records)
      if (v.str("type") == type && (conversation == 0 || v.num("conversation") == conversation))
        out.push_back(&v);
    return out;
  }
  Parsed parsed_;
};

// --- Framing: one object per line, a known type, stats last and once. ---
TEST_F(JsonlWriterTest, EveryLineIsOneObjectOfAKnownType) {
  ASSERT_GT(parsed_.records.size(), 10u);
  const std::set<std::string> types = {"pdu", "note", "tcp", "conversation", "stats"};
  for (std::size_t i = 0; i < parsed_.records.size(); ++i)
    EXPECT_TRUE(types.count(parsed_.records[i].str("type"))) << parsed_.lines[i];
  EXPECT_EQ(parsed_.records.back().str("type"), "stats");
  EXPECT_EQ(of("stats").size(), 1u);
}

// --- Fields common to pdu, note and tcp records; capture order. ---
TEST_F(JsonlWriterTest, FrameRecordsHaveTheCommonFieldsInCaptureOrder) {
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  std::uint64_t last_frame = 0;
  for (std::size_t i = 0; i < parsed_.records.size(); ++i) {
    const Value& v = parsed_.records[i];
    const std::string type = v.str("type");
    if (type != "pdu" && type != "note" && type != "tcp") continue;
    expect_fields(v, {"frame", "ts", "conversation", "src", "src_port", "dst", "dst_port"},
                  parsed_.lines[i]);
    EXPECT_TRUE(std::regex_match(v.str("ts"), iso)) << parsed_.lines[i];
    EXPECT_GE(v.num("frame"), last_frame) << parsed_.lines[i];
    last_frame = v.num("frame");
  }
}

// --- pdu records: C706 header fields, bodies, the EPM decode of ept_map. ---
TEST_F(JsonlWriterTest, PduRecordsOfTheEpmLookup) {
  auto pdus = of("pdu", 1);
  ASSERT_EQ(pdus.size(), 4u);
  const std::vector<std::string> ptypes = {"bind", "bind_ack", "request", "response"};
  for (std::size_t i = 0; i < pdus.size(); ++i) {
    const Value& p = *pdus[i];
    EXPECT_EQ(p.str("ptype"), ptypes[i]);
    expect_fields(p,
                  {"ptype_value", "rpc_vers", "rpc_vers_minor", "pfc_flags", "pfc_flags_names",
                   "packed_drep", "integer_order", "frag_length", "auth_length", "call_id"},
                  ptypes[i]);
    EXPECT_EQ(p.num("rpc_vers"), 5u);
    EXPECT_EQ(p.str("packed_drep"), "10000000");
    EXPECT_EQ(p.str("integer_order"), "little");
    EXPECT_EQ(p.num("pfc_flags"), 3u);
    ASSERT_TRUE(p.has("src_port"));
    EXPECT_EQ(p.get("src_port")->kind, Value::Kind::number);
  }
  EXPECT_EQ(pdus[0]->num("ptype_value"), 11u);
  EXPECT_EQ(pdus[0]->num("frame"), 4u);
  EXPECT_EQ(pdus[0]->num("src_port"), 3464u);
  EXPECT_EQ(pdus[0]->num("dst_port"), 135u);
  expect_fields(
      *pdus[0],
      {"max_xmit_frag", "max_recv_frag", "assoc_group_id", "n_context_elem", "p_cont_elem"},
      "bind");
  expect_fields(*pdus[1], {"sec_addr", "n_results", "p_results"}, "bind_ack");
  EXPECT_EQ(pdus[1]->num("src_port"), 135u);
  EXPECT_EQ(pdus[2]->num("opnum"), 3u);
  EXPECT_EQ(pdus[2]->str("operation"), "ept_map");
  const Value& response = *pdus[3];
  EXPECT_EQ(response.num("opnum"), 3u);
  EXPECT_EQ(response.num("request_frame"), 6u);
  EXPECT_EQ(response.num("frame"), 7u);
  expect_fields(
      response,
      {"alloc_hint", "p_cont_id", "cancel_count", "stub_length", "interface", "latency_us"},
      "response");
  const Value* epm = response.get("epm");
  ASSERT_NE(epm, nullptr);
  EXPECT_EQ(epm->str("operation"), "ept_map");
  const Value* towers = epm->get("towers");
  ASSERT_NE(towers, nullptr);
  ASSERT_EQ(towers->items.size(), 1u);
  EXPECT_EQ(towers->items[0].num("port"), 4764u);
  EXPECT_EQ(towers->items[0].str("address"), "10.1.1.2");
  EXPECT_EQ(towers->items[0].str("string_binding"), "ncacn_ip_tcp:10.1.1.2[4764]");
}

// --- tcp records: SYN/FIN/RST frames of shown conversations only. ---
TEST_F(JsonlWriterTest, TcpRecordsOnlyForControlFramesOfShownConversations) {
  auto tcp1 = of("tcp", 1);
  std::vector<std::string> flags;
  for (const Value* v : tcp1) {
    expect_fields(*v, {"flags", "seq", "ack", "win", "len"}, "tcp");
    flags.push_back(v->str("flags"));
  }
  EXPECT_EQ(flags, (std::vector<std::string>{"SYN", "SYN|ACK", "ACK|FIN", "ACK|FIN"}));
  EXPECT_EQ(tcp1[0]->num("len"), 0u);
  auto syn = of("tcp", 3);
  ASSERT_EQ(syn.size(), 1u);
  EXPECT_EQ(syn[0]->str("flags"), "SYN");
  EXPECT_EQ(syn[0]->num("dst_port"), 4764u);
}

TEST_F(JsonlWriterTest, HiddenConversationLeavesNoRecord) {
  for (const auto& v : parsed_.records) EXPECT_NE(v.num("conversation"), 2u) << v.str("type");
}

// A conversation on another port is shown from its first PDU on: its SYN and SYN/ACK records,
// held until then, come out before that PDU.
TEST_F(JsonlWriterTest, HeldTcpRecordsAreReleasedWhenTheConversationIsShown) {
  std::vector<std::string> order;
  for (const auto& v : parsed_.records)
    if (v.num("conversation") == 5 && v.str("type") != "conversation")
      order.push_back(v.str("type") + " " +
                      (v.str("type") == "tcp" ? v.str("flags") : v.str("ptype")));
  EXPECT_EQ(order, (std::vector<std::string>{"tcp SYN", "tcp SYN|ACK", "pdu bind"}));
}

// --- note records: the lost segment of conversation 4 is a tcp gap, at a frame. ---
TEST_F(JsonlWriterTest, GapIsANoteRecord) {
  auto notes = of("note", 4);
  ASSERT_FALSE(notes.empty());
  bool gap = false;
  for (const Value* n : notes) {
    expect_fields(*n, {"layer", "kind", "detail"}, "note");
    if (n->str("layer") == "tcp" && n->str("kind") == "gap") {
      gap = true;
      EXPECT_NE(n->str("detail").find("100 bytes"), std::string::npos) << n->str("detail");
    }
  }
  EXPECT_TRUE(gap);
}

// --- conversation records: shown ones only, with every documented field. ---
TEST_F(JsonlWriterTest, ConversationRecords) {
  std::set<std::uint64_t> ids;
  for (const Value* c : of("conversation")) {
    ids.insert(c->num("conversation"));
    expect_fields(*c,
                  {"conversation",   "client", "client_port", "server",          "server_port",
                   "roles_from_syn", "dcerpc", "first_frame", "last_frame",      "frames",
                   "start",          "end",    "duration_us", "bytes_to_server", "bytes_to_client",
                   "pdus",           "calls",  "faults",      "anomalies",       "interfaces",
                   "end_reason"},
                  "conversation");
  }
  EXPECT_EQ(ids, (std::set<std::uint64_t>{1, 3, 4, 5}));
  const Value& first = *of("conversation", 1).at(0);
  EXPECT_EQ(first.str("client"), "10.1.1.1");
  EXPECT_EQ(first.num("server_port"), 135u);
  EXPECT_EQ(first.num("pdus"), 4u);
  EXPECT_EQ(first.num("frames"), 11u);
  EXPECT_EQ(first.str("end_reason"), "closed");
  ASSERT_EQ(first.get("interfaces")->items.size(), 1u);
  EXPECT_EQ(first.get("interfaces")->items[0].str("uuid"), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  EXPECT_EQ(of("conversation", 3).at(0)->get("dcerpc")->boolean, false);
}

// --- stats: the closing counts add up, and every reason is listed, zeros included. ---
TEST_F(JsonlWriterTest, StatsRecordAddsUp) {
  const Value& s = parsed_.records.back();
  expect_fields(s,
                {"file", "link_type", "frames_read", "bytes_read", "tcp_segments", "frames_skipped",
                 "tcp_conversations", "dcerpc_conversations", "conversations_shown", "pdus",
                 "pdus_by_ptype", "epm_decoded", "not_decoded"},
                "stats");
  EXPECT_EQ(s.num("frames_read"),
            s.num("tcp_segments") + s.num("udp_datagrams") + s.num("frames_skipped"));
  EXPECT_EQ(s.num("frames_skipped"), 1u);  // the UDP frame
  EXPECT_EQ(s.num("tcp_conversations"), 5u);
  EXPECT_EQ(s.num("conversations_shown"), 4u);
  EXPECT_EQ(s.num("dcerpc_conversations"), 3u);
  const Value* nd = s.get("not_decoded");
  ASSERT_NE(nd, nullptr);
  for (std::size_t i = 0; i < pcap::kSkipReasonCount; ++i) {
    auto r = static_cast<pcap::SkipReason>(i);
    ASSERT_TRUE(nd->has(pcap::to_string(r))) << pcap::to_string(r);
    EXPECT_EQ(nd->num(pcap::to_string(r)), r == pcap::SkipReason::udp ? 1u : 0u)
        << pcap::to_string(r);
  }
  EXPECT_GE(nd->num("tcp_gaps"), 1u);
  const Value* by_ptype = s.get("pdus_by_ptype");
  ASSERT_NE(by_ptype, nullptr);
  std::uint64_t sum = 0;
  for (const auto& v : by_ptype->items) sum += static_cast<std::uint64_t>(v.number);
  EXPECT_EQ(sum, s.num("pdus"));
}

// --- The strict reader itself rejects what is not one JSON object. ---
TEST(MiniJson, RejectsWhatIsNotJson) {
  for (std::string_view bad : {"{", "{\"a\":1,}", "{\"a\":1}{}", "{\"a\":01}", "{\"a\":\"x\ny\"}",
                               "{\"a\":1,\"a\":2}", "{'a':1}", "{\"a\":tru}", ""}) {
    minijson::Parser p(bad);
    EXPECT_FALSE(p.parse().has_value()) << bad;
  }
  minijson::Parser good(R"({"a":[1,-2.5e3,true,null,{"b":"\"\u00e9"}]})");
  auto v = good.parse();
  ASSERT_TRUE(v.has_value()) << good.error();
  EXPECT_EQ(v->get("a")->items.size(), 5u);
}

}  // namespace
}  // namespace rpctrace::report
