// Fuzz target: the own classic pcap reader (open_pcap) on a whole file held in memory, drained
// to its end or its error (drain_reader.hpp checks every frame).
#include <cstddef>
#include <cstdint>
#include <span>

#include "drain_reader.hpp"
#include "rpctrace/pcap/byte_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpctrace;
  auto source = pcap::open_memory(std::as_bytes(std::span(data, size)));
  pcap::ByteReaderBuffer in(*source);
  if (auto reader = pcap::open_pcap(in)) fuzz::drain(*reader);
  return 0;
}
