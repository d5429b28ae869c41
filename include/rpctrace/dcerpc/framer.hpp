// StreamFramer: turns the two byte streams of one connection-oriented DCE/RPC channel into
// whole PDUs (C706 §12.6.3.1: frag_length frames each PDU). It knows nothing of the carrier:
// whether a direction's first byte was seen (stream start) and where a chunk of bytes begins
// (a TCP segment, an SMB read) are its inputs, so TCP, named pipes and RPC over HTTP can all
// feed it.
//
// Modes (per direction; docs/design.md):
//   expect_header  the stream's start was seen: its first bytes must be a PDU header (or the
//                  "ncacn_http/1.0" preamble of RPC over HTTP v1), else it is not DCE/RPC.
//   hunting        the stream was picked up in its middle: decoding begins at a chunk that
//                  starts with a valid header, or at a header whose PDU is followed by another.
//   in_sync        framing by frag_length.
//   resync         after a gap or an invalid header: every offset is tried for the next header
//                  that passes the full check; after max_resync_scan octets, back to hunting.
//   not_rpc        ignored, counted.
#pragma once

#include <cstdint>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/note.hpp"

namespace rpctrace::dcerpc {

// Receives the framer's output. Bytes live only during the call.
class FramerSink {
 public:
  virtual ~FramerSink() = default;
  // A whole PDU of direction `dir`: exactly frag_length octets, the header already checked
  // (parse_framing_header). `at`: the frame that carried its last octets.
  virtual void on_pdu(Direction dir, common::Bytes pdu, const FrameRef& at) = 0;
  // A PDU the capture cut short (a gap, or the end of the stream): its first octets, at least
  // a framing header and fewer than frag_length. `at`: the frame of its last captured octets.
  virtual void on_cut_pdu(Direction dir, common::Bytes partial, const FrameRef& at) = 0;
  virtual void on_note(const Note& n) = 0;
};

class StreamFramer {
 public:
  StreamFramer(FramerSink& sink, Counters& counters, const FramerLimits& limits)
      : sink_(sink), counters_(counters), limits_(limits) {}

  // `stream_start`: the direction's first byte follows its start (a TCP SYN, a pipe's open),
  // so it must be a header; false when the capture began in the middle of the stream.
  void start(Direction dir, bool stream_start);
  // In-order bytes of direction `dir`, carried by frame `at`. `chunk_start`: the bytes begin
  // a unit of the carrier (a TCP segment's payload), where PDUs usually begin.
  void data(Direction dir, common::Bytes data, const FrameRef& at, bool chunk_start);
  // `size` bytes of direction `dir` were not captured; `at` is where the gap was found.
  void gap(Direction dir, std::uint64_t size, const FrameRef& at);
  // The stream ended: a PDU still partly buffered is reported cut and noted.
  void finish(const FrameRef& at);

  // A PDU (whole or cut) was framed in either direction.
  [[nodiscard]] bool is_rpc() const { return seen_pdu_; }

 private:
  enum class Mode : std::uint8_t { expect_header, hunting, in_sync, resync, not_rpc };
  struct Stream {
    Mode mode = Mode::hunting;
    std::vector<std::byte> buffer;     // a partial PDU or the tail of a resync scan
    std::uint64_t skip_remaining = 0;  // rest of a PDU a gap cut (known from frag_length)
    std::uint64_t skipped = 0;         // bytes skipped while hunting/resynchronising
    FrameRef last_data;                // frame of the last bytes received (a cut PDU's frame)
  };

  std::size_t process(Direction dir, common::Bytes input, const FrameRef& at, bool chunk_start);
  std::size_t expect_header(Direction dir, common::Bytes rest, const FrameRef& at, bool& done);
  std::size_t hunt(Direction dir, common::Bytes rest, const FrameRef& at, bool chunk_start,
                   bool& done);
  std::size_t resync(Direction dir, common::Bytes rest, const FrameRef& at, bool& done);
  std::size_t frame_loop(Direction dir, common::Bytes input, const FrameRef& at);
  void picked_up(Direction dir, const FrameRef& at);  // hunting found the first header
  void emit(Direction dir, common::Bytes pdu, const FrameRef& at);
  void emit_cut(Direction dir, common::Bytes partial, const FrameRef& at);
  void cut_by_gap(Direction dir, std::uint64_t size, const FrameRef& at);
  void finish(Direction dir, const FrameRef& at);
  void note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
            std::uint64_t bytes = 0);

  FramerSink& sink_;
  Counters& counters_;
  const FramerLimits& limits_;
  Stream streams_[2];
  bool seen_pdu_ = false;
};

}  // namespace rpctrace::dcerpc
