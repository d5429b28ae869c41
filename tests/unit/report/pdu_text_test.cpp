// report::format_pdu (src/report/pdu_text.cpp, auth_text.cpp) on hand-made PduEvents: the
// Network Monitor style summary of every PDU type (KB159298: "MSRPC: c/o RPC Bind: UUID ...
// call 0x54004E assoc grp 0x0 xmit 0x16D0 recv 0x16D0") and the detail lines, in their order:
// byte order, the request answered, reassembly, the fault's meaning, the verification trailer
// (MS-RPCE 2.2.2.13), the sec_trailer and its auth_value (MS-RPCE 2.2.2.11), a sealed stub and
// the endpoint mapper's stubs (C706 appendix O). No capture: every value is built here.
#include "report/pdu_text.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::report {
namespace {

using dcerpc::PacketType;
using Lines = std::vector<std::string>;
namespace pfc = dcerpc::pfc;

common::Uuid uuid(std::string_view text) { return *common::Uuid::parse(text); }

// Syntaxes: the endpoint mapper (in the names table), the three transfer syntaxes, and an
// interface no table names.
dcerpc::SyntaxId epm() { return {dcerpc::epm_uuid(), 3, 0}; }
dcerpc::SyntaxId ndr() { return {uuid("8a885d04-1ceb-11c9-9fe8-08002b104860"), 2, 0}; }
dcerpc::SyntaxId ndr64() { return {uuid("71710533-beba-4937-8319-b5dbef9ccc36"), 1, 0}; }
dcerpc::SyntaxId btfn() { return {uuid("6cb71c2c-9812-4540-0300-000000000000"), 1, 0}; }
dcerpc::SyntaxId unnamed() { return {uuid("01234567-89ab-cdef-0123-456789abcdef"), 1, 2}; }

constexpr std::string_view kEpm = "E1AF8308-5D1F-11C9-91A4-08002B14A0FA v3.0 (EPMv4)";
constexpr std::string_view kNdr = "8A885D04-1CEB-11C9-9FE8-08002B104860 v2.0 (NDR)";
constexpr std::string_view kNdr64 = "71710533-BEBA-4937-8319-B5DBEF9CCC36 v1.0 (NDR64)";
constexpr std::string_view kBtfn =
    "6CB71C2C-9812-4540-0300-000000000000 v1.0 (bind_time_feature_negotiation)";
constexpr std::string_view kUnnamed = "01234567-89AB-CDEF-0123-456789ABCDEF v1.2";

// A whole, single-fragment, little-endian PDU of type `t` with `body`.
analysis::ReportedPdu pdu(PacketType t, std::uint32_t call_id, dcerpc::Body body = {}) {
  analysis::ReportedPdu p;
  p.event.header.ptype = t;
  p.event.header.pfc_flags = pfc::first_frag | pfc::last_frag;
  p.event.header.call_id = call_id;
  p.event.header.frag_length = 156;
  p.event.body = std::move(body);
  return p;
}

dcerpc::Request request(std::uint16_t opnum, std::uint32_t alloc_hint = 0x84) {
  dcerpc::Request q;
  q.opnum = opnum;
  q.alloc_hint = alloc_hint;
  return q;
}

dcerpc::Response response(std::uint32_t alloc_hint = 0x80) {
  dcerpc::Response r;
  r.alloc_hint = alloc_hint;
  return r;
}

// --- bind and alter_context: the first context's UUID and name, then every context. ---

TEST(FormatPdu, BindListsEveryContextWithItsTransferSyntaxes) {
  dcerpc::Bind b;
  b.max_xmit_frag = b.max_recv_frag = 0x16D0;
  b.contexts = {{0, epm(), {ndr()}},
                {1, epm(), {ndr64()}},
                {2, epm(), {btfn()}},
                {0x1A, unnamed(), {ndr(), ndr64()}},
                {4, unnamed(), {}}};
  PduText t = format_pdu(pdu(PacketType::bind, 0x54004E, b));
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Bind: UUID E1AF8308-5D1F-11C9-91A4-08002B14A0FA (EPMv4 v3.0) call "
            "0x54004E assoc grp 0x0 xmit 0x16D0 recv 0x16D0");
  EXPECT_EQ(t.details.lines(),
            (Lines{fmt::format("context 0x0: {} transfer {}", kEpm, kNdr),
                   fmt::format("context 0x1: {} transfer {}", kEpm, kNdr64),
                   fmt::format("context 0x2: {} transfer {}", kEpm, kBtfn),
                   fmt::format("context 0x1A: {} transfer {}, {}", kUnnamed, kNdr, kNdr64),
                   fmt::format("context 0x4: {} transfer (none)", kUnnamed)}));
}

TEST(FormatPdu, AlterContextOfAnUnnamedInterfaceShowsTheUuidAlone) {
  dcerpc::Bind b;
  b.max_xmit_frag = b.max_recv_frag = 0x10B8;
  b.assoc_group_id = 0x12345;
  b.contexts = {{1, unnamed(), {ndr()}}};
  PduText t = format_pdu(pdu(PacketType::alter_context, 2, b));
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Alter Context: UUID 01234567-89AB-CDEF-0123-456789ABCDEF call 0x2 "
            "assoc grp 0x12345 xmit 0x10B8 recv 0x10B8");
  EXPECT_EQ(t.details.lines(), (Lines{fmt::format("context 0x1: {} transfer {}", kUnnamed, kNdr)}));
}

TEST(FormatPdu, BindWithoutContextsSaysSo) {
  PduText t = format_pdu(pdu(PacketType::bind, 1, dcerpc::Bind{}));
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Bind: UUID (no context) call 0x1 assoc grp 0x0 xmit 0x0 recv 0x0");
  EXPECT_EQ(t.details.lines(), Lines{});
}

// --- bind_ack and alter_context_resp: each result named by the context its bind proposed. ---

