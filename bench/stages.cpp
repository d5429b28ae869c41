// Google Benchmark micro-benchmarks of the pipeline's stages (docs/performance.md, "Stages"):
// what one frame costs in each, apart from the others, so that a change to one stage is seen
// without the noise of a whole run. Run: build/bench/stages [--benchmark_filter=REGEX].
//
//   BM_DecodeFrame        pcap::decode_frame on an Ethernet/IPv4/TCP frame of 1460 octets
//   BM_FlowTable/N        tcp::ConnectionTable::add of pure ACKs spread over N connections at
//                         once (look-up, LRU, the reassembler's header work), sink doing nothing
//   BM_FlowTableData/N    the same with 1460-octet payloads delivered in order
// and, in their own files, out-of-order reassembly and the framer (stages_stream.cpp) and
// the writers (stages_writers.cpp).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "rpctrace/pcap/packet.hpp"
#include "rpctrace/tcp/connection_table.hpp"
#include "stages_support.hpp"

namespace {

using namespace rpctrace;

// An Ethernet II / IPv4 / TCP frame with `payload` octets (checksums are not verified).
std::vector<std::byte> tcp_frame(std::size_t payload) {
  std::vector<std::uint8_t> f(14 + 20 + 20 + payload, 0);
  f[12] = 0x08;  // EtherType IPv4
  std::uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  const auto total = static_cast<std::uint16_t>(40 + payload);
  ip[2] = static_cast<std::uint8_t>(total >> 8);
  ip[3] = static_cast<std::uint8_t>(total);
  ip[8] = 128;  // TTL
  ip[9] = 6;    // TCP
  const std::uint8_t src[4] = {10, 1, 0, 1}, dst[4] = {10, 0, 0, 10};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  std::uint8_t* tcp = ip + 20;
  tcp[0] = 0xc3;  // 50000
  tcp[1] = 0x50;
  tcp[2] = 0xc2;  // 49664
  tcp[3] = 0x00;
  tcp[12] = 5 << 4;
  tcp[13] = 0x18;  // PSH, ACK
  std::vector<std::byte> out(f.size());
  std::memcpy(out.data(), f.data(), f.size());
  return out;
}

void BM_DecodeFrame(benchmark::State& state) {
  const auto frame = tcp_frame(1460);
  for (auto _ : state) {
    auto out = pcap::decode_frame(1, pcap::Bytes(frame.data(), frame.size()));
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeFrame);

// Segments of client ports 1024.. to one server port, round-robin over `connections`, after
// a SYN for each; `payload` octets each, sequence numbers advancing.
void flow_table(benchmark::State& state, std::size_t payload) {
  const auto connections = static_cast<std::uint32_t>(state.range(0));
  bench::CountingStreamSink sink;
  tcp::ReassemblyLimits limits = bench::no_expiry_limits();
  limits.max_connections = connections + 1;
  tcp::ConnectionTable table(sink, limits);
  std::vector<std::byte> data(payload, std::byte{0x5a});
  pcap::TcpSegmentView seg = bench::client_segment();
  std::vector<std::uint32_t> next(connections, 1001);
  std::uint64_t frame = 0;
  common::Timestamp ts{1700000000, 0};
  for (std::uint32_t k = 0; k < connections; ++k) {
    seg.src_port = static_cast<std::uint16_t>(1024 + k % 64000);
    seg.src = common::IpAddress::v4(0x0a010001 + k / 64000);
    seg.flags = pcap::tcp_flag::syn;
    seg.seq = 1000;
    table.add(seg, ++frame, ts);
  }
  seg.payload = common::Bytes(data.data(), data.size());
  seg.payload_length = static_cast<std::uint32_t>(payload);
  seg.flags = pcap::tcp_flag::ack | (payload > 0 ? pcap::tcp_flag::psh : 0);
  std::uint32_t k = 0;
  for (auto _ : state) {
    seg.src_port = static_cast<std::uint16_t>(1024 + k % 64000);
    seg.src = common::IpAddress::v4(0x0a010001 + k / 64000);
    seg.seq = next[k];
    next[k] += static_cast<std::uint32_t>(payload);
    table.add(seg, ++frame, ts);
    if (++k == connections) k = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["connections"] = static_cast<double>(table.size());
}

void BM_FlowTable(benchmark::State& state) { flow_table(state, 0); }
void BM_FlowTableData(benchmark::State& state) { flow_table(state, 1460); }
BENCHMARK(BM_FlowTable)->Arg(200)->Arg(2000)->Arg(20000)->Arg(200000);
BENCHMARK(BM_FlowTableData)->Arg(200)->Arg(2000)->Arg(20000)->Arg(200000);

}  // namespace

BENCHMARK_MAIN();
