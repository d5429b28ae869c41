// Diagnosis, part 3 (diagnosis_carrier.cpp): the SMB steps before a named pipe carries RPC —
// session setup, tree connect, the create of the pipe — refused, and SMB3 encryption, fed as
// synthetic carrier events. Each rule fires once and is shown a near miss that must not.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rpctrace/analysis/diagnosis.hpp"
#include "unit/analysis/analysis_test_util.hpp"

namespace rpctrace::analysis::test {
namespace {

const common::Endpoint kSmbClient = endpoint("10.5.0.20", 49800);
const common::Endpoint kSmbServer = endpoint("10.5.0.1", 445);

constexpr std::uint32_t kSuccess = 0;
constexpr std::uint32_t kMoreProcessing = 0xC0000016;  // STATUS_MORE_PROCESSING_REQUIRED
constexpr std::uint32_t kLogonFailure = 0xC000006D;    // STATUS_LOGON_FAILURE
constexpr std::uint32_t kAccessDenied = 0xC0000022;    // STATUS_ACCESS_DENIED
constexpr std::uint32_t kBadNetworkName = 0xC00000CC;  // STATUS_BAD_NETWORK_NAME
constexpr std::uint32_t kNameNotFound = 0xC0000034;    // STATUS_OBJECT_NAME_NOT_FOUND
constexpr std::uint32_t kPipeNotAvailable = 0xC00000AC;
constexpr std::uint32_t kBufferOverflow = 0x80000005;  // STATUS_BUFFER_OVERFLOW: a warning

// The create of `pipe` answered with `status`, as the transport reports it.
std::uint64_t open_pipe(ConvScript& c, const std::string& pipe, std::uint32_t status,
                        std::optional<SyntaxId> iface, std::string account = {}) {
  CarrierEvent q;
  q.kind = CarrierEventKind::open;
  q.command = "SMB2 CREATE";
  q.text = pipe;
  q.interface = iface;
  const std::uint64_t request = c.send_event(From::client, q);
  CarrierEvent a = q;
  a.response = true;
  a.status = status;
  a.request_frame = request;
  a.account = std::move(account);
  return c.send_event(From::server, std::move(a));
}

TEST_F(DiagnosisTest, ALogonFailureAtSessionSetupIsSmbSessionRefused) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  c.handshake();
  c.smb_step(CarrierEventKind::session_setup, "SMB2 SESSION_SETUP", "", kMoreProcessing);
  const std::uint64_t answer = c.smb_step(CarrierEventKind::session_setup, "SMB2 SESSION_SETUP",
                                          "RPCTEST\\rpuser000", kLogonFailure);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"smb_session_refused"}) << dump();
  const Finding& f = one(FindingKind::smb_session_refused);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{answer - 1, answer}));
  EXPECT_EQ(f.port, 445);
  EXPECT_TRUE(Contains(f.message, "refused the SMB session setup of RPCTEST\\rpuser000"));
  EXPECT_TRUE(Contains(f.message, "STATUS_LOGON_FAILURE"));
  EXPECT_TRUE(Contains(f.evidence, "answered in frame " + std::to_string(answer)));
  EXPECT_TRUE(Contains(f.next_step, "password"));
  EXPECT_TRUE(result().has_error());
}

TEST_F(DiagnosisTest, MoreProcessingSuccessAndWarningsAreNoRefusal) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  c.smb_step(CarrierEventKind::session_setup, "SMB2 SESSION_SETUP", "", kMoreProcessing);
  c.smb_step(CarrierEventKind::session_setup, "SMB2 SESSION_SETUP", "A\\b", kSuccess);
  c.smb_step(CarrierEventKind::tree_connect, "SMB2 TREE_CONNECT", "\\\\dc\\IPC$", kSuccess);
  open_pipe(c, "\\PIPE\\samr", kSuccess, kSamr);
  open_pipe(c, "\\PIPE\\lsarpc", kBufferOverflow, std::nullopt);
  // A request with an error status is not an answer.
  CarrierEvent q;
  q.kind = CarrierEventKind::open;
  q.text = "\\PIPE\\x";
  q.status = kAccessDenied;
  c.send_event(From::client, q);
  c.end();
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