std::vector<dcerpc::ContextElement> proposed() {
  return {{0, epm(), {ndr()}}, {1, epm(), {ndr64()}}, {2, epm(), {btfn()}}};
}

TEST(FormatPdu, BindAckNamesEachResultByTheProposedContext) {
  namespace result = dcerpc::cont_def_result;
  dcerpc::BindAck a;
  a.max_xmit_frag = a.max_recv_frag = 0x16D0;
  a.assoc_group_id = 0x1000;
  a.sec_addr = "135";
  a.results = {{result::acceptance, 0, ndr()},
               {result::provider_rejection, 2, {}},
               {result::negotiate_ack, 3, {}}};
  auto p = pdu(PacketType::bind_ack, 0x54004E, a);
  p.event.proposed = proposed();
  PduText t = format_pdu(p);
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Bind Ack: call 0x54004E assoc grp 0x1000 xmit 0x16D0 recv 0x16D0");
  // A rejection beside an accepted context is the usual NDR/NDR64 negotiation: no advice.
  EXPECT_EQ(
      t.details.lines(),
      (Lines{"sec_addr 135", fmt::format("context 0x0 {}: acceptance, transfer {}", kEpm, kNdr),
             fmt::format("context 0x1 {}: provider_rejection "
                         "(proposed_transfer_syntaxes_not_supported)",
                         kEpm),
             fmt::format("context 0x2 {}: negotiate_ack, features 0x3", kEpm)}));
}

TEST(FormatPdu, RejectionAdviceOnlyWhenNothingWasAccepted) {
  namespace result = dcerpc::cont_def_result;
  dcerpc::BindAck a;
  a.max_xmit_frag = a.max_recv_frag = 0x16D0;
  a.results = {{result::provider_rejection, 1, {}},   // abstract_syntax_not_supported
               {result::user_rejection, 0, {}},       // reason_not_specified: no advice
               {result::provider_rejection, 9, {}}};  // a reason with no name
  auto p = pdu(PacketType::alter_context_resp, 3, a);
  p.event.proposed = proposed();
  PduText t = format_pdu(p);
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Alter Context Resp: call 0x3 assoc grp 0x0 xmit 0x16D0 recv 0x16D0");
  EXPECT_EQ(
      t.details.lines(),
      (Lines{
          fmt::format("context 0x0 {}: provider_rejection (abstract_syntax_not_supported)", kEpm),
          "  the server does not offer this interface (UUID and version): wrong server, or the "
          "service is not running",
          fmt::format("context 0x1 {}: user_rejection (reason_not_specified)", kEpm),
          fmt::format("context 0x2 {}: provider_rejection (reason 9)", kEpm)}));
}

TEST(FormatPdu, ResultsWithoutTheirBindAreNumbered) {
  namespace result = dcerpc::cont_def_result;
  dcerpc::BindAck a;
  a.results = {{result::acceptance, 0, ndr64()}, {7, 3, {}}};  // 7: no such result
  PduText t = format_pdu(pdu(PacketType::bind_ack, 4, a));     // the bind was not captured
  EXPECT_EQ(t.details.lines(), (Lines{fmt::format("result 0: acceptance, transfer {}", kNdr64),
                                      "result 1: result 7 (local_limit_exceeded)"}));
}

// --- bind_nak: the reason by name, what it means, the versions the server offers. ---

TEST(FormatPdu, BindNakGivesReasonMeaningAndVersions) {
  dcerpc::BindNak n;
  n.provider_reject_reason = 9;
  n.versions = {{5, 0}, {5, 1}};
  PduText t = format_pdu(pdu(PacketType::bind_nak, 3, n));
  EXPECT_EQ(t.summary, "MSRPC: c/o RPC Bind Nak: call 0x3 reason 0x9 (invalid_checksum)");
  EXPECT_EQ(t.details.lines(),
            (Lines{"the authentication verifier did not check: wrong credentials or a "
                   "tampered PDU",
                   "supports version 5.0", "supports version 5.1"}));
}

TEST(FormatPdu, BindNakWithoutMeaningOrName) {
  dcerpc::BindNak n;
  n.provider_reject_reason = 0;  // reason_not_specified: nothing to advise
  PduText t = format_pdu(pdu(PacketType::bind_nak, 0x10, n));
  EXPECT_EQ(t.summary, "MSRPC: c/o RPC Bind Nak: call 0x10 reason 0x0 (reason_not_specified)");
  EXPECT_EQ(t.details.lines(), Lines{});
  n.provider_reject_reason = 0x77;
  t = format_pdu(pdu(PacketType::bind_nak, 0x10, n));
  EXPECT_EQ(t.summary, "MSRPC: c/o RPC Bind Nak: call 0x10 reason 0x77 (unknown)");
  EXPECT_EQ(t.details.lines(), Lines{});
}

// --- request, response, fault: the interface and operation they belong to. ---

TEST(FormatPdu, RequestNamesInterfaceAndOperation) {
  auto p = pdu(PacketType::request, 2, request(3));
  p.event.interface = epm();
  p.event.opnum = 3;  // a request's own opnum is in its summary already: no suffix
  PduText t = format_pdu(p);
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Request: call 0x2 opnum 0x3 context 0x0 hint 0x84  EPMv4 v3.0 ept_map");
  EXPECT_EQ(t.details.lines(), Lines{});
}

TEST(FormatPdu, InferredInterfaceIsMarked) {
  auto p = pdu(PacketType::request, 1, request(3));
  p.event.interface = epm();
  p.event.interface_inferred = true;
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Request: call 0x1 opnum 0x3 context 0x0 hint 0x84  EPMv4 v3.0 ept_map "
            "(inferred from ept_map: bind not captured)");
}

