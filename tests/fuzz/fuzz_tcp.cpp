// Fuzz target: TCP reassembly and everything behind it (the ncacn_ip_tcp adapter, the stream
// framer, the association, the tracker's decoders), driven by a script of segments. Each record of
// the input is 8 octets of header and its payload:
//   [0] bit 0: direction (0 client->server), bit 1: second connection (another client port),
//       bits 2-7: TCP flags (FIN, SYN, RST, PSH, ACK, URG as bits 0-5 of the TCP flags)
//   [1..2] sequence number offset from the direction's ISN (big-endian, so the fuzzer can
//          reorder, overlap and leave holes), [3..4] ack offset, [5] window / 256,
//   [6..7] payload length (taken from what follows, cut at the input's end).
// The limits are tiny, so every bound (out-of-order bytes and segments, connections) is hit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "null_sink.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/tcp/connection_table.hpp"
#include "rpctrace/transport/ncacn_ip_tcp.hpp"

using namespace rpctrace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::NullSink sink;
  const analysis::TrackerOptions options = fuzz::tiny_tracker_options();
  const dcerpc::FramerLimits framer_limits{.max_resync_scan = 4096};
  dcerpc::Counters counters;
  analysis::Tracker tracker(options, sink, counters);
  transport::TcpAdapter adapter(tracker, counters, framer_limits);
  tcp::ReassemblyLimits limits;
  limits.max_out_of_order_bytes = 2048;
  limits.max_out_of_order_segments = 8;
  limits.max_connections = 1;  // the second connection evicts the first
  tcp::ConnectionTable table(adapter, limits);
  const auto client = common::IpAddress::v4(0x0a000001);
  const auto server = common::IpAddress::v4(0x0a000002);
  std::size_t pos = 0;
  std::uint64_t frame = 0;
  while (pos + 8 <= size) {
    const std::uint8_t* h = data + pos;
    pos += 8;
    std::size_t len = std::min<std::size_t>((h[6] << 8) | h[7], size - pos);
    pcap::TcpSegmentView seg;
    bool to_client = h[0] & 1;
    std::uint16_t client_port = (h[0] & 2) ? 50001 : 50000;
    seg.src = to_client ? server : client;
    seg.dst = to_client ? client : server;
    seg.src_port = to_client ? 135 : client_port;
    seg.dst_port = to_client ? client_port : 135;
    std::uint32_t isn = to_client ? 0x80000000u : 1000u;
    std::uint32_t peer_isn = to_client ? 1000u : 0x80000000u;
    seg.seq = isn + ((h[1] << 8) | h[2]);
    seg.ack = peer_isn + ((h[3] << 8) | h[4]);
    seg.window = static_cast<std::uint16_t>(h[5] << 8);
    seg.flags = static_cast<std::uint8_t>(h[0] >> 2);
    seg.header_length = 20;
    seg.payload = std::as_bytes(std::span(data + pos, len));
    seg.payload_length = static_cast<std::uint32_t>(len);
    pos += len;
    ++frame;
    table.add(seg, frame, common::Timestamp{static_cast<std::int64_t>(frame), 0});
  }
  table.finish();
  return 0;
}
