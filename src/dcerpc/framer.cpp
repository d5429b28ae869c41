// Association framing: turns each direction's byte stream into PDUs.
//
// Modes (per direction):
//   expect_header  the stream's first byte follows the SYN: it must be a PDU header (or the
//                  "ncacn_http/1.0" preamble of RPC over HTTP v1), else the stream is not
//                  DCE/RPC and is only counted.
//   hunting        the capture began mid-connection: a segment whose payload starts with a
//                  valid header is where decoding begins (segment starts only, so DCE/RPC
//                  carried inside SMB payloads is not mistaken for a TCP-level PDU).
//   in_sync        framing by frag_length.
//   resync         after a gap or an invalid header: scan every offset for the next header
//                  that passes the full check (version, minor, ptype, drep, frag_length).
//   not_rpc        ignored.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "rpctrace/dcerpc/association.hpp"
#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::dcerpc {

namespace {
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

void Association::set_stream_start(Direction dir, bool known_start) {
  streams_[dir].mode = known_start ? Mode::expect_header : Mode::hunting;
}

void Association::note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
                       std::uint64_t bytes) {
  Note n;
  n.at = at;
  n.dir = dir;
  n.kind = kind;
  n.detail = std::move(detail);
  n.bytes = bytes;
  observer_.on_note(n);
}

void Association::picked_up(Direction dir, const FrameRef& at) {
  Stream& s = streams_[dir];
  note(
      dir, at, NoteKind::picked_up,
      fmt::format("capture began mid-connection: first PDU header found after {} bytes", s.skipped),
      s.skipped);
  s.skipped = 0;
  s.mode = Mode::in_sync;
}

void Association::on_data(Direction dir, common::Bytes data, const FrameRef& at, bool chunk_start) {
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
  // A partial PDU (or scan tail) is waiting: join, process, keep the rest.
  s.buffer.insert(s.buffer.end(), data.begin(), data.end());
  std::vector<std::byte> input;
  input.swap(s.buffer);
  // While hunting, bytes are kept only when a segment started with fewer than 16 octets of a
  // possible header: the joined input still starts a segment.
  std::size_t used = process(dir, input, at, s.mode == Mode::hunting);
  if (used < input.size())
    s.buffer.assign(input.begin() + static_cast<std::ptrdiff_t>(used), input.end());
}