TEST(FormatPdu, UnnamedInterfaceOrOperationIsShownByNumber) {
  auto p = pdu(PacketType::request, 5, request(0x2A, 0x10));
  std::get<dcerpc::Request>(p.event.body).p_cont_id = 1;
  p.event.interface = unnamed();
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Request: call 0x5 opnum 0x2A context 0x1 hint 0x10  "
            "01234567-89AB-CDEF-0123-456789ABCDEF v1.2");
  p.event.interface = epm();  // EPMv4 has no opnum 0x2A
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Request: call 0x5 opnum 0x2A context 0x1 hint 0x10  EPMv4 v3.0");
  p.event.interface.reset();
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Request: call 0x5 opnum 0x2A context 0x1 hint 0x10");
}

TEST(FormatPdu, ResponseCarriesItsRequestsOperation) {
  auto p = pdu(PacketType::response, 2, response());
  p.event.opnum = 3;
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Response: call 0x2 context 0x0 hint 0x80 cancels 0x0 (opnum 0x3)");
  p.event.interface = epm();
  std::get<dcerpc::Response>(p.event.body).cancel_count = 2;
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Response: call 0x2 context 0x0 hint 0x80 cancels 0x2  EPMv4 v3.0 "
            "ept_map (opnum 0x3)");
  p.event.opnum.reset();  // its request was not seen
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Response: call 0x2 context 0x0 hint 0x80 cancels 0x2  EPMv4 v3.0");
}

TEST(FormatPdu, FragmentsAreLabelledOnRequestsAndResponsesOnly) {
  const std::pair<std::uint8_t, std::string_view> cases[] = {
      {pfc::first_frag | pfc::last_frag, ""},
      {pfc::first_frag, " [first fragment]"},
      {pfc::last_frag, " [last fragment]"},
      {0, " [middle fragment]"},
      {pfc::first_frag | pfc::object_uuid, " [first fragment]"}};
  for (const auto& [flags, label] : cases) {
    auto q = pdu(PacketType::request, 9, request(0));
    q.event.header.pfc_flags = flags;
    EXPECT_EQ(
        format_pdu(q).summary,
        fmt::format("MSRPC: c/o RPC Request: call 0x9 opnum 0x0 context 0x0 hint 0x84{}", label));
    auto r = pdu(PacketType::response, 9, response());
    r.event.header.pfc_flags = flags;
    EXPECT_EQ(format_pdu(r).summary,
              fmt::format("MSRPC: c/o RPC Response: call 0x9 context 0x0 hint 0x80 cancels 0x0{}",
                          label));
    auto f = pdu(PacketType::fault, 9, dcerpc::Fault{});
    f.event.header.pfc_flags = flags;
    EXPECT_EQ(format_pdu(f).summary,
              "MSRPC: c/o RPC Fault: call 0x9 context 0x0 status 0x0 (success) cancels 0x0");
  }
}

TEST(FormatPdu, RequestObjectUuidIsADetail) {
  auto q = request(3);
  q.object = uuid("0b6edbfa-4a24-4fc6-8a23-942b1eca65d1");
  auto p = pdu(PacketType::request, 2, q);
  p.event.header.pfc_flags |= pfc::object_uuid;
  PduText t = format_pdu(p);
  EXPECT_EQ(t.summary, "MSRPC: c/o RPC Request: call 0x2 opnum 0x3 context 0x0 hint 0x84");
  EXPECT_EQ(t.details.lines(), (Lines{"object 0B6EDBFA-4A24-4FC6-8A23-942B1ECA65D1"}));
}

TEST(FormatPdu, FaultGivesStatusNameMeaningAndTheRequest) {
  dcerpc::Fault f;
  f.status = 0x1C010003;  // nca_s_unk_if
  f.cancel_count = 1;
  auto p = pdu(PacketType::fault, 5, f);
  p.event.interface = epm();
  p.event.opnum = 3;
  p.event.request_frame = 7;  // a fault says which request it answers even without a latency
  PduText t = format_pdu(p);
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Fault: call 0x5 context 0x0 status 0x1C010003 (nca_s_unk_if) cancels "
            "0x1  EPMv4 v3.0 ept_map (opnum 0x3)");
  EXPECT_EQ(
      t.details.lines(),
      (Lines{"answers request in frame 7",
             "fault: the server does not offer this interface (or this version of it) on this "
             "endpoint"}));
  p.event.latency_us = 1500;
  std::get<dcerpc::Fault>(p.event.body).status = 0xABCD1234;  // in no table: no meaning
  t = format_pdu(p);
  EXPECT_EQ(t.summary,
            "MSRPC: c/o RPC Fault: call 0x5 context 0x0 status 0xABCD1234 cancels 0x1  EPMv4 v3.0 "
            "ept_map (opnum 0x3)");
  EXPECT_EQ(t.details.lines(), (Lines{"answers request in frame 7, 0.001500 s later"}));
}

// --- PDUs without a body, rts, and PDUs the capture cut. ---

TEST(FormatPdu, BodilessTypesByNetworkMonitorsNames) {
  const std::pair<PacketType, std::string_view> cases[] = {{PacketType::auth3, "Auth3"},
                                                           {PacketType::shutdown, "Shutdown"},
                                                           {PacketType::co_cancel, "Cancel"},
                                                           {PacketType::orphaned, "Orphaned"}};
  for (const auto& [type, name] : cases) {
    PduText t = format_pdu(pdu(type, 0x1F, dcerpc::NoBody{}));
    EXPECT_EQ(t.summary, fmt::format("MSRPC: c/o RPC {}: call 0x1F", name));
    EXPECT_EQ(t.details.lines(), Lines{});
  }
}

