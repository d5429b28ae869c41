// Counters of the capture layer: frames read and every frame that did not become a TCP segment,
// by reason. frames_read == tcp_segments + udp_datagrams + sum(skipped).
#pragma once

#include <array>
#include <cstdint>

#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/pcap/packet.hpp"

namespace rpctrace::pcap {

struct Counters {
  std::uint64_t frames_read = 0;
  std::uint64_t bytes_read = 0;          // captured bytes
  std::uint64_t tcp_segments = 0;        // frames that decoded to a TCP segment
  std::uint64_t udp_datagrams = 0;       // ... to a UDP datagram an adapter took (Kerberos)
  std::uint64_t payload_truncated = 0;   // TCP segments whose payload the snap length cut
  std::uint64_t timestamps_clamped = 0;  // frames whose timestamp was out of range
  std::array<std::uint64_t, kSkipReasonCount> skipped{};

  void skip(SkipReason r) { ++skipped[static_cast<std::size_t>(r)]; }
  [[nodiscard]] std::uint64_t skipped_total() const;
};
// Rows for the statistics' "not decoded" list: every skip reason, then the cut payloads and
// clamped timestamps.
void append_counter_rows(const Counters& c, common::CounterRows& rows);

}  // namespace rpctrace::pcap
