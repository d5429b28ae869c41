// StreamFramer: each direction's byte stream into whole PDUs, by frag_length (C706 §12.6.3.1),
// with hunting for the first header of a stream picked up mid-way and resynchronisation after
// gaps. The modes are described in framer.hpp and docs/design.md.
#include "rpctrace/dcerpc/framer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::dcerpc {

namespace {
// MS-RPCH 2.1.1.1.1: RPC over HTTP v1 opens the stream with this text before the first PDU.
constexpr std::string_view kNcacnHttp = "ncacn_http/1.0";

bool starts_with(common::Bytes data, std::string_view prefix, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (static_cast<char>(data[i]) != prefix[i]) return false;
  return true;
}

// Cheap pre-check before the full header validation: rpc_vers 5, minor 0 or 1.
bool plausible(common::Bytes data, std::size_t i) {
  return static_cast<std::uint8_t>(data[i]) == 5 && static_cast<std::uint8_t>(data[i + 1]) <= 1;
}
}  // namespace

void StreamFramer::start(Direction dir, bool stream_start) {
  streams_[dir].mode = stream_start ? Mode::expect_header : Mode::hunting;
}

void StreamFramer::note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
                        std::uint64_t bytes) {
  sink_.on_note(make_note(dir, at, kind, std::move(detail), bytes));
}

void StreamFramer::emit(Direction dir, common::Bytes pdu, const FrameRef& at) {
  seen_pdu_ = true;
  sink_.on_pdu(dir, pdu, at);
}

void StreamFramer::emit_cut(Direction dir, common::Bytes partial, const FrameRef& at) {
  seen_pdu_ = true;
  sink_.on_cut_pdu(dir, partial, at);
}

void StreamFramer::picked_up(Direction dir, const FrameRef& at) {
  Stream& s = streams_[dir];
  note(
      dir, at, NoteKind::picked_up,
      fmt::format("capture began mid-connection: first PDU header found after {} bytes", s.skipped),
      s.skipped);
  s.skipped = 0;
  s.mode = Mode::in_sync;
}

void StreamFramer::data(Direction dir, common::Bytes data, const FrameRef& at, bool chunk_start) {
  Stream& s = streams_[dir];
  s.last_data = at;
  if (s.mode == Mode::not_rpc) {
    counters_.non_rpc_bytes += data.size();
    return;
  }
  if (s.skip_remaining > 0) {
    std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(s.skip_remaining, data.size()));
    s.skip_remaining -= n;
    counters_.gap_skipped_bytes += n;
    data = data.subspan(n);
    chunk_start = false;
    if (data.empty()) return;
  }
  if (s.buffer.empty()) {
    std::size_t used = process(dir, data, at, chunk_start);
    if (used < data.size())
      s.buffer.assign(data.begin() + static_cast<std::ptrdiff_t>(used), data.end());
    return;
  }
  // A partial PDU (or scan tail) is waiting: join, process, keep the rest in the same
  // buffer. Only what was used is dropped from its front: a PDU that spans many chunks is
  // appended to, not copied again on every chunk (which made a 64 KiB PDU cost a quadratic
  // number of octet copies).
  s.buffer.insert(s.buffer.end(), data.begin(), data.end());
  std::vector<std::byte> input;
  input.swap(s.buffer);  // the sink's callbacks may reach this stream again
  // While hunting, bytes are kept only when a chunk started with fewer than 16 octets of a
  // possible header: the joined input still starts a chunk.
  const std::size_t used = process(dir, input, at, s.mode == Mode::hunting);
  if (used == input.size()) return;  // the buffer's memory goes: idle streams hold none
  const auto rest = input.begin() + static_cast<std::ptrdiff_t>(used);
  if (used > 0 && input.capacity() > 4 * (input.size() - used) + 4096) {
    s.buffer.assign(rest, input.end());  // a small tail after a big PDU: do not keep its room
    return;
  }
  input.erase(input.begin(), rest);
  s.buffer = std::move(input);
}

// Runs the direction's mode machine over `input`; returns the octets consumed (the rest is
// buffered for the next bytes).
std::size_t StreamFramer::process(Direction dir, common::Bytes input, const FrameRef& at,
                                  bool chunk_start) {
  Stream& s = streams_[dir];
  std::size_t used = 0;
  while (used < input.size()) {
    common::Bytes rest = input.subspan(used);
    bool stop = false;
    switch (s.mode) {
      case Mode::not_rpc:
        counters_.non_rpc_bytes += rest.size();
        return input.size();
      case Mode::expect_header:
        used += expect_header(dir, rest, at, stop);
        break;
      case Mode::hunting:
        used += hunt(dir, rest, at, chunk_start, stop);
        break;
      case Mode::resync:
        used += resync(dir, rest, at, stop);
        break;
      case Mode::in_sync:
        used += frame_loop(dir, rest, at);
        stop = s.mode == Mode::in_sync;  // need more; else lost sync: resync from here
        break;
    }
    if (stop) return used;
  }
  return used;
}

