// ConnectionTable: finds or creates the Connection of each TCP segment, runs the reassembly of
// both directions and drives a StreamSink. Bounded by ReassemblyLimits; what it drops is counted.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

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
  [[nodiscard]] std::size_t size() const { return size_; }
  // Ends the connections closed or idle longer than their limits at `now` (add() does so
  // with each segment's time; a quiet live capture with the clock).
  void expire(common::Timestamp now);

 private:
  struct Entry;
  // Entries are numbered from 1 (0 is "none" in the index and the lists).
  using Index = std::uint32_t;
  // One slot of the open-addressing index: the key's hash and its entry (0: empty).
  struct Slot {
    std::uint32_t hash = 0;
    Index entry = 0;
  };
  // Doubly linked lists threaded through the entries by number (no node per connection):
  // an entry's links in one list, and the list's ends.
  struct Links {
    Index prev = 0, next = 0;
  };
  struct List {
    Index head = 0, tail = 0;
  };
  Entry* create(const FlowKey& key, std::uint32_t hash, const pcap::TcpSegmentView& seg,
                std::uint64_t frame, common::Timestamp ts);
  void end(Entry* e, EndReason reason);
  Entry& at(Index i) const;
  Index allocate();
  Index find(const FlowKey& key, std::uint32_t hash) const;
  void place(const Slot& s);
  void insert(Index i, std::uint32_t hash);
  void erase_slot(Index i, std::uint32_t hash);
  void grow();
  // Appends entry i to `list` through its `links`; takes it out again.
  void push_back(List& list, Links Entry::*links, Index i);
  void unlink(List& list, Links Entry::*links, Index i);

  StreamSink& sink_;
  ReassemblyLimits limits_;
  Counters counters_;
  // Entries live in chunks that never move (the sink keeps references to a Connection while
  // it is tracked); ended entries are reused from free_.
  static constexpr std::size_t kChunkBits = 10;
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::vector<Index> free_;
  Index allocated_ = 0;
  // Linear probing with backward-shift deletion, at most half full: a look-up reads one or
  // two adjacent slots, then the entry.
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  List lru_;     // least recently active at the head
  List closed_;  // closed connections, in order of closing
  std::uint64_t own_ids_ = 1;
  std::uint64_t* next_id_ = &own_ids_;
  std::int64_t last_sweep_us_ = 0;
};

}  // namespace rpctrace::tcp
