// Helpers shared by the dcerpc and epm unit tests: conversions from the builders' value types
// (namespace testsupport) to rpctrace's, the byte-order parameter, one sample PDU of every
// type, and a recording Observer with an AssociationHarness for driving an Association.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rpctrace/common/uuid.hpp"
#include "rpctrace/dcerpc/association.hpp"
#include "rpctrace/dcerpc/framer.hpp"
#include "rpctrace/dcerpc/types.hpp"
#include "support/bytes.hpp"
#include "support/pdu_builder.hpp"
#include "support/uuid.hpp"

namespace rpctrace::unittest {

namespace ts = rpctrace::testsupport;

inline common::Uuid to_uuid(const ts::Uuid& u) {
  auto parsed = common::Uuid::parse(u.to_string());
  EXPECT_TRUE(parsed.has_value());
  return parsed.value_or(common::Uuid{});
}

inline dcerpc::SyntaxId to_syntax(const ts::SyntaxId& s) {
  dcerpc::SyntaxId out;
  out.uuid = to_uuid(s.uuid);
  out.major = s.major;
  out.minor = s.minor;
  return out;
}

// The builders' octets as the span the parsers take.
inline common::Bytes view(const ts::Bytes& b) { return common::Bytes(b.data(), b.size()); }

inline common::ByteOrder to_order(ts::Endian e) {
  return e == ts::Endian::little ? common::ByteOrder::little : common::ByteOrder::big;
}

// Octets 0..n-1 of a deterministic pattern (never 0x05, so no stray header can appear in it).
inline ts::Bytes pattern(std::size_t n, std::uint8_t seed = 0x40) {
  ts::Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto v = static_cast<std::uint8_t>(seed + i * 7);
    if (v == 0x05) v = 0x06;
    out[i] = std::byte{v};
  }
  return out;
}

// Sets the builder's packed_drep for `e` (0x10 little-endian, 0x00 big-endian).
inline ts::PduBuilder in_order(ts::PduBuilder b, ts::Endian e) {
  if (e == ts::Endian::little) {
    b.little_endian();
  } else {
    b.big_endian();
  }
  return b;
}

// Overwrites a u16 field of built PDU octets, in byte order `e`.
inline void patch_u16(ts::Bytes& b, std::size_t offset, std::uint16_t v, ts::Endian e) {
  const auto lo = std::byte{static_cast<std::uint8_t>(v & 0xff)};
  const auto hi = std::byte{static_cast<std::uint8_t>(v >> 8)};
  b.at(offset) = e == ts::Endian::little ? lo : hi;
  b.at(offset + 1) = e == ts::Endian::little ? hi : lo;
}

// One well-formed PDU of every connection-oriented type (C706 §12.6.4, MS-RPCE 2.2.2.10 auth3,
// MS-RPCH 2.2.3.6.1 rts), in byte order `e`: the inputs of the truncation sweeps.
inline std::vector<std::pair<std::string, ts::Bytes>> sample_pdus(ts::Endian e) {
  const ts::Bytes stub = pattern(13);
  const ts::Bytes auth_value = pattern(16, 0x90);
  std::vector<std::pair<std::string, ts::PduBuilder>> b;
  b.emplace_back("request", ts::PduBuilder(ts::Ptype::request).call_id(7).opnum(3).stub(stub));
  b.emplace_back(
      "request_object",
      ts::PduBuilder(ts::Ptype::request).object(ts::kEpmInterface.uuid).opnum(3).stub(stub));
  b.emplace_back(
      "request_auth",
      ts::PduBuilder(ts::Ptype::request).stub(stub).auth(ts::make_auth_verifier(auth_value, 16)));
  b.emplace_back("response", ts::PduBuilder(ts::Ptype::response).call_id(7).stub(stub));
  b.emplace_back("fault", ts::PduBuilder(ts::Ptype::fault).status(0x1c010003));
  b.emplace_back("bind", ts::PduBuilder(ts::Ptype::bind)
                             .context({0, ts::kEpmInterface, {ts::kNdrSyntax, ts::kNdr64Syntax}})
                             .context({1, ts::kEpmInterface, {ts::kBindTimeFeatureNegotiation}}));
  b.emplace_back(
      "alter_context",
      ts::PduBuilder(ts::Ptype::alter_context).context({2, ts::kEpmInterface, {ts::kNdrSyntax}}));
  b.emplace_back("bind_ack", ts::PduBuilder(ts::Ptype::bind_ack)
                                 .sec_addr("135")
                                 .result(ts::ContextResult{})
                                 .result({ts::kResultNegotiateAck, 3, {}}));
  b.emplace_back(
      "alter_context_resp",
      ts::PduBuilder(ts::Ptype::alter_context_resp).sec_addr("").result(ts::ContextResult{}));
  b.emplace_back(
      "bind_nak",
      ts::PduBuilder(ts::Ptype::bind_nak).provider_reject_reason(4).protocol_version(5, 0));
  b.emplace_back("auth3",
                 ts::PduBuilder(ts::Ptype::auth3).auth(ts::make_auth_verifier(auth_value)));
  b.emplace_back("shutdown", ts::PduBuilder(ts::Ptype::shutdown));
  b.emplace_back("co_cancel", ts::PduBuilder(ts::Ptype::co_cancel));
  b.emplace_back("orphaned", ts::PduBuilder(ts::Ptype::orphaned));
  b.emplace_back(
      "rts",
      ts::PduBuilder(ts::Ptype::rts).rts_flags(2).number_of_commands(1).rts_commands(pattern(8)));
  std::vector<std::pair<std::string, ts::Bytes>> out;
  for (auto& [name, builder] : b) out.emplace_back(name, in_order(builder, e).build());
  return out;
}

