// CaptureReader: the project's own readers (pcap, pcapng, NetMon 2.x) over a byte source that
// also streams gzip and zstd; "-" is standard input. libpcap names the link types.
#include "rpctrace/pcap/capture_reader.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <filesystem>

#include "rpctrace/pcap/byte_source.hpp"
#include "rpctrace/pcap/file_reader.hpp"
#include "rpctrace/pcap/format_guess.hpp"
#include "rpctrace/pcap/read_ahead.hpp"

namespace rpctrace::pcap {

struct CaptureReader::Handle {
  std::unique_ptr<ByteSource> source;
  std::unique_ptr<ByteReaderBuffer> in;
  std::unique_ptr<FileReader> reader;
};

CaptureReader::CaptureReader(const std::string& path, bool read_ahead)
    : handle_(std::make_unique<Handle>()) {
  const std::string name = path == "-" ? std::string("standard input") : path;
  handle_->source = open_source(path);
  // Only a compressed regular file is read ahead: decompressing costs more than the analysis,
  // and overlaps it on a second core (1.15x to 1.3x on a gzip -1 capture); reading a plain
  // file ahead measured 0.94x to 0.99x (read(2) into a buffer that stays in cache is not
  // where the time goes); a pipe's read would hold up the end of the run.
  std::error_code ec;
  if (read_ahead && path != "-" && handle_->source->compression() != Compression::none &&
      std::filesystem::is_regular_file(path, ec))
    handle_->source = pcap::read_ahead(std::move(handle_->source));
  handle_->in = std::make_unique<ByteReaderBuffer>(*handle_->source);
  ByteReaderBuffer& in = *handle_->in;
  std::string why;
  handle_->reader = open_netmon(in, why);
  if (!handle_->reader && why.empty()) handle_->reader = open_pcapng(in);
  if (!handle_->reader && why.empty()) handle_->reader = open_pcap(in);
  if (!handle_->reader) {
    if (why.empty() && !handle_->source->error().empty()) why = handle_->source->error();
    if (why.empty()) {  // what the file is, by its first octets, and how to convert it
      (void)in.ensure(kGuessOctets);
      why = describe_unreadable(common::Bytes(in.data(), std::min(in.available(), kGuessOctets)));
    }
    throw CaptureError(name + ": " + why);
  }
  link_type_ = handle_->reader->link_type();
  snaplen_ = handle_->reader->snaplen();
}

CaptureReader::~CaptureReader() = default;

std::uint64_t CaptureReader::position() const { return handle_->source->position(); }

std::string link_type_name(int link_type) {
  // Files hold LINKTYPE_ values (tcpdump.org's list); libpcap names DLT_ values, which differ
  // for a few: those are named here as libpcap names their DLT_.
  switch (link_type) {
    case 101:
      return "RAW";
    case 108:
      return "LOOP";
    default:
      break;
  }
  const char* name = pcap_datalink_val_to_name(link_type);
  return name != nullptr ? name : std::to_string(link_type);
}

int dlt_of_link_type(int link_type) {
  if (link_type == 101 || link_type == 108) {
    const int dlt = pcap_datalink_name_to_val(link_type_name(link_type).c_str());
    if (dlt >= 0) return dlt;
  }
  return link_type;
}

std::string CaptureReader::link_type_name() const { return pcap::link_type_name(link_type_); }

ReaderCounters CaptureReader::counters() const { return handle_->reader->counters(); }

const std::vector<ProcessInfo>& CaptureReader::processes() const {
  return handle_->reader->processes();
}

std::string CaptureReader::format() const { return handle_->reader->format(); }

CaptureReader::Status CaptureReader::next(Frame& frame) {
  switch (handle_->reader->next(frame)) {
    case FileReader::Status::frame:
      frame.number_in_file = frame.number;
      return Status::frame;
    case FileReader::Status::end:
      return Status::end;
    case FileReader::Status::error:
      break;
  }
  error_ = handle_->reader->error();
  return Status::error;
}

}  // namespace rpctrace::pcap
