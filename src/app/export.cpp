// -w: the shown conversations' frames, read again and written out (export.hpp).
#include "rpctrace/app/export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rpctrace::app {

ConversationSlice::Flow ConversationSlice::flow_of(bool udp, const common::Endpoint& a,
                                                   const common::Endpoint& b) {
  return a < b ? Flow{udp, a, b} : Flow{udp, b, a};
}

void ConversationSlice::add(const Flow& f, Span s) { flows_[f].push_back(s); }

void ConversationSlice::frame(const analysis::FrameRecord& f) {
  if (!analysis::is_datagram(f.protseq) || f.delta_us < 0) return;
  const Flow flow = flow_of(true, f.src, f.dst);
  if (flow == flow_of(true, f.client, f.server)) return;
  auto& others = other_flows_[f.conversation];
  if (others.size() < kMaxOtherFlows &&
      std::find(others.begin(), others.end(), flow) == others.end())
    others.push_back(flow);
}

void ConversationSlice::conversation_end(const analysis::Conversation& c) {
  const Flow flow = flow_of(analysis::is_datagram(c.protseq), c.client, c.server);
  const Span span{c.first_frame, c.last_frame};
  auto others = other_flows_.find(c.id);
  if (others != other_flows_.end()) {
    if (c.shown)
      for (const Flow& f : others->second) add(f, span);
    other_flows_.erase(others);
  }
  if (c.virtual_connection) channel_spans_[c.id] = {flow, span};
  if (!c.shown) return;
  ++conversations_;
  add(flow, span);
  // The holder's timeline takes its channels' frames after they joined it: each channel's
  // connection is kept up to the holder's last frame.
  if (c.virtual_connection)
    for (const auto& ch : c.virtual_connection->channels)
      if (ch.conversation != c.id)
        channels_wanted_.push_back({ch.conversation, flow_of(false, ch.client, ch.server), span});
}

void ConversationSlice::finish(const analysis::Statistics& /*s*/, const analysis::EpmLinks& /*l*/) {
  // A channel's own conversation may have ended after the one that named it.
  for (const auto& w : channels_wanted_) {
    auto it = channel_spans_.find(w.conversation);
    Span span = w.holder;
    if (it != channel_spans_.end()) {
      span.first = std::min(span.first, it->second.second.first);
      span.last = std::max(span.last, it->second.second.last);
    }
    add(w.flow, span);
  }
  channels_wanted_.clear();
}

bool ConversationSlice::contains(const pcap::DecodeOutcome& d, std::uint64_t frame) const {
  Flow flow;
  if (d.carrier == pcap::Carrier::tcp)
    flow = flow_of(false, {d.segment.src, d.segment.src_port}, {d.segment.dst, d.segment.dst_port});
  else if (d.carrier == pcap::Carrier::udp)
    flow =
        flow_of(true, {d.datagram.src, d.datagram.src_port}, {d.datagram.dst, d.datagram.dst_port});
  else
    return false;
  auto it = flows_.find(flow);
  if (it == flows_.end()) return false;
  for (const Span& s : it->second)
    if (frame >= s.first && frame <= s.last) return true;
  return false;
}

std::unique_ptr<FrameSpool> FrameSpool::create(std::string& error) {
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/rpctrace-spool-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) {
    error = "cannot create a temporary file in " + path.substr(0, path.rfind('/')) + ": " +
            std::strerror(errno);
    return nullptr;
  }
  std::FILE* f = ::fdopen(fd, "wb");
  if (f == nullptr) {
    error = std::strerror(errno);
    ::close(fd);
    ::unlink(path.c_str());
    return nullptr;
  }
  return std::unique_ptr<FrameSpool>(new FrameSpool(f, std::move(path)));
}

FrameSpool::FrameSpool(std::FILE* file, std::string path)
    : file_(file), path_(std::move(path)), writer_(pcap::pcapng_writer_on(file)) {}

FrameSpool::~FrameSpool() {
  writer_.reset();  // it writes to file_: gone before file_ is closed
  if (file_ != nullptr) std::fclose(file_);
  ::unlink(path_.c_str());
}

void FrameSpool::add(const pcap::Frame& frame) {
  if (writer_->write(frame)) numbers_.push_back(frame.number);
}

bool FrameSpool::seal() {
  bool ok = writer_->close();
  if (std::fclose(file_) != 0) ok = false;
  file_ = nullptr;
  if (!ok)
    error_ = "the temporary copy of the frames could not be written: " +
             (writer_->error().empty() ? std::string(std::strerror(errno)) : writer_->error());
  return ok;
}

