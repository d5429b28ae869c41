// ncadg_ip_udp: UDP flows of connectionless DCE/RPC as conversations, one datagram a frame.
#include "rpctrace/transport/ncadg_ip_udp.hpp"

#include <algorithm>
#include <vector>

#include "rpctrace/dcerpc/cl.hpp"

namespace rpctrace::transport {

void append_counter_rows(const UdpCounters& c, common::CounterRows& rows) {
  rows.push_back({"udp_flows_evicted_idle", "connectionless flows ended after idle_timeout_us",
                  c.evicted_idle});
  rows.push_back({"udp_flows_evicted_limit",
                  "connectionless flows ended early: the flow table was full (max_flows)",
                  c.evicted_limit});
  rows.push_back(
      {"udp_datagrams_truncated", "connectionless datagrams cut by the snap length", c.truncated});
  rows.push_back({"udp_answers_other_port",
                  "connectionless answers from another server port, joined to their request's flow",
                  c.answers_rerouted});
}

UdpAdapter::~UdpAdapter() = default;

void UdpAdapter::end(std::map<Key, Flow>::iterator it, analysis::EndReason reason) {
  Flow& f = it->second;
  for (const auto& a : f.activities)
    if (auto h = activities_.find(a); h != activities_.end() && h->second.flow == it->first)
      activities_.erase(h);
  tracker_.closing(*f.conversation);
  tracker_.close(std::move(f.conversation), reason, f.totals);
  lru_.erase(f.lru);
  flows_.erase(it);
}

void UdpAdapter::expire(common::Timestamp now) {
  while (!lru_.empty()) {
    auto it = flows_.find(lru_.front());
    if (it->second.last.micros() + limits_.idle_timeout_us >= now.micros()) break;
    ++counters_.evicted_idle;
    end(it, analysis::EndReason::evicted_idle);
  }
}

namespace {

// The packet types a server sends (C706 §12.5.3).
bool from_server(dcerpc::PacketType t) {
  using dcerpc::PacketType;
  return t == PacketType::response || t == PacketType::fault || t == PacketType::working ||
         t == PacketType::nocall || t == PacketType::reject || t == PacketType::cancel_ack ||
         t == PacketType::fack;
}

}  // namespace

std::map<UdpAdapter::Key, UdpAdapter::Flow>::iterator UdpAdapter::home_of(
    const pcap::UdpDatagramView& d, const dcerpc::ClHeader& h) {
  auto a = activities_.find(h.act_id);
  if (!from_server(h.ptype) || a == activities_.end() ||
      a->second.client != common::Endpoint{d.dst, d.dst_port} ||
      a->second.client.address == d.src)
    return flows_.end();
  return flows_.find(a->second.flow);
}

void UdpAdapter::remember_activity(std::map<Key, Flow>::iterator it, const dcerpc::ClHeader& h,
                                   const common::Endpoint& src) {
  using dcerpc::PacketType;
  if (h.ptype != PacketType::request && h.ptype != PacketType::ping) return;
  Flow& f = it->second;
  auto a = activities_.find(h.act_id);
  if (a != activities_.end() && a->second.flow == it->first) return;
  if (f.activities.size() >= kMaxFlowActivities || activities_.size() >= kMaxActivities) return;
  activities_[h.act_id] = ActivityHome{it->first, src};
  f.activities.push_back(h.act_id);
}

bool UdpAdapter::datagram(const pcap::UdpDatagramView& d, std::uint64_t frame,
                          common::Timestamp ts) {
  expire(ts);
  const common::Endpoint src{d.src, d.src_port}, dst{d.dst, d.dst_port};
  const Key key = src < dst ? Key{src, dst} : Key{dst, src};
  auto it = flows_.find(key);
  const dcerpc::ClHeaderResult header = dcerpc::parse_cl_header(d.payload);
  if (it == flows_.end() && header.is_complete()) {
    it = home_of(d, header.value());
    if (it != flows_.end()) ++counters_.answers_rerouted;
  }
  if (it == flows_.end()) {
    // Only a datagram that starts with a connectionless header opens a flow.
    if (!header.is_complete()) return false;
    if (flows_.size() >= limits_.max_flows && !lru_.empty()) {
      ++counters_.evicted_limit;
      end(flows_.find(lru_.front()), analysis::EndReason::evicted_limit);
    }
    analysis::ConversationOpen o;
    o.id = ids_++;
    o.protseq = analysis::Protseq::ncadg_ip_udp;
    o.endpoint[0] = src;
    o.endpoint[1] = dst;
    o.first_frame = frame;
    o.first_ts = ts;
    Flow f;
    f.id = o.id;
    f.endpoint[0] = src;
    f.endpoint[1] = dst;
    f.conversation = tracker_.open(o);
    f.lru = lru_.insert(lru_.end(), key);
    it = flows_.emplace(key, std::move(f)).first;
    ++counters_.flows;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);  // most recently active last
  }
  Flow& f = it->second;
  f.last = ts;
  if (header.is_complete()) remember_activity(it, header.value(), src);
  // An answer from another server port goes to the flow's client: direction 1 when the
  // client is endpoint[0].
  const analysis::Direction dir = src == f.endpoint[0]   ? 0
                                  : dst == f.endpoint[0] ? 1
                                  : src == f.endpoint[1] ? 1
                                                         : 0;
  f.totals.bytes[dir] += d.payload_length;
  if (d.payload_truncated()) ++counters_.truncated;

  analysis::CarrierFrame cf;
  if (src != f.endpoint[dir] || dst != f.endpoint[dir ^ 1]) cf.endpoints = {src, dst};
  cf.frame = frame;
  cf.ts = ts;
  cf.dir = dir;
  cf.segment.payload_length = d.payload_length;
  cf.segment.captured_length = static_cast<std::uint32_t>(d.payload.size());
  cf.segment.ttl = d.ttl;
  analysis::ConversationState& conv = *f.conversation;
  tracker_.begin_frame(conv, cf);
  tracker_.datagram(conv, dir, d.payload, d.payload_length, dcerpc::FrameRef{frame, ts});
  analysis::FrameEnd fe;
  tracker_.end_frame(conv, fe);
  return true;
}

void UdpAdapter::finish() {
  // In order of their conversation ids, as the TCP table ends its connections.
  std::vector<std::pair<std::uint64_t, Key>> order;
  order.reserve(flows_.size());
  for (const auto& [key, f] : flows_) order.emplace_back(f.id, key);
  std::sort(order.begin(), order.end());
  for (const auto& [id, key] : order) end(flows_.find(key), analysis::EndReason::capture_end);
}

}  // namespace rpctrace::transport
