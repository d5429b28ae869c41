// Counters of the TCP layer: every segment or byte not delivered in order, by reason.
#pragma once

#include <cstdint>

#include "rpctrace/common/counter_row.hpp"

namespace rpctrace::tcp {

struct Counters {
  std::uint64_t connections = 0;
  std::uint64_t segments = 0;
  std::uint64_t payload_bytes = 0;  // payload bytes on the wire
  std::uint64_t delivered_bytes = 0;
  std::uint64_t retransmissions = 0;  // segments whose payload was all delivered already
  std::uint64_t retransmitted_bytes = 0;
  std::uint64_t syn_retransmissions = 0;
  std::uint64_t out_of_order_segments = 0;
  std::uint64_t overlap_conflicts = 0;  // overlapping copies that differ
  std::uint64_t gaps = 0;
  std::uint64_t gap_bytes = 0;
  std::uint64_t snaplen_gaps = 0;
  std::uint64_t buffer_limit_drops = 0;  // segments dropped: out-of-order buffer full
  std::uint64_t buffer_limit_bytes = 0;
  std::uint64_t after_close_bytes = 0;
  std::uint64_t mid_stream_starts = 0;  // directions picked up without their SYN
  std::uint64_t port_reuses = 0;
  std::uint64_t evicted_idle = 0;
  std::uint64_t evicted_limit = 0;
};
// Rows for the statistics' "not decoded" list.
void append_counter_rows(const Counters& c, common::CounterRows& rows);

}  // namespace rpctrace::tcp