std::uint64_t FrameSpool::number(std::uint64_t n) const {
  return n >= 1 && n <= numbers_.size() ? numbers_[n - 1] : 0;
}

namespace {

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// One pass over the input writing the slice in `format`. Returns false when a pcap writer met
// a second link type (the caller starts again in pcapng).
bool one_pass(const pcap::InputOptions& input, const RunOptions& options,
              const ConversationSlice& slice, const std::string& path, const FrameSpool* spool,
              pcap::CaptureFormat format, SliceResult& result) {
  pcap::InputOptions again = input;
  if (spool != nullptr) again = pcap::InputOptions{{spool->path()}, {}, {}, true};
  std::unique_ptr<pcap::Input> in = pcap::open_input(again);
  std::unique_ptr<pcap::CaptureWriter> writer;
  std::map<int, bool> link_types;
  int first_link_type = -1;
  pcap::Frame frame;
  std::uint64_t read = 0;
  auto open = [&](int link_type) {
    std::string error;
    writer = format == pcap::CaptureFormat::pcapng ? pcap::open_pcapng_writer(path, error)
                                                   : pcap::open_pcap_writer(path, link_type, error);
    if (writer == nullptr) result.error = error;
    return writer != nullptr;
  };
  while (in->next(frame) == pcap::Input::Status::frame) {
    if (spool == nullptr && options.max_frames != 0 && read >= options.max_frames) break;
    ++read;
    if (first_link_type < 0) first_link_type = frame.link_type;
    const std::uint64_t number = spool != nullptr ? spool->number(frame.number) : frame.number;
    if (!slice.contains(pcap::decode_frame(frame.link_type, frame.data), number)) continue;
    if (writer == nullptr && !open(frame.link_type)) return true;
    if (format == pcap::CaptureFormat::pcap && !link_types.empty() &&
        !link_types.contains(frame.link_type)) {
      writer.reset();  // the pcap file is written again as pcapng
      return false;
    }
    link_types[frame.link_type] = true;
    if (!writer->write(frame)) {
      result.error = writer->error();
      return true;
    }
  }
  // Nothing selected: an empty file of the input's link type, still a capture.
  if (writer == nullptr && !open(first_link_type < 0 ? 1 : first_link_type)) return true;
  if (!writer->close()) result.error = writer->error();
  result.frames = writer->frames();
  result.format = format;
  if (link_types.size() > 1)
    for (const auto& [lt, _] : link_types)
      result.link_types += (result.link_types.empty() ? "" : ", ") + pcap::link_type_name(lt);
  return true;
}

// The link types of the selected frames (standard output cannot be written twice).
std::map<int, bool> selected_link_types(const pcap::InputOptions& input, const RunOptions& options,
                                        const ConversationSlice& slice, const FrameSpool* spool) {
  pcap::InputOptions again = input;
  if (spool != nullptr) again = pcap::InputOptions{{spool->path()}, {}, {}, true};
  std::unique_ptr<pcap::Input> in = pcap::open_input(again);
  std::map<int, bool> link_types;
  pcap::Frame frame;
  for (std::uint64_t read = 0; in->next(frame) == pcap::Input::Status::frame; ++read) {
    if (spool == nullptr && options.max_frames != 0 && read >= options.max_frames) break;
    const std::uint64_t number = spool != nullptr ? spool->number(frame.number) : frame.number;
    if (slice.contains(pcap::decode_frame(frame.link_type, frame.data), number))
      link_types[frame.link_type] = true;
  }
  return link_types;
}

}  // namespace

SliceResult write_slice(const pcap::InputOptions& input, const RunOptions& options,
                        const ConversationSlice& slice, const std::string& path,
                        const FrameSpool* spool) {
  SliceResult result;
  bool pcapng = ends_with(path, ".pcapng") || ends_with(path, ".ntar");
  if (path == "-" && !pcapng) pcapng = selected_link_types(input, options, slice, spool).size() > 1;
  if (one_pass(input, options, slice, path, spool,
               pcapng ? pcap::CaptureFormat::pcapng : pcap::CaptureFormat::pcap, result))
    return result;
  result = SliceResult{};
  one_pass(input, options, slice, path, spool, pcap::CaptureFormat::pcapng, result);
  return result;
}

}  // namespace rpctrace::app