TEST(FormatPdu, RtsGivesItsNameFlagsAndCommands) {
  dcerpc::Rts r;
  r.flags = dcerpc::rts_flag::other_cmd;
  r.number_of_commands = 1;
  dcerpc::rts::FlowControlAck ack;
  ack.bytes_received = 1674;
  ack.available_window = 65536;
  ack.channel_cookie = *common::Uuid::parse("3c7f2e81-1b94-4d0a-a6e5-0f28c94b1d22");
  r.commands.emplace_back(ack);
  analysis::ReportedPdu p = pdu(PacketType::rts, 0, r);
  p.rts_names = {dcerpc::RtsPduName::flow_control_ack};
  p.rts_channel = dcerpc::RtsChannel::in;
  PduText t = format_pdu(p);
  EXPECT_EQ(t.summary, "MSRPC: c/o RPC RTS FlowControlAck: flags RTS_FLAG_OTHER_CMD");
  EXPECT_EQ(
      t.details.lines(),
      (Lines{std::string(dcerpc::rts_pdu_spec(dcerpc::RtsPduName::flow_control_ack).description),
             "FlowControlAck (BytesReceived 1674, AvailableWindow 65536, ChannelCookie "
             "3c7f2e81-1b94-4d0a-a6e5-0f28c94b1d22)"}));
  // A layout several PDUs share: all of them; none: said so.
  p.rts_names = {dcerpc::RtsPduName::conn_c1, dcerpc::RtsPduName::conn_c2};
  p.rts_channel.reset();
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC RTS CONN/C1 or CONN/C2: flags RTS_FLAG_OTHER_CMD");
  p.rts_names.clear();
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC RTS (a layout MS-RPCH 2.2.4 does not name): flags RTS_FLAG_OTHER_CMD");
  // Commands that did not decode: why.
  dcerpc::Rts bad;
  bad.number_of_commands = 40;
  bad.error = dcerpc::RtsReason::too_many_commands;
  bad.error_detail = "NumberOfCommands 40 > limit 32";
  PduText b = format_pdu(pdu(PacketType::rts, 0, bad));
  EXPECT_EQ(b.summary, "MSRPC: c/o RPC RTS (commands not decoded): flags RTS_FLAG_NONE");
  ASSERT_EQ(b.details.size(), 1u);
  EXPECT_NE(b.details[0].find("NumberOfCommands 40 > limit 32"), std::string::npos);
  EXPECT_EQ(format_pdu(pdu(PacketType::rts, 0, dcerpc::NoBody{})).summary,
            "MSRPC: c/o RPC RTS: call 0x0");
}

TEST(FormatPdu, PduCutBeforeItsFixedFieldsShowsItsHeaderOnly) {
  const std::pair<PacketType, std::string_view> cases[] = {
      {PacketType::bind, "Bind"},
      {PacketType::bind_ack, "Bind Ack"},
      {PacketType::bind_nak, "Bind Nak"},
      {PacketType::alter_context, "Alter Context"},
      {PacketType::alter_context_resp, "Alter Context Resp"},
      {PacketType::request, "Request"},
      {PacketType::response, "Response"},
      {PacketType::fault, "Fault"},
      {PacketType::rts, "RTS"}};
  for (const auto& [type, name] : cases) {
    auto p = pdu(type, 0x2B, dcerpc::NoBody{});
    p.event.header.frag_length = 72;
    p.event.truncated = true;
    p.event.captured = 20;
    p.event.interface = epm();  // nothing but the header is shown, whatever is known
    p.event.opnum = 3;
    PduText t = format_pdu(p);
    EXPECT_EQ(t.summary, fmt::format("MSRPC: c/o RPC {}: call 0x2B [cut short: 20 of 72 bytes "
                                     "captured]",
                                     name));
    EXPECT_EQ(t.details.lines(), Lines{});
  }
}

TEST(FormatPdu, TruncatedPduSaysHowMuchWasCaptured) {
  auto p = pdu(PacketType::request, 2, request(3));
  p.event.header.pfc_flags = pfc::first_frag;
  p.event.truncated = true;
  p.event.captured = 42;
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Request: call 0x2 opnum 0x3 context 0x0 hint 0x84 [first fragment] "
            "[cut short: 42 of 156 bytes captured]");
  p.event.truncated = false;
  EXPECT_EQ(format_pdu(p).summary,
            "MSRPC: c/o RPC Request: call 0x2 opnum 0x3 context 0x0 hint 0x84 [first fragment]");
}

// --- The details, each on its own and all in their order. ---

TEST(FormatPdu, BigEndianDataRepresentationIsNoted) {
  auto p = pdu(PacketType::request, 2, request(3));
  p.event.header.packed_drep.octets[0] = 0x00;  // big-endian integers, ASCII
  EXPECT_EQ(format_pdu(p).details.lines(), (Lines{"big-endian data representation"}));
  p.event.header.packed_drep.octets[0] = 0x10;
  EXPECT_EQ(format_pdu(p).details.lines(), Lines{});
}

TEST(FormatPdu, FirstResponseFragmentAnswersItsRequest) {
  auto p = pdu(PacketType::response, 2, response());
  p.event.request_frame = 6;
  p.event.latency_us = 1000;
  EXPECT_EQ(format_pdu(p).details.lines(), (Lines{"answers request in frame 6, 0.001000 s later"}));
  p.event.latency_us = 2'500'000;
  EXPECT_EQ(format_pdu(p).details.lines(), (Lines{"answers request in frame 6, 2.500000 s later"}));
  p.event.latency_us.reset();  // a later fragment of the same response: said once only
  EXPECT_EQ(format_pdu(p).details.lines(), Lines{});
}

TEST(FormatPdu, ReassembledCallGivesFragmentsAndStubBytes) {
  auto p = pdu(PacketType::response, 2, response());
  p.event.header.pfc_flags = pfc::last_frag;
  p.event.call_complete = true;
  p.event.call_fragments = 3;
  p.event.call_stub_length = 9000;
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"reassembled from 3 fragments, 9000 stub bytes"}));
  p.event.call_fragments = 1;  // a single fragment is not a reassembly
  EXPECT_EQ(format_pdu(p).details.lines(), Lines{});
  p.event.call_fragments = 3;
  p.event.call_complete = false;
  EXPECT_EQ(format_pdu(p).details.lines(), Lines{});
}

