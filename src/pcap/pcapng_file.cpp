// pcapng files (IETF OPSAWG draft "PCAP Next Generation (pcapng) Capture File Format"): blocks
// of a type, a total length, a body and the length again; sections (SHB) each with their own
// byte order and interfaces (IDB), each interface with its own link type, snap length and
// timestamp resolution and offset; packets in Enhanced (EPB), Simple (SPB) and the obsolete
// Packet Blocks; every other block skipped and counted.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/pcap/file_reader.hpp"

namespace rpctrace::pcap {

namespace {

namespace block {
constexpr std::uint32_t section_header = 0x0A0D0D0A, interface_description = 0x00000001,
                        packet = 0x00000002, simple_packet = 0x00000003,
                        enhanced_packet = 0x00000006;
}
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::size_t kBlockOverhead = 12;  // type, total length, total length again
namespace option {
constexpr std::uint16_t end_of_opt = 0, if_tsresol = 9, if_tsoffset = 14;
}
// Blocks read whole into memory are at most a frame's bound plus room for their fixed fields
// and options; a longer packet block is damage, and any other longer block is read through.
constexpr std::size_t kMaxReadBlock = kMaxFrameLength + 65536;
// Interfaces described per section: far past any real capture (pktmon writes one per NDIS
// component), a bound on what a crafted file can make us keep.
constexpr std::size_t kMaxInterfaces = 65536;

struct Interface {
  int link_type = 0;
  std::uint32_t snaplen = 0;  // 0: no limit
  // if_tsresol: units of 10^-exp (decimal) or 2^-exp (binary) seconds.
  bool binary = false;
  std::uint8_t exp = 6;
  std::int64_t offset_sec = 0;  // if_tsoffset
};

// A timestamp of `units` in the interface's resolution, as seconds and microseconds.
common::Timestamp to_timestamp(const Interface& i, std::uint64_t units, bool& clamped) {
  std::uint64_t sec = 0, usec = 0;
  if (i.binary) {
    const unsigned e = std::min<unsigned>(i.exp, 63);
    sec = units >> e;
    const std::uint64_t frac = units & ((std::uint64_t{1} << e) - 1);
    usec = static_cast<std::uint64_t>((static_cast<unsigned __int128>(frac) * 1000000) >> e);
  } else {
    const unsigned e = std::min<unsigned>(i.exp, 19);  // 10^19 is past 2^64 - 1
    std::uint64_t unit = 1;
    for (unsigned k = 0; k < e; ++k) unit *= 10;
    sec = units / unit;
    const std::uint64_t frac = units % unit;
    usec = e <= 6 ? frac * (1000000 / unit) : frac / (unit / 1000000);
  }
  common::Timestamp ts;
  // if_tsoffset may be any 64-bit value: the sum is taken in 128 bits, then bounded.
  const __int128 exact = static_cast<__int128>(sec) + i.offset_sec;
  ts.sec = static_cast<std::int64_t>(
      std::clamp<__int128>(exact, -kMaxTimestampSeconds, kMaxTimestampSeconds));
  clamped = exact != ts.sec;
  ts.usec = static_cast<std::int32_t>(usec);
  return ts;
}

class PcapngFile : public FileReader {
 public:
  explicit PcapngFile(ByteReaderBuffer& in) : in_(in) {}

  // Reads the section header and the interface descriptions before the first other block, so
  // the file's link type is known before its first frame. False on damage (error() says it).
  bool read_descriptions() {
    for (;;) {
      if (!in_.ensure(8)) return true;  // next() tells an empty section from a cut one
      common::ByteReader h(common::Bytes(in_.data(), 8), order_);
      const std::uint32_t type = h.u32();
      if (type == block::section_header) {
        if (!section_header(in_.offset())) return false;
        continue;
      }
      if (type != block::interface_description || !in_section_) return true;
      const std::uint32_t length = h.u32();
      if (length < kBlockOverhead || length % 4 != 0 || length > kMaxReadBlock ||
          !in_.ensure(length))
        return true;  // next() reports it where it is
      interface(common::Bytes(in_.data() + 8, length - kBlockOverhead));
      in_.consume(length);
    }
  }

