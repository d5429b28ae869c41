// ConnectionTable: 5-tuple lookup, port reuse, LRU and capture-time eviction.
#include "rpctrace/tcp/connection_table.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "rpctrace/tcp/reassembler.hpp"

namespace rpctrace::tcp {

struct ConnectionTable::Entry {
  FlowKey key;
  Connection conn;
  Lru::iterator lru_it;
  std::list<Entry*>::iterator closed_it;
  bool in_closed_list = false;
};

namespace {
// Our own key's octets (not packet data): a plain 8-octet load.
std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A multiply-xorshift mix of the address halves and the port (addresses are already spread;
// this only has to be cheap and to use every bit).
std::uint64_t hash_endpoint(const common::Endpoint& e) {
  const auto* o = e.address.octets.data();
  std::uint64_t h = load64(o) * 0x9e3779b97f4a7c15ull;
  h ^= (load64(o + 8) + e.port) * 0xc2b2ae3d27d4eb4full;
  return h ^ (h >> 29);
}
}  // namespace

std::size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  return static_cast<std::size_t>(hash_endpoint(k.lo) * 31 + hash_endpoint(k.hi));
}

ConnectionTable::ConnectionTable(StreamSink& sink, ReassemblyLimits limits, std::uint64_t* ids)
    : sink_(sink), limits_(limits) {
  if (ids != nullptr) next_id_ = ids;
}

ConnectionTable::~ConnectionTable() = default;

ConnectionTable::Entry* ConnectionTable::create(const FlowKey& key, const pcap::TcpSegmentView& seg,
                                                std::uint64_t frame, common::Timestamp ts) {
  if (table_.size() >= limits_.max_connections && !lru_.empty()) {
    ++counters_.evicted_limit;
    end(lru_.back(), EndReason::evicted_limit);
  }
  auto entry = std::make_unique<Entry>();
  Entry* e = entry.get();
  e->key = key;
  Connection& c = e->conn;
  c.id = (*next_id_)++;
  common::Endpoint src{seg.src, seg.src_port}, dst{seg.dst, seg.dst_port};
  bool syn = (seg.flags & pcap::tcp_flag::syn) != 0;
  bool ack = (seg.flags & pcap::tcp_flag::ack) != 0;
  // The initiator is endpoint[0]: the SYN's sender, the SYN/ACK's receiver, else the sender
  // of the first frame seen (the layer above may know better from the PDUs).
  if (syn && ack) {
    c.endpoint[0] = dst;
    c.endpoint[1] = src;
  } else {
    c.endpoint[0] = src;
    c.endpoint[1] = dst;
  }
  c.first_frame = frame;
  c.first_ts = c.last_ts = ts;
  lru_.push_front(e);
  e->lru_it = lru_.begin();
  table_.emplace(key, std::move(entry));
  ++counters_.connections;
  sink_.on_connection_start(c);
  return e;
}

void ConnectionTable::end(Entry* e, EndReason reason) {
  Reassembler r(sink_, limits_, counters_);
  r.flush(e->conn, 0, GapCause::flush);
  r.flush(e->conn, 1, GapCause::flush);
  sink_.on_connection_end(e->conn, reason);
  lru_.erase(e->lru_it);
  if (e->in_closed_list) closed_.erase(e->closed_it);
  table_.erase(e->key);
}

void ConnectionTable::expire(common::Timestamp now) {
  std::int64_t t = now.micros();
  while (!closed_.empty() && closed_.front()->conn.closed_ts.micros() + limits_.closed_grace_us < t)
    end(closed_.front(), EndReason::closed);
  while (!lru_.empty() && lru_.back()->conn.last_ts.micros() + limits_.idle_timeout_us < t) {
    ++counters_.evicted_idle;
    end(lru_.back(), EndReason::evicted_idle);
  }
}

void ConnectionTable::add(const pcap::TcpSegmentView& seg, std::uint64_t frame,
                          common::Timestamp ts) {
  ++counters_.segments;
  if (ts.micros() - last_sweep_us_ >= 1000000) {
    expire(ts);
    last_sweep_us_ = ts.micros();
  }
  common::Endpoint src{seg.src, seg.src_port}, dst{seg.dst, seg.dst_port};
  FlowKey key = src < dst ? FlowKey{src, dst} : FlowKey{dst, src};
  auto it = table_.find(key);
  Entry* e = nullptr;
  if (it != table_.end()) {
    e = it->second.get();
    bool syn_only = (seg.flags & pcap::tcp_flag::syn) && !(seg.flags & pcap::tcp_flag::ack);
    if (syn_only) {
      Direction d = e->conn.endpoint[0] == src ? 0 : 1;
      const HalfStream& h = e->conn.half[d];
      // A SYN with a new initial sequence number on a tracked 5-tuple is a new conversation:
      // the old one closed (or we saw only its middle) and the port was reused.
      const HalfStream& other = e->conn.half[d ^ 1];
      // The SYN a SYN/ACK already answered (captures do reorder them) belongs to it.
      bool answered = other.syn_seen && other.syn_ack == seg.seq + 1 && !e->conn.closed;
      bool reused = h.syn_seen ? h.isn != seg.seq
                               : !answered && (e->conn.closed || e->conn.half[0].started ||
                                               e->conn.half[1].started);
      if (reused) {
        ++counters_.port_reuses;
        end(e, EndReason::port_reused);
        e = nullptr;
      }
    }
  }
  if (e == nullptr) e = create(key, seg, frame, ts);
  Connection& c = e->conn;
  c.last_ts = ts;
  if (e->lru_it != lru_.begin()) lru_.splice(lru_.begin(), lru_, e->lru_it);

  SegmentInfo info;
  info.frame = frame;
  info.ts = ts;
  info.dir = c.endpoint[0] == src ? 0 : 1;
  info.seq = seg.seq;
  info.ack = seg.ack;
  info.window = seg.window;
  info.flags = seg.flags;
  info.header_length = seg.header_length;
  info.payload_length = seg.payload_length;
  info.captured_length = static_cast<std::uint32_t>(seg.payload.size());
  info.ttl = seg.ttl;
  sink_.on_segment(c, info);
  Reassembler(sink_, limits_, counters_).segment(c, seg, info);
  bool was_closed = c.closed;
  if ((c.half[0].fin_seen && c.half[1].fin_seen) || c.half[0].rst_seen || c.half[1].rst_seen) {
    c.closed = true;
  }
  if (c.closed && !was_closed) {
    c.closed_ts = ts;
    closed_.push_back(e);
    e->closed_it = std::prev(closed_.end());
    e->in_closed_list = true;
  }
  sink_.on_frame_end(c, info);
}

void ConnectionTable::finish() {
  std::vector<Entry*> all;
  all.reserve(table_.size());
  for (auto& [key, entry] : table_) all.push_back(entry.get());
  std::sort(all.begin(), all.end(), [](Entry* a, Entry* b) { return a->conn.id < b->conn.id; });
  for (Entry* e : all) end(e, e->conn.closed ? EndReason::closed : EndReason::capture_end);
}

}  // namespace rpctrace::tcp