TEST(FormatPdu, VerificationTrailerNamesItsCommands) {
  auto p = pdu(PacketType::request, 2, request(3));
  dcerpc::VerificationTrailer vt;
  vt.offset = 24;
  vt.commands = {{1, false, 4}, {2, false, 40}, {3, true, 16}, {7, false, 0}};
  p.verification_trailer = vt;
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"verification trailer at stub offset 24: bitmask_1, pcontext, header2, 0x7"}));
}

TEST(FormatPdu, AuthLineGivesTypeLevelPadContextAndLength) {
  auto p = pdu(PacketType::bind, 2, dcerpc::Bind{});
  p.event.header.auth_length = 40;
  p.event.sec_trailer = dcerpc::SecTrailer{10, 6, 4, 0, 79231};
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"auth: type 10 (ntlmssp) level 6 (packet_privacy) pad 4 context_id 79231 "
                   "auth_length 40"}));
  p.event.sec_trailer = dcerpc::SecTrailer{99, 9, 0, 0, 0};
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"auth: type 99 (unknown) level 9 (unknown) pad 0 context_id 0 auth_length 40"}));
}

TEST(FormatPdu, EveryDetailInItsOrder) {
  auto p = pdu(PacketType::fault, 2, dcerpc::Fault{0, 0, 0, 0, 5, 0});  // ERROR_ACCESS_DENIED
  p.event.header.packed_drep.octets[0] = 0x00;
  p.event.header.auth_length = 16;
  p.event.request_frame = 4;
  p.event.latency_us = 20;
  p.event.call_complete = true;
  p.event.call_fragments = 2;
  p.event.call_stub_length = 10;
  p.verification_trailer = dcerpc::VerificationTrailer{8, {{1, false, 4}}};
  p.event.sec_trailer = dcerpc::SecTrailer{10, 6, 0, 0, 1};
  analysis::AuthDecode a;
  a.value = auth::AuthValue{};
  a.value->token = auth::Token{};
  a.value->token->mechanism = "NTLMSSP";
  a.value->token->message = "signature";
  p.auth = a;
  p.stub_encrypted = true;
  p.epm = std::make_shared<const analysis::EpmDecode>(
      analysis::EpmDecode{3, std::nullopt, "stub incomplete in the capture"});
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"big-endian data representation", "answers request in frame 4, 0.000020 s later",
                   "reassembled from 2 fragments, 10 stub bytes",
                   "fault: the caller's identity lacks the right for this operation: check the "
                   "account, its group membership and the object's ACL",
                   "verification trailer at stub offset 8: bitmask_1",
                   "auth: type 10 (ntlmssp) level 6 (packet_privacy) pad 0 context_id 1 "
                   "auth_length 16",
                   "auth_value: NTLMSSP signature", "stub encrypted (packet privacy): not decoded",
                   "ept_map: not decoded: stub incomplete in the capture"}));
}

// --- auth_value: the mechanism, its message, the names and state it carries. ---

auth::Token token(std::string_view mechanism, std::string_view message) {
  auth::Token t;
  t.mechanism = mechanism;
  t.message = message;
  return t;
}

// The auth_value line of a bind carrying `v`.
std::string auth_value_line(const auth::AuthValue& v) {
  auto p = pdu(PacketType::bind, 1, dcerpc::Bind{});
  p.auth = analysis::AuthDecode{v, ""};
  Lines d = format_pdu(p).details.lines();
  return d.size() == 1 ? d[0] : "<" + std::to_string(d.size()) + " lines>";
}

TEST(FormatPdu, NtlmsspMessagesNameDomainUserWorkstationAndTarget) {
  auth::AuthValue v;
  v.token = token("NTLMSSP", "negotiate");
  v.token->domain = "CONTOSO";
  v.token->workstation = "WS20";
  v.token->flags = 0xB217;
  EXPECT_EQ(auth_value_line(v),
            "auth_value: NTLMSSP negotiate domain CONTOSO workstation WS20 flags 0x0000B217");
  v.token = token("NTLMSSP", "authenticate");
  v.token->domain = "CONTOSO";
  v.token->user = "jsmith";
  v.token->workstation = "WS20";
  v.token->flags = 0x8217;
  EXPECT_EQ(auth_value_line(v),
            "auth_value: NTLMSSP authenticate domain CONTOSO user jsmith workstation WS20 flags "
            "0x00008217");
  v.token = token("NTLMSSP", "challenge");  // TargetName: the server's domain
  v.token->domain = "RPCTEST";
  v.token->flags = 0xE2898235;
  EXPECT_EQ(auth_value_line(v), "auth_value: NTLMSSP challenge target RPCTEST flags 0xE2898235");
}

TEST(FormatPdu, KerberosNamesRealmServiceSequenceAndErrorsButNoFlags) {
  auth::AuthValue v;
  v.token = token("Kerberos", "AP-REQ");
  v.token->realm = "RPCTEST.LAN";
  v.token->service = "host/rpcdc.rpctest.lan";
  v.token->flags = 0x2;  // RFC 4121 token flags are not shown
  EXPECT_EQ(auth_value_line(v),
            "auth_value: Kerberos AP-REQ realm RPCTEST.LAN service host/rpcdc.rpctest.lan");
  v.token = token("Kerberos", "Wrap (sealed)");
  v.token->sequence = 1059330751;
  v.token->flags = 0x3;
  EXPECT_EQ(auth_value_line(v), "auth_value: Kerberos Wrap (sealed) seq 1059330751");
  v.token = token("Kerberos", "KRB-ERROR");
  v.token->error_code = 24;
  EXPECT_EQ(auth_value_line(v), "auth_value: Kerberos KRB-ERROR error 24 (KDC_ERR_PREAUTH_FAILED)");
  v.token->error_code = 37;
  EXPECT_EQ(auth_value_line(v), "auth_value: Kerberos KRB-ERROR error 37 (KRB_AP_ERR_SKEW)");
  v.token->error_code = 99;  // no name
  EXPECT_EQ(auth_value_line(v), "auth_value: Kerberos KRB-ERROR error 99");
}

