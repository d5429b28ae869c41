// ConnectionTable: 5-tuple lookup, port reuse, LRU and capture-time eviction.
//
// The table is on the path of every TCP segment and holds every tracked connection, so it is
// built for a busy server's capture (tens of thousands of connections at once): an
// open-addressing index of 8-octet slots over entries in fixed chunks, and the LRU and closed
// lists threaded through the entries by number. A segment costs a hash, one or two adjacent
// slots and its entry; a connection costs its entry and about 16 octets of index, with no
// allocation per connection once the chunks exist.
#include "rpctrace/tcp/connection_table.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "rpctrace/tcp/reassembler.hpp"

namespace rpctrace::tcp {

struct ConnectionTable::Entry {
  // The key is the connection's endpoints, lo first: `lo` says which of them is lo (a key of
  // its own would repeat 40 octets in every entry).
  [[nodiscard]] bool has_key(const FlowKey& key) const {
    return conn.endpoint[lo] == key.lo && conn.endpoint[lo ^ 1] == key.hi;
  }
  std::uint32_t hash = 0;
  std::uint8_t lo = 0;
  bool in_closed_list = false;
  Index self = 0;  // this entry's number
  Links lru;       // in lru_: least recently active first
  Links closed;    // in closed_, while in_closed_list
  Connection conn;
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

constexpr std::size_t kInitialSlots = 1024;
}  // namespace

std::size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  std::uint64_t h = hash_endpoint(k.lo) * 31 + hash_endpoint(k.hi);
  // The index takes the low bits: fold the high ones in.
  return static_cast<std::size_t>(h ^ (h >> 32));
}

ConnectionTable::ConnectionTable(StreamSink& sink, ReassemblyLimits limits, std::uint64_t* ids)
    : sink_(sink), limits_(limits), slots_(kInitialSlots) {
  if (ids != nullptr) next_id_ = ids;
}

ConnectionTable::~ConnectionTable() = default;

ConnectionTable::Entry& ConnectionTable::at(Index i) const {
  const std::size_t n = i - 1;
  return chunks_[n >> kChunkBits][n & ((std::size_t{1} << kChunkBits) - 1)];
}

ConnectionTable::Index ConnectionTable::allocate() {
  if (!free_.empty()) {
    Index i = free_.back();
    free_.pop_back();
    return i;
  }
  if ((allocated_ >> kChunkBits) >= chunks_.size())
    chunks_.push_back(std::make_unique<Entry[]>(std::size_t{1} << kChunkBits));
  return ++allocated_;
}

ConnectionTable::Index ConnectionTable::find(const FlowKey& key, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t p = hash & mask;; p = (p + 1) & mask) {
    const Slot& slot = slots_[p];
    if (slot.entry == 0) return 0;
    if (slot.hash == hash && at(slot.entry).has_key(key)) return slot.entry;
  }
}

// The first free slot from the hash's home position on.
void ConnectionTable::place(const Slot& s) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t p = s.hash & mask;
  while (slots_[p].entry != 0) p = (p + 1) & mask;
  slots_[p] = s;
}

void ConnectionTable::insert(Index i, std::uint32_t hash) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  place({hash, i});
  ++size_;
}

void ConnectionTable::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  for (const Slot& s : old)
    if (s.entry != 0) place(s);
}

void ConnectionTable::erase_slot(Index i, std::uint32_t hash) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = hash & mask;
  while (slots_[hole].entry != i) hole = (hole + 1) & mask;
  // Backward-shift deletion: move up every later slot of the run whose home position is not
  // between the hole and itself, so no tombstones are left for look-ups to walk over.
  for (std::size_t p = (hole + 1) & mask; slots_[p].entry != 0; p = (p + 1) & mask) {
    const std::size_t home = slots_[p].hash & mask;
    const bool stays = hole <= p ? (hole < home && home <= p) : (hole < home || home <= p);
    if (stays) continue;
    slots_[hole] = slots_[p];
    hole = p;
  }
  slots_[hole] = Slot{};
  --size_;
}

