// Capture file writers for tests: classic pcap and a minimal pcapng.
//
// Classic pcap: 24-octet file header (magic a1b2c3d4, or a1b23c4d for nanosecond time stamps;
// version 2.4; snaplen; link type) then per record a 16-octet header (ts_sec, ts_usec|ts_nsec,
// caplen, len) and caplen octets. Written in either byte order so readers' swapping is tested.
// pcapng (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface Description Block,
// then one Enhanced Packet Block per record.
//
// Everything is built in memory: bytes() is the whole file, write_file() stores it.
#pragma once

#include <compare>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

#include "support/bytes.hpp"

namespace rpctrace::testsupport {

// LINKTYPE_ values (tcpdump.org link-layer header types).
enum class LinkType : std::uint32_t {
  null = 0,  // 4-octet address family in the capturing host's byte order
  ethernet = 1,
  raw = 101,        // bare IPv4 or IPv6 packet
  loop = 108,       // OpenBSD loopback: address family, big-endian
  linux_sll = 113,  // Linux "cooked" capture v1, 16-octet header
  linux_sll2 = 276  // Linux "cooked" capture v2, 20-octet header
};

struct Timestamp {
  std::uint32_t sec = 0;
  std::uint32_t usec = 0;  // < 1'000'000

  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
  [[nodiscard]] constexpr Timestamp plus_usec(std::uint64_t delta) const {
    const std::uint64_t total = std::uint64_t{usec} + delta;
    return Timestamp{static_cast<std::uint32_t>(sec + total / 1'000'000),
                     static_cast<std::uint32_t>(total % 1'000'000)};
  }
};

// 1997-01-01T00:00:00Z, the era of KB159298's traces.
inline constexpr Timestamp kTimestamp1997{852076800, 0};

struct PcapFileOptions {
  Endian byte_order = Endian::little;  // of every header field in the file
  bool nanosecond = false;             // pcap: magic a1b23c4d; pcapng: if_tsresol 9
  std::uint32_t snaplen = 262144;      // header field; also cuts every record longer than it
};

class PcapWriter {
 public:
  explicit PcapWriter(LinkType link_type = LinkType::ethernet, PcapFileOptions options = {});

  // Appends one record: len = frame.size(), caplen = min(len, snap_length, options.snaplen).
  void add(Timestamp ts, std::span<const std::byte> frame,
           std::optional<std::uint32_t> snap_length = std::nullopt);
  [[nodiscard]] std::size_t record_count() const { return records_; }
  [[nodiscard]] const Bytes& bytes() const { return out_.view(); }
  // Throws std::runtime_error when the file cannot be written.
  void write_file(const std::filesystem::path& path) const;

 private:
  PcapFileOptions options_;
  ByteWriter out_;
  std::size_t records_ = 0;
};

class PcapngWriter {
 public:
  explicit PcapngWriter(LinkType link_type = LinkType::ethernet, PcapFileOptions options = {});

  // Appends one Enhanced Packet Block on interface 0; same caplen rule as PcapWriter::add.
  void add(Timestamp ts, std::span<const std::byte> frame,
           std::optional<std::uint32_t> snap_length = std::nullopt);
  // Another Interface Description Block (pktmon, Wireshark with several interfaces): its link
  // type, snaplen (0: none), if_tsresol octet (6: microseconds, the default; 0x80 | n: 2^-n)
  // and if_tsoffset seconds. Returns its interface id.
  std::uint32_t add_interface(LinkType link_type, std::uint32_t snaplen = 262144,
                              std::uint8_t tsresol = 6, std::int64_t tsoffset = 0);
  // An Enhanced Packet Block on `interface`, the timestamp in its resolution, less its offset.
  void add_on(std::uint32_t interface, Timestamp ts, std::span<const std::byte> frame);
  // A Simple Packet Block (interface 0, no timestamp).
  void add_simple(std::span<const std::byte> frame);
  // Any block, as given (an unknown type, a damaged length).
  void add_block(std::uint32_t type, std::span<const std::byte> body) { block(type, body); }
  [[nodiscard]] std::size_t record_count() const { return records_; }
  [[nodiscard]] const Bytes& bytes() const { return out_.view(); }
  void write_file(const std::filesystem::path& path) const;

 private:
  void block(std::uint32_t type, std::span<const std::byte> body);

  PcapFileOptions options_;
  ByteWriter out_;
  std::size_t records_ = 0;
  struct Interface {
    std::uint8_t tsresol = 6;
    std::int64_t tsoffset = 0;
  };
  std::vector<Interface> interfaces_;  // those add_interface() added, from id 1
};

// Stores `data` at `path`; throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, std::span<const std::byte> data);

}  // namespace rpctrace::testsupport