TEST_F(DiagnosisTest, ARefusedTreeConnectToIpcIsAnError) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  c.smb_step(CarrierEventKind::tree_connect, "SMB2 TREE_CONNECT", "\\\\dc\\ipc$", kAccessDenied,
             "anonymous (NTLMSSP)");
  c.end();
  finish();
  const Finding& f = one(FindingKind::smb_tree_refused);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_TRUE(Contains(f.message, "refused the tree connect to \\\\dc\\ipc$"));
  EXPECT_TRUE(Contains(f.message, "no named pipe can be opened"));
  EXPECT_TRUE(Contains(f.evidence, "session of anonymous (NTLMSSP)"));
  EXPECT_TRUE(Contains(f.next_step, "anonymous"));
}

TEST_F(DiagnosisTest, ARefusedDiskShareIsInfoAndABadNetworkNameNamesTheServerService) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  c.smb_step(CarrierEventKind::tree_connect, "SMB2 TREE_CONNECT", "\\\\dc\\C$", kAccessDenied);
  c.smb_step(CarrierEventKind::tree_connect, "SMB2 TREE_CONNECT", "\\\\dc\\IPC$", kBadNetworkName);
  c.end();
  finish();
  ASSERT_EQ(result().findings.size(), 2U) << dump();
  EXPECT_EQ(result().findings[0].severity, Severity::info);
  EXPECT_TRUE(Contains(result().findings[0].next_step, "named pipes are not affected"));
  EXPECT_EQ(result().findings[1].severity, Severity::error);
  EXPECT_TRUE(Contains(result().findings[1].next_step, "LanmanServer"));
}

TEST_F(DiagnosisTest, APipeNoServiceServesIsPipeOpenRefusedAndItsServiceFailed) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  const std::uint64_t answer = open_pipe(c, "\\PIPE\\samr", kNameNotFound, kSamr, "A\\b");
  c.end();
  finish();
  const Finding& f = one(FindingKind::pipe_open_refused);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(name_of(f.interface), name_of(kSamr));
  EXPECT_EQ(f.frames.back(), answer);
  EXPECT_TRUE(Contains(f.message, "refused to open the pipe \\PIPE\\samr (SAMR)"));
  EXPECT_TRUE(Contains(f.message, "STATUS_OBJECT_NAME_NOT_FOUND"));
  EXPECT_TRUE(Contains(f.evidence, "session of A\\b"));
  EXPECT_TRUE(Contains(f.next_step, "no service serves this pipe"));
  const ServiceStatus& s = service(kSamr);
  EXPECT_EQ(s.state(), ServiceState::failed);
  EXPECT_EQ(s.port, 445);
}

TEST_F(DiagnosisTest, AccessDeniedAndBusyPipesHaveTheirOwnNextSteps) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  open_pipe(c, "\\PIPE\\svcctl", kAccessDenied, std::nullopt);
  open_pipe(c, "\\PIPE\\spoolss", kPipeNotAvailable, std::nullopt);
  c.end();
  finish();
  ASSERT_EQ(result().findings.size(), 2U) << dump();
  EXPECT_TRUE(Contains(result().findings[0].next_step, "NullSessionPipes"));
  EXPECT_TRUE(Contains(result().findings[1].next_step, "every instance of the pipe is in use"));
  EXPECT_TRUE(result().services.empty());  // no interface known: no service to mark
}

TEST_F(DiagnosisTest, TheSameRefusalRepeatedIsOneFindingWithACount) {
  ConvScript a = conv(1, kSmbClient, kSmbServer);
  ConvScript b = conv(2, endpoint("10.5.0.20", 49801), kSmbServer);
  std::vector<std::uint64_t> answers;
  for (int i = 0; i < 12; ++i)
    answers.push_back(open_pipe(i % 2 ? b : a, "\\PIPE\\winreg", kAccessDenied, std::nullopt));
  open_pipe(a, "\\PIPE\\winreg", kNameNotFound, std::nullopt);  // another status: its own
  a.end();
  b.end();
  finish();
  ASSERT_EQ(result().findings.size(), 2U) << dump();
  const Finding& f = result().findings[0];
  EXPECT_EQ(f.count, 12U);
  EXPECT_EQ(f.frames.size(), Diagnosis::kMaxFindingFrames);
  EXPECT_EQ(f.frames[1], answers[0]);
  EXPECT_TRUE(Contains(f.evidence, "12 times in all, frames"));
  EXPECT_TRUE(Contains(f.evidence, "and 16 more"));  // 24 frames, 8 listed
  EXPECT_EQ(result().findings[1].count, 1U);
}

