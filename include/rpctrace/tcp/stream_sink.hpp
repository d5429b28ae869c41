// StreamSink: what the TCP layer tells the layer above, in capture order.
//
// For every frame of a connection: on_segment(), then zero or more on_data()/on_gap() calls
// with the bytes that frame made contiguous (its own and any held out-of-order bytes it
// released, each with the frame that carried it), then on_frame_end(). Bytes passed to
// on_data() live only during the call.
#pragma once

#include <cstdint>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/tcp/connection.hpp"

namespace rpctrace::tcp {

// Per-segment observations of the reassembler, shown in the timeline.
enum class SegmentNote : std::uint8_t {
  none,
  retransmission,    // every payload byte was already delivered
  partial_overlap,   // some payload bytes were already delivered (first copy wins)
  out_of_order,      // held: it starts after a hole
  overlap_conflict,  // overlapped held bytes with different content (first copy wins)
  syn_retransmission,
  buffer_full,  // out-of-order buffer full: dropped
  after_close,  // payload after FIN/RST: not delivered
};
const char* to_string(SegmentNote n);  // a sentence for people

struct SegmentInfo {
  std::uint64_t frame = 0;
  common::Timestamp ts;
  Direction dir = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;
  std::uint8_t flags = 0;
  std::uint8_t header_length = 0;
  std::uint32_t payload_length = 0;  // on the wire
  std::uint32_t captured_length = 0;
  std::uint8_t ttl = 0;  // IPv4 TTL / IPv6 hop limit
  SegmentNote note = SegmentNote::none;
};

enum class GapCause : std::uint8_t {
  lost,          // bytes never captured (a later segment or the peer's ACK proved it)
  snaplen,       // the snap length cut the segment's payload
  buffer_limit,  // out-of-order buffer exceeded: the hole was given up
  flush,         // end of connection: the hole never filled
};
const char* to_string(GapCause c);

// The frame whose segment carried bytes: the current frame, or an earlier one when held
// out-of-order bytes are released.
struct DataOrigin {
  std::uint64_t frame = 0;
  common::Timestamp ts;
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void on_connection_start(Connection& c) = 0;
  virtual void on_segment(Connection& c, const SegmentInfo& s) = 0;
  virtual void on_data(Connection& c, Direction dir, common::Bytes data,
                       const DataOrigin& origin) = 0;
  virtual void on_gap(Connection& c, Direction dir, std::uint64_t size, GapCause cause) = 0;
  virtual void on_frame_end(Connection& c, const SegmentInfo& s) = 0;
  virtual void on_connection_end(Connection& c, EndReason reason) = 0;
};

}  // namespace rpctrace::tcp