TEST(FormatPdu, SpnegoGivesMechsNegStateAndTheInnerToken) {
  auth::AuthValue v;
  v.spnego = auth::Spnego{"negTokenInit", {"MS Kerberos", "Kerberos"}, std::nullopt, "", false};
  v.token = token("Kerberos", "AP-REQ");
  v.token->realm = "RPCTEST.LAN";
  EXPECT_EQ(auth_value_line(v),
            "auth_value: SPNEGO negTokenInit mechs [MS Kerberos, Kerberos]; Kerberos AP-REQ realm "
            "RPCTEST.LAN");
  v.spnego = auth::Spnego{"negTokenResp", {}, 1, "NTLMSSP", false};
  v.token = token("NTLMSSP", "challenge");
  v.token->domain = "RPCTEST";
  EXPECT_EQ(auth_value_line(v),
            "auth_value: SPNEGO negTokenResp accept-incomplete supportedMech NTLMSSP; NTLMSSP "
            "challenge target RPCTEST");
  v.spnego = auth::Spnego{"negTokenResp", {}, 0, "", true};
  v.token.reset();
  EXPECT_EQ(auth_value_line(v), "auth_value: SPNEGO negTokenResp accept-completed mechListMIC");
  v.spnego = auth::Spnego{"negTokenResp", {}, 7, "", false};  // no such negState
  EXPECT_EQ(auth_value_line(v), "auth_value: SPNEGO negTokenResp negState 7");
  v.spnego = auth::Spnego{"negTokenInit", {"1.3.6.1.4.1.311.2.2.30"}, std::nullopt, "", false};
  v.inner_error = "truncated: AP-REQ cut short";
  EXPECT_EQ(auth_value_line(v),
            "auth_value: SPNEGO negTokenInit mechs [1.3.6.1.4.1.311.2.2.30]; inner token not "
            "decoded: truncated: AP-REQ cut short");
}

TEST(FormatPdu, NetlogonGivesComputerAndAlgorithms) {
  auth::AuthValue v;
  v.token = token("Netlogon", "negotiate request");
  v.token->domain = "RPCTEST";
  v.token->workstation = "WS01";
  v.token->flags = 0x3;
  EXPECT_EQ(auth_value_line(v),
            "auth_value: Netlogon negotiate request domain RPCTEST computer WS01 flags 0x00000003");
  v.token = token("Netlogon", "signature");
  v.token->signature_algorithm = 0x0013;
  v.token->seal_algorithm = 0x001A;
  v.token->flags = 0;
  EXPECT_EQ(auth_value_line(v),
            "auth_value: Netlogon signature sign HMAC-SHA256 seal AES-128 flags 0x00000000");
  v.token->signature_algorithm = 0x0077;
  v.token->seal_algorithm = 0xFFFF;
  EXPECT_EQ(auth_value_line(v),
            "auth_value: Netlogon signature sign HMAC-MD5 seal none flags 0x00000000");
  v.token->signature_algorithm = 0x1234;  // no names
  v.token->seal_algorithm = 0x00AB;
  EXPECT_EQ(auth_value_line(v),
            "auth_value: Netlogon signature sign 0x1234 seal 0x00AB flags 0x00000000");
}

TEST(FormatPdu, AuthValueThatDidNotDecodeGivesTheReason) {
  auto p = pdu(PacketType::bind, 1, dcerpc::Bind{});
  p.auth = analysis::AuthDecode{std::nullopt, "bad_signature: not \"NTLMSSP\\0\""};
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"auth_value not decoded: bad_signature: not \"NTLMSSP\\0\""}));
}

TEST(FormatPdu, SealedStubIsNotDecoded) {
  auto p = pdu(PacketType::request, 2, request(0));
  p.stub_encrypted = true;
  EXPECT_EQ(format_pdu(p).details.lines(), (Lines{"stub encrypted (packet privacy): not decoded"}));
}

// --- The endpoint mapper's stubs. ---

epm::Tower tcp_tower(std::optional<dcerpc::SyntaxId> interface, std::string_view address,
                     std::uint16_t port) {
  epm::Tower t;
  t.interface = interface;
  t.transfer_syntax = ndr();
  t.protseq = "ncacn_ip_tcp";
  t.address = common::IpAddress::parse(address);
  t.port = port;
  return t;
}

// The details of an EPM request (or response) carrying `value`.
Lines epm_lines(std::uint16_t opnum, epm::EpmValue value, bool is_request = true) {
  auto p = is_request ? pdu(PacketType::request, 2, request(opnum))
                      : pdu(PacketType::response, 2, response());
  p.epm =
      std::make_shared<const analysis::EpmDecode>(analysis::EpmDecode{opnum, std::move(value), ""});
  return format_pdu(p).details.lines();
}

TEST(FormatPdu, EptMapRequestGivesTowerObjectAndMaxTowers) {
  epm::EptMapRequest q;
  q.object = uuid("11111111-2222-3333-4444-555555555555");
  q.map_tower = tcp_tower(unnamed(), "0.0.0.0", 0);
  q.max_towers = 4;
  EXPECT_EQ(epm_lines(3, q), (Lines{fmt::format("ept_map request: {} ncacn_ip_tcp object "
                                                "11111111-2222-3333-4444-555555555555 max_towers 4",
                                                kUnnamed)}));
  q.object = common::Uuid{};  // nil: not shown
  q.map_tower->protseq.clear();
  EXPECT_EQ(epm_lines(3, q), (Lines{fmt::format("ept_map request: {} ? max_towers 4", kUnnamed)}));
  q.map_tower.reset();
  q.object.reset();
  q.max_towers = 1;
  EXPECT_EQ(epm_lines(3, q), (Lines{"ept_map request: max_towers 1"}));
}

