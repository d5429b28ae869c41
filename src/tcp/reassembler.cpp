// Per-direction reassembly (RFC 9293 sequence arithmetic, 32-bit wrap handled by working in
// signed differences from next_seq and keeping 64-bit stream offsets).
//
// Policy: the first copy of a byte wins. Bytes already delivered are never re-delivered; a
// held out-of-order copy is kept when a later copy of the same range arrives, and a differing
// copy is counted as an overlap conflict. Holes become gaps when (a) the other side ACKs past
// them (the receiver got bytes the capture missed), (b) the out-of-order buffer passes its
// limit, (c) the snap length cut a payload, or (d) the connection ends.
#include "rpctrace/tcp/reassembler.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

namespace rpctrace::tcp {

namespace {
std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b); }

std::uint64_t mix(std::uint64_t h, std::uint64_t w) {
  h = (h ^ w) * 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

std::uint64_t hash_range(std::uint64_t h, common::Bytes data) {
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = mix(h, w);
  }
  for (; i < data.size(); ++i) h = mix(h, static_cast<std::uint8_t>(data[i]));
  return h;
}

// A 32-bit fingerprint of a segment's bytes (HalfStream::Recent keeps it), to tell a
// retransmission with different bytes from an identical one. Segments up to kWholeHash octets are
// hashed whole; larger ones by their first and last 64 octets and 16 8-octet words spread between,
// so the cost per segment stays constant (hashing every byte cost a quarter of the pipeline's
// time).
std::uint32_t segment_hash(common::Bytes data) {
  constexpr std::size_t kWholeHash = 256, kEdge = 64, kSamples = 16;
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ data.size();
  if (data.size() <= kWholeHash) return static_cast<std::uint32_t>(hash_range(h, data));
  h = hash_range(h, data.first(kEdge));
  h = hash_range(h, data.last(kEdge));
  std::size_t span = data.size() - 2 * kEdge - 8;
  for (std::size_t k = 0; k < kSamples; ++k) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + kEdge + span * k / kSamples, 8);
    h = mix(h, w);
  }
  return static_cast<std::uint32_t>(h);
}
}  // namespace

void Reassembler::segment(Connection& c, const pcap::TcpSegmentView& seg, SegmentInfo& info) {
  const Direction dir = info.dir;
  HalfStream& h = c.half[dir];
  HalfStream& other = c.half[dir ^ 1];
  if (seg.flags & pcap::tcp_flag::syn) syn(h, seg, info);
  if (seg.flags & pcap::tcp_flag::ack) ack(c, static_cast<Direction>(dir ^ 1), seg.ack);
  if (seg.payload_length > 0) payload(c, seg, info);
  // An RST's sequence number need not be in the window (RFC 9293 3.10.7), and what follows a
  // reset is counted as after_close: neither says what was sent before.
  if (h.started && !(seg.flags & pcap::tcp_flag::rst) && !h.rst_seen && !other.rst_seen) {
    std::uint32_t end = seg.seq + seg.payload_length;
    if (!h.highest_known || seq_diff(end, h.highest_seq) > 0) {
      h.highest_known = true;
      h.highest_seq = end;
    }
  }
  if ((seg.flags & pcap::tcp_flag::fin) && !h.fin_seen) {
    h.fin_seen = true;
    h.fin_seq = seg.seq + seg.payload_length;
  }
  if (seg.flags & pcap::tcp_flag::rst) h.rst_seen = true;
}

void Reassembler::syn(HalfStream& h, const pcap::TcpSegmentView& seg, SegmentInfo& info) {
  if (!h.syn_seen) {
    h.syn_seen = true;
    h.isn = seg.seq;
    if (seg.flags & pcap::tcp_flag::ack) h.syn_ack = seg.ack;
    if (!h.started) {
      h.started = true;
      h.next_seq = seg.seq + 1;
    }
  } else if (seg.seq == h.isn) {
    info.note = SegmentNote::syn_retransmission;
    ++counters_.syn_retransmissions;
  }
}

