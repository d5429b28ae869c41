// What the stream framer and the association tell about a connection beyond its PDUs: a
// direction, the frame a fact belongs to, and notes (anomalies with a reason and a detail).
// Owned values only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rpctrace/common/address.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

// 0: from the side that opened the connection (or sent first) to the other; 1: back.
using Direction = std::uint8_t;

// The frame whose bytes completed a PDU or showed an anomaly.
struct FrameRef {
  std::uint64_t frame = 0;
  common::Timestamp ts;
};

enum class NoteKind : std::uint8_t {
  malformed_pdu,     // header valid, body not: the PDU is skipped by frag_length
  lost_sync,         // an invalid header where one was expected: resynchronising
  resynchronised,    // a valid header found again after `bytes` skipped
  picked_up,         // mid-stream: first PDU header found after `bytes` skipped
  partial_pdu_lost,  // a gap cut a PDU: its remaining bytes are skipped
  not_dcerpc,        // the stream does not start with a DCE/RPC header
  ncacn_http,        // "ncacn_http/1.0" preamble skipped (RPC over HTTP v1)
  limit,             // a resource limit was hit (detail says which)
  count_
};
inline constexpr std::size_t kNoteKindCount = static_cast<std::size_t>(NoteKind::count_);
// "malformed_pdu", "lost_sync", ...: the identifiers the report and JSON Lines use.
std::string_view to_string(NoteKind k);

struct Note {
  FrameRef at;
  Direction dir = 0;
  NoteKind kind = NoteKind::malformed_pdu;
  std::optional<CommonHeader> header;  // for malformed_pdu / partial_pdu_lost
  Reason reason = Reason::count_;      // for malformed_pdu / lost_sync
  std::string detail;
  std::uint64_t bytes = 0;
};

inline Note make_note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
                      std::uint64_t bytes = 0) {
  Note n;
  n.at = at;
  n.dir = dir;
  n.kind = kind;
  n.detail = std::move(detail);
  n.bytes = bytes;
  return n;
}

}  // namespace rpctrace::dcerpc
