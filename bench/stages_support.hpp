// What the TCP stage benchmarks share (bench/stages.cpp, bench/stages_stream.cpp).
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "rpctrace/tcp/connection_table.hpp"

namespace rpctrace::bench {

// Takes the reassembler's output and counts the octets delivered.
class CountingStreamSink final : public tcp::StreamSink {
 public:
  void on_connection_start(tcp::Connection&) override {}
  void on_segment(tcp::Connection&, const tcp::SegmentInfo&) override {}
  void on_data(tcp::Connection&, tcp::Direction, common::Bytes data,
               const tcp::DataOrigin&) override {
    benchmark::DoNotOptimize(data.data());
    delivered += data.size();
  }
  void on_gap(tcp::Connection&, tcp::Direction, std::uint64_t, tcp::GapCause) override {}
  void on_frame_end(tcp::Connection&, const tcp::SegmentInfo&) override {}
  void on_connection_end(tcp::Connection&, tcp::EndReason) override {}
  std::uint64_t delivered = 0;
};

// A segment from client 10.1.0.1 to server 10.0.0.10 port 49664 (the caller sets the client
// port, flags, sequence number and payload); limits that never expire a connection.
inline pcap::TcpSegmentView client_segment() {
  pcap::TcpSegmentView seg;
  seg.src = common::IpAddress::v4(0x0a010001);
  seg.dst = common::IpAddress::v4(0x0a00000a);
  seg.dst_port = 49664;
  seg.header_length = 20;
  seg.window = 65535;
  return seg;
}
inline tcp::ReassemblyLimits no_expiry_limits() {
  tcp::ReassemblyLimits limits;
  limits.idle_timeout_us = std::int64_t{1} << 50;
  return limits;
}

}  // namespace rpctrace::bench