TEST_F(DiagnosisTest, AnSmb1DosErrorIsARefusalToo) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  // ERRSRV (2) / ERRbadpw (2): no NT status, class and code (MS-CIFS 2.2.3.1).
  c.smb_step(CarrierEventKind::session_setup, "SMB1 SESSION_SETUP_ANDX", "D\\u", 0x00020002);
  // STATUS_PENDING (0x103) and STATUS_BUFFER_OVERFLOW are no refusal.
  open_pipe(c, "\\PIPE\\samr", 0x00000103, kSamr);
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"smb_session_refused"}) << dump();
  EXPECT_TRUE(Contains(one(FindingKind::smb_session_refused).message, "ERRSRV/ERRbadpw"));
}

TEST_F(DiagnosisTest, EncryptionIsSaidOncePerConversation) {
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  CarrierEvent e;
  e.kind = CarrierEventKind::encrypted;
  e.command = "SMB3 encrypted";
  e.text = "pipe traffic not visible";
  const std::uint64_t first = c.send_event(From::client, e);
  c.send_event(From::server, e);
  c.end();
  finish();
  const Finding& f = one(FindingKind::smb_encrypted);
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_EQ(f.frames, std::vector<std::uint64_t>{first});
  EXPECT_TRUE(Contains(f.message, "cannot be seen"));
  EXPECT_FALSE(result().has_error());
}

TEST_F(DiagnosisTest, InterfacesKeepPipeRefusalsOfTheirInterfaceOnly) {
  options(DiagnoseOptions{.interfaces = {"LSARPC"}});
  ConvScript c = conv(1, kSmbClient, kSmbServer);
  open_pipe(c, "\\PIPE\\samr", kNameNotFound, kSamr);
  open_pipe(c, "\\PIPE\\lsarpc", kNameNotFound, interface_named("LSARPC"));
  c.end();
  finish();
  ASSERT_EQ(result().findings.size(), 1U) << dump();
  EXPECT_TRUE(Contains(result().findings[0].message, "lsarpc"));
}

// --- RPC over HTTP v2 (diagnosis_http.cpp) ---

const common::Endpoint kHttpClient = endpoint("10.6.3.10", 1701);
const common::Endpoint kProxy = endpoint("10.6.3.5", 80);

// A channel's request head, and the proxy's answer with `status` and `reason`; returns the
// answer's frame.
std::uint64_t channel_head(ConvScript& c, const std::string& method, std::uint32_t status,
                           const std::string& reason, const std::string& target) {
  CarrierEvent q;
  q.kind = CarrierEventKind::http_request;
  q.command = method;
  q.text = "/rpc/rpcproxy.dll?" + target;
  q.proxy_target = target;
  const std::uint64_t request = c.send_event(From::client, q);
  CarrierEvent a;
  a.kind = CarrierEventKind::http_response;
  a.response = true;
  a.command = "HTTP/1.1";
  a.status = status;
  a.text = reason;
  a.request_frame = request;
  return c.send_event(From::server, a);
}

ReportedPdu rts_pdu(dcerpc::RtsPduName name) {
  ReportedPdu p;
  p.event.header.ptype = dcerpc::PacketType::rts;
  p.event.body = dcerpc::Rts{};
  p.rts_names = {name};
  return p;
}

TEST_F(DiagnosisTest, AProxyForbiddingTheRpcDirectoryIsRpcProxyRefused) {
  ConvScript c = conv(1, kHttpClient, kProxy);
  c.handshake();
  const std::uint64_t answer =
      channel_head(c, "RPC_IN_DATA", 403, "Forbidden", "exch01.contoso.com:6001");
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"rpc_proxy_refused"}) << dump();
  const Finding& f = one(FindingKind::rpc_proxy_refused);
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{answer - 1, answer}));
  EXPECT_TRUE(Contains(f.message, "refused the IN channel to exch01.contoso.com:6001"));
  EXPECT_TRUE(Contains(f.message, "HTTP 403 Forbidden"));
  EXPECT_TRUE(Contains(f.next_step, "SSL required"));
}

