// CaptureReader over libpcap's offline API (pcap and pcapng; "-" is standard input).
#include "rpctrace/pcap/capture_reader.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>

namespace rpctrace::pcap {

struct CaptureReader::Handle {
  pcap_t* p = nullptr;
  ~Handle() {
    if (p != nullptr) pcap_close(p);
  }
};

CaptureReader::CaptureReader(const std::string& path) : handle_(std::make_unique<Handle>()) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  if (path == "-") {
    handle_->p = pcap_fopen_offline(stdin, errbuf);
  } else {
    handle_->p = pcap_open_offline(path.c_str(), errbuf);
  }
  if (handle_->p == nullptr) {
    std::string name = path == "-" ? std::string("standard input") : path;
    std::string why = errbuf;
    // libpcap names the file itself in some messages ("FILE: No such file or directory").
    if (why.rfind(path + ": ", 0) == 0) why = why.substr(path.size() + 2);
    throw CaptureError(name + ": " + why);
  }
  link_type_ = pcap_datalink(handle_->p);
  int snap = pcap_snapshot(handle_->p);
  snaplen_ = snap > 0 ? static_cast<std::uint32_t>(snap) : 0;
}

CaptureReader::~CaptureReader() = default;

std::string CaptureReader::link_type_name() const {
  const char* name = pcap_datalink_val_to_name(link_type_);
  return name != nullptr ? name : std::to_string(link_type_);
}

CaptureReader::Status CaptureReader::next(Frame& frame) {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_->p, &header, &data);
  if (rc == 1) {
    frame.number = ++count_;
    std::int64_t sec = header->ts.tv_sec;
    std::int64_t usec = header->ts.tv_usec;
    frame.ts_clamped =
        sec > kMaxTimestampSeconds || sec < -kMaxTimestampSeconds || usec < 0 || usec > 999999;
    frame.ts.sec = std::clamp(sec, -kMaxTimestampSeconds, kMaxTimestampSeconds);
    frame.ts.usec = static_cast<std::int32_t>(std::clamp<std::int64_t>(usec, 0, 999999));
    frame.caplen = header->caplen;
    frame.len = header->len;
    frame.data = common::Bytes(reinterpret_cast<const std::byte*>(data), header->caplen);
    return Status::frame;
  }
  if (rc == PCAP_ERROR_BREAK) return Status::end;
  error_ = pcap_geterr(handle_->p);
  return Status::error;
}

}  // namespace rpctrace::pcap