// An ACK covers the other direction's bytes (`acked`). An ACK past a hole there proves the
// hole's bytes reached the receiver and will not be sent again: they are lost to the capture.
void Reassembler::ack(Connection& c, Direction acked, std::uint32_t ack_number) {
  HalfStream& other = c.half[acked];
  if (!other.peer_ack_known || seq_diff(ack_number, other.peer_max_ack) > 0) {
    other.peer_ack_known = true;
    other.peer_max_ack = ack_number;
  }
  if (other.holds() && other.started && seq_diff(other.peer_max_ack, other.next_seq) > 0)
    skip_to_first_held(c, acked, GapCause::lost);
}

void Reassembler::payload(Connection& c, const pcap::TcpSegmentView& seg, SegmentInfo& info) {
  const Direction dir = info.dir;
  HalfStream& h = c.half[dir];
  HalfStream& other = c.half[dir ^ 1];
  counters_.payload_bytes += seg.payload_length;
  if (!h.started) {
    h.started = true;
    h.mid_stream = true;
    h.next_seq = seg.seq;
    ++counters_.mid_stream_starts;
  }
  if (h.rst_seen || other.rst_seen) {
    info.note = SegmentNote::after_close;
    counters_.after_close_bytes += seg.payload_length;
    return;
  }
  common::Bytes data = seg.payload;
  std::uint32_t wire = seg.payload_length;
  std::int32_t diff = seq_diff(seg.seq, h.next_seq);
  if (diff < 0) {
    auto overlap = static_cast<std::uint32_t>(-static_cast<std::int64_t>(diff));
    if (overlap >= wire) {
      retransmission(h, seg, info);
      return;
    }
    info.note = SegmentNote::partial_overlap;
    counters_.retransmitted_bytes += overlap;
    data = data.subspan(std::min<std::size_t>(overlap, data.size()));
    wire -= overlap;
    diff = 0;
  }
  if (diff == 0) {
    deliver(c, dir, seg.seq, data, wire, info);
  } else {
    hold(c, dir, h.delivered + static_cast<std::uint64_t>(diff), data, info);
    if (info.note == SegmentNote::out_of_order && h.peer_ack_known &&
        seq_diff(h.peer_max_ack, h.next_seq) > 0)
      skip_to_first_held(c, dir, GapCause::lost);
  }
}

// Every payload byte was delivered already; a copy with other bytes than the first (first
// copy wins) is an overlap conflict.
void Reassembler::retransmission(HalfStream& h, const pcap::TcpSegmentView& seg,
                                 SegmentInfo& info) {
  info.note = SegmentNote::retransmission;
  ++counters_.retransmissions;
  counters_.retransmitted_bytes += seg.payload_length;
  if (seg.payload.size() != seg.payload_length) return;
  for (const auto& r : h.recent)
    if (r.length == seg.payload_length && r.seq == seg.seq && r.hash != segment_hash(seg.payload)) {
      info.note = SegmentNote::overlap_conflict;  // the first copy was delivered
      ++counters_.overlap_conflicts;
      return;
    }
}

// In-order bytes: delivered, the snap length's cut as a gap, then what was held behind them.
void Reassembler::deliver(Connection& c, Direction dir, std::uint32_t seq, common::Bytes data,
                          std::uint32_t wire, SegmentInfo& info) {
  HalfStream& h = c.half[dir];
  if (info.note == SegmentNote::none && data.size() == wire) {
    h.recent[h.recent_next] = HalfStream::Recent{seq, wire, segment_hash(data)};
    h.recent_next = static_cast<std::uint8_t>((h.recent_next + 1) % h.recent.size());
  }
  sink_.on_data(c, dir, data, DataOrigin{info.frame, info.ts});
  counters_.delivered_bytes += data.size();
  h.next_seq += static_cast<std::uint32_t>(data.size());
  h.delivered += data.size();
  if (wire > data.size()) {
    std::uint64_t missing = wire - data.size();
    ++counters_.gaps;
    ++counters_.snaplen_gaps;
    counters_.gap_bytes += missing;
    sink_.on_gap(c, dir, missing, GapCause::snaplen);
    h.next_seq += static_cast<std::uint32_t>(missing);
    h.delivered += missing;
  }
  deliver_in_order(c, dir, DataOrigin{info.frame, info.ts});
}