TEST_F(DiagnosisTest, ASetupThatStopsAfterConnA3IsVirtualConnectionIncomplete) {
  ConvScript c = conv(1, kHttpClient, kProxy);
  c.handshake();
  const std::uint64_t ok = channel_head(c, "RPC_OUT_DATA", 200, "Success", "exch01:6001");
  const std::uint64_t a1 = c.send_pdu(From::client, rts_pdu(dcerpc::RtsPduName::conn_a1)).frame;
  const std::uint64_t a3 = c.send_pdu(From::server, rts_pdu(dcerpc::RtsPduName::conn_a3)).frame;
  VirtualConnection vc;
  vc.conversation = 1;
  c.virtual_connection = vc;
  c.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"virtual_connection_incomplete"}) << dump();
  const Finding& f = one(FindingKind::virtual_connection_incomplete);
  EXPECT_EQ(f.frames, (std::vector<std::uint64_t>{a1, ok, a3}));
  EXPECT_TRUE(Contains(f.message, "CONN/A3 came, CONN/C2 did not"));
  EXPECT_TRUE(Contains(f.next_step, "IN channel"));
}

TEST_F(DiagnosisTest, AWholeSetupAndAJoinedChannelAreNoIncompleteConnection) {
  // Every step came: nothing to say.
  ConvScript whole = conv(1, kHttpClient, kProxy);
  channel_head(whole, "RPC_OUT_DATA", 200, "Success", "exch01:6001");
  for (auto n :
       {dcerpc::RtsPduName::conn_a1, dcerpc::RtsPduName::conn_a3, dcerpc::RtsPduName::conn_c2})
    whole.send_pdu(From::server, rts_pdu(n));
  VirtualConnection vc;
  vc.conversation = 1;
  whole.virtual_connection = vc;
  whole.end();
  // A channel that joined another conversation is judged there, not here.
  ConvScript joined = conv(2, endpoint("10.6.3.10", 1702), kProxy);
  channel_head(joined, "RPC_OUT_DATA", 200, "Success", "exch01:6001");
  joined.send_pdu(From::client, rts_pdu(dcerpc::RtsPduName::conn_a1));
  VirtualConnection other;
  other.conversation = 1;
  joined.virtual_connection = other;
  joined.end(EndReason::joined);
  finish();
  EXPECT_TRUE(result().findings.empty()) << dump();
}

TEST_F(DiagnosisTest, TlsOn443IsSaidOncePerServerNameAndNotForH2OrOtherPorts) {
  CarrierEvent hello;
  hello.kind = CarrierEventKind::tls_client_hello;
  hello.command = "TLS ClientHello";
  hello.text = "mail.contoso.com";
  hello.alpn = "http/1.1";
  for (std::uint16_t port : {std::uint16_t{1601}, std::uint16_t{1602}}) {
    ConvScript c = conv(port, endpoint("10.6.2.10", port), endpoint("10.6.2.5", 443));
    c.shown = false;
    c.send_event(From::client, hello);
    c.end();
  }
  CarrierEvent h2 = hello;
  h2.alpn = "h2";
  ConvScript web = conv(3, endpoint("10.6.2.10", 1603), endpoint("10.6.2.5", 443));
  web.send_event(From::client, h2);
  web.end();
  ConvScript other = conv(4, endpoint("10.6.2.10", 1604), endpoint("10.6.2.5", 8443));
  other.send_event(From::client, hello);
  other.end();
  finish();
  EXPECT_EQ(kinds(), std::vector<std::string>{"https_encrypted"}) << dump();
  const Finding& f = one(FindingKind::https_encrypted);
  EXPECT_EQ(f.severity, Severity::info);
  EXPECT_EQ(f.count, 2u);
  EXPECT_TRUE(Contains(f.message, "mail.contoso.com"));
}

}  // namespace
}  // namespace rpctrace::analysis::test
