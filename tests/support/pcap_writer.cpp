// Capture file writers (see pcap_writer.hpp for the formats).
#include "support/pcap_writer.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>

namespace rpctrace::testsupport {
namespace {

constexpr std::uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kPcapMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kPcapngSectionHeader = 0x0a0d0d0a;
constexpr std::uint32_t kPcapngInterfaceDescription = 0x00000001;
constexpr std::uint32_t kPcapngEnhancedPacket = 0x00000006;
constexpr std::uint32_t kPcapngByteOrderMagic = 0x1a2b3c4d;
constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptIfTsresol = 9;

std::uint32_t caplen_for(std::size_t len, std::optional<std::uint32_t> snap_length,
                         std::uint32_t file_snaplen) {
  std::size_t caplen = std::min<std::size_t>(len, file_snaplen);
  if (snap_length) caplen = std::min<std::size_t>(caplen, *snap_length);
  return static_cast<std::uint32_t>(caplen);
}

}  // namespace

PcapWriter::PcapWriter(LinkType link_type, PcapFileOptions options)
    : options_(options), out_(options.byte_order) {
  out_.u32(options_.nanosecond ? kPcapMagicNano : kPcapMagicMicro)
      .u16(2)  // version_major
      .u16(4)  // version_minor
      .u32(0)  // thiszone
      .u32(0)  // sigfigs
      .u32(options_.snaplen)
      .u32(static_cast<std::uint32_t>(link_type));
}

void PcapWriter::add(Timestamp ts, std::span<const std::byte> frame,
                     std::optional<std::uint32_t> snap_length) {
  const std::uint32_t caplen = caplen_for(frame.size(), snap_length, options_.snaplen);
  out_.u32(ts.sec)
      .u32(options_.nanosecond ? ts.usec * 1000 : ts.usec)
      .u32(caplen)
      .u32(static_cast<std::uint32_t>(frame.size()))
      .bytes(frame.first(caplen));
  ++records_;
}

void PcapWriter::write_file(const std::filesystem::path& path) const {
  testsupport::write_file(path, bytes());
}

PcapngWriter::PcapngWriter(LinkType link_type, PcapFileOptions options)
    : options_(options), out_(options.byte_order) {
  ByteWriter shb(options_.byte_order);
  shb.u32(kPcapngByteOrderMagic)
      .u16(1)  // major_version
      .u16(0)  // minor_version
      .u32(0xffffffff)
      .u32(0xffffffff);  // section_length -1: not given
  block(kPcapngSectionHeader, shb.view());

  ByteWriter idb(options_.byte_order);
  idb.u16(static_cast<std::uint16_t>(link_type)).u16(0).u32(options_.snaplen);
  if (options_.nanosecond) {
    idb.u16(kOptIfTsresol).u16(1).u8(9).zeros(3);  // 10^-9 s; option padded to 32 bits
    idb.u16(kOptEndOfOpt).u16(0);
  }
  block(kPcapngInterfaceDescription, idb.view());
}

void PcapngWriter::block(std::uint32_t type, std::span<const std::byte> body) {
  // block_type, block_total_length, body padded to 32 bits, block_total_length again.
  const std::size_t padded = body.size() + padding_for(body.size(), 4);
  const auto total = static_cast<std::uint32_t>(12 + padded);
  out_.u32(type).u32(total).bytes(body).zeros(padded - body.size()).u32(total);
}

void PcapngWriter::add(Timestamp ts, std::span<const std::byte> frame,
                       std::optional<std::uint32_t> snap_length) {
  const std::uint32_t caplen = caplen_for(frame.size(), snap_length, options_.snaplen);
  // Default if_tsresol is 10^-6; with the nanosecond option the IDB says 10^-9.
  const std::uint64_t units = options_.nanosecond
                                  ? std::uint64_t{ts.sec} * 1'000'000'000 + ts.usec * 1000ULL
                                  : std::uint64_t{ts.sec} * 1'000'000 + ts.usec;
  ByteWriter epb(options_.byte_order);
  epb.u32(0)  // interface_id
      .u32(static_cast<std::uint32_t>(units >> 32))
      .u32(static_cast<std::uint32_t>(units & 0xffffffffU))
      .u32(caplen)
      .u32(static_cast<std::uint32_t>(frame.size()))
      .bytes(frame.first(caplen));
  block(kPcapngEnhancedPacket, epb.view());
  ++records_;
}

std::uint32_t PcapngWriter::add_interface(LinkType link_type, std::uint32_t snaplen,
                                          std::uint8_t tsresol, std::int64_t tsoffset) {
  ByteWriter idb(options_.byte_order);
  idb.u16(static_cast<std::uint16_t>(link_type)).u16(0).u32(snaplen);
  idb.u16(kOptIfTsresol).u16(1).u8(tsresol).zeros(3);
  if (tsoffset != 0) idb.u16(14).u16(8).u64(static_cast<std::uint64_t>(tsoffset));  // if_tsoffset
  idb.u16(kOptEndOfOpt).u16(0);
  block(kPcapngInterfaceDescription, idb.view());
  interfaces_.push_back({tsresol, tsoffset});
  return static_cast<std::uint32_t>(interfaces_.size());  // interface 0 is the constructor's
}

void PcapngWriter::add_on(std::uint32_t interface, Timestamp ts, std::span<const std::byte> frame) {
  const Interface i = interface == 0 || interface > interfaces_.size()
                          ? Interface{static_cast<std::uint8_t>(options_.nanosecond ? 9 : 6), 0}
                          : interfaces_[interface - 1];
  const auto sec = static_cast<std::uint64_t>(static_cast<std::int64_t>(ts.sec) - i.tsoffset);
  std::uint64_t units = 0;
  if (i.tsresol & 0x80) {
    const unsigned n = i.tsresol & 0x7f;
    units = (sec << n) + ((std::uint64_t{ts.usec} << n) / 1000000);
  } else {
    std::uint64_t unit = 1;
    for (unsigned k = 0; k < i.tsresol; ++k) unit *= 10;
    units =
        sec * unit + (unit >= 1000000 ? ts.usec * (unit / 1000000) : ts.usec / (1000000 / unit));
  }
  ByteWriter epb(options_.byte_order);
  epb.u32(interface)
      .u32(static_cast<std::uint32_t>(units >> 32))
      .u32(static_cast<std::uint32_t>(units & 0xffffffffU))
      .u32(static_cast<std::uint32_t>(frame.size()))
      .u32(static_cast<std::uint32_t>(frame.size()))
      .bytes(frame);
  block(kPcapngEnhancedPacket, epb.view());
  ++records_;
}

void PcapngWriter::add_simple(std::span<const std::byte> frame) {
  ByteWriter spb(options_.byte_order);
  spb.u32(static_cast<std::uint32_t>(frame.size())).bytes(frame);
  block(0x00000003, spb.view());  // Simple Packet Block
  ++records_;
}

void PcapngWriter::write_file(const std::filesystem::path& path) const {
  testsupport::write_file(path, bytes());
}

void write_file(const std::filesystem::path& path, std::span<const std::byte> data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot open " + path.string() + " for writing");
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace rpctrace::testsupport
