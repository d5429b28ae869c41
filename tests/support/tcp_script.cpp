// TcpScript (see tcp_script.hpp). RFC 9293 §3.5 for the handshake and teardown.
#include "support/tcp_script.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace rpctrace::testsupport {
namespace {

void apply(const FrameOverride& o, TcpSegment& s) {
  if (o.seq) s.seq = *o.seq;
  if (o.ack) s.ack = *o.ack;
  if (o.window) s.window = *o.window;
  if (o.flags) s.flags = *o.flags;
}

FrameOverride merged(const FrameOverride& base, const FrameOverride& over) {
  FrameOverride m = base;
  if (over.seq) m.seq = over.seq;
  if (over.ack) m.ack = over.ack;
  if (over.window) m.window = over.window;
  if (over.flags) m.flags = over.flags;
  if (over.snap_length) m.snap_length = over.snap_length;
  return m;
}

// Segment start offsets for `size` octets.
std::vector<std::size_t> segment_starts(std::size_t size, const SendOptions& o) {
  std::vector<std::size_t> starts{0};
  if (!o.split_at.empty()) {
    for (std::size_t s : o.split_at) {
      if (s == 0 || s >= size) throw std::invalid_argument("split_at outside the data");
      starts.push_back(s);
    }
    std::sort(starts.begin(), starts.end());
    if (std::adjacent_find(starts.begin(), starts.end()) != starts.end()) {
      throw std::invalid_argument("split_at repeats an offset");
    }
  } else if (o.segment_size > 0) {
    for (std::size_t s = o.segment_size; s < size; s += o.segment_size) starts.push_back(s);
  }
  return starts;
}

}  // namespace

TcpScript::TcpScript(Capture& capture, TcpScriptConfig config)
    : capture_(capture), config_(std::move(config)) {
  client_.next_seq = config_.client.isn + 1;
  server_.next_seq = config_.server.isn + 1;
  client_.ip_id = config_.ip.identification;
  server_.ip_id = static_cast<std::uint16_t>(config_.ip.identification + 0x8000U);
}

std::uint16_t TcpScript::advertised_window(Direction from) const {
  const TcpPeer& p = from == Direction::to_server ? config_.client : config_.server;
  if (!config_.shrink_window) return p.window;
  const std::uint64_t received = peer(from).data_sent;
  return received >= p.window ? std::uint16_t{0} : static_cast<std::uint16_t>(p.window - received);
}

TcpSegment TcpScript::make_segment(Direction from, std::uint8_t flags) const {
  TcpSegment s;
  s.seq = side(from).next_seq;
  s.ack = (flags & kTcpAck) != 0 ? peer(from).next_seq : 0;
  s.flags = flags;
  s.window = advertised_window(from);
  return s;
}

void TcpScript::emit(Direction from, TcpSegment segment, const FrameOverride& o) {
  apply(o, segment);
  const bool up = from == Direction::to_server;
  const TcpPeer& src = up ? config_.client : config_.server;
  const TcpPeer& dst = up ? config_.server : config_.client;
  segment.src_port = src.port;
  segment.dst_port = dst.port;
  LinkHeader link;
  link.src_mac = src.mac;
  link.dst_mac = dst.mac;
  link.vlans = config_.vlans;
  link.sll_packet_type = up ? 4 : 0;  // SLL: the capture is taken on the client
  IpOptions ip = config_.ip;
  ip.identification = side(from).ip_id++;
  capture_.add(build_tcp_frame(capture_.link_type(), link, src.address, dst.address, segment, ip),
               o.snap_length);
}

void TcpScript::handshake() {
  TcpSegment syn = make_segment(Direction::to_server, kTcpSyn);
  syn.seq = config_.client.isn;
  syn.window = config_.client.syn_window.value_or(config_.client.window);
  if (config_.client.mss != 0) syn.options = tcp_mss_option(config_.client.mss);
  emit(Direction::to_server, syn, {});

  TcpSegment syn_ack = make_segment(Direction::to_client, kTcpSyn | kTcpAck);
  syn_ack.seq = config_.server.isn;
  syn_ack.window = config_.server.syn_window.value_or(config_.server.window);
  if (config_.server.mss != 0) syn_ack.options = tcp_mss_option(config_.server.mss);
  emit(Direction::to_client, syn_ack, {});

  ack(Direction::to_server);
}

void TcpScript::send(Direction from, std::span<const std::byte> data, const SendOptions& o) {
  if (data.empty()) throw std::invalid_argument("TcpScript::send: no data");
  const std::vector<std::size_t> starts = segment_starts(data.size(), o);
  const std::size_t n = starts.size();

  std::vector<std::size_t> order = o.order;
  if (order.empty()) {
    for (std::size_t i = 0; i < n; ++i) order.push_back(i);
  }
  std::vector<std::size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < n; ++i) {
    if (sorted.size() != n || sorted[i] != i) {
      throw std::invalid_argument("order is no permutation");
    }
  }

  const TcpSegment base = make_segment(from, kTcpAck);
  auto segment_for = [&](std::size_t i, std::optional<Bytes> payload) {
    const std::size_t end = i + 1 < n ? starts[i + 1] : data.size();
    TcpSegment s = base;
    s.seq = base.seq + static_cast<std::uint32_t>(starts[i]);
    if (o.push && i + 1 == n) s.flags = static_cast<std::uint8_t>(s.flags | kTcpPsh);
    s.payload = payload ? std::move(*payload) : slice(data, starts[i], end - starts[i]);
    return s;
  };
  auto override_for = [&](std::size_t i) {
    return i < o.per_segment.size() ? merged(o.frame, o.per_segment[i]) : o.frame;
  };
  for (const Retransmission& r : o.retransmit) {
    if (r.segment >= n) throw std::invalid_argument("retransmit names no segment");
  }
  std::vector<bool> retransmitted(o.retransmit.size(), false);
  auto retransmit_up_to = [&](std::size_t position) {
    for (std::size_t k = 0; k < o.retransmit.size(); ++k) {
      const Retransmission& r = o.retransmit[k];
      if (retransmitted[k] || r.after > position) continue;
      emit(from, segment_for(r.segment, r.payload), override_for(r.segment));
      retransmitted[k] = true;
    }
  };

  std::size_t position = 0;
  for (std::size_t i : order) {
    if (std::find(o.drop.begin(), o.drop.end(), i) != o.drop.end()) continue;
    emit(from, segment_for(i, std::nullopt), override_for(i));
    retransmit_up_to(position++);
  }
  retransmit_up_to(SIZE_MAX);  // `after` beyond the last frame: at the end

  Side& s = side(from);
  s.next_seq += static_cast<std::uint32_t>(data.size());
  s.data_sent += data.size();
}

void TcpScript::ack(Direction from, const FrameOverride& o) {
  emit(from, make_segment(from, kTcpAck), o);
}

void TcpScript::fin(Direction from, const FrameOverride& o) {
  emit(from, make_segment(from, kTcpFin | kTcpAck), o);
  side(from).next_seq += 1;  // FIN occupies one sequence number
}

void TcpScript::rst(Direction from, const FrameOverride& o) {
  emit(from, make_segment(from, kTcpRst | kTcpAck), o);
}

void TcpScript::close() {
  fin(Direction::to_server);
  ack(Direction::to_client);
  fin(Direction::to_client);
  ack(Direction::to_server);
}

void TcpScript::raw(Direction from, TcpSegment segment, std::optional<std::uint32_t> snap_length) {
  FrameOverride o;
  o.snap_length = snap_length;
  emit(from, std::move(segment), o);
}

}  // namespace rpctrace::testsupport