inline std::string order_name(const ::testing::TestParamInfo<ts::Endian>& info) {
  return info.param == ts::Endian::little ? "LittleEndian" : "BigEndian";
}

inline const auto kBothOrders = ::testing::Values(ts::Endian::little, ts::Endian::big);

// A PduEvent with copies of the payload views it came with (they die after on_pdu()).
struct RecordedPdu {
  dcerpc::PduEvent event;
  std::optional<std::vector<std::byte>> call_stub;
  std::optional<std::vector<std::byte>> request_stub;
};

// A CallEnd with copies of its kept stubs.
struct RecordedCall {
  dcerpc::CallEnd call;
  std::optional<std::vector<std::byte>> request_stub, response_stub;
};

inline std::optional<std::vector<std::byte>> copy(const std::optional<common::Bytes>& b) {
  if (!b) return std::nullopt;
  return std::vector<std::byte>(b->begin(), b->end());
}

class Recorder : public dcerpc::AssociationObserver {
 public:
  void on_pdu(const dcerpc::PduEvent& e, const dcerpc::PduPayloadView& payload) override {
    pdus.push_back(RecordedPdu{e, copy(payload.call_stub), copy(payload.request_stub)});
  }
  void on_note(const dcerpc::Note& n) override { notes.push_back(n); }
  void on_call_end(const dcerpc::CallEnd& c, const dcerpc::CallStubsView& stubs) override {
    calls.push_back(RecordedCall{c, copy(stubs.request), copy(stubs.response)});
  }
  bool wants_stub(const dcerpc::SyntaxId& interface) override {
    return wanted.count(interface) != 0;
  }

  [[nodiscard]] std::vector<dcerpc::NoteKind> note_kinds() const {
    std::vector<dcerpc::NoteKind> out;
    for (const auto& n : notes) out.push_back(n.kind);
    return out;
  }
  [[nodiscard]] std::vector<dcerpc::PacketType> ptypes() const {
    std::vector<dcerpc::PacketType> out;
    for (const auto& p : pdus) out.push_back(p.event.header.ptype);
    return out;
  }
  [[nodiscard]] std::vector<dcerpc::CallOutcome> outcomes() const {
    std::vector<dcerpc::CallOutcome> out;
    for (const auto& c : calls) out.push_back(c.call.outcome);
    return out;
  }

  std::set<dcerpc::SyntaxId> wanted;
  std::vector<RecordedPdu> pdus;
  std::vector<dcerpc::Note> notes;
  std::vector<RecordedCall> calls;
};

inline dcerpc::FrameRef frame(std::uint64_t number, std::int64_t usec = 0) {
  dcerpc::FrameRef f;
  f.frame = number;
  f.ts.sec = 1700000000 + usec / 1000000;
  f.ts.usec = static_cast<std::int32_t>(usec % 1000000);
  return f;
}

// A StreamFramer feeding an Association, as a transport adapter and the analysis wire them,
// with one Recorder, Counters and (lowerable) limits. Both are made on first use, so a test
// may lower `limits` or `framer_limits` first. Both directions start as if after the SYN
// (expect_header); a test of mid-stream capture calls framer().start(dir, false).
class AssociationHarness : private dcerpc::FramerSink {
 public:
  dcerpc::StreamFramer& framer() {
    make();
    return *framer_;
  }
  dcerpc::Association& assoc() {
    make();
    return *assoc_;
  }
  // `b` as one chunk of direction `dir`, starting a TCP segment unless told otherwise.
  void feed(dcerpc::Direction dir, std::span<const std::byte> b, std::uint64_t frame_number,
            std::int64_t usec = 0, bool chunk_start = true) {
    framer().data(dir, common::Bytes(b.data(), b.size()), frame(frame_number, usec), chunk_start);
  }
  void feed(dcerpc::Direction dir, const ts::PduBuilder& pdu, std::uint64_t frame_number,
            std::int64_t usec = 0) {
    const ts::Bytes b = pdu.build();
    feed(dir, b, frame_number, usec);
  }
  // The channel ends: the framer reports what it still holds, then the association its calls.
  void finish(const dcerpc::FrameRef& at) {
    framer().finish(at);
    assoc().finish(at);
  }

  Recorder rec;
  dcerpc::Counters counters;
  dcerpc::AssociationLimits limits;
  dcerpc::FramerLimits framer_limits;

 private:
  void make() {
    if (assoc_) return;
    assoc_ = std::make_unique<dcerpc::Association>(rec, counters, limits);
    framer_ = std::make_unique<dcerpc::StreamFramer>(static_cast<dcerpc::FramerSink&>(*this),
                                                     counters, framer_limits);
    framer_->start(0, true);
    framer_->start(1, true);
  }
  void on_pdu(dcerpc::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) override {
    assoc_->pdu(dir, pdu, at);
  }
  void on_cut_pdu(dcerpc::Direction dir, common::Bytes partial,
                  const dcerpc::FrameRef& at) override {
    assoc_->cut_pdu(dir, partial, at);
  }
  void on_note(const dcerpc::Note& n) override { rec.on_note(n); }

  std::unique_ptr<dcerpc::Association> assoc_;
  std::unique_ptr<dcerpc::StreamFramer> framer_;
};

}  // namespace rpctrace::unittest