std::size_t Association::process(Direction dir, common::Bytes input, const FrameRef& at,
                                 bool chunk_start) {
  Stream& s = streams_[dir];
  std::size_t used = 0;
  while (used < input.size()) {
    common::Bytes rest = input.subspan(used);
    switch (s.mode) {
      case Mode::not_rpc:
        counters_.non_rpc_bytes += rest.size();
        return input.size();
      case Mode::expect_header: {
        std::size_t n = std::min(rest.size(), kNcacnHttp.size());
        if (starts_with(rest, kNcacnHttp, n)) {
          if (n < kNcacnHttp.size()) return used;  // wait for the whole preamble
          note(dir, at, NoteKind::ncacn_http, "ncacn_http/1.0 preamble (RPC over HTTP v1)",
               kNcacnHttp.size());
          used += kNcacnHttp.size();
          continue;
        }
        HeaderResult h = parse_common_header(rest);
        if (h.is_need_more()) return used;
        if (h.is_malformed()) {
          s.mode = Mode::not_rpc;
          ++counters_.non_rpc_streams;
          if (seen_pdu_)  // the other direction is DCE/RPC: this one should be too
            note(dir, at, NoteKind::not_dcerpc,
                 fmt::format("stream does not start with a DCE/RPC header: {}", h.error().detail));
          continue;
        }
        s.mode = Mode::in_sync;
        continue;
      }
      case Mode::hunting: {
        // A header at the start of a segment is taken as it is (PDUs usually start segments).
        if (chunk_start) {
          HeaderResult h = parse_common_header(rest);
          if (h.is_need_more()) return used;  // fewer than 16 octets: decide with the next bytes
          if (h.is_complete()) {
            picked_up(dir, at);
            continue;
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
        std::size_t skip = std::min(found, rest.size());
        counters_.hunting_bytes += skip;
        s.skipped += skip;
        used += skip;
        if (found == rest.size()) return input.size();
        picked_up(dir, at);
        continue;
      }
      case Mode::resync: {
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
        used += i;
        if (!found) {
          // Keep a tail shorter than a header: it may begin the next header.
          if (s.skipped >= limits_.max_resync_scan) {
            // Still nothing: fall back to segment-start hunting (cheaper) for this stream.
            s.mode = Mode::hunting;
            note(dir, at, NoteKind::limit,
                 fmt::format("no DCE/RPC header in {} bytes after losing sync: waiting for a "
                             "segment that starts with one",
                             s.skipped),
                 s.skipped);
            s.skipped = 0;
            return input.size();
          }
          return used;
        }
        // After a gap at a PDU boundary the next header usually follows at once: only a real
        // skip is worth a note.
        if (s.skipped > 0)
          note(dir, at, NoteKind::resynchronised,
               fmt::format("resynchronised on a valid header after skipping {} bytes", s.skipped),
               s.skipped);
        s.skipped = 0;
        s.mode = Mode::in_sync;
        continue;
      }
      case Mode::in_sync: {
        std::size_t n = frame_loop(dir, rest, at);
        used += n;
        if (s.mode == Mode::in_sync) return used;  // need more
        continue;                                  // lost sync: resync from here
      }
    }
  }
  return used;
}

// Frames whole PDUs from `input`; returns the octets consumed. Switches to resync on an
// invalid header.
std::size_t Association::frame_loop(Direction dir, common::Bytes input, const FrameRef& at) {
  std::size_t used = 0;
  while (used < input.size()) {
    common::Bytes rest = input.subspan(used);
    HeaderResult h = frame_pdu(rest);
    if (h.is_complete()) {
      handle_pdu(dir, rest.first(h.consumed()), at);
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
    observer_.on_note(n);
    streams_[dir].mode = Mode::resync;
    streams_[dir].skipped = 0;
    return used;
  }
  return used;
}

void Association::on_gap(Direction dir, std::uint64_t size, const FrameRef& at) {
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
  // A PDU was cut. If its header is here, its frag_length says where the next one starts.
  ++counters_.partial_pdus_lost;
  HeaderResult h = parse_framing_header(s.buffer);
  if (h.is_complete()) handle_partial(dir, s.buffer, s.last_data);
  Note n;
  n.at = at;
  n.dir = dir;
  n.kind = NoteKind::partial_pdu_lost;
  n.bytes = s.buffer.size();
  if (h.is_complete()) {
    const CommonHeader& hdr = h.value();
    n.header = hdr;
    std::uint64_t remaining = hdr.frag_length - s.buffer.size();
    counters_.gap_skipped_bytes += s.buffer.size();
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
    counters_.gap_skipped_bytes += s.buffer.size();
    n.detail = fmt::format("partial PDU header ({} bytes) cut by a gap of {} bytes",
                           s.buffer.size(), size);
  }
  s.buffer.clear();
  observer_.on_note(n);
}

void Association::finish(const FrameRef& at) {
  for (Direction dir = 0; dir < 2; ++dir) {
    Stream& s = streams_[dir];
    if (s.buffer.empty()) continue;
    if (s.mode == Mode::resync || s.mode == Mode::hunting) {
      // A tail not yet scanned, or the first octets of a possible header: skipped bytes.
      (s.mode == Mode::resync ? counters_.resync_bytes : counters_.hunting_bytes) +=
          s.buffer.size();
      s.buffer.clear();
      continue;
    }
    if (s.mode == Mode::expect_header) {
      ++counters_.unterminated_pdus;
      counters_.unterminated_bytes += s.buffer.size();
      note(dir, at, NoteKind::partial_pdu_lost,
           fmt::format("{} bytes at the start of the stream, too few for a PDU header, when the "
                       "connection ended",
                       s.buffer.size()),
           s.buffer.size());
      s.buffer.clear();
      continue;
    }
    if (s.mode != Mode::in_sync) continue;
    ++counters_.unterminated_pdus;
    counters_.unterminated_bytes += s.buffer.size();
    Note n;
    n.at = at;
    n.dir = dir;
    n.kind = NoteKind::partial_pdu_lost;
    n.bytes = s.buffer.size();
    HeaderResult h = parse_framing_header(s.buffer);
    if (h.is_complete()) {
      handle_partial(dir, s.buffer, s.last_data);
      n.header = h.value();
      n.detail = fmt::format(
          "{} call_id {} incomplete at the end of the connection: {} of {} bytes",
          to_string(h.value().ptype), h.value().call_id, s.buffer.size(), h.value().frag_length);
    } else {
      n.detail =
          fmt::format("{} bytes of a PDU header at the end of the connection", s.buffer.size());
    }
    s.buffer.clear();
    observer_.on_note(n);
  }
}

}  // namespace rpctrace::dcerpc
