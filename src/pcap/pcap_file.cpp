// Classic pcap files (draft-ietf-opsawg-pcap, "PCAP Capture File Format"): a 24-octet file
// header, then records of a 16-octet header and the captured octets.
#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/pcap/file_reader.hpp"

namespace rpctrace::pcap {

namespace {

// File header: Magic Number, Major Version, Minor Version, Reserved1, Reserved2, SnapLen,
// LinkType and additional information (draft-ietf-opsawg-pcap section 4).
constexpr std::size_t kFileHeaderSize = 24;
// Record header: Timestamp (Seconds), Timestamp (Microseconds or nanoseconds), Captured
// Packet Length, Original Packet Length (section 5).
constexpr std::size_t kRecordHeaderSize = 16;
constexpr std::uint32_t kMagicMicro = 0xA1B2C3D4, kMagicNano = 0xA1B23C4D;
// LinkType: the low 28 bits; the top four say whether an FCS is present and how long.
constexpr std::uint32_t kLinkTypeMask = 0x0FFFFFFF;

class PcapFile : public FileReader {
 public:
  PcapFile(ByteReaderBuffer& in, common::ByteOrder order, bool nano, std::uint32_t snaplen,
           int link_type)
      : in_(in), order_(order), nano_(nano), snaplen_(snaplen), link_type_(link_type) {}

  Status next(Frame& frame) override {
    if (!in_.ensure(kRecordHeaderSize)) {
      if (in_.available() == 0 && in_.source().error().empty()) return Status::end;
      return fail(in_.source().error().empty()
                      ? fmt::format("truncated dump file; the record header at offset {}: "
                                    "tried to read {} bytes, only got {}",
                                    in_.offset(), kRecordHeaderSize, in_.available())
                      : in_.source().error());
    }
    common::ByteReader r(common::Bytes(in_.data(), kRecordHeaderSize), order_);
    const std::uint32_t sec = r.u32(), frac = r.u32(), caplen = r.u32(), len = r.u32();
    if (caplen > kMaxFrameLength)
      return fail(fmt::format("record at offset {} claims {} captured bytes, more than {}",
                              in_.offset(), caplen, kMaxFrameLength));
    if (!in_.ensure(kRecordHeaderSize + caplen))
      return fail(in_.source().error().empty()
                      ? fmt::format("truncated dump file; the record at offset {}: tried to "
                                    "read {} captured bytes, only got {}",
                                    in_.offset(), caplen, in_.available() - kRecordHeaderSize)
                      : in_.source().error());
    frame.number = ++count_;
    frame.link_type = link_type_;
    frame.ts.sec = static_cast<std::int64_t>(sec);
    const std::uint32_t usec = nano_ ? frac / 1000 : frac;
    frame.ts_clamped = usec > 999999;
    frame.ts.usec = static_cast<std::int32_t>(std::min<std::uint32_t>(usec, 999999));
    frame.caplen = caplen;
    frame.len = std::max(len, caplen);
    frame.data = common::Bytes(in_.data() + kRecordHeaderSize, caplen);
    in_.consume(kRecordHeaderSize + caplen);
    return Status::frame;
  }
  [[nodiscard]] std::string format() const override { return nano_ ? "pcap (nanosecond)" : "pcap"; }
  [[nodiscard]] int link_type() const override { return link_type_; }
  [[nodiscard]] std::uint32_t snaplen() const override { return snaplen_; }

 private:
  Status fail(std::string why) {
    error_ = std::move(why);
    return Status::error;
  }
  ByteReaderBuffer& in_;
  common::ByteOrder order_;
  bool nano_;
  std::uint32_t snaplen_;
  int link_type_;
  std::uint64_t count_ = 0;
};

}  // namespace

std::unique_ptr<FileReader> open_pcap(ByteReaderBuffer& in) {
  if (!in.ensure(4)) return nullptr;
  // The magic, read little-endian, tells the byte order of everything after it.
  common::ByteReader m(common::Bytes(in.data(), 4), common::ByteOrder::little);
  const std::uint32_t magic = m.u32();
  const std::uint32_t swapped = __builtin_bswap32(magic);
  common::ByteOrder order = common::ByteOrder::little;
  bool nano = false;
  if (magic == kMagicMicro || magic == kMagicNano) {
    nano = magic == kMagicNano;
  } else if (swapped == kMagicMicro || swapped == kMagicNano) {
    order = common::ByteOrder::big;
    nano = swapped == kMagicNano;
  } else {
    return nullptr;
  }
  if (!in.ensure(kFileHeaderSize)) return nullptr;
  common::ByteReader h(common::Bytes(in.data(), kFileHeaderSize), order);
  h.skip(4);
  h.skip(2 + 2 + 4 + 4);  // versions (2.4) and the two reserved fields
  const std::uint32_t snaplen = h.u32();
  const int link_type = static_cast<int>(h.u32() & kLinkTypeMask);
  in.consume(kFileHeaderSize);
  return std::make_unique<PcapFile>(in, order, nano, snaplen, link_type);
}

}  // namespace rpctrace::pcap
