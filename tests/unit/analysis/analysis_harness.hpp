// Helpers shared by the analysis unit tests: addresses and times, the interfaces the tests bind,
// PDUs built by the test builders, a recording Sink, and a TrackerHarness that drives a Tracker
// as a transport adapter does (src/transport/ncacn_ip_tcp.cpp): open(); per frame
// begin_frame(), attribute()/pdu()/attribute_current() per delivery, note(), end_frame(); then
// closing(), what the framer still holds, close(). No capture, no TCP layer: synthetic events.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpctrace/analysis/epm_links.hpp"
#include "rpctrace/analysis/model.hpp"
#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/epm/types.hpp"
#include "support/epm_builder.hpp"
#include "support/pdu_builder.hpp"
#include "support/tower_builder.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::analysistest {

namespace ts = rpctrace::testsupport;
using unittest::to_syntax;
using unittest::to_uuid;
using unittest::view;

// --- Addresses and times ---

inline common::IpAddress ip(std::string_view text) {
  auto a = common::IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(common::IpAddress{});
}

inline common::Endpoint ep(std::string_view address, std::uint16_t port) {
  return common::Endpoint{ip(address), port};
}

// A capture time `us` microseconds after 1700000000 s.
inline common::Timestamp at_us(std::int64_t us) {
  common::Timestamp t;
  t.sec = 1700000000 + us / 1000000;
  t.usec = static_cast<std::int32_t>(us % 1000000);
  return t;
}

inline dcerpc::FrameRef ref(std::uint64_t frame, std::int64_t us) {
  return dcerpc::FrameRef{frame, at_us(us)};
}

// --- Interfaces (UUIDs from the names table: src/dcerpc/data/interfaces.tsv) ---

inline constexpr ts::SyntaxId kSamrTs{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ac"), 1,
                                      0};
inline constexpr ts::SyntaxId kLsarpcTs{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 0,
                                        0};
inline dcerpc::SyntaxId epm_syntax() { return to_syntax(ts::kEpmInterface); }
inline dcerpc::SyntaxId samr_syntax() { return to_syntax(kSamrTs); }
inline dcerpc::SyntaxId lsarpc_syntax() { return to_syntax(kLsarpcTs); }

// --- PDUs ---

// A bind proposing `interfaces` as p_cont_id 0, 1, ... (NDR).
inline ts::Bytes bind_pdu(std::uint32_t call_id, const std::vector<ts::SyntaxId>& interfaces) {
  ts::PduBuilder b(ts::Ptype::bind);
  b.call_id(call_id);
  std::uint16_t id = 0;
  for (const auto& s : interfaces) b.context({id++, s, {ts::kNdrSyntax}});
  return b.build();
}

// A bind_ack accepting `n` contexts with NDR.
inline ts::Bytes bind_ack_pdu(std::uint32_t call_id, std::size_t n = 1) {
  ts::PduBuilder b(ts::Ptype::bind_ack);
  b.call_id(call_id).sec_addr("135");
  for (std::size_t i = 0; i < n; ++i) b.result(ts::ContextResult{});
  return b.build();
}

inline ts::Bytes request_pdu(std::uint32_t call_id, std::uint16_t opnum,
                             const ts::Bytes& stub = unittest::pattern(8),
                             std::uint16_t p_cont_id = 0) {
  return ts::PduBuilder(ts::Ptype::request)
      .call_id(call_id)
      .opnum(opnum)
      .p_cont_id(p_cont_id)
      .stub(stub)
      .build();
}

inline ts::Bytes response_pdu(std::uint32_t call_id, const ts::Bytes& stub = unittest::pattern(8),
                              std::uint16_t p_cont_id = 0) {
  return ts::PduBuilder(ts::Ptype::response)
      .call_id(call_id)
      .p_cont_id(p_cont_id)
      .stub(stub)
      .build();
}

inline ts::Bytes fault_pdu(std::uint32_t call_id, std::uint32_t status,
                           std::uint16_t p_cont_id = 0) {
  return ts::PduBuilder(ts::Ptype::fault)
      .call_id(call_id)
      .p_cont_id(p_cont_id)
      .status(status)
      .build();
}

