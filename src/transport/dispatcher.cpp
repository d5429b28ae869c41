// The dispatcher: one carrier today (TCP), two adapters on it (ncacn_ip_tcp, ncacn_np).
#include "rpctrace/transport/dispatcher.hpp"

namespace rpctrace::transport {

bool Dispatcher::add(const pcap::DecodeOutcome& frame, std::uint64_t number, common::Timestamp ts) {
  switch (frame.carrier) {
    case pcap::Carrier::tcp:
      tcp_table_.add(frame.segment, number, ts);
      return true;
    case pcap::Carrier::none:
      break;
  }
  return false;
}

void Dispatcher::append_counter_rows(common::CounterRows& rows) const {
  tcp::append_counter_rows(tcp_table_.counters(), rows);
  transport::append_counter_rows(np_adapter_.counters(), rows);
}

}  // namespace rpctrace::transport
