// Reading ahead on a second thread (docs/performance.md, "Threads").
#pragma once

#include <cstddef>
#include <memory>

#include "rpctrace/pcap/byte_source.hpp"

namespace rpctrace::pcap {

// `in` read by a thread of its own, up to `depth` blocks of `block` octets ahead of the
// reader, which gets the same octets, errors and seeks as from `in` itself. Only for sources
// whose read() returns promptly (a regular file, or a decompressor over one): stopping waits
// for the read in progress. `in` unchanged when block or depth is 0.
std::unique_ptr<ByteSource> read_ahead(std::unique_ptr<ByteSource> in,
                                       std::size_t block = std::size_t{1} << 20,
                                       std::size_t depth = 4);

}  // namespace rpctrace::pcap