void Reassembler::hold(Connection& c, Direction dir, std::uint64_t offset, common::Bytes data,
                       SegmentInfo& info) {
  HalfStream& h = c.half[dir];
  if (data.size() > limits_.max_out_of_order_bytes) {
    info.note = SegmentNote::buffer_full;
    h.dropped = true;
    ++counters_.buffer_limit_drops;
    counters_.buffer_limit_bytes += data.size();
    return;
  }
  // The first copy of a byte wins: keep only the parts of this segment that no held segment
  // covers, and compare the parts that overlap.
  const std::uint64_t end = offset + data.size();
  std::vector<std::pair<std::uint64_t, common::Bytes>> pieces;
  bool conflict = false;
  std::uint64_t pos = offset;
  if (h.holds()) {
    const HalfStream::HeldMap& held_map = *h.out_of_order;
    auto it = held_map.upper_bound(offset);
    if (it != held_map.begin()) --it;
    for (; it != held_map.end() && it->first < end && pos < end; ++it) {
      const std::uint64_t held_start = it->first;
      const std::uint64_t held_end = held_start + it->second.data.size();
      if (held_end <= pos) continue;
      if (held_start > pos) {
        pieces.emplace_back(pos, data.subspan(static_cast<std::size_t>(pos - offset),
                                              static_cast<std::size_t>(held_start - pos)));
        pos = held_start;
      }
      const std::uint64_t overlap_end = std::min(held_end, end);
      if (std::memcmp(data.data() + (pos - offset), it->second.data.data() + (pos - held_start),
                      static_cast<std::size_t>(overlap_end - pos)) != 0)
        conflict = true;
      pos = overlap_end;
    }
  }
  if (pos < end) pieces.emplace_back(pos, data.subspan(static_cast<std::size_t>(pos - offset)));
  if (conflict) ++counters_.overlap_conflicts;
  if (pieces.empty()) {  // every byte was held already
    info.note = conflict ? SegmentNote::overlap_conflict : SegmentNote::retransmission;
    if (!conflict) {
      ++counters_.retransmissions;
      counters_.retransmitted_bytes += data.size();
    }
    return;
  }
  info.note = conflict ? SegmentNote::overlap_conflict : SegmentNote::out_of_order;
  ++counters_.out_of_order_segments;
  for (const auto& [start, bytes] : pieces) {
    HalfStream::Held held;
    held.data.assign(bytes.begin(), bytes.end());
    held.wire_length = static_cast<std::uint32_t>(bytes.size());
    // The snap length cut this segment: its missing tail belongs to the last piece.
    if (start + bytes.size() == end && info.payload_length > data.size())
      held.wire_length += static_cast<std::uint32_t>(info.payload_length - data.size());
    held.frame = info.frame;
    held.ts = info.ts;
    h.out_of_order_bytes += held.data.size();
    h.held().emplace(start, std::move(held));
  }
  // Over either limit: give up the oldest hole(s) rather than drop new data.
  // (Giving one up may deliver the rest and free the map: asked again each time.)
  while (h.holds() && (h.out_of_order_bytes > limits_.max_out_of_order_bytes ||
                       h.out_of_order->size() > limits_.max_out_of_order_segments))
    skip_to_first_held(c, dir, GapCause::buffer_limit);
}

