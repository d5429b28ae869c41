// The ncadg_ip_udp adapter (C706 appendix I; MS-RPCE 2.1.1.2): connectionless DCE/RPC over UDP.
// A UDP flow (client address and port, server address and port) whose datagrams carry
// connectionless PDUs is one conversation; each datagram is one frame of it and one PDU, handed
// to the analysis Tracker as it is (no reassembly below DCE/RPC: the fragments are numbered by
// the PDUs themselves). A flow is found by its first datagram's header, on any port, as
// connection-oriented DCE/RPC is found on TCP; a datagram that is not such a header starts
// nothing and is counted by the capture layer as UDP not decoded.
//
// A connectionless server may answer from another port than the one the request went to
// (C706 leaves the answering endpoint to the server; PROFINET IO devices do so): an answer
// whose activity's requests were seen in a flow, going to that flow's client, joins that flow.
//
// UDP has no opening and no close: a flow ends when no datagram came for idle_timeout_us, when
// the table is full (the least recently active flow goes), or at the end of the capture.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <unordered_map>
#include <vector>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/dcerpc/cl.hpp"
#include "rpctrace/pcap/packet.hpp"

namespace rpctrace::transport {

struct UdpLimits {
  // Flows tracked at once; past it the least recently active one ends (evicted_limit).
  std::size_t max_flows = 1u << 16;
  // A flow with no datagram for this long (capture time) ends (evicted_idle). A client pings an
  // unanswered call every few seconds and gives up within minutes; two minutes of silence is
  // the end of its activity (Zeek's UDP inactivity timeout is one minute, Suricata's two).
  std::int64_t idle_timeout_us = 120ll * 1000000;
};

struct UdpCounters {
  std::uint64_t flows = 0;             // connectionless conversations opened
  std::uint64_t evicted_idle = 0;      // ... ended by idle_timeout_us
  std::uint64_t evicted_limit = 0;     // ... ended because the table was full (max_flows)
  std::uint64_t truncated = 0;         // datagrams the capture cut (snap length)
  std::uint64_t answers_rerouted = 0;  // answers from another server port joined their flow
};
void append_counter_rows(const UdpCounters& c, common::CounterRows& rows);

class UdpAdapter {
 public:
  // `ids`: the conversation numbering shared with the TCP table.
  UdpAdapter(analysis::Tracker& tracker, const UdpLimits& limits, std::uint64_t& ids)
      : tracker_(tracker), limits_(limits), ids_(ids) {}
  ~UdpAdapter();
  UdpAdapter(const UdpAdapter&) = delete;
  UdpAdapter& operator=(const UdpAdapter&) = delete;

  // A datagram: true when it belongs to a connectionless DCE/RPC flow (a flow already known,
  // or a new one whose first datagram carries a connectionless header).
  bool datagram(const pcap::UdpDatagramView& d, std::uint64_t frame, common::Timestamp ts);
  // Ends the flows idle longer than their limit at `now`.
  void expire(common::Timestamp now);
  // The end of the capture: every flow ends.
  void finish();
  [[nodiscard]] const UdpCounters& counters() const { return counters_; }

 private:
  using Key = std::pair<common::Endpoint, common::Endpoint>;  // the lower endpoint first
  struct Flow {
    analysis::ConversationHandle conversation;
    std::uint64_t id = 0;          // the conversation's
    common::Endpoint endpoint[2];  // [0] sent the first datagram seen
    common::Timestamp last;
    analysis::CarrierTotals totals;
    std::list<Key>::iterator lru;
    std::vector<common::Uuid> activities;  // registered in activities_, at most kMaxFlowActivities
  };
  // Where an activity's requests were seen: its flow and the client that sent them.
  struct ActivityHome {
    Key flow;
    common::Endpoint client;
  };
  static constexpr std::size_t kMaxFlowActivities = 64;
  static constexpr std::size_t kMaxActivities = 1u << 16;
  // The flow an answer from another server port belongs to; flows_.end() when none.
  std::map<Key, Flow>::iterator home_of(const pcap::UdpDatagramView& d, const dcerpc::ClHeader& h);
  void remember_activity(std::map<Key, Flow>::iterator it, const dcerpc::ClHeader& h,
                         const common::Endpoint& src);
  void end(std::map<Key, Flow>::iterator it, analysis::EndReason reason);

  analysis::Tracker& tracker_;
  UdpLimits limits_;
  UdpCounters counters_;
  std::map<Key, Flow> flows_;
  std::list<Key> lru_;  // least recently active first
  std::unordered_map<common::Uuid, ActivityHome, common::UuidHash> activities_;
  std::uint64_t& ids_;
};

}  // namespace rpctrace::transport
