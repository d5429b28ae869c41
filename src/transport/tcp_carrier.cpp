// What every adapter over TCP tells the Tracker the same way.
#include "tcp_carrier.hpp"

#include <fmt/format.h>

namespace rpctrace::transport {

namespace {

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

}  // namespace

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

analysis::ConversationOpen conversation_open(const tcp::Connection& c, analysis::Protseq p) {
  analysis::ConversationOpen o;
  o.id = c.id;
  o.protseq = p;
  o.endpoint[0] = c.endpoint[0];
  o.endpoint[1] = c.endpoint[1];
  o.first_frame = c.first_frame;
  o.first_ts = c.first_ts;
  return o;
}

analysis::CarrierFrame carrier_frame(const tcp::SegmentInfo& s) {
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
  f.segment.ttl = s.ttl;
  return f;
}

analysis::FrameEnd frame_end(const tcp::Connection& c, const tcp::SegmentInfo& s) {
  analysis::FrameEnd e;
  if (s.note != tcp::SegmentNote::none) {
    analysis::ReportedNote n;
    n.kind = note_kind(s.note);
    n.detail =
        fmt::format("{}: {} bytes at seq {}", tcp::to_string(s.note), s.payload_length, s.seq);
    e.note = std::move(n);
  }
  e.opening_seen = c.half[0].syn_seen || c.half[1].syn_seen;
  e.holding = c.half[0].holds() || c.half[1].holds();
  return e;
}

analysis::ReportedNote gap_note(const tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
                                tcp::GapCause cause) {
  analysis::ReportedNote n;
  n.kind = cause == tcp::GapCause::snaplen ? analysis::NoteKind::snaplen : analysis::NoteKind::gap;
  n.detail = fmt::format("{} bytes {} -> {} missing: {}", size, c.endpoint[dir].to_string(),
                         c.endpoint[dir ^ 1].to_string(), tcp::to_string(cause));
  return n;
}

bool stream_start(const tcp::Connection& c, tcp::Direction dir) {
  return c.half[dir].syn_seen && !c.half[dir].mid_stream;
}

}  // namespace rpctrace::transport