// The stream's first octets: the ncacn_http preamble, a header (in sync), or not DCE/RPC.
std::size_t StreamFramer::expect_header(Direction dir, common::Bytes rest, const FrameRef& at,
                                        bool& stop) {
  Stream& s = streams_[dir];
  std::size_t n = std::min(rest.size(), kNcacnHttp.size());
  if (starts_with(rest, kNcacnHttp, n)) {
    stop = n < kNcacnHttp.size();  // wait for the whole preamble
    if (stop) return 0;
    note(dir, at, NoteKind::ncacn_http, "ncacn_http/1.0 preamble (RPC over HTTP v1)",
         kNcacnHttp.size());
    return kNcacnHttp.size();
  }
  HeaderResult h = parse_common_header(rest);
  if (h.is_need_more()) {
    stop = true;
    return 0;
  }
  if (h.is_malformed()) {
    s.mode = Mode::not_rpc;
    ++counters_.non_rpc_streams;
    if (seen_pdu_)  // the other direction is DCE/RPC: this one should be too
      note(dir, at, NoteKind::not_dcerpc,
           fmt::format("stream does not start with a DCE/RPC header: {}", h.error().detail));
    return 0;
  }
  s.mode = Mode::in_sync;
  return 0;
}

std::size_t StreamFramer::hunt(Direction dir, common::Bytes rest, const FrameRef& at,
                               bool chunk_start, bool& stop) {
  Stream& s = streams_[dir];
  // A header at the start of a chunk is taken as it is (PDUs usually start segments).
  if (chunk_start) {
    HeaderResult h = parse_common_header(rest);
    if (h.is_need_more()) {  // fewer than 16 octets: decide with the next bytes
      stop = true;
      return 0;
    }
    if (h.is_complete()) {
      picked_up(dir, at);
      return 0;
    }
  }
  // Elsewhere in the first max_resync_scan octets, a candidate header counts only when the
  // PDU it frames is followed by another valid header: DCE/RPC carried inside another
  // protocol (SMB writes and reads) is followed by that protocol's bytes, not by a PDU.
  std::size_t i = chunk_start ? 1 : 0;
  std::size_t found = rest.size();
  if (s.skipped < limits_.max_resync_scan) {
    for (; i + 16 <= rest.size(); ++i) {
      if (!plausible(rest, i)) continue;
      HeaderResult h = parse_common_header(rest.subspan(i));
      if (!h.is_complete()) continue;
      std::size_t next = i + h.value().frag_length;
      if (next + 16 <= rest.size() && parse_common_header(rest.subspan(next)).is_complete()) {
        found = i;
        break;
      }
    }
  }
  counters_.hunting_bytes += found;
  s.skipped += found;
  if (found == rest.size()) {
    stop = true;
    return found;
  }
  picked_up(dir, at);
  return found;
}

std::size_t StreamFramer::resync(Direction dir, common::Bytes rest, const FrameRef& at,
                                 bool& stop) {
  Stream& s = streams_[dir];
  std::size_t i = 0;
  bool found = false;
  for (; i + 16 <= rest.size(); ++i) {
    if (plausible(rest, i) && parse_common_header(rest.subspan(i)).is_complete()) {
      found = true;
      break;
    }
  }
  s.skipped += i;
  counters_.resync_bytes += i;
  if (!found) {
    stop = true;
    // Keep a tail shorter than a header: it may begin the next header.
    if (s.skipped < limits_.max_resync_scan) return i;
    // Still nothing: fall back to chunk-start hunting (cheaper) for this stream.
    s.mode = Mode::hunting;
    note(dir, at, NoteKind::limit,
         fmt::format("no DCE/RPC header in {} bytes after losing sync: waiting for a segment that "
                     "starts with one",
                     s.skipped),
         s.skipped);
    s.skipped = 0;
    return rest.size();
  }
  // After a gap at a PDU boundary the next header usually follows at once: only a real skip
  // is worth a note.
  if (s.skipped > 0)
    note(dir, at, NoteKind::resynchronised,
         fmt::format("resynchronised on a valid header after skipping {} bytes", s.skipped),
         s.skipped);
  s.skipped = 0;
  s.mode = Mode::in_sync;
  return i;
}

// Frames whole PDUs from `input`; returns the octets consumed. Switches to resync on an
// invalid header.
std::size_t StreamFramer::frame_loop(Direction dir, common::Bytes input, const FrameRef& at) {
  std::size_t used = 0;
  while (used < input.size()) {
    common::Bytes rest = input.subspan(used);
    HeaderResult h = frame_pdu(rest);
    if (h.is_complete()) {
      emit(dir, rest.first(h.consumed()), at);
      used += h.consumed();
      continue;
    }
    if (h.is_need_more()) return used;
    ++counters_.lost_sync;
    Note n;
    n.at = at;
    n.dir = dir;
    n.kind = NoteKind::lost_sync;
    n.reason = h.error().reason;
    n.detail = fmt::format("invalid PDU header: {}; resynchronising", h.error().detail);
    sink_.on_note(n);
    streams_[dir].mode = Mode::resync;
    streams_[dir].skipped = 0;
    return used;
  }
  return used;
}

