// Per-direction TCP reassembly: in-order delivery despite retransmissions, reordering and
// overlap (first copy wins), gaps declared with their size and cause. Pure of I/O: it moves
// bytes from segments to the sink and counts what it could not deliver.
#pragma once

#include <optional>

#include "rpctrace/pcap/packet.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "rpctrace/tcp/counters.hpp"
#include "rpctrace/tcp/limits.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::tcp {

class Reassembler {
 public:
  Reassembler(StreamSink& sink, const ReassemblyLimits& limits, Counters& counters)
      : sink_(sink), limits_(limits), counters_(counters) {}

  // Handles one segment of `c` in direction `info.dir`; sets info.note.
  void segment(Connection& c, const pcap::TcpSegmentView& seg, SegmentInfo& info);
  // Declares the hole before the first held segment a gap and delivers what follows.
  void flush(Connection& c, Direction dir, GapCause cause);

 private:
  void syn(HalfStream& h, const pcap::TcpSegmentView& seg, SegmentInfo& info);
  void ack(Connection& c, Direction acked, std::uint32_t ack_number);
  void payload(Connection& c, const pcap::TcpSegmentView& seg, SegmentInfo& info);
  void retransmission(HalfStream& h, const pcap::TcpSegmentView& seg, SegmentInfo& info);
  void deliver(Connection& c, Direction dir, std::uint32_t seq, common::Bytes data,
               std::uint32_t wire, SegmentInfo& info);
  // Delivers held segments that are now contiguous. `filler`: the frame whose segment filled
  // the hole (their PDUs complete there); nullopt when a hole was given up (each keeps its own).
  void deliver_in_order(Connection& c, Direction dir, std::optional<DataOrigin> filler);
  void skip_to_first_held(Connection& c, Direction dir, GapCause cause);
  void hold(Connection& c, Direction dir, std::uint64_t offset, common::Bytes data,
            SegmentInfo& info);

  StreamSink& sink_;
  const ReassemblyLimits& limits_;
  Counters& counters_;
};

}  // namespace rpctrace::tcp
