// Readers of capture files of the project's own (libpcap reads only pcap and pcapng with one
// link type; admins also hand over NetMon files, pcapng with several interfaces, compressed and
// split files). Each reads records off a ByteSource, streaming, with explicit bounds, and hands
// out frames that carry their own link type.
//
// Damage found while reading (a record cut short, a length that lies) ends the frames with
// Status::error and error() naming the file offset; every frame before it was handed out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/pcap/byte_source.hpp"
#include "rpctrace/pcap/capture_reader.hpp"

namespace rpctrace::pcap {

// The largest captured frame a reader takes (libpcap's MAXIMUM_SNAPLEN): a record claiming
// more is damage, not a frame to allocate for.
inline constexpr std::uint32_t kMaxFrameLength = 262144;

class FileReader {
 public:
  enum class Status { frame, end, error };
  virtual ~FileReader() = default;
  // The next frame; its data stays valid until the next call.
  virtual Status next(Frame& frame) = 0;
  [[nodiscard]] const std::string& error() const { return error_; }
  // "pcap", "pcap (nanosecond)", "pcapng", "NetMon 2.3" ...
  [[nodiscard]] virtual std::string format() const = 0;
  // The link type of the first interface (statistics name it); frames carry their own.
  [[nodiscard]] virtual int link_type() const = 0;
  [[nodiscard]] virtual std::uint32_t snaplen() const = 0;  // 0: not known
  [[nodiscard]] virtual ReaderCounters counters() const { return {}; }
  // The processes frames may name (NetMon 2.2+ on a seekable input, read at open); empty for
  // other formats, and for a NetMon stream, whose table lies past the frames.
  [[nodiscard]] virtual const std::vector<ProcessInfo>& processes() const {
    static const std::vector<ProcessInfo> none;
    return none;
  }

 protected:
  std::string error_;
};

// Classic pcap (draft-ietf-opsawg-pcap): either byte order, micro- or nanosecond timestamps.
// Returns null when the octets do not begin with a pcap magic.
std::unique_ptr<FileReader> open_pcap(ByteReaderBuffer& in);
// pcapng (draft-ietf-opsawg-pcapng): any number of sections and interfaces, each interface with
// its own link type, snap length and timestamp resolution and offset; EPB, SPB and the
// obsolete Packet Block; other blocks skipped. Null when the octets do not begin with an SHB.
std::unique_ptr<FileReader> open_pcapng(ByteReaderBuffer& in);
// Network Monitor 2.x (.cap, 'GMBU'): per-frame media types (2.1+), UTC timestamps (2.3), the
// process table and each frame's process (2.2+). Null when the octets are no NetMon file;
// `error` set when they are one that cannot be read. A damaged process table costs no frame:
// next() hands out every frame, then ends with Status::error naming the damage.
std::unique_ptr<FileReader> open_netmon(ByteReaderBuffer& in, std::string& error);

}  // namespace rpctrace::pcap
