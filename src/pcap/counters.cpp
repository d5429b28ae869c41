// The capture layer's counters: their sum, and their rows for the closing statistics.
#include "rpctrace/pcap/counters.hpp"

namespace rpctrace::pcap {

std::uint64_t Counters::skipped_total() const {
  std::uint64_t total = 0;
  for (auto n : skipped) total += n;
  return total;
}

void append_counter_rows(const Counters& c, common::CounterRows& rows) {
  for (std::size_t i = 0; i < kSkipReasonCount; ++i) {
    auto r = static_cast<SkipReason>(i);
    rows.push_back({to_string(r), describe(r), c.skipped[i]});
  }
  rows.push_back({"tcp_payload_truncated", "TCP segments whose payload the snap length cut",
                  c.payload_truncated});
  rows.push_back({"timestamps_clamped", "frames whose timestamp was out of range (clamped)",
                  c.timestamps_clamped});
}

}  // namespace rpctrace::pcap