TEST(FormatPdu, EptMapResponseListsTowersAndAFailedStatus) {
  epm::EptMapResponse r;
  r.towers = {tcp_tower(epm(), "10.1.1.2", 4764), tcp_tower(std::nullopt, "10.1.1.3", 1025)};
  r.num_towers = 2;
  EXPECT_EQ(epm_lines(3, r, false),
            (Lines{fmt::format("ept_map: {} -> ncacn_ip_tcp:10.1.1.2[4764]", kEpm),
                   "ept_map: ? -> ncacn_ip_tcp:10.1.1.3[1025]"}));
  r.towers.clear();
  r.num_towers = 0;
  r.status = 0x16C9A0D6;
  EXPECT_EQ(
      epm_lines(3, r, false),
      (Lines{"ept_map: 0 tower(s), status 0x16C9A0D6 (ept_s_not_registered)",
             "ept_map: the endpoint mapper has no endpoint for this interface: the service is "
             "not running or not registered; after ept_lookup it just ends the "
             "enumeration"}));
  r.status = 0;  // no tower and no error: said, with no meaning
  EXPECT_EQ(epm_lines(3, r, false), (Lines{"ept_map: 0 tower(s), status 0x0 (success)"}));
  r.towers = {tcp_tower(epm(), "10.1.1.2", 4764)};
  r.status = 0xABCD1234;  // a tower and a status without name or meaning
  EXPECT_EQ(epm_lines(3, r, false),
            (Lines{fmt::format("ept_map: {} -> ncacn_ip_tcp:10.1.1.2[4764]", kEpm),
                   "ept_map: 1 tower(s), status 0xABCD1234"}));
}

TEST(FormatPdu, EptLookupRequestGivesInquiryAndHandle) {
  epm::EptLookupRequest q;
  q.inquiry_type = 1;
  q.interface_id = epm();
  q.object = uuid("11111111-2222-3333-4444-555555555555");
  q.max_ents = 500;
  EXPECT_EQ(
      epm_lines(2, q),
      (Lines{fmt::format("ept_lookup request: inquiry_type 1 interface {} object "
                         "11111111-2222-3333-4444-555555555555 max_ents 500 entry_handle null",
                         kEpm)}));
  q = {};
  q.entry_handle = {0, uuid("7e1b0000-0000-4000-8000-00000000e9a1")};
  q.max_ents = 8;
  EXPECT_EQ(epm_lines(2, q), (Lines{"ept_lookup request: inquiry_type 0 max_ents 8 entry_handle "
                                    "7E1B0000-0000-4000-8000-00000000E9A1"}));
}

epm::EptEntry entry(std::uint16_t port) {
  epm::EptEntry e;
  e.tower = tcp_tower(epm(), "10.1.1.2", port);
  return e;
}
std::string entry_line(std::uint16_t port) {
  return fmt::format("  {} -> ncacn_ip_tcp:10.1.1.2[{}]", kEpm, port);
}

TEST(FormatPdu, EptLookupResponseShowsAtMostEightEntries) {
  epm::EptLookupResponse r;
  for (std::uint16_t i = 0; i < 10; ++i)
    r.entries.push_back(entry(static_cast<std::uint16_t>(49152 + i)));
  r.num_ents = 10;
  r.entry_handle = {0, uuid("4105009a-7195-4304-af61-57e8beae4a3c")};
  Lines expected = {"ept_lookup: 10 entries"};
  for (std::uint16_t i = 0; i < 8; ++i)
    expected.push_back(entry_line(static_cast<std::uint16_t>(49152 + i)));
  expected.push_back("  ... 2 more (rpctrace endpoints lists them all)");
  expected.push_back(
      "ept_lookup: entry_handle 4105009A-7195-4304-AF61-57E8BEAE4A3C, status 0x0 (success)");
  EXPECT_EQ(epm_lines(2, r, false), expected);
  r.entries.resize(8);  // eight: all of them, nothing more
  expected.erase(expected.begin() + 9);
  expected[0] = "ept_lookup: 8 entries";
  EXPECT_EQ(epm_lines(2, r, false), expected);
}

TEST(FormatPdu, EptLookupEntryLinesAndTheEndOfTheListing) {
  epm::EptLookupResponse r;
  epm::EptEntry e = entry(135);
  e.annotation = "Frs2 Service";
  e.object = uuid("5a7b91f8-ff00-11d0-a9b2-00c04fb6e6fc");
  r.entries = {e};
  r.entries.push_back(epm::EptEntry{});  // a null tower
  r.status = 0x16C9A0D6;
  EXPECT_EQ(
      epm_lines(2, r, false),
      (Lines{"ept_lookup: 2 entries",
             fmt::format("  {} \"Frs2 Service\" -> ncacn_ip_tcp:10.1.1.2[135] object "
                         "5A7B91F8-FF00-11D0-A9B2-00C04FB6E6FC",
                         kEpm),
             "  ?", "ept_lookup: entry_handle null, status 0x16C9A0D6 (ept_s_not_registered)"}));
  r.entries.resize(1);
  r.entries[0].annotation.clear();
  r.entries[0].object = {};
  r.status = 0;
  EXPECT_EQ(epm_lines(2, r, false), (Lines{"ept_lookup: 1 entry", entry_line(135),
                                           "ept_lookup: entry_handle null, status 0x0 (success)"}));
}

