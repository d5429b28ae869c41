// Micro-benchmarks of the byte-stream stages (docs/performance.md, "Stages"):
//
//   BM_Reassembly/W   tcp::ConnectionTable::add of 1460-octet segments of one connection,
//                     each run of W segments sent last first (W = 1: in order), so that
//                     W - 1 of them wait out of order and the last delivers all W
//   BM_Framer/P       dcerpc::StreamFramer::data over a stream of P-octet request PDUs cut
//                     in 1460-octet chunks (P > 1460: a PDU spans several chunks and waits
//                     in the framer's buffer; P < 1460: several PDUs per chunk)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "rpctrace/dcerpc/framer.hpp"
#include "rpctrace/tcp/connection_table.hpp"
#include "stages_support.hpp"

namespace {

using namespace rpctrace;

void BM_Reassembly(benchmark::State& state) {
  const auto window = static_cast<std::uint32_t>(state.range(0));
  constexpr std::uint32_t kMss = 1460;
  bench::CountingStreamSink sink;
  const tcp::ReassemblyLimits limits = bench::no_expiry_limits();
  tcp::ConnectionTable table(sink, limits);
  std::vector<std::byte> data(kMss, std::byte{0x5a});
  pcap::TcpSegmentView seg = bench::client_segment();
  seg.src_port = 50000;
  seg.flags = pcap::tcp_flag::syn;
  seg.seq = 1000;
  std::uint64_t frame = 0;
  const common::Timestamp ts{1700000000, 0};
  table.add(seg, ++frame, ts);
  seg.payload = common::Bytes(data.data(), data.size());
  seg.payload_length = kMss;
  seg.flags = pcap::tcp_flag::ack | pcap::tcp_flag::psh;
  std::uint32_t base = 1001;  // the first sequence number of the current run
  std::uint32_t k = 0;        // segments of the run sent so far
  for (auto _ : state) {
    seg.seq = base + (window - 1 - k) * kMss;  // last first
    table.add(seg, ++frame, ts);
    if (++k == window) {
      k = 0;
      base += window * kMss;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(sink.delivered));
}
BENCHMARK(BM_Reassembly)->Arg(1)->Arg(2)->Arg(8)->Arg(64);

class NullFramerSink final : public dcerpc::FramerSink {
 public:
  void on_pdu(dcerpc::Direction, common::Bytes pdu, const dcerpc::FrameRef&) override {
    ++pdus;
    benchmark::DoNotOptimize(pdu.data());
  }
  void on_cut_pdu(dcerpc::Direction, common::Bytes, const dcerpc::FrameRef&) override {}
  void on_note(const dcerpc::Note&) override { ++notes; }
  std::uint64_t pdus = 0, notes = 0;
};

// About 1 MiB of request PDUs (C706 §12.6.4.9) of `size` octets each, little-endian.
std::vector<std::byte> request_stream(std::size_t size) {
  std::vector<std::byte> out;
  const std::size_t count = std::max<std::size_t>(1, (1u << 20) / size);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = out.size();
    out.resize(at + size, std::byte{0});
    std::byte* p = out.data() + at;
    p[0] = std::byte{5};     // rpc_vers
    p[2] = std::byte{0};     // ptype request
    p[3] = std::byte{0x03};  // first and last fragment
    p[4] = std::byte{0x10};  // little-endian, ASCII, IEEE
    p[8] = static_cast<std::byte>(size & 0xff);
    p[9] = static_cast<std::byte>(size >> 8);
    p[12] = static_cast<std::byte>((i + 1) & 0xff);  // call_id
    p[13] = static_cast<std::byte>((i + 1) >> 8);
  }
  return out;
}

void BM_Framer(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::vector<std::byte> stream = request_stream(size);
  constexpr std::size_t kChunk = 1460;
  NullFramerSink sink;
  dcerpc::Counters counters;
  const dcerpc::FramerLimits limits;
  std::uint64_t chunks = 0;
  for (auto _ : state) {
    dcerpc::StreamFramer framer(sink, counters, limits);
    framer.start(0, true);
    const dcerpc::FrameRef at{1, {1700000000, 0}};
    for (std::size_t off = 0; off < stream.size(); off += kChunk, ++chunks)
      framer.data(0, common::Bytes(stream).subspan(off, std::min(kChunk, stream.size() - off)), at,
                  true);
  }
  if (sink.notes != 0) state.SkipWithError("the framer noted a problem in a valid stream");
  state.SetItemsProcessed(static_cast<std::int64_t>(chunks));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
  state.counters["pdus_per_iteration"] =
      static_cast<double>(sink.pdus) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Framer)->Arg(128)->Arg(1024)->Arg(4096)->Arg(16384)->Arg(65535);

}  // namespace
