// The dispatcher: TCP with its adapters (ncacn_ip_tcp, ncacn_np, Kerberos teed), and UDP for
// Kerberos on port 88 and connectionless DCE/RPC on any other.
#include "rpctrace/transport/dispatcher.hpp"

namespace rpctrace::transport {

bool Dispatcher::add(const pcap::DecodeOutcome& frame, std::uint64_t number, common::Timestamp ts) {
  switch (frame.carrier) {
    case pcap::Carrier::tcp:
      tcp_table_.add(frame.segment, number, ts);
      return true;
    case pcap::Carrier::udp:
      if (kdc_adapter_.datagram(frame.datagram, number, ts)) return true;
      return udp_adapter_.datagram(frame.datagram, number, ts);
    case pcap::Carrier::none:
      break;
  }
  return false;
}

void Dispatcher::append_counter_rows(common::CounterRows& rows) const {
  tcp::append_counter_rows(tcp_table_.counters(), rows);
  transport::append_counter_rows(np_adapter_.counters(), rows);
  transport::append_counter_rows(kdc_adapter_.counters(), rows);
  transport::append_counter_rows(udp_adapter_.counters(), rows);
}

}  // namespace rpctrace::transport