// ept_map's request stub: the lookup of `looked_up` over ncacn_ip_tcp (port 135, address 0).
inline ts::Bytes ept_map_request_stub(const ts::SyntaxId& looked_up) {
  ts::EptMapRequest q;
  q.map_tower = ts::tcp_ip_tower(looked_up, 135, {0, 0, 0, 0});
  q.max_towers = 4;
  return ts::build_ept_map_request(q);
}

// ept_map's response stub: one ncacn_ip_tcp tower per (port, address).
struct TowerSpec {
  ts::SyntaxId interface;
  std::uint16_t port = 0;
  std::array<std::uint8_t, 4> address{};
};
inline ts::Bytes ept_map_response_stub(const std::vector<TowerSpec>& towers,
                                       std::uint32_t status = 0) {
  ts::EptMapResponse r;
  for (const auto& t : towers) r.towers.push_back(ts::tcp_ip_tower(t.interface, t.port, t.address));
  r.status = status;
  return ts::build_ept_map_response(r);
}

// --- Endpoint mapper values, as the stub decoders give them ---

// An ncacn_ip_tcp tower of `interface`; nullopt port or address: the tower has none.
inline epm::Tower epm_tower(std::optional<std::uint16_t> port,
                            std::optional<std::string_view> address,
                            const dcerpc::SyntaxId& interface = samr_syntax()) {
  epm::Tower t;
  t.interface = interface;
  t.transfer_syntax = to_syntax(ts::kNdrSyntax);
  t.protseq = "ncacn_ip_tcp";
  t.port = port;
  if (address) t.address = ip(*address);
  return t;
}

inline epm::EptMapResponse ept_map_answer(std::vector<epm::Tower> towers,
                                          std::uint32_t status = 0) {
  epm::EptMapResponse r;
  r.num_towers = static_cast<std::uint32_t>(towers.size());
  r.towers = std::move(towers);
  r.status = status;
  return r;
}

// --- A Sink that keeps everything, and the order it came in ---

class RecordingSink : public analysis::Sink {
 public:
  void frame(const analysis::FrameRecord& f) override {
    log.push_back(fmt::format("frame {}/{}", f.conversation, f.frame));
    frames.push_back(f);
  }
  void call(const analysis::CallRecord& c) override {
    log.push_back(fmt::format("call {}/{}", c.conversation, c.call.call_id));
    calls.push_back(c);
  }
  void conversation_end(const analysis::Conversation& c) override {
    log.push_back(fmt::format("end {}", c.id));
    conversations.push_back(c);
  }
  void finish(const analysis::Statistics& /*s*/, const analysis::EpmLinks& /*links*/) override {
    log.push_back("finish");
  }

  // The frame records of conversation `id`, in the order they came.
  [[nodiscard]] std::vector<analysis::FrameRecord> frames_of(std::uint64_t id) const {
    std::vector<analysis::FrameRecord> out;
    for (const auto& f : frames)
      if (f.conversation == id) out.push_back(f);
    return out;
  }
  // The frame numbers of the records written, in order.
  [[nodiscard]] std::vector<std::uint64_t> frame_numbers() const {
    std::vector<std::uint64_t> out;
    for (const auto& f : frames) out.push_back(f.frame);
    return out;
  }
  [[nodiscard]] const analysis::Conversation& conversation(std::uint64_t id) const {
    for (const auto& c : conversations)
      if (c.id == id) return c;
    ADD_FAILURE() << "no conversation " << id;
    static const analysis::Conversation none;
    return none;
  }
  // The frame record of `frame` in conversation `id` (the first one).
  [[nodiscard]] const analysis::FrameRecord& record(std::uint64_t id, std::uint64_t frame) const {
    for (const auto& f : frames)
      if (f.conversation == id && f.frame == frame) return f;
    ADD_FAILURE() << "no record of frame " << frame << " in conversation " << id;
    static const analysis::FrameRecord none;
    return none;
  }

  std::vector<std::string> log;  // "frame C/F", "call C/CALL_ID", "end C", "finish"
  std::vector<analysis::FrameRecord> frames;
  std::vector<analysis::CallRecord> calls;
  std::vector<analysis::Conversation> conversations;
};

inline std::vector<dcerpc::PacketType> ptypes(const analysis::FrameRecord& f) {
  std::vector<dcerpc::PacketType> out;
  for (const auto& p : f.pdus) out.push_back(p.event.header.ptype);
  return out;
}

