// Sum of the capture layer's skip counters.
#include "rpctrace/pcap/counters.hpp"

namespace rpctrace::pcap {

std::uint64_t Counters::skipped_total() const {
  std::uint64_t total = 0;
  for (auto n : skipped) total += n;
  return total;
}

}  // namespace rpctrace::pcap
