// ncacn_ip_tcp: TCP connections as DCE/RPC conversations.
#include "rpctrace/transport/ncacn_ip_tcp.hpp"

#include <fmt/format.h>

#include "rpctrace/dcerpc/framer.hpp"
#include "rpctrace/tcp/connection.hpp"

namespace rpctrace::transport {

namespace {

// One connection: its conversation in the analysis and the framer of its two streams.
class Channel : public tcp::ConnectionState, public dcerpc::FramerSink {
 public:
  Channel(analysis::Tracker& t, analysis::ConversationHandle c, dcerpc::Counters& counters,
          const dcerpc::FramerLimits& limits)
      : tracker(t), conversation(std::move(c)), framer(*this, counters, limits) {}

  void on_pdu(dcerpc::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) override {
    tracker.pdu(*conversation, dir, pdu, at);
  }
  void on_cut_pdu(dcerpc::Direction dir, common::Bytes partial,
                  const dcerpc::FrameRef& at) override {
    tracker.cut_pdu(*conversation, dir, partial, at);
  }
  void on_note(const dcerpc::Note& n) override { tracker.note(*conversation, n); }

  // Whether a direction's stream start was seen is known at its first bytes or gap.
  void start(tcp::Direction dir, bool stream_start) {
    if (started[dir]) return;
    framer.start(dir, stream_start);
    started[dir] = true;
  }

  analysis::Tracker& tracker;
  analysis::ConversationHandle conversation;
  dcerpc::StreamFramer framer;
  bool started[2] = {false, false};
  analysis::CarrierTotals totals;
};

Channel& channel(tcp::Connection& c) { return static_cast<Channel&>(*c.state); }

analysis::NoteKind note_kind(tcp::SegmentNote n) {
  switch (n) {
    case tcp::SegmentNote::retransmission:
      return analysis::NoteKind::retransmission;
    case tcp::SegmentNote::partial_overlap:
      return analysis::NoteKind::partial_retransmission;
    case tcp::SegmentNote::out_of_order:
      return analysis::NoteKind::out_of_order;
    case tcp::SegmentNote::overlap_conflict:
      return analysis::NoteKind::overlap_conflict;
    case tcp::SegmentNote::syn_retransmission:
      return analysis::NoteKind::syn_retransmission;
    case tcp::SegmentNote::buffer_full:
      return analysis::NoteKind::buffer_full;
    case tcp::SegmentNote::after_close:
    case tcp::SegmentNote::none:
      break;
  }
  return analysis::NoteKind::after_close;
}

analysis::EndReason end_reason(tcp::EndReason r) {
  switch (r) {
    case tcp::EndReason::capture_end:
      return analysis::EndReason::capture_end;
    case tcp::EndReason::closed:
      return analysis::EndReason::closed;
    case tcp::EndReason::port_reused:
      return analysis::EndReason::port_reused;
    case tcp::EndReason::evicted_idle:
      return analysis::EndReason::evicted_idle;
    case tcp::EndReason::evicted_limit:
      return analysis::EndReason::evicted_limit;
  }
  return analysis::EndReason::capture_end;
}

}  // namespace

void TcpAdapter::on_connection_start(tcp::Connection& c) {
  analysis::ConversationOpen o;
  o.id = c.id;
  o.protseq = analysis::Protseq::ncacn_ip_tcp;
  o.endpoint[0] = c.endpoint[0];
  o.endpoint[1] = c.endpoint[1];
  o.first_frame = c.first_frame;
  o.first_ts = c.first_ts;
  c.state = std::make_unique<Channel>(tracker_, tracker_.open(o), counters_, limits_);
}

void TcpAdapter::on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) {
  analysis::CarrierFrame f;
  f.frame = s.frame;
  f.ts = s.ts;
  f.dir = s.dir;
  f.segment.seq = s.seq;
  f.segment.ack = s.ack;
  f.segment.window = s.window;
  f.segment.flags = s.flags;
  f.segment.header_length = s.header_length;
  f.segment.payload_length = s.payload_length;
  f.segment.captured_length = s.captured_length;
  tracker_.begin_frame(*channel(c).conversation, f);
}

void TcpAdapter::on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
                         const tcp::DataOrigin& origin) {
  Channel& ch = channel(c);
  ch.start(dir, c.half[dir].syn_seen && !c.half[dir].mid_stream);
  ch.totals.bytes[dir] += data.size();
  analysis::ConversationState& conv = *ch.conversation;
  dcerpc::FrameRef ref = tracker_.attribute(conv, dcerpc::FrameRef{origin.frame, origin.ts});
  ch.framer.data(dir, data, ref, true);  // the reassembler hands over a segment at a time
  tracker_.attribute_current(conv);
}

void TcpAdapter::on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
                        tcp::GapCause cause) {
  Channel& ch = channel(c);
  analysis::ReportedNote n;
  n.kind = cause == tcp::GapCause::snaplen ? analysis::NoteKind::snaplen : analysis::NoteKind::gap;
  n.detail = fmt::format("{} bytes {} -> {} missing: {}", size, c.endpoint[dir].to_string(),
                         c.endpoint[dir ^ 1].to_string(), tcp::to_string(cause));
  tracker_.note(*ch.conversation, std::move(n));
  ch.start(dir, false);
  ch.framer.gap(dir, size, tracker_.here(*ch.conversation));
}

void TcpAdapter::on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) {
  analysis::FrameEnd e;
  if (s.note != tcp::SegmentNote::none) {
    analysis::ReportedNote n;
    n.kind = note_kind(s.note);
    n.detail =
        fmt::format("{}: {} bytes at seq {}", tcp::to_string(s.note), s.payload_length, s.seq);
    e.note = std::move(n);
  }
  e.opening_seen = c.half[0].syn_seen || c.half[1].syn_seen;
  e.holding = !c.half[0].out_of_order.empty() || !c.half[1].out_of_order.empty();
  tracker_.end_frame(*channel(c).conversation, e);
}

void TcpAdapter::on_connection_end(tcp::Connection& c, tcp::EndReason reason) {
  Channel& ch = channel(c);
  ch.framer.finish(tracker_.closing(*ch.conversation));
  tracker_.close(std::move(ch.conversation), end_reason(reason), ch.totals);
}

}  // namespace rpctrace::transport
