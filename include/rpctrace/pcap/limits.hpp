// Limits of the capture layer (resource policy, not spec facts).
#pragma once

#include <cstddef>

namespace rpctrace::pcap {

// 802.1Q tags stacked in one Ethernet header. QinQ uses 2; more than 4 is not seen in
// practice, so a frame with more is counted as non_ip rather than walked without end.
inline constexpr std::size_t kMaxVlanTags = 4;
// IPv6 extension headers walked before giving up (RFC 8200 expects a handful at most).
inline constexpr std::size_t kMaxIpv6ExtensionHeaders = 8;

}  // namespace rpctrace::pcap