  Status next(Frame& frame) override {
    for (;;) {
      if (!in_.ensure(8)) {
        if (in_.available() == 0 && in_.source().error().empty()) return Status::end;
        return fail(in_.offset(),
                    in_.source().error().empty()
                        ? fmt::format("block header cut short ({} of 8 octets)", in_.available())
                        : in_.source().error());
      }
      const std::uint64_t at = in_.offset();
      common::ByteReader h(common::Bytes(in_.data(), 8), order_);
      const std::uint32_t type = h.u32();
      if (type == block::section_header) {
        if (!section_header(at)) return Status::error;
        continue;
      }
      if (!in_section_) return fail(at, "the file does not begin with a section header block");
      const std::uint32_t length = h.u32();
      if (length < kBlockOverhead || length % 4 != 0)
        return fail(at, fmt::format("block type 0x{:08X} has a total length of {}", type, length));
      const bool packet =
          type == block::enhanced_packet || type == block::simple_packet || type == block::packet;
      if (!packet && type != block::interface_description) {
        ++counters_.blocks_skipped;
        if (!in_.skip(length)) return cut(at, type, length);
        continue;
      }
      if (length > kMaxReadBlock)
        return fail(at, fmt::format("block type 0x{:08X} claims {} octets, more than {}", type,
                                    length, kMaxReadBlock));
      if (!in_.ensure(length)) return cut(at, type, length);
      common::Bytes body(in_.data() + 8, length - kBlockOverhead);
      common::ByteReader trailer(common::Bytes(in_.data() + length - 4, 4), order_);
      if (trailer.u32() != length)
        return fail(at, fmt::format("block type 0x{:08X}: its two total lengths differ", type));
      if (type == block::interface_description) {
        interface(body);
        in_.consume(length);
        continue;
      }
      const std::optional<Status> s = packet_block(type, body, at, frame);
      in_.consume(length);
      if (s) return *s;  // else a packet of no described interface: counted, read on
    }
  }
  [[nodiscard]] std::string format() const override { return "pcapng"; }
  [[nodiscard]] int link_type() const override { return std::max(first_link_type_, 0); }
  [[nodiscard]] std::uint32_t snaplen() const override { return first_snaplen_; }

  struct Counters {
    std::uint64_t blocks_skipped = 0;         // blocks of other types (statistics, names ...)
    std::uint64_t packets_bad_interface = 0;  // naming an interface the section did not describe
    std::uint64_t interfaces_over_limit = 0;  // IDBs past kMaxInterfaces
  };
  [[nodiscard]] ReaderCounters counters() const override {
    // Packets of interfaces past kMaxInterfaces are among those of no described interface.
    return {counters_.blocks_skipped, counters_.packets_bad_interface, bad_interface_note_};
  }

 private:
  Status fail(std::uint64_t at, std::string why) {
    error_ = fmt::format("at offset {}: {}", at, why);
    return Status::error;
  }
  Status cut(std::uint64_t at, std::uint32_t type, std::uint32_t length) {
    return fail(at, in_.source().error().empty()
                        ? fmt::format("block type 0x{:08X} of {} octets cut short", type, length)
                        : in_.source().error());
  }

  // SHB: the byte-order magic decides the order of the section's every field, its own total
  // length included.
  bool section_header(std::uint64_t at) {
    if (!in_.ensure(12)) {
      cut(at, block::section_header, 12);
      return false;
    }
    common::ByteReader m(common::Bytes(in_.data() + 8, 4), common::ByteOrder::little);
    const std::uint32_t magic = m.u32();
    if (magic == kByteOrderMagic)
      order_ = common::ByteOrder::little;
    else if (__builtin_bswap32(magic) == kByteOrderMagic)
      order_ = common::ByteOrder::big;
    else {
      fail(at, "section header block without the byte-order magic");
      return false;
    }
    common::ByteReader l(common::Bytes(in_.data() + 4, 4), order_);
    const std::uint32_t length = l.u32();
    if (length < 28 || length % 4 != 0 || length > kMaxReadBlock) {
      fail(at, fmt::format("section header block with a total length of {}", length));
      return false;
    }
    if (!in_.skip(length)) {
      cut(at, block::section_header, length);
      return false;
    }
    in_section_ = true;
    interfaces_.clear();
    return true;
  }