void Reassembler::deliver_in_order(Connection& c, Direction dir, std::optional<DataOrigin> filler) {
  HalfStream& h = c.half[dir];
  while (h.holds()) {
    auto it = h.out_of_order->begin();
    if (it->first > h.delivered) return;
    HalfStream::Held held = std::move(it->second);
    std::uint64_t offset = it->first;
    h.out_of_order_bytes -= held.data.size();
    h.out_of_order->erase(it);
    if (h.out_of_order->empty()) h.out_of_order.reset();  // its memory goes with the last
    std::uint64_t end = offset + held.wire_length;
    if (end <= h.delivered) continue;  // wholly delivered by an earlier copy
    std::uint64_t skip = h.delivered - offset;
    if (skip < held.data.size()) {
      common::Bytes part = common::Bytes(held.data).subspan(static_cast<std::size_t>(skip));
      // Held bytes a new segment made contiguous complete at that segment's frame (as tshark
      // reports them); bytes released because a hole was given up stay with their own frame.
      sink_.on_data(c, dir, part, filler ? *filler : DataOrigin{held.frame, held.ts});
      counters_.delivered_bytes += part.size();
      h.delivered += part.size();
      h.next_seq += static_cast<std::uint32_t>(part.size());
    }
    if (end > h.delivered) {  // snap length cut this held segment
      std::uint64_t missing = end - h.delivered;
      ++counters_.gaps;
      ++counters_.snaplen_gaps;
      counters_.gap_bytes += missing;
      sink_.on_gap(c, dir, missing, GapCause::snaplen);
      h.delivered = end;
      h.next_seq += static_cast<std::uint32_t>(missing);
    }
  }
}

void Reassembler::skip_to_first_held(Connection& c, Direction dir, GapCause cause) {
  HalfStream& h = c.half[dir];
  if (!h.holds()) return;
  std::uint64_t first = h.out_of_order->begin()->first;
  if (first > h.delivered) {
    std::uint64_t size = first - h.delivered;
    ++counters_.gaps;
    counters_.gap_bytes += size;
    sink_.on_gap(c, dir, size, cause);
    h.next_seq += static_cast<std::uint32_t>(size);
    h.delivered = first;
  }
  deliver_in_order(c, dir, std::nullopt);
}

void Reassembler::flush(Connection& c, Direction dir, GapCause cause) {
  HalfStream& h = c.half[dir];
  while (h.holds()) skip_to_first_held(c, dir, cause);
  if (!h.started) return;
  // Bytes this side sent (its later sequence numbers say so) or the peer acknowledged, that
  // the capture never had: the trailing hole no held segment marks. A FIN ends the data (it
  // takes one sequence number itself, which later segments and the peer's ACK count).
  std::uint32_t end = h.next_seq;
  if (h.fin_seen) {
    end = h.fin_seq;
  } else {
    if (h.highest_known && seq_diff(h.highest_seq, end) > 0) end = h.highest_seq;
    if (h.peer_ack_known && seq_diff(h.peer_max_ack, end) > 0) end = h.peer_max_ack;
  }
  std::int32_t missing = seq_diff(end, h.next_seq);
  if (missing <= 0) return;
  ++counters_.gaps;
  counters_.gap_bytes += static_cast<std::uint64_t>(missing);
  sink_.on_gap(c, dir, static_cast<std::uint64_t>(missing),
               h.dropped ? GapCause::buffer_limit : GapCause::lost);
  h.next_seq = end;
  h.delivered += static_cast<std::uint64_t>(missing);
}

namespace {
// One sentence per SegmentNote, in enum order.
constexpr const char* kNoteText[] = {
    "",
    "retransmission",
    "partial retransmission",
    "out of order",
    "overlap with different bytes (first copy kept)",
    "SYN retransmission",
    "out-of-order buffer full: segment dropped",
    "payload after RST: not decoded",
};
static_assert(std::size(kNoteText) == static_cast<std::size_t>(SegmentNote::after_close) + 1);
}  // namespace

const char* to_string(SegmentNote n) { return kNoteText[static_cast<std::size_t>(n)]; }

const char* to_string(GapCause c) {
  switch (c) {
    case GapCause::lost:
      return "lost (not in the capture)";
    case GapCause::snaplen:
      return "cut by the snap length";
    case GapCause::buffer_limit:
      return "out-of-order buffer limit";
    case GapCause::flush:
      return "never filled before the connection ended";
  }
  return "";
}

}  // namespace rpctrace::tcp
