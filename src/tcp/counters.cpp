// The TCP layer's counters as rows of the closing statistics.
#include "rpctrace/tcp/counters.hpp"

namespace rpctrace::tcp {

void append_counter_rows(const Counters& c, common::CounterRows& rows) {
  rows.push_back(
      {"tcp_retransmissions", "TCP retransmissions (bytes already delivered)", c.retransmissions});
  rows.push_back({"tcp_out_of_order", "TCP segments out of order (held, then delivered)",
                  c.out_of_order_segments});
  rows.push_back({"tcp_overlap_conflicts", "TCP overlaps with different bytes (first copy kept)",
                  c.overlap_conflicts});
  rows.push_back({"tcp_gaps", "TCP gaps (bytes missing from the capture)", c.gaps});
  rows.push_back({"tcp_gap_bytes", "TCP bytes missing in those gaps", c.gap_bytes});
  rows.push_back({"tcp_buffer_limit_drops", "TCP segments dropped: out-of-order buffer full",
                  c.buffer_limit_drops});
  rows.push_back(
      {"tcp_after_close_bytes", "TCP payload bytes after RST (not decoded)", c.after_close_bytes});
  rows.push_back(
      {"tcp_mid_stream_starts", "TCP directions picked up without their SYN", c.mid_stream_starts});
  rows.push_back({"tcp_evicted_idle", "TCP connections evicted: idle timeout", c.evicted_idle});
  rows.push_back({"tcp_evicted_limit", "TCP connections evicted: table full", c.evicted_limit});
}

}  // namespace rpctrace::tcp