void StreamFramer::gap(Direction dir, std::uint64_t size, const FrameRef& at) {
  Stream& s = streams_[dir];
  switch (s.mode) {
    case Mode::not_rpc:
      return;
    case Mode::expect_header:
    case Mode::hunting:
      counters_.hunting_bytes += s.buffer.size();  // a possible header the gap cut
      s.buffer.clear();
      s.mode = Mode::hunting;
      return;
    case Mode::resync:
      counters_.resync_bytes += s.buffer.size();  // the unscanned tail
      s.buffer.clear();
      return;
    case Mode::in_sync:
      break;
  }
  if (s.skip_remaining > 0) {
    if (size <= s.skip_remaining) {
      s.skip_remaining -= size;
      return;
    }
    s.skip_remaining = 0;
    s.mode = Mode::resync;
    return;
  }
  if (s.buffer.empty()) {
    // At a PDU boundary: the gap may hold whole PDUs, so look for the next header.
    s.mode = Mode::resync;
    s.skipped = 0;
    return;
  }
  cut_by_gap(dir, size, at);
}

// A PDU was cut by a gap of `size` bytes. If its header is here, its frag_length says where
// the next one starts.
void StreamFramer::cut_by_gap(Direction dir, std::uint64_t size, const FrameRef& at) {
  Stream& s = streams_[dir];
  ++counters_.partial_pdus_lost;
  HeaderResult h = parse_framing_header(s.buffer);
  if (h.is_complete()) emit_cut(dir, s.buffer, s.last_data);
  Note n;
  n.at = at;
  n.dir = dir;
  n.kind = NoteKind::partial_pdu_lost;
  n.bytes = s.buffer.size();
  counters_.gap_skipped_bytes += s.buffer.size();
  if (h.is_complete()) {
    const CommonHeader& hdr = h.value();
    n.header = hdr;
    std::uint64_t remaining = hdr.frag_length - s.buffer.size();
    if (size <= remaining) {
      s.skip_remaining = remaining - size;
      n.detail =
          fmt::format("{} call_id {} cut by a gap of {} bytes: {} of {} bytes captured",
                      to_string(hdr.ptype), hdr.call_id, size, s.buffer.size(), hdr.frag_length);
    } else {
      s.mode = Mode::resync;
      s.skipped = 0;
      n.detail = fmt::format("{} call_id {} cut by a gap of {} bytes; resynchronising",
                             to_string(hdr.ptype), hdr.call_id, size);
    }
  } else {
    s.mode = Mode::resync;
    s.skipped = 0;
    n.detail = fmt::format("partial PDU header ({} bytes) cut by a gap of {} bytes",
                           s.buffer.size(), size);
  }
  s.buffer.clear();
  sink_.on_note(n);
}

void StreamFramer::finish(const FrameRef& at) {
  for (Direction dir = 0; dir < 2; ++dir) finish(dir, at);
}

void StreamFramer::finish(Direction dir, const FrameRef& at) {
  Stream& s = streams_[dir];
  if (s.buffer.empty()) return;
  switch (s.mode) {
    case Mode::resync:  // a tail not yet scanned: skipped bytes
      counters_.resync_bytes += s.buffer.size();
      s.buffer.clear();
      return;
    case Mode::hunting:  // the first octets of a possible header
      counters_.hunting_bytes += s.buffer.size();
      s.buffer.clear();
      return;
    case Mode::expect_header:
      ++counters_.unterminated_pdus;
      counters_.unterminated_bytes += s.buffer.size();
      note(dir, at, NoteKind::partial_pdu_lost,
           fmt::format("{} bytes at the start of the stream, too few for a PDU header, when the "
                       "connection ended",
                       s.buffer.size()),
           s.buffer.size());
      s.buffer.clear();
      return;
    case Mode::not_rpc:
      return;
    case Mode::in_sync:
      break;
  }
  ++counters_.unterminated_pdus;
  counters_.unterminated_bytes += s.buffer.size();
  Note n;
  n.at = at;
  n.dir = dir;
  n.kind = NoteKind::partial_pdu_lost;
  n.bytes = s.buffer.size();
  HeaderResult h = parse_framing_header(s.buffer);
  if (h.is_complete()) {
    emit_cut(dir, s.buffer, s.last_data);
    n.header = h.value();
    n.detail = fmt::format("{} call_id {} incomplete at the end of the connection: {} of {} bytes",
                           to_string(h.value().ptype), h.value().call_id, s.buffer.size(),
                           h.value().frag_length);
  } else {
    n.detail =
        fmt::format("{} bytes of a PDU header at the end of the connection", s.buffer.size());
  }
  s.buffer.clear();
  sink_.on_note(n);
}

}  // namespace rpctrace::dcerpc
