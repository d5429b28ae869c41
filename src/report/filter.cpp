// Filter matching on a segment's endpoints (a conversation's frames all match or none do).
#include "rpctrace/report/filter.hpp"

#include <algorithm>

namespace rpctrace::report {

bool Filter::matches(const pcap::TcpSegmentView& s) const {
  if (!ports.empty() && std::none_of(ports.begin(), ports.end(), [&](std::uint16_t p) {
        return p == s.src_port || p == s.dst_port;
      }))
    return false;
  if (!hosts.empty() && std::none_of(hosts.begin(), hosts.end(), [&](const common::IpAddress& h) {
        return h == s.src || h == s.dst;
      }))
    return false;
  return true;
}

}  // namespace rpctrace::report
