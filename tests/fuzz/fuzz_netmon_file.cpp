// Fuzz target: the own NetMon 2.x reader (open_netmon) on a whole file held in memory, twice:
// as a seekable file (every record found through the frame table) and as a stream (records in
// order up to the table, as standard input and compressed files are read). Both are drained
// to their end or error (drain_reader.hpp checks every frame).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "drain_reader.hpp"
#include "rpctrace/pcap/byte_source.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpctrace;
  for (bool seekable : {true, false}) {
    auto source = pcap::open_memory(std::as_bytes(std::span(data, size)), seekable);
    pcap::ByteReaderBuffer in(*source);
    std::string why;
    auto reader = pcap::open_netmon(in, why);
    fuzz::check(reader == nullptr || why.empty());
    if (reader) fuzz::drain(*reader);
  }
  return 0;
}