void ConnectionTable::push_back(List& list, Links Entry::*links, Index i) {
  Links& l = at(i).*links;
  l.next = 0;
  l.prev = list.tail;
  (list.tail != 0 ? (at(list.tail).*links).next : list.head) = i;
  list.tail = i;
}

void ConnectionTable::unlink(List& list, Links Entry::*links, Index i) {
  Links& l = at(i).*links;
  (l.prev != 0 ? (at(l.prev).*links).next : list.head) = l.next;
  (l.next != 0 ? (at(l.next).*links).prev : list.tail) = l.prev;
  l = Links{};
}

ConnectionTable::Entry* ConnectionTable::create(const FlowKey& key, std::uint32_t hash,
                                                const pcap::TcpSegmentView& seg,
                                                std::uint64_t frame, common::Timestamp ts) {
  if (size_ >= limits_.max_connections && lru_.head != 0) {
    ++counters_.evicted_limit;
    end(&at(lru_.head), EndReason::evicted_limit);
  }
  const Index i = allocate();
  Entry* e = &at(i);
  e->hash = hash;
  e->self = i;
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
  e->lo = c.endpoint[0] == key.lo ? 0 : 1;
  c.first_frame = frame;
  c.first_ts = c.last_ts = ts;
  push_back(lru_, &Entry::lru, i);
  insert(i, e->hash);
  ++counters_.connections;
  sink_.on_connection_start(c);
  return e;
}

void ConnectionTable::end(Entry* e, EndReason reason) {
  Reassembler r(sink_, limits_, counters_);
  r.flush(e->conn, 0, GapCause::flush);
  r.flush(e->conn, 1, GapCause::flush);
  sink_.on_connection_end(e->conn, reason);
  const Index i = e->self;
  unlink(lru_, &Entry::lru, i);
  if (e->in_closed_list) unlink(closed_, &Entry::closed, i);
  e->in_closed_list = false;
  erase_slot(i, e->hash);
  // The slot is reused: drop what the connection held (its buffers and the layer's state).
  e->conn = Connection{};
  free_.push_back(i);
}

void ConnectionTable::expire(common::Timestamp now) {
  std::int64_t t = now.micros();
  while (closed_.head != 0 &&
         at(closed_.head).conn.closed_ts.micros() + limits_.closed_grace_us < t)
    end(&at(closed_.head), EndReason::closed);
  while (lru_.head != 0 && at(lru_.head).conn.last_ts.micros() + limits_.idle_timeout_us < t) {
    ++counters_.evicted_idle;
    end(&at(lru_.head), EndReason::evicted_idle);
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
  const auto hash = static_cast<std::uint32_t>(FlowKeyHash{}(key));
  Index found = find(key, hash);
  Entry* e = nullptr;
  if (found != 0) {
    e = &at(found);
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
  if (e == nullptr) {
    e = create(key, hash, seg, frame, ts);
    found = e->self;
  }
  Connection& c = e->conn;
  c.last_ts = ts;
  if (lru_.tail != found) {  // the most recently active goes last
    unlink(lru_, &Entry::lru, found);
    push_back(lru_, &Entry::lru, found);
  }

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
    push_back(closed_, &Entry::closed, found);
    e->in_closed_list = true;
  }
  sink_.on_frame_end(c, info);
}

void ConnectionTable::finish() {
  std::vector<Entry*> all;
  all.reserve(size_);
  for (const Slot& s : slots_)
    if (s.entry != 0) all.push_back(&at(s.entry));
  std::sort(all.begin(), all.end(), [](Entry* a, Entry* b) { return a->conn.id < b->conn.id; });
  for (Entry* e : all) end(e, e->conn.closed ? EndReason::closed : EndReason::capture_end);
}

}  // namespace rpctrace::tcp