  void interface(common::Bytes body) {
    common::ByteReader r(body, order_);
    Interface i;
    i.link_type = r.u16();
    r.skip(2);
    i.snaplen = r.u32();
    // Options: code, length, value padded to 4 (draft section 3.5).
    while (r.remaining() >= 4) {
      const std::uint16_t code = r.u16(), len = r.u16();
      if (code == option::end_of_opt || len > r.remaining()) break;
      common::ByteReader v(r.bytes(len), order_);
      if (code == option::if_tsresol && len >= 1) {
        const std::uint8_t res = v.u8();
        i.binary = (res & 0x80) != 0;
        i.exp = res & 0x7f;
      } else if (code == option::if_tsoffset && len >= 8) {
        i.offset_sec = static_cast<std::int64_t>(v.u64());
      }
      r.skip((4U - len % 4U) % 4U);
    }
    if (first_link_type_ < 0) {
      first_link_type_ = i.link_type;
      first_snaplen_ = i.snaplen;
    }
    if (interfaces_.size() < kMaxInterfaces)
      interfaces_.push_back(i);
    else
      ++counters_.interfaces_over_limit;
  }

  // The packet as a frame; nothing for one whose interface the section did not describe.
  std::optional<Status> packet_block(std::uint32_t type, common::Bytes body, std::uint64_t at,
                                     Frame& frame) {
    common::ByteReader r(body, order_);
    std::uint32_t id = 0, caplen = 0, len = 0;
    std::uint64_t units = 0;
    bool stamped = true;
    if (type == block::simple_packet) {
      len = r.u32();
      caplen = static_cast<std::uint32_t>(std::min<std::size_t>(len, r.remaining()));
      stamped = false;
    } else {
      id = type == block::packet ? r.u16() : r.u32();
      if (type == block::packet) r.skip(2);  // Drops Count
      const std::uint64_t high = r.u32();
      units = high << 32 | r.u32();
      caplen = r.u32();
      len = r.u32();
    }
    if (!r.ok() || caplen > r.remaining())
      return fail(at, fmt::format("packet block with {} captured octets in a body of {}", caplen,
                                  body.size()));
    if (id >= interfaces_.size()) {
      if (counters_.packets_bad_interface++ == 0)
        bad_interface_note_ = fmt::format(
            "the packet block at offset {} names interface {}, which its section does not "
            "describe ({} described); such packets are counted and skipped",
            at, id, interfaces_.size());
      return std::nullopt;
    }
    const Interface& i = interfaces_[id];
    if (type == block::simple_packet && i.snaplen != 0) caplen = std::min(caplen, i.snaplen);
    if (caplen > kMaxFrameLength)
      return fail(
          at, fmt::format("packet of {} captured octets, more than {}", caplen, kMaxFrameLength));
    frame.number = ++count_;
    frame.link_type = i.link_type;
    frame.ts_clamped = false;
    frame.ts = stamped ? to_timestamp(i, units, frame.ts_clamped) : last_ts_;
    last_ts_ = frame.ts;
    frame.caplen = caplen;
    frame.len = std::max(len, caplen);
    frame.data = r.bytes(caplen);
    return Status::frame;
  }

  ByteReaderBuffer& in_;
  common::ByteOrder order_ = common::ByteOrder::little;
  bool in_section_ = false;
  std::vector<Interface> interfaces_;
  int first_link_type_ = -1;
  std::uint32_t first_snaplen_ = 0;
  std::uint64_t count_ = 0;
  common::Timestamp last_ts_;  // an SPB has none: the previous packet's
  Counters counters_;
  std::string bad_interface_note_;  // the first such packet's offset
};

}  // namespace

std::unique_ptr<FileReader> open_pcapng(ByteReaderBuffer& in) {
  if (!in.ensure(4)) return nullptr;
  common::ByteReader m(common::Bytes(in.data(), 4), common::ByteOrder::little);
  if (m.u32() != block::section_header) return nullptr;
  auto reader = std::make_unique<PcapngFile>(in);
  reader->read_descriptions();  // damage is reported by the first next()
  return reader;
}

}  // namespace rpctrace::pcap
