// ConnectionTable: finds or creates the Connection of each TCP segment, runs the reassembly of
// both directions and drives a StreamSink. Bounded by ReassemblyLimits; what it drops is counted.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>

#include "rpctrace/pcap/packet.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "rpctrace/tcp/counters.hpp"
#include "rpctrace/tcp/limits.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::tcp {

struct FlowKey {
  common::Endpoint lo, hi;  // canonical order: lo < hi
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};
struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept;
};

class ConnectionTable {
 public:
  // `ids`: the counter that numbers conversations, shared with the other carriers (UDP) so
  // every conversation of a capture has its own id; the table's own when null.
  ConnectionTable(StreamSink& sink, ReassemblyLimits limits = {}, std::uint64_t* ids = nullptr);
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // One decoded TCP segment of frame `frame` at capture time `ts`.
  void add(const pcap::TcpSegmentView& seg, std::uint64_t frame, common::Timestamp ts);
  // Ends every connection still tracked (flushing held bytes as gaps) with capture_end.
  void finish();

  [[nodiscard]] const Counters& counters() const { return counters_; }
  [[nodiscard]] std::size_t size() const { return table_.size(); }
  // Ends the connections closed or idle longer than their limits at `now` (add() does so
  // with each segment's time; a quiet live capture with the clock).
  void expire(common::Timestamp now);

 private:
  struct Entry;
  using Lru = std::list<Entry*>;
  Entry* create(const FlowKey& key, const pcap::TcpSegmentView& seg, std::uint64_t frame,
                common::Timestamp ts);
  void end(Entry* e, EndReason reason);

  StreamSink& sink_;
  ReassemblyLimits limits_;
  Counters counters_;
  std::unordered_map<FlowKey, std::unique_ptr<Entry>, FlowKeyHash> table_;
  Lru lru_;                   // most recently active first
  std::list<Entry*> closed_;  // closed connections, in order of closing
  std::uint64_t own_ids_ = 1;
  std::uint64_t* next_id_ = &own_ids_;
  std::int64_t last_sweep_us_ = 0;
};

}  // namespace rpctrace::tcp
