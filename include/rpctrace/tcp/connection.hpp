// Connection: one TCP conversation (a 5-tuple from its first frame until it ends or the port
// is reused) with the reassembly state of both directions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "rpctrace/common/address.hpp"

namespace rpctrace::tcp {

// Direction 0 carries bytes from endpoint[0] to endpoint[1]; endpoint[0] is the sender of the
// SYN, or the receiver of a SYN/ACK, or else (capture started mid-connection) the sender of
// the first frame seen.
using Direction = std::uint8_t;

// State a later layer attaches to a connection (the DCE/RPC association). Owned here so it
// goes when the connection goes.
class ConnectionState {
 public:
  virtual ~ConnectionState() = default;
  // The layer above's own mark (which of its adapters owns the state); TCP never reads it.
  std::uint8_t owner = 0;
};

// One direction's reassembly state. Sequence numbers are tracked as 64-bit stream offsets so
// that wrap-around at 2^32 needs no special case.
struct HalfStream {
  bool syn_seen = false;
  bool fin_seen = false;
  bool rst_seen = false;
  bool started = false;         // next_seq is known
  bool mid_stream = false;      // first byte seen was not just after a SYN
  bool peer_ack_known = false;  // (the flags together: a direction is 160 octets, not 176)
  bool highest_known = false;
  bool dropped = false;  // a segment was dropped at the out-of-order limit
  std::uint32_t isn = 0;
  std::uint32_t syn_ack = 0;       // the ACK number of this direction's SYN/ACK, if it sent one
  std::uint32_t next_seq = 0;      // next byte expected, in sequence space
  std::uint32_t peer_max_ack = 0;  // highest ACK the other side sent for this direction
  std::uint64_t delivered = 0;     // bytes delivered or skipped as gaps (stream offset)
  // The end (seq + payload length) of the furthest segment this side sent, FIN and pure ACKs
  // included: bytes below it that never arrived are a gap when the connection ends, even
  // with nothing captured after them.
  std::uint32_t highest_seq = 0;
  std::uint32_t fin_seq = 0;  // the first FIN's sequence number: where this side's data ends
  struct Held {
    std::vector<std::byte> data;    // captured bytes
    std::uint32_t wire_length = 0;  // payload length on the wire (>= data.size())
    std::uint64_t frame = 0;        // the frame that carried it
    common::Timestamp ts;
  };
  using HeldMap = std::map<std::uint64_t, Held>;  // by stream offset
  // Allocated when the first segment is held: most connections never hold one, and a
  // direction then costs 8 octets here instead of an empty map's 48 (docs/limits.md).
  std::unique_ptr<HeldMap> out_of_order;
  [[nodiscard]] bool holds() const { return out_of_order && !out_of_order->empty(); }
  HeldMap& held() {
    if (!out_of_order) out_of_order = std::make_unique<HeldMap>();
    return *out_of_order;
  }
  std::size_t out_of_order_bytes = 0;
  // The last segments delivered, by sequence number, length and a hash of their bytes, so a
  // retransmission that carries different bytes is noticed (kRecentSegments, tcp/limits.hpp).
  // 32 bits of the hash: a changed copy goes unnoticed once in 2^32.
  struct Recent {
    std::uint32_t seq = 0;
    std::uint32_t length = 0;
    std::uint32_t hash = 0;
  };
  std::array<Recent, 8> recent{};
  std::uint8_t recent_next = 0;
};

enum class EndReason : std::uint8_t {
  capture_end,    // still open when the capture ended
  closed,         // FIN both ways or RST, then the grace period passed
  port_reused,    // a new SYN on the same 5-tuple started a new conversation
  evicted_idle,   // no frame for the idle timeout
  evicted_limit,  // the connection table was full
};

struct Connection {
  std::uint64_t id = 0;  // 1-based, in order of first frame
  common::Endpoint endpoint[2];
  std::uint64_t first_frame = 0;
  common::Timestamp first_ts, last_ts, closed_ts;
  bool closed = false;
  HalfStream half[2];
  std::unique_ptr<ConnectionState> state;
};

}  // namespace rpctrace::tcp