inline std::vector<analysis::NoteKind> note_kinds(const analysis::FrameRecord& f) {
  std::vector<analysis::NoteKind> out;
  for (const auto& n : f.notes) out.push_back(n.kind);
  return out;
}

// --- The Tracker, driven as a transport adapter drives it ---

inline constexpr std::uint8_t kData = analysis::control::ack | analysis::control::psh;

class TrackerHarness {
 public:
  // Set before the first event (the Tracker reads them by reference).
  analysis::TrackerOptions options;
  dcerpc::Counters dcerpc_counters;
  RecordingSink sink;
  analysis::Tracker tracker{options, sink, dcerpc_counters};

  analysis::ConversationHandle open(std::uint64_t id, const common::Endpoint& endpoint0,
                                    const common::Endpoint& endpoint1, std::uint64_t first_frame,
                                    std::int64_t first_us) {
    analysis::ConversationOpen o;
    o.id = id;
    o.endpoint[0] = endpoint0;
    o.endpoint[1] = endpoint1;
    o.first_frame = first_frame;
    o.first_ts = at_us(first_us);
    return tracker.open(o);
  }

  void begin(analysis::ConversationState& s, std::uint64_t frame, std::int64_t us,
             dcerpc::Direction dir, std::uint8_t flags = kData, std::uint32_t payload_length = 0) {
    analysis::CarrierFrame f;
    f.frame = frame;
    f.ts = at_us(us);
    f.dir = dir;
    f.segment.seq = static_cast<std::uint32_t>(1000 + frame);
    f.segment.ack = 1;
    f.segment.window = 8192;
    f.segment.flags = flags;
    f.segment.header_length = 20;
    f.segment.payload_length = payload_length;
    f.segment.captured_length = payload_length;
    tracker.begin_frame(s, f);
  }

  // Bytes frame `origin` carried are handed over and complete `pdu` (a whole PDU, as the
  // framer cuts them). Returns the reference the PDU was stamped with.
  dcerpc::FrameRef deliver(analysis::ConversationState& s, dcerpc::Direction dir,
                           const ts::Bytes& pdu, const dcerpc::FrameRef& origin) {
    dcerpc::FrameRef at = tracker.attribute(s, origin);
    tracker.pdu(s, dir, view(pdu), at);
    tracker.attribute_current(s);
    return at;
  }

  void end(analysis::ConversationState& s, analysis::FrameEnd e = {}) { tracker.end_frame(s, e); }

  // One frame of direction `dir` that carries `pdus` whole.
  void frame(analysis::ConversationState& s, std::uint64_t number, std::int64_t us,
             dcerpc::Direction dir, const std::vector<ts::Bytes>& pdus, analysis::FrameEnd e = {},
             std::uint8_t flags = kData) {
    std::uint32_t length = 0;
    for (const auto& p : pdus) length += static_cast<std::uint32_t>(p.size());
    begin(s, number, us, dir, flags, length);
    for (const auto& p : pdus) deliver(s, dir, p, ref(number, us));
    end(s, std::move(e));
  }

  // A three-way handshake, frames first..first+2, 1 ms apart from `us`.
  void handshake(analysis::ConversationState& s, std::uint64_t first, std::int64_t us) {
    analysis::FrameEnd seen;
    seen.opening_seen = true;
    frame(s, first, us, 0, {}, seen, analysis::control::syn);
    frame(s, first + 1, us + 1000, 1, {}, seen, analysis::control::syn | analysis::control::ack);
    frame(s, first + 2, us + 2000, 0, {}, seen, analysis::control::ack);
  }

  // The carrier ends the conversation: held records go out, then the end (a test with facts
  // after the last frame calls closing() and close() itself).
  void close(analysis::ConversationHandle handle,
             analysis::EndReason reason = analysis::EndReason::closed,
             analysis::CarrierTotals totals = {}) {
    tracker.closing(*handle);
    tracker.close(std::move(handle), reason, totals);
  }
};

inline analysis::FrameEnd opening_seen() {
  analysis::FrameEnd e;
  e.opening_seen = true;
  return e;
}

inline analysis::FrameEnd holding(bool opening = false) {
  analysis::FrameEnd e;
  e.holding = true;
  e.opening_seen = opening;
  return e;
}

}  // namespace rpctrace::analysistest
