// Kerberos on port 88 (RFC 4120 7.2): not a protocol sequence, but what explains an RPC bind
// refused with no reason. UDP datagrams hold one message each; on TCP each message follows a
// four-octet length (7.2.2). The TCP bytes are teed here by the router: the connection stays a
// conversation of its own for the timeline. Each message decoded goes to the Tracker, which
// hands it to the sinks (diagnose ties a KRB-ERROR to the RPC conversation it broke).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/pcap/packet.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::transport {

struct KdcCounters {
  std::uint64_t messages = 0;     // decoded
  std::uint64_t errors = 0;       // ... of them KRB-ERRORs
  std::uint64_t not_decoded = 0;  // on port 88 but not a Kerberos message we read
  std::uint64_t over_limit = 0;   // TCP messages longer than kMaxMessage, or streams past
                                  // kMaxStreams, or cut by a gap: not followed
};
void append_counter_rows(const KdcCounters& c, common::CounterRows& rows);

class KdcAdapter {
 public:
  explicit KdcAdapter(analysis::Tracker& tracker) : tracker_(tracker) {}
  static bool is_kdc_port(std::uint16_t port) { return port == 88; }
  static bool is_kdc(const tcp::Connection& c) {
    return is_kdc_port(c.endpoint[0].port) || is_kdc_port(c.endpoint[1].port);
  }
  // A UDP datagram; false when neither port is 88 (no adapter takes it).
  bool datagram(const pcap::UdpDatagramView& d, std::uint64_t frame, common::Timestamp ts);
  // TCP bytes of a connection on port 88, in order; a gap ends what can be read of that
  // direction; the end forgets the connection.
  void stream_data(const tcp::Connection& c, tcp::Direction dir, common::Bytes data,
                   const tcp::DataOrigin& origin);
  void stream_gap(const tcp::Connection& c, tcp::Direction dir);
  void stream_end(const tcp::Connection& c) { streams_.erase(&c); }
  [[nodiscard]] const KdcCounters& counters() const { return counters_; }

  static constexpr std::size_t kMaxMessage = 65536;  // a KDC message on TCP (tickets with PACs)
  static constexpr std::size_t kMaxStreams = 4096;   // TCP connections on 88 followed at once

 private:
  struct Half {
    std::vector<std::byte> buffer;
    bool lost = false;  // a gap, a hostile length or the limit: nothing more is read
  };
  struct Stream {
    Half half[2];
  };
  void message(common::Bytes octets, const common::Endpoint& from, const common::Endpoint& to,
               bool over_tcp, std::uint64_t frame, common::Timestamp ts);

  analysis::Tracker& tracker_;
  KdcCounters counters_;
  std::map<const tcp::Connection*, Stream> streams_;
};

}  // namespace rpctrace::transport
