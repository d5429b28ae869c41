// Fuzz target: the named-pipe path — SMB session framing (NetBIOS/direct TCP headers, hunting),
// SMB2 chains and SMB1 AndX chains, the pipes they open and the DCE/RPC inside them — behind
// an in-order TCP connection to port 445 (or 139), so the fuzzer spends its effort on SMB, not
// on reassembly. Input: after one octet that picks the port (bit 0: 139), records of a 4-octet
// header and a payload:
//   [0] bit 0: direction (0 client->server), bit 1: a hole of [1] + 1 octets before the payload
//   [2..3] payload length (big-endian; cut at the input's end).
// The SMB and association limits are tiny, so every bound (pipes, pending requests, trees,
// message size, chain length) is hit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "null_sink.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/tcp/connection_table.hpp"
#include "rpctrace/transport/dispatcher.hpp"

using namespace rpctrace;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  fuzz::NullSink sink;
  const analysis::TrackerOptions options = fuzz::tiny_tracker_options();
  const dcerpc::FramerLimits framer_limits{.max_resync_scan = 4096};
  smb::Limits smb_limits;
  smb_limits.max_message_size = 8192;
  smb_limits.max_chain = 4;
  smb_limits.max_pipes = 3;
  smb_limits.max_pending = 8;
  smb_limits.max_trees = 2;
  dcerpc::Counters counters;
  analysis::Tracker tracker(options, sink, counters);
  transport::TcpAdapter tcp_adapter(tracker, counters, framer_limits);
  transport::NpAdapter np_adapter(tracker, counters, framer_limits, smb_limits);
  transport::KdcAdapter kdc_adapter(tracker);
  transport::TcpRouter router(tcp_adapter, np_adapter, kdc_adapter);
  tcp::ReassemblyLimits limits;
  limits.max_connections = 1;
  tcp::ConnectionTable table(router, limits);
  const std::uint16_t port = (data[0] & 1) ? 139 : 445;
  const auto client = common::IpAddress::v4(0x0a000001);
  const auto server = common::IpAddress::v4(0x0a000002);
  std::uint32_t next[2] = {1001u, 0x80000001u};  // after each side's SYN
  std::uint64_t frame = 0;
  auto send = [&](bool to_client, std::uint8_t flags, std::span<const std::uint8_t> payload,
                  std::uint32_t seq) {
    pcap::TcpSegmentView seg;
    seg.src = to_client ? server : client;
    seg.dst = to_client ? client : server;
    seg.src_port = to_client ? port : 50000;
    seg.dst_port = to_client ? 50000 : port;
    seg.seq = seq;
    seg.ack = next[to_client ? 0 : 1];
    seg.window = 0xffff;
    seg.flags = flags;
    seg.header_length = 20;
    seg.payload = std::as_bytes(payload);
    seg.payload_length = static_cast<std::uint32_t>(payload.size());
    ++frame;
    table.add(seg, frame, common::Timestamp{static_cast<std::int64_t>(frame), 0});
  };
  constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08;
  send(false, kSyn, {}, 1000u);
  send(true, kSyn | kAck, {}, 0x80000000u);
  std::size_t pos = 1;
  while (pos + 4 <= size) {
    const std::uint8_t* h = data + pos;
    pos += 4;
    const bool to_client = h[0] & 1;
    const std::size_t len = std::min<std::size_t>((h[2] << 8) | h[3], size - pos);
    std::uint32_t& seq = next[to_client ? 1 : 0];
    if (h[0] & 2) seq += h[1] + 1u;  // a hole the capture lost
    send(to_client, kAck | kPsh, std::span(data + pos, len), seq);
    seq += static_cast<std::uint32_t>(len);
    pos += len;
  }
  table.finish();
  return 0;
}
