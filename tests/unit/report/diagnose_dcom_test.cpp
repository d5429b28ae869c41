// DCOM's dynamic ports come from activation answers, not ept_map: a ResolveOxid2 answer naming
// 10.1.1.2[49800], then SYNs to that port never answered, is the firewall finding naming the
// activation call; the timeline's conversation says which call gave its port; `endpoints`
// lists it.
#include <gtest/gtest.h>

#include <string>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "support/dcom_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report::harness {
namespace {

constexpr ts::SyntaxId kObjectExporter{ts::Uuid::parse("99fcfec4-5260-101b-bbcb-00aa0021347a"), 0,
                                       0};

// Handshake on 135, bind IObjectExporter, ResolveOxid2 answered with `binding`, teardown.
void resolve_oxid2(ts::Capture& cap, const std::string& binding) {
  ts::TcpScript t(cap, config("10.1.1.1", 3500, "10.1.1.2", 135));
  t.handshake();
  ts::PduBuilder bind(ts::Ptype::bind);
  bind.call_id(1).context({0, kObjectExporter, {ts::kNdrSyntax}});
  t.send(ts::Direction::to_server, bind.build());
  ts::PduBuilder ack(ts::Ptype::bind_ack);
  ack.call_id(1).sec_addr("135").result({ts::kResultAcceptance, 0, ts::kNdrSyntax});
  t.send(ts::Direction::to_client, ack.build());
  ts::PduBuilder request(ts::Ptype::request);
  request.call_id(2).p_cont_id(0).opnum(4).stub(ts::Bytes(24));
  t.send(ts::Direction::to_server, request.build());
  ts::ResolveOxidResponse r;
  ts::DualStringArray bindings;
  bindings.string_bindings = {{0x07, binding}};
  r.bindings = bindings;
  ts::PduBuilder response(ts::Ptype::response);
  response.call_id(2).p_cont_id(0).stub(ts::build_resolve_oxid_response(r, ts::Endian::little));
  t.send(ts::Direction::to_client, response.build());
  t.close();
}

TEST(DiagnoseDcom, ADroppedPortAnActivationGaveNamesTheCall) {
  ts::Capture cap;
  resolve_oxid2(cap, "10.1.1.2[49800]");
  syn_only(cap, "10.1.1.1", 3501, "10.1.1.2", 49800);
  syn_only(cap, "10.1.1.1", 3501, "10.1.1.2", 49800);
  ts::TempFile file("report_dcom", cap.to_pcap());
  MemoryFile out, stats;
  analysis::Diagnosis diagnosis(analysis::DiagnoseOptions{});
  auto result = app::run(file.path().string(), RunOptions{}, diagnosis);
  write_diagnosis(out.get(), stats.get(), false, diagnosis.result(), result.stats);
  const std::string text = out.text();
  EXPECT_NE(text.find("a firewall between 10.1.1.1 and 10.1.1.2 passes 135 but not 49800"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ResolveOxid2 in conversation 1, frame "), std::string::npos) << text;
  EXPECT_NE(text.find("gave this port (the object exporter's: DCOM/WMI)"), std::string::npos)
      << text;
  EXPECT_TRUE(diagnosis.result().has_error());
}

TEST(DiagnoseDcom, TheTimelineAndEndpointsSayWhichCallGaveThePort) {
  ts::Capture cap;
  resolve_oxid2(cap, "10.1.1.2[49800]");
  syn_only(cap, "10.1.1.1", 3501, "10.1.1.2", 49800);
  const std::string text = text_of(cap).out;
  EXPECT_NE(text.find("DCOM ResolveOxid2 answer"), std::string::npos) << text;
  EXPECT_NE(text.find("string binding: ncacn_ip_tcp:10.1.1.2[49800]"), std::string::npos) << text;
  EXPECT_NE(text.find("port 49800 was given by ResolveOxid2 in conversation 1"), std::string::npos)
      << text;
  const std::string jsonl = jsonl_of(cap);
  EXPECT_NE(jsonl.find("\"dcom\":{\"operation\":\"ResolveOxid2\""), std::string::npos) << jsonl;
}

TEST(DiagnoseDcom, AHostNameBindingLinksToTheAnsweringServer) {
  ts::Capture cap;
  resolve_oxid2(cap, "SERVER1[49801]");
  syn_only(cap, "10.1.1.1", 3502, "10.1.1.2", 49801);
  EXPECT_NE(text_of(cap).out.find("port 49801 was given by ResolveOxid2"), std::string::npos);
}

}  // namespace
}  // namespace rpctrace::report::harness
