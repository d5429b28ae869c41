// ncacn_np end to end (capture -> TCP -> SMB2 -> pipes -> analysis): builder-made SMB2
// conversations on 445 (tests/support/np_script.hpp) — the pipe found by its CREATE, PDUs
// through WRITE/READ and FSCTL_PIPE_TRANSCEIVE, a PDU split over messages and segments, async
// answers, related compound members, refusals, encryption, each limit of smb::Limits passed,
// and DCE/RPC spoken straight on 445.
#include <gtest/gtest.h>

#include "support/np_script.hpp"
#include "support/pdu_builder.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report {
namespace {

using namespace harness;
using analysis::CarrierEventKind;
using analysis::Protseq;

constexpr ts::SyntaxId kSamr{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ac"), 1, 0};
constexpr ts::SyntaxId kLsa{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 0, 0};
constexpr std::uint32_t kNameNotFound = 0xC0000034;

ts::Bytes bind(std::uint32_t call_id, const ts::SyntaxId& iface) {
  return ts::PduBuilder(ts::Ptype::bind)
      .call_id(call_id)
      .context({0, iface, {ts::kNdrSyntax}})
      .build();
}
ts::Bytes bind_ack(std::uint32_t call_id) {
  return ts::PduBuilder(ts::Ptype::bind_ack)
      .call_id(call_id)
      .assoc_group_id(0x1234)
      .sec_addr("\\PIPE\\lsass")
      .result({})
      .build();
}
ts::Bytes request(std::uint32_t call_id, std::uint16_t opnum, std::size_t stub = 20) {
  return ts::PduBuilder(ts::Ptype::request)
      .call_id(call_id)
      .opnum(opnum)
      .stub(ts::Bytes(stub, std::byte{0}))
      .build();
}
ts::SendOptions segments(std::size_t size) {
  ts::SendOptions o;
  o.segment_size = size;
  return o;
}
ts::Bytes response(std::uint32_t call_id, std::size_t stub = 24) {
  return ts::PduBuilder(ts::Ptype::response).call_id(call_id).stub(ts::Bytes(stub)).build();
}

struct Np {
  ts::Capture cap;
  std::optional<ts::TcpScript> tcp;
  std::optional<ts::NpScript> smb;
  explicit Np(std::uint16_t client_port = 50000) {
    tcp.emplace(cap, config("10.1.1.1", client_port, "10.1.1.2", 445));
    tcp->handshake();
    smb.emplace(*tcp);
  }
};

const analysis::Conversation& only_conversation(const Analysis& r) {
  EXPECT_EQ(r.writer.conversations.size(), 1U);
  return r.writer.conversations.at(0);
}

std::vector<const analysis::CarrierEvent*> events(const Analysis& r, CarrierEventKind k) {
  std::vector<const analysis::CarrierEvent*> out;
  for (const auto& f : r.writer.frames)
    for (const auto& e : f.events)
      if (e.kind == k) out.push_back(&e);
  return out;
}

TEST(NamedPipes, SamrThroughWriteReadAndTransceiveIsOneNcacnNpConversation) {
  Np t;
  t.smb->logon("RPCTEST", "alice");
  auto f = t.smb->create("samr");
  t.smb->write_read(f, bind(1, kSamr), bind_ack(1));
  t.smb->transceive(f, request(2, 64), response(2));
  t.smb->close(f);
  t.tcp->close();
  Analysis r = analyze_capture(t.cap);
  const auto& c = only_conversation(r);
  EXPECT_EQ(c.protseq, Protseq::ncacn_np);
  EXPECT_EQ(c.pdus, 4U);
  ASSERT_EQ(c.channels.size(), 1U);
  EXPECT_EQ(c.channels[0]->name, "\\PIPE\\samr");
  EXPECT_EQ(c.channels[0]->account, "RPCTEST\\alice");
  EXPECT_EQ(c.channels[0]->handle, "1:40000001");
  EXPECT_EQ(c.channels[0]->dialect, "SMB 3.1.1");
  ASSERT_EQ(r.writer.calls.size(), 1U);
  const auto& call = r.writer.calls[0];
  EXPECT_EQ(call.call.opnum, 64);
  EXPECT_EQ(call.call.outcome, dcerpc::CallOutcome::response);
  ASSERT_TRUE(call.channel);
  EXPECT_EQ(call.channel->name, "\\PIPE\\samr");
  ASSERT_TRUE(call.call.interface);
  EXPECT_EQ(call.call.interface->uuid.to_string(), "12345778-1234-abcd-ef00-0123456789ac");
  EXPECT_EQ(events(r, CarrierEventKind::open).size(), 2U);  // request and answer
  EXPECT_EQ(events(r, CarrierEventKind::close).size(), 2U);
  EXPECT_EQ(r.writer.stats.counter("smb_pipes_unnamed"), 0U);
}

TEST(NamedPipes, APduSplitOverTwoWritesAndSegmentsEndsAtItsLastByte) {
  Np t;
  t.smb->logon("D", "u");
  auto f = t.smb->create("lsarpc");
  const ts::Bytes pdu = bind(1, kLsa);
  const ts::Bytes head(pdu.begin(), pdu.begin() + 30), tail(pdu.begin() + 30, pdu.end());
  std::uint64_t id = t.smb->next_message_id();
  const std::uint64_t s = t.smb->session;
  t.tcp->send(ts::Direction::to_server,
              ts::smb2_session({ts::smb2_write_request(id, s, 1, f, head)}), segments(50));
  t.tcp->send(ts::Direction::to_client, ts::smb2_session({ts::smb2_write_response(id, s, 1, 30)}));
  id = t.smb->next_message_id();
  t.tcp->send(ts::Direction::to_server,
              ts::smb2_session({ts::smb2_write_request(id, s, 1, f, tail)}), segments(40));
  const std::uint64_t last_frame = t.cap.frames().size();  // the last segment of that write
  t.tcp->send(ts::Direction::to_client, ts::smb2_session({ts::smb2_write_response(id, s, 1, 42)}));
  Analysis r = analyze_capture(t.cap);
  std::uint64_t bind_frame = 0;
  for (const auto& fr : r.writer.frames)
    for (const auto& p : fr.pdus)
      if (p.event.header.ptype == dcerpc::PacketType::bind) bind_frame = fr.frame;
  EXPECT_EQ(bind_frame, last_frame);
}

TEST(NamedPipes, AnAsyncPendingAnswerIsInterimAndTheFinalOneCarriesTheBytes) {
  Np t;
  t.smb->logon("D", "u");
  auto f = t.smb->create("samr");
  const std::uint64_t id = t.smb->next_message_id();
  const std::uint64_t s = t.smb->session;
  t.tcp->send(ts::Direction::to_server,
              ts::smb2_session({ts::smb2_transceive_request(id, s, 1, f, bind(1, kSamr))}));
  ts::Smb2Message interim =
      ts::smb2_error_response(ts::smb2cmd::ioctl, id, s, 1, ts::kStatusPending);
  interim.flags |= ts::kSmb2FlagAsync;
  interim.async_id = 9;
  t.tcp->send(ts::Direction::to_client, ts::smb2_session({interim}));
  ts::Smb2Message final_answer = ts::smb2_transceive_response(id, s, 1, f, bind_ack(1));
  final_answer.flags |= ts::kSmb2FlagAsync;
  final_answer.async_id = 9;
  t.tcp->send(ts::Direction::to_client, ts::smb2_session({final_answer}));
  Analysis r = analyze_capture(t.cap);
  EXPECT_EQ(only_conversation(r).pdus, 2U);
  EXPECT_EQ(r.writer.stats.counter("smb_responses_unmatched"), 0U);
}

TEST(NamedPipes, RelatedCompoundMembersWriteToThePipeTheirCreateOpens) {
  Np t;
  t.smb->logon("D", "u");
  const std::uint64_t s = t.smb->session;
  const std::uint64_t create_id = t.smb->next_message_id(), write_id = t.smb->next_message_id(),
                      read_id = t.smb->next_message_id();
  ts::Smb2Message write = ts::smb2_write_request(write_id, s, 1, ts::kRelatedFileId, bind(1, kLsa));
  write.flags |= ts::kSmb2FlagRelated;
  ts::Smb2Message read = ts::smb2_read_request(read_id, s, 1, ts::kRelatedFileId, 4280);
  read.flags |= ts::kSmb2FlagRelated;
  const ts::Smb2FileId real{7, 0x77};
  t.smb->exchange(
      {ts::smb2_create_request(create_id, s, 1, "lsarpc"), write, read},
      {ts::smb2_create_response(create_id, s, 1, real), ts::smb2_write_response(write_id, s, 1, 72),
       ts::smb2_read_response(read_id, s, 1, bind_ack(1))});
  t.smb->transceive(real, request(2, 44), response(2));  // later, by its real FileId
  Analysis r = analyze_capture(t.cap);
  const auto& c = only_conversation(r);
  ASSERT_EQ(c.channels.size(), 1U);
  EXPECT_EQ(c.channels[0]->name, "\\PIPE\\lsarpc");
  EXPECT_EQ(c.channels[0]->handle, "7:77");
  EXPECT_EQ(c.pdus, 4U);
  ASSERT_EQ(r.writer.calls.size(), 1U);
  ASSERT_TRUE(r.writer.calls[0].call.interface);
  EXPECT_FALSE(r.writer.calls[0].call.interface_inferred);  // the bind was seen on this pipe
  EXPECT_EQ(r.writer.stats.counter("smb_pipes_unnamed"), 0U);
}

TEST(NamedPipes, ARefusedCreateIsAnOpenEventWithItsStatusAndTheInterfaceItsNameImplies) {
  Np t;
  t.smb->logon("D", "u");
  t.smb->create("samr", kNameNotFound);
  Analysis r = analyze_capture(t.cap);
  auto opens = events(r, CarrierEventKind::open);
  ASSERT_EQ(opens.size(), 2U);
  EXPECT_TRUE(opens[1]->response);
  EXPECT_EQ(opens[1]->status, kNameNotFound);
  EXPECT_EQ(opens[1]->account, "D\\u");
  ASSERT_TRUE(opens[1]->interface);
  EXPECT_EQ(opens[1]->interface->uuid.to_string(), "12345778-1234-abcd-ef00-0123456789ac");
  EXPECT_TRUE(only_conversation(r).channels.empty());
}

TEST(NamedPipes, AnAnonymousSessionIsNamedSo) {
  Np t;
  t.smb->logon("", "");
  Analysis r = analyze_capture(t.cap);
  auto setups = events(r, CarrierEventKind::session_setup);
  ASSERT_EQ(setups.size(), 4U);  // two legs, each a request and its answer
  EXPECT_EQ(setups[2]->text, "anonymous (NTLMSSP)");
  EXPECT_EQ(setups[1]->status, 0xC0000016U);  // STATUS_MORE_PROCESSING_REQUIRED
}

TEST(NamedPipes, EncryptedMessagesAreSaidAndCountedNeverDecoded) {
  Np t;
  t.smb->logon("D", "u");
  // SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41): 0xFD 'SMB', signature, nonce, sizes, then cipher.
  ts::ByteWriter w;
  w.u8(0xfd).text("SMB").zeros(16).zeros(16).u32(80).u16(0).u16(1).u64(t.smb->session);
  w.bytes(bind(1, kSamr));  // looks like a PDU, but it is ciphertext: never decoded
  ts::Bytes body = w.take();
  ts::ByteWriter nb;
  nb.u8(0).u8(0).u16_be(static_cast<std::uint16_t>(body.size())).bytes(body);
  t.tcp->send(ts::Direction::to_server, nb.view());
  t.tcp->send(ts::Direction::to_client, nb.view());
  Analysis r = analyze_capture(t.cap);
  EXPECT_EQ(r.writer.stats.counter("smb_encrypted_messages"), 2U);
  EXPECT_EQ(events(r, CarrierEventKind::encrypted).size(), 1U);
  EXPECT_EQ(only_conversation(r).pdus, 0U);
  EXPECT_TRUE(only_conversation(r).shown);  // said, even with no PDU
}

// --- Each limit of smb::Limits, passed: counted, and what is within still decodes. ---

TEST(NamedPipeLimits, PipesPastMaxPipesAreCountedAndNotFollowed) {
  Np t;
  t.smb->logon("D", "u");
  auto a = t.smb->create("samr");
  auto b = t.smb->create("lsarpc");
  auto c = t.smb->create("srvsvc");  // the third: past the limit
  t.smb->transceive(a, bind(1, kSamr), bind_ack(1));
  t.smb->transceive(c, bind(1, kSamr), bind_ack(1));
  t.smb->close(b);
  RunOptions o;
  o.transport.smb.max_pipes = 2;
  Analysis r = analyze_capture(t.cap, o);
  EXPECT_EQ(r.writer.stats.counter("smb_pipes_over_limit"), 2U);  // its open, its message
  const auto& conv = only_conversation(r);
  EXPECT_EQ(conv.channels.size(), 2U);
  EXPECT_EQ(conv.pdus, 2U);  // the pipe within the limit; the third's PDUs are not followed
}

TEST(NamedPipeLimits, RequestsPastMaxPendingAreDroppedAndCounted) {
  Np t;
  t.smb->logon("D", "u");
  auto f = t.smb->create("samr");
  const std::uint64_t s = t.smb->session;
  std::vector<ts::Smb2Message> reads;
  for (int i = 0; i < 5; ++i)
    reads.push_back(ts::smb2_read_request(t.smb->next_message_id(), s, 1, f, 4280));
  for (const auto& m : reads) t.tcp->send(ts::Direction::to_server, ts::smb2_session({m}));
  t.smb->transceive(f, bind(1, kSamr), bind_ack(1));
  RunOptions o;
  o.transport.smb.max_pending = 4;
  Analysis r = analyze_capture(t.cap, o);
  EXPECT_GT(r.writer.stats.counter("smb_requests_dropped"), 0U);
  EXPECT_EQ(only_conversation(r).pdus, 2U);  // later requests still pair with their answers
}

TEST(NamedPipeLimits, TreesPastMaxTreesAreNotRemembered) {
  Np t;
  t.smb->logon("D", "u");  // tree 1: IPC$
  t.smb->tree = 2;
  t.smb->tree_connect("\\\\dc1\\data", 0);  // tree 2: past max_trees 1, not remembered
  auto f = t.smb->create("samr");  // on tree 2, whose kind is unknown: followed all the same
  t.smb->transceive(f, bind(1, kSamr), bind_ack(1));
  RunOptions o;
  o.transport.smb.max_trees = 1;
  Analysis r = analyze_capture(t.cap, o);
  EXPECT_EQ(only_conversation(r).pdus, 2U);
}

TEST(NamedPipeLimits, AMessagePastMaxMessageSizeIsSkippedAndTheNextOneDecodes) {
  Np t;
  t.smb->logon("D", "u");
  auto f = t.smb->create("samr");
  t.smb->transceive(f, request(1, 5, 3000), response(1));  // a 3 KB request: over the limit
  t.smb->transceive(f, bind(2, kSamr), bind_ack(2));
  RunOptions o;
  o.transport.smb.max_message_size = 2048;
  Analysis r = analyze_capture(t.cap, o);
  EXPECT_EQ(r.writer.stats.counter("smb_messages_over_limit"), 1U);
  EXPECT_EQ(r.writer.stats.counter("smb_responses_unmatched"), 1U);  // its request not decoded
  EXPECT_EQ(only_conversation(r).pdus, 2U);  // the next exchange: bind and bind_ack
}

TEST(NamedPipes, DceRpcStraightOnPort445IsDecodedAsNcacnIpTcp) {
  Np t;
  t.tcp->send(ts::Direction::to_server, bind(1, kSamr));
  t.tcp->send(ts::Direction::to_client, bind_ack(1));
  t.tcp->send(ts::Direction::to_server, request(2, 5));
  t.tcp->send(ts::Direction::to_client, response(2));
  t.tcp->close();
  Analysis r = analyze_capture(t.cap);
  const auto& c = only_conversation(r);
  EXPECT_EQ(c.protseq, Protseq::ncacn_ip_tcp);
  EXPECT_EQ(c.pdus, 4U);
  EXPECT_EQ(r.writer.stats.counter("smb_dcerpc_connections"), 1U);
  EXPECT_EQ(r.writer.stats.counter("smb_not_smb_bytes"), 0U);
  ASSERT_EQ(r.writer.calls.size(), 1U);
  EXPECT_EQ(r.writer.calls[0].call.outcome, dcerpc::CallOutcome::response);
}

}  // namespace
}  // namespace rpctrace::report
