// Conversation filters: --port N and --host ADDR, each matching either side. Several values of
// one kind are alternatives; --port and --host together must both match.
#pragma once

#include <cstdint>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/pcap/packet.hpp"

namespace rpctrace::report {

struct Filter {
  std::vector<std::uint16_t> ports;
  std::vector<common::IpAddress> hosts;
  [[nodiscard]] bool empty() const { return ports.empty() && hosts.empty(); }
  [[nodiscard]] bool matches(const pcap::TcpSegmentView& s) const;
};

}  // namespace rpctrace::report
