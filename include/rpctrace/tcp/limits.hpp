// Limits of the TCP layer. All are resource policy (our choice), each overridable in
// ReassemblyLimits and shown in --help; docs/limits.md gives the reasons.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rpctrace::tcp {

struct ReassemblyLimits {
  // Out-of-order bytes held per direction while waiting for a hole to fill. A DCE/RPC
  // fragment is at most 65535 octets and Windows' receive windows are 64 KiB to a few MiB:
  // 1 MiB covers reordering within a window; past it the hole is declared a gap.
  std::size_t max_out_of_order_bytes = 1u << 20;
  // Out-of-order segments held per direction (bounds the per-segment overhead too).
  std::size_t max_out_of_order_segments = 1024;
  // Connections tracked at once; past it the least recently active one is evicted.
  std::size_t max_connections = 1u << 18;
  // A connection with no frame for this long (capture time) is evicted: the flow timeout
  // Suricata and Zeek use for established TCP is of this order.
  std::int64_t idle_timeout_us = 3600ll * 1000000;
  // A connection closed by FIN in both directions or RST stays this long (capture time) so
  // that its last ACKs are still shown with it. Short, because the report of a conversation
  // (and its memory) is released only when it leaves the table.
  std::int64_t closed_grace_us = 2ll * 1000000;
};

}  // namespace rpctrace::tcp
