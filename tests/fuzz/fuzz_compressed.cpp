// Fuzz target: the gzip and Zstandard byte sources (open_memory over the input, which is
// decompressed when it begins with a gzip or zstd magic). The input is decompressed in 64 KiB
// reads, then through the capture readers (as CaptureReader reads: NetMon, pcapng, pcap), then
// in reads of odd small sizes; a stream that decompressed without an error must give the same
// octets in small reads as in large ones. At most kLimit decompressed octets are read per pass
// (bombs).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "drain_reader.hpp"
#include "rpctrace/pcap/byte_source.hpp"

namespace {

constexpr std::size_t kLimit = std::size_t{8} << 20;

// FNV-1a over the octets read, with their count.
struct Digest {
  std::uint64_t hash = 14695981039346656037ULL, count = 0;
  void add(const std::byte* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      hash = (hash ^ static_cast<std::uint8_t>(p[i])) * 1099511628211ULL;
    count += n;
  }
  bool operator==(const Digest&) const = default;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpctrace;
  const auto input = std::as_bytes(std::span(data, size));
  // Only a gzip (1f 8b) or zstd (28 b5 2f fd) magic makes a compressed source.
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const bool zstd =
      size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd;
  if (!gzip && !zstd) return 0;

  // Large reads, every octet digested; then the capture readers on a fresh source.
  Digest large;
  bool large_error = false;
  {
    auto source = pcap::open_memory(input);
    std::vector<std::byte> block(std::size_t{1} << 16);
    for (;;) {
      const std::size_t got = source->read(block.data(), block.size());
      rpctrace::fuzz::check(got <= block.size());
      large.add(block.data(), got);
      if (got == 0 || large.count >= kLimit) break;
    }
    large_error = !source->error().empty();
    rpctrace::fuzz::check(source->read(block.data(), 1) == 0 || large.count >= kLimit);
  }
  if (large.count < kLimit) {
    auto source = pcap::open_memory(input);
    pcap::ByteReaderBuffer in(*source);
    std::string why;
    std::unique_ptr<pcap::FileReader> reader = pcap::open_netmon(in, why);
    if (!reader && why.empty()) reader = pcap::open_pcapng(in);
    if (!reader && why.empty()) reader = pcap::open_pcap(in);
    if (reader) rpctrace::fuzz::drain(*reader);
  }

  // Reads of 1, 7, 100, 4093 ... octets; the same octets when nothing went wrong.
  Digest small;
  bool small_error = false;
  {
    auto source = pcap::open_memory(input);
    static constexpr std::size_t kSizes[] = {1, 7, 100, 4093, 3, 65536, 13};
    std::vector<std::byte> block(65536);
    for (std::size_t i = 0;; ++i) {
      const std::size_t want = kSizes[i % std::size(kSizes)];
      const std::size_t got = source->read(block.data(), want);
      rpctrace::fuzz::check(got <= want);
      small.add(block.data(), got);
      if (got == 0 || small.count >= kLimit) break;
    }
    small_error = !source->error().empty();
  }
  if (!large_error && large.count < kLimit && small.count < kLimit)
    rpctrace::fuzz::check(!small_error && small == large);
  return 0;
}
