// Dispatcher: hands each decoded frame to the transport adapter of its carrier. TCP segments go
// to the TCP connection table, whose adapter is ncacn_ip_tcp on every port (DCE/RPC is found by
// its header, not by a port number). The other carriers (UDP, SMB named pipes, HTTP) will
// plug in here, each with its own adapter feeding the same Tracker.
#pragma once

#include <cstdint>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/pcap/packet.hpp"
#include "rpctrace/tcp/connection_table.hpp"
#include "rpctrace/tcp/limits.hpp"
#include "rpctrace/transport/ncacn_ip_tcp.hpp"

namespace rpctrace::transport {

struct Limits {
  tcp::ReassemblyLimits tcp;
  dcerpc::FramerLimits framer;
};

class Dispatcher {
 public:
  Dispatcher(analysis::Tracker& tracker, dcerpc::Counters& counters, const Limits& limits)
      : limits_(limits),
        tcp_adapter_(tracker, counters, limits_.framer),
        tcp_table_(tcp_adapter_, limits_.tcp) {}

  // A frame the capture layer decoded into a carrier unit; false when no adapter takes it.
  bool add(const pcap::DecodeOutcome& frame, std::uint64_t number, common::Timestamp ts);
  // The end of the capture: every conversation still open ends.
  void finish() { tcp_table_.finish(); }
  // The carriers' counters, as rows of the closing statistics.
  void append_counter_rows(common::CounterRows& rows) const;

 private:
  Limits limits_;
  TcpAdapter tcp_adapter_;
  tcp::ConnectionTable tcp_table_;
};

}  // namespace rpctrace::transport