TEST(FormatPdu, EveryOtherEptOperation) {
  epm::EptInsertRequest ins;
  ins.entries = {entry(1025), entry(1026)};
  EXPECT_EQ(epm_lines(0, ins),
            (Lines{"ept_insert: 2 entries", entry_line(1025), entry_line(1026)}));
  EXPECT_EQ(epm_lines(0, epm::EptInsertResponse{0x16C9A0D6}, false),
            (Lines{"ept_insert: status 0x16C9A0D6 (ept_s_not_registered)"}));
  epm::EptDeleteRequest del;
  del.entries = {entry(1025)};
  EXPECT_EQ(epm_lines(1, del), (Lines{"ept_delete: 1 entry", entry_line(1025)}));
  EXPECT_EQ(epm_lines(1, epm::EptDeleteResponse{0}, false),
            (Lines{"ept_delete: status 0x0 (success)"}));
  epm::EptLookupHandleFreeRequest hf;
  hf.entry_handle = {0, uuid("c9f7e690-737e-4697-bd0a-7da95588d1e0")};
  EXPECT_EQ(epm_lines(4, hf),
            (Lines{"ept_lookup_handle_free: entry_handle C9F7E690-737E-4697-BD0A-7DA95588D1E0"}));
  EXPECT_EQ(epm_lines(4, epm::EptLookupHandleFreeResponse{{}, 0}, false),
            (Lines{"ept_lookup_handle_free: status 0x0 (success)"}));
  EXPECT_EQ(epm_lines(5, epm::EptInqObjectRequest{}), Lines{});  // no [in] data
  EXPECT_EQ(epm_lines(5, epm::EptInqObjectResponse{uuid("12345678-9abc-def0-1234-56789abcdef0"), 0},
                      false),
            (Lines{"ept_inq_object: 12345678-9ABC-DEF0-1234-56789ABCDEF0 status 0x0 (success)"}));
  epm::EptMgmtDeleteRequest md;
  md.object_speced = 1;
  md.object = uuid("12345678-9abc-def0-1234-56789abcdef0");
  md.tower = tcp_tower(epm(), "10.1.1.2", 4764);
  EXPECT_EQ(epm_lines(6, md),
            (Lines{"ept_mgmt_delete request: object 12345678-9ABC-DEF0-1234-56789ABCDEF0 "
                   "ncacn_ip_tcp:10.1.1.2[4764]"}));
  EXPECT_EQ(epm_lines(6, epm::EptMgmtDeleteRequest{}), (Lines{"ept_mgmt_delete request:"}));
  EXPECT_EQ(epm_lines(6, epm::EptMgmtDeleteResponse{0x6D3}, false),
            (Lines{fmt::format("ept_mgmt_delete: status {}", dcerpc::format_status(0x6D3))}));
}

TEST(FormatPdu, EpmStubThatDidNotDecodeGivesTheOperationAndWhy) {
  auto p = pdu(PacketType::response, 2, response());
  p.epm = std::make_shared<const analysis::EpmDecode>(
      analysis::EpmDecode{2, std::nullopt, "count_mismatch at stub offset 28: 5 > 4"});
  EXPECT_EQ(format_pdu(p).details.lines(),
            (Lines{"ept_lookup: not decoded: count_mismatch at stub offset 28: 5 > 4"}));
  // An error beside a value: the error wins, the value is not shown.
  p.epm = std::make_shared<const analysis::EpmDecode>(
      analysis::EpmDecode{3, epm::EptMapResponse{}, "tower_length"});
  EXPECT_EQ(format_pdu(p).details.lines(), (Lines{"ept_map: not decoded: tower_length"}));
}

}  // namespace
}  // namespace rpctrace::report

// --- One PduText reused from PDU to PDU, as the text writer does. ---

namespace rpctrace::report {
namespace {

TEST(TextLines, KeepsEachLineByItsEndNewlinesIncluded) {
  TextLines t;
  t.push_back("first");
  t.format("second {}", 2);
  t.open() += "a line\nwith a newline from the wire";
  t.end();
  t.push_back("");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0], "first");
  EXPECT_EQ(t[1], "second 2");
  EXPECT_EQ(t[2], "a line\nwith a newline from the wire");
  EXPECT_EQ(t[3], "");
  t.clear();
  EXPECT_TRUE(t.empty());
  t.push_back("again");
  EXPECT_EQ(t.lines(), (Lines{"again"}));
}

TEST(FormatPdu, AReusedPduTextGivesWhatAFreshOneGives) {
  // A bind with many detail lines first, then a response with fewer and a shorter summary:
  // nothing of the first may remain in the second.
  dcerpc::Bind b;
  b.max_xmit_frag = b.max_recv_frag = 0x16D0;
  b.contexts = {{0, epm(), {ndr()}}, {1, epm(), {ndr64()}}, {2, epm(), {btfn()}}};
  auto bind = pdu(PacketType::bind, 1, b);
  auto answer = pdu(PacketType::response, 2, response());
  answer.event.interface = epm();
  answer.event.opnum = 3;
  answer.event.request_frame = 6;
  answer.event.latency_us = 1000;
  PduText reused;
  for (const auto* p : {&bind, &answer, &bind, &answer}) {
    format_pdu(*p, reused);
    const PduText fresh = format_pdu(*p);
    EXPECT_EQ(reused.summary, fresh.summary);
    EXPECT_EQ(reused.details.lines(), fresh.details.lines());
  }
  EXPECT_EQ(reused.details.lines(), (Lines{"answers request in frame 6, 0.001000 s later"}));
  EXPECT_EQ(reused.summary,
            "MSRPC: c/o RPC Response: call 0x2 context 0x0 hint 0x80 cancels 0x0  EPMv4 v3.0 "
            "ept_map (opnum 0x3)");
}

}  // namespace
}  // namespace rpctrace::report
