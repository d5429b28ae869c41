// Test harness of the TCP layer: segment scripts (one Step per frame) fed to a ConnectionTable,
// and a StreamSink that records every callback as text, so tests compare whole streams.
//
// A direction's stream is logged as "4:abc <lost 3> 6:ghi": data as origin-frame:bytes (runs
// from one origin frame merged, so the log does not depend on how bytes were chunked), gaps as
// <cause size>.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/tcp/connection_table.hpp"

namespace rpctrace::tcp::script {

// One frame: from the client ('c', 10.0.0.1:client_port) or the server ('s', 10.0.0.2:135).
struct Step {
  char from = 'c';
  std::uint16_t client_port = 40000;
  std::uint32_t seq = 0;
  std::optional<std::uint32_t> ack;  // sets the ACK flag
  std::uint8_t flags = 0;
  std::string payload;
  std::uint32_t cut = 0;    // payload octets the snap length removed
  std::int64_t at_us = -1;  // capture time since the start; -1: 1 ms per frame
};

inline Step data(char from, std::uint32_t seq, std::string payload) {
  Step s;
  s.from = from;
  s.seq = seq;
  s.flags = pcap::tcp_flag::psh;
  s.payload = std::move(payload);
  return s;
}
inline Step cut(char from, std::uint32_t seq, std::string captured, std::uint32_t missing) {
  Step s = data(from, seq, std::move(captured));
  s.cut = missing;
  return s;
}
inline Step ack(char from, std::uint32_t seq, std::uint32_t ack_value) {
  Step s;
  s.from = from;
  s.seq = seq;
  s.ack = ack_value;
  return s;
}
inline Step flags(char from, std::uint32_t seq, std::uint8_t f,
                  std::optional<std::uint32_t> ack_value = std::nullopt) {
  Step s;
  s.from = from;
  s.seq = seq;
  s.flags = f;
  s.ack = ack_value;
  return s;
}
inline Step on_port(Step s, std::uint16_t port) {
  s.client_port = port;
  return s;
}
inline Step at(Step s, std::int64_t us) {
  s.at_us = us;
  return s;
}
// SYN, SYN/ACK, ACK (RFC 9293 §3.5): data then starts at isn + 1 on both sides.
inline std::vector<Step> handshake(std::uint32_t client_isn, std::uint32_t server_isn) {
  return {flags('c', client_isn, pcap::tcp_flag::syn),
          flags('s', server_isn, pcap::tcp_flag::syn, client_isn + 1),
          ack('c', client_isn + 1, server_isn + 1)};
}
inline std::vector<Step> operator+(std::vector<Step> a, const std::vector<Step>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline const char* name(EndReason r) {
  switch (r) {
    case EndReason::capture_end:
      return "capture_end";
    case EndReason::closed:
      return "closed";
    case EndReason::port_reused:
      return "port_reused";
    case EndReason::evicted_idle:
      return "evicted_idle";
    case EndReason::evicted_limit:
      return "evicted_limit";
  }
  return "?";
}

inline const char* name(SegmentNote n) {
  switch (n) {
    case SegmentNote::none:
      return "none";
    case SegmentNote::retransmission:
      return "retransmission";
    case SegmentNote::partial_overlap:
      return "partial_overlap";
    case SegmentNote::out_of_order:
      return "out_of_order";
    case SegmentNote::overlap_conflict:
      return "overlap_conflict";
    case SegmentNote::syn_retransmission:
      return "syn_retransmission";
    case SegmentNote::buffer_full:
      return "buffer_full";
    case SegmentNote::after_close:
      return "after_close";
  }
  return "?";
}
inline const char* name(GapCause c) {
  switch (c) {
    case GapCause::lost:
      return "lost";
    case GapCause::snaplen:
      return "snaplen";
    case GapCause::buffer_limit:
      return "buffer_limit";
    case GapCause::flush:
      return "flush";
  }
  return "?";
}

class RecordingSink : public StreamSink {
 public:
  std::vector<std::string> events;  // every callback, in order
  std::map<std::uint64_t, std::array<std::string, 2>> streams;
  std::string notes;  // "4:out_of_order 6:retransmission": frames with a note
  std::map<std::uint64_t, std::string> ends;       // connection id -> EndReason
  std::map<std::uint64_t, std::string> endpoints;  // connection id -> "a > b" at start
  std::uint64_t data_bytes = 0, gap_bytes = 0, gap_calls = 0, segment_calls = 0;

  void on_connection_start(Connection& c) override {
    endpoints[c.id] = c.endpoint[0].to_string() + " > " + c.endpoint[1].to_string();
    events.push_back("start " + std::to_string(c.id));
  }
  void on_segment(Connection& c, const SegmentInfo& s) override {
    ++segment_calls;
    events.push_back("segment " + std::to_string(c.id) + " f" + std::to_string(s.frame) + " d" +
                     std::to_string(s.dir));
  }
  void on_data(Connection& c, Direction dir, common::Bytes bytes,
               const DataOrigin& origin) override {
    std::string text;
    for (std::byte b : bytes) text += static_cast<char>(b);
    data_bytes += bytes.size();
    Log& l = logs_[c.id][dir];
    std::string& out = streams[c.id][dir];
    if (l.last_was_data && l.last_frame == origin.frame) {
      out += text;
    } else {
      out += (out.empty() ? "" : " ") + std::to_string(origin.frame) + ":" + text;
    }
    l.last_was_data = true;
    l.last_frame = origin.frame;
    events.push_back("data " + std::to_string(c.id) + " d" + std::to_string(dir) + " f" +
                     std::to_string(origin.frame) + " " + text);
  }
  void on_gap(Connection& c, Direction dir, std::uint64_t size, GapCause cause) override {
    gap_bytes += size;
    ++gap_calls;
    std::string& out = streams[c.id][dir];
    out += (out.empty() ? "<" : " <") + std::string(name(cause)) + " " + std::to_string(size) + ">";
    logs_[c.id][dir].last_was_data = false;
    events.push_back("gap " + std::to_string(c.id) + " d" + std::to_string(dir) + " " +
                     std::to_string(size) + " " + name(cause));
  }
  void on_frame_end(Connection& c, const SegmentInfo& s) override {
    if (s.note != SegmentNote::none)
      notes += (notes.empty() ? "" : " ") + std::to_string(s.frame) + ":" + name(s.note);
    events.push_back("frame_end " + std::to_string(c.id) + " f" + std::to_string(s.frame));
  }
  void on_connection_end(Connection& c, EndReason reason) override {
    ends[c.id] = name(reason);
    events.push_back("end " + std::to_string(c.id) + " " + name(reason));
  }

 private:
  struct Log {
    bool last_was_data = false;
    std::uint64_t last_frame = 0;
  };
  std::map<std::uint64_t, std::array<Log, 2>> logs_;
};

// Tiny limits, so each one is easy to hit (gopacket's reassembly tests do the same).
inline ReassemblyLimits tiny_limits() {
  ReassemblyLimits l;
  l.max_out_of_order_bytes = 64;
  l.max_out_of_order_segments = 8;
  l.max_connections = 16;
  return l;
}

// Feeds Steps to a ConnectionTable as frames 1, 2, ... at 1000 s + at_us.
class Harness {
 public:
  explicit Harness(ReassemblyLimits limits = tiny_limits()) : table(sink, limits) {}

  void run(const std::vector<Step>& steps) {
    for (const Step& s : steps) add(s);
  }
  void add(const Step& s) {
    ++frame_;
    std::vector<std::byte> payload;
    for (char ch : s.payload) payload.push_back(static_cast<std::byte>(ch));
    pcap::TcpSegmentView v;
    const common::Endpoint client{*common::IpAddress::parse("10.0.0.1"), s.client_port};
    const common::Endpoint server{*common::IpAddress::parse("10.0.0.2"), 135};
    const common::Endpoint& src = s.from == 'c' ? client : server;
    const common::Endpoint& dst = s.from == 'c' ? server : client;
    v.src = src.address;
    v.src_port = src.port;
    v.dst = dst.address;
    v.dst_port = dst.port;
    v.seq = s.seq;
    v.ack = s.ack.value_or(0);
    v.flags = static_cast<std::uint8_t>(s.flags | (s.ack ? pcap::tcp_flag::ack : 0));
    v.window = 8192;
    v.header_length = 20;
    v.payload = common::Bytes(payload);
    v.payload_length = static_cast<std::uint32_t>(payload.size()) + s.cut;
    const std::int64_t us = s.at_us >= 0 ? s.at_us : static_cast<std::int64_t>(frame_) * 1000;
    common::Timestamp ts;
    ts.sec = 1000 + us / 1000000;
    ts.usec = static_cast<std::int32_t>(us % 1000000);
    table.add(v, frame_, ts);
  }
  [[nodiscard]] std::uint64_t frames() const { return frame_; }

  RecordingSink sink;
  ConnectionTable table;

 private:
  std::uint64_t frame_ = 0;
};

}  // namespace rpctrace::tcp::script
