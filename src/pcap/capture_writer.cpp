// Capture writers: pcap through libpcap (pcap_dump), pcapng of our own (the pcapng
// specification, draft-ietf-opsawg-pcapng: SHB, IDB, EPB, written in host byte order, which the
// Section Header's byte-order magic announces).
#include "rpctrace/pcap/capture_writer.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

namespace rpctrace::pcap {

namespace {

// libpcap's dump functions: the header for the link type, then a record per frame.
class PcapDumpWriter : public CaptureWriter {
 public:
  PcapDumpWriter(pcap_t* dead, pcap_dumper_t* dumper, int link_type)
      : dead_(dead), dumper_(dumper), link_type_(link_type) {}
  ~PcapDumpWriter() override { close(); }
  PcapDumpWriter(const PcapDumpWriter&) = delete;
  PcapDumpWriter& operator=(const PcapDumpWriter&) = delete;

  bool write(const Frame& frame) override {
    if (dumper_ == nullptr || !error_.empty()) return false;
    if (frame.link_type != link_type_) {
      error_ = "a frame of link type " + link_type_name(frame.link_type) +
               " in a pcap file of link type " + link_type_name(link_type_);
      return false;
    }
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(frame.ts.sec);
    h.ts.tv_usec = static_cast<suseconds_t>(frame.ts.usec);
    h.caplen = static_cast<bpf_u_int32>(std::min<std::size_t>(frame.data.size(), kWriteSnapLength));
    h.len = std::max<bpf_u_int32>(frame.len, h.caplen);
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h,
              reinterpret_cast<const u_char*>(frame.data.data()));
    ++frames_;
    return true;
  }

  bool close() override {
    if (dumper_ != nullptr) {
      // pcap_dump() says nothing of errors: the stream's error flag does, at the end.
      std::FILE* f = pcap_dump_file(dumper_);
      if (pcap_dump_flush(dumper_) != 0 || std::ferror(f) != 0)
        if (error_.empty()) error_ = std::strerror(errno != 0 ? errno : EIO);
      pcap_dump_close(dumper_);
      dumper_ = nullptr;
    }
    if (dead_ != nullptr) {
      pcap_close(dead_);
      dead_ = nullptr;
    }
    return error_.empty();
  }
  [[nodiscard]] const std::string& error() const override { return error_; }
  [[nodiscard]] std::uint64_t frames() const override { return frames_; }

 private:
  pcap_t* dead_;
  pcap_dumper_t* dumper_;
  int link_type_;
  std::string error_;
  std::uint64_t frames_ = 0;
};

// pcapng: a Section Header Block, an Interface Description Block for each link type as it
// first appears (if_tsresol left at its default, microseconds), an Enhanced Packet Block per
// frame.
class PcapngWriter : public CaptureWriter {
 public:
  PcapngWriter(std::FILE* stream, bool owned) : stream_(stream), owned_(owned) {
    // SHB: type, length, byte-order magic, version 1.0, section length unknown (-1).
    std::vector<std::uint8_t> b;
    put32(b, 0x0A0D0D0A);
    put32(b, 28);
    put32(b, 0x1A2B3C4D);
    put16(b, 1);
    put16(b, 0);
    put32(b, 0xFFFFFFFF);
    put32(b, 0xFFFFFFFF);
    put32(b, 28);
    emit(b);
  }
  ~PcapngWriter() override { close(); }
  PcapngWriter(const PcapngWriter&) = delete;
  PcapngWriter& operator=(const PcapngWriter&) = delete;

  bool write(const Frame& frame) override {
    if (stream_ == nullptr || !error_.empty()) return false;
    auto [it, added] =
        interfaces_.try_emplace(frame.link_type, static_cast<std::uint32_t>(interfaces_.size()));
    std::vector<std::uint8_t>& b = block_;
    if (added) {  // IDB: link type, reserved, snap length
      b.clear();
      put32(b, 1);
      put32(b, 20);
      put16(b, static_cast<std::uint16_t>(frame.link_type));
      put16(b, 0);
      put32(b, kWriteSnapLength);
      put32(b, 20);
      if (!emit(b)) return false;
    }
    const auto caplen =
        static_cast<std::uint32_t>(std::min<std::size_t>(frame.data.size(), kWriteSnapLength));
    const std::uint32_t padded = (caplen + 3u) & ~3u;
    const std::uint32_t total = 32 + padded;
    const auto micros = static_cast<std::uint64_t>(frame.ts.micros());
    b.clear();
    put32(b, 6);
    put32(b, total);
    put32(b, it->second);
    put32(b, static_cast<std::uint32_t>(micros >> 32));
    put32(b, static_cast<std::uint32_t>(micros));
    put32(b, caplen);
    put32(b, std::max(frame.len, caplen));
    const auto* data = reinterpret_cast<const std::uint8_t*>(frame.data.data());
    b.insert(b.end(), data, data + caplen);
    b.resize(b.size() + (padded - caplen), 0);
    put32(b, total);
    if (!emit(b)) return false;
    ++frames_;
    return true;
  }

  bool close() override {
    if (stream_ != nullptr) {
      if (std::fflush(stream_) != 0 && error_.empty()) error_ = std::strerror(errno);
      if (owned_ && stream_ != stdout && std::fclose(stream_) != 0 && error_.empty())
        error_ = std::strerror(errno);
      stream_ = nullptr;
    }
    return error_.empty();
  }
  [[nodiscard]] const std::string& error() const override { return error_; }
  [[nodiscard]] std::uint64_t frames() const override { return frames_; }

 private:
  static void put32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);  // host order, as the BOM says
    b.insert(b.end(), p, p + 4);
  }
  static void put16(std::vector<std::uint8_t>& b, std::uint16_t v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    b.insert(b.end(), p, p + 2);
  }
  bool emit(const std::vector<std::uint8_t>& b) {
    if (std::fwrite(b.data(), 1, b.size(), stream_) == b.size()) return true;
    error_ = std::strerror(errno != 0 ? errno : EIO);
    return false;
  }

  std::FILE* stream_;
  bool owned_;
  std::map<int, std::uint32_t> interfaces_;  // link type -> interface id
  std::vector<std::uint8_t> block_;
  std::string error_;
  std::uint64_t frames_ = 0;
};

}  // namespace

std::unique_ptr<CaptureWriter> open_pcap_writer(const std::string& path, int link_type,
                                                std::string& error) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(
      dlt_of_link_type(link_type), static_cast<int>(kWriteSnapLength), PCAP_TSTAMP_PRECISION_MICRO);
  if (dead == nullptr) {
    error = "libpcap cannot write link type " + link_type_name(link_type);
    return nullptr;
  }
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    error = pcap_geterr(dead);
    pcap_close(dead);
    return nullptr;
  }
  return std::make_unique<PcapDumpWriter>(dead, dumper, link_type);
}

std::unique_ptr<CaptureWriter> open_pcapng_writer(const std::string& path, std::string& error) {
  std::FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::make_unique<PcapngWriter>(f, true);
}

std::unique_ptr<CaptureWriter> pcapng_writer_on(std::FILE* stream) {
  return std::make_unique<PcapngWriter>(stream, false);
}

}  // namespace rpctrace::pcap
