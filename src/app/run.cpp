// The run loop and the statistics of a run.
#include "rpctrace/app/run.hpp"

#include <algorithm>
#include <vector>

#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/pcap/counters.hpp"

namespace rpctrace::app {

namespace {

// Hands every event to each sink in turn.
class FanOut : public analysis::Sink {
 public:
  explicit FanOut(std::span<analysis::Sink* const> sinks) : sinks_(sinks) {}
  void frame(const analysis::FrameRecord& f) override {
    for (auto* s : sinks_) s->frame(f);
  }
  void call(const analysis::CallRecord& c) override {
    for (auto* s : sinks_) s->call(c);
  }
  void conversation_end(const analysis::Conversation& c) override {
    for (auto* s : sinks_) s->conversation_end(c);
  }
  void kerberos(const analysis::KdcMessage& m) override {
    for (auto* s : sinks_) s->kerberos(m);
  }
  void finish(const analysis::Statistics& s, const analysis::EpmLinks& links) override {
    for (auto* x : sinks_) x->finish(s, links);
  }

 private:
  std::span<analysis::Sink* const> sinks_;
};

analysis::Statistics statistics(const pcap::CaptureReader& reader, const std::string& path,
                                const pcap::Counters& capture,
                                const transport::Dispatcher& dispatcher,
                                const dcerpc::Counters& dcerpc,
                                const analysis::Counters& analysis) {
  analysis::Statistics s;
  s.file = path == "-" ? "standard input" : path;
  s.link_type = reader.link_type_name();
  s.frames_read = capture.frames_read;
  s.bytes_read = capture.bytes_read;
  s.tcp_segments = capture.tcp_segments;
  s.udp_datagrams = capture.udp_datagrams;
  s.frames_skipped = capture.skipped_total();
  s.conversations_udp = dispatcher.udp_flows();
  s.conversations_tcp = analysis.conversations - s.conversations_udp;
  s.conversations_dcerpc = analysis.conversations_dcerpc;
  s.conversations_shown = analysis.conversations_shown;
  s.pdus = dcerpc.pdus;
  s.pdus_by_ptype = dcerpc.pdus_by_ptype;
  s.epm_decoded = analysis.epm_decoded;
  s.epm_requests_decoded = analysis.epm_requests_decoded;
  s.auth_decoded = analysis.auth_decoded;
  for (const auto& [key, count] : analysis.return_codes)
    s.return_codes.push_back({analysis::ReturnCode{key.second, key.first}, count});
  std::stable_sort(s.return_codes.begin(), s.return_codes.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  s.return_codes_other = analysis.return_codes_other;
  pcap::append_counter_rows(capture, s.not_decoded);
  dispatcher.append_counter_rows(s.not_decoded);
  dcerpc::append_counter_rows(dcerpc, s.not_decoded);
  analysis::append_counter_rows(analysis, s.not_decoded);
  return s;
}

}  // namespace

RunResult run(const std::string& path, const RunOptions& options,
              std::span<analysis::Sink* const> sinks) {
  pcap::CaptureReader reader(path);
  FanOut out(sinks);
  dcerpc::Counters dcerpc_counters;
  analysis::Tracker tracker(options.analysis, out, dcerpc_counters);
  transport::Dispatcher dispatcher(tracker, dcerpc_counters, options.transport);
  const analysis::Selection& selection = options.analysis.selection;
  pcap::Counters cc;
  RunResult result;
  pcap::Frame frame;
  for (;;) {
    auto status = reader.next(frame);
    if (status == pcap::CaptureReader::Status::end) break;
    if (status == pcap::CaptureReader::Status::error) {
      result.read_error = true;
      result.message = reader.error();
      break;
    }
    ++cc.frames_read;
    if (options.stop && cc.frames_read % kStopCheckFrames == 0 && options.stop()) {
      result.stopped = true;
      return result;
    }
    cc.bytes_read += frame.caplen;
    if (frame.ts_clamped) ++cc.timestamps_clamped;
    // Frames carry their interface's link type (pcapng, NetMon); a pcap file has one.
    pcap::DecodeOutcome out_frame = pcap::decode_frame(frame.link_type, frame.data);
    if (out_frame.carrier == pcap::Carrier::none) {
      cc.skip(out_frame.reason);
      continue;
    }
    if (out_frame.carrier == pcap::Carrier::udp) {
      const pcap::UdpDatagramView& d = out_frame.datagram;
      if (selection.by_endpoints() &&
          !selection.matches_endpoints({d.src, d.src_port}, {d.dst, d.dst_port}))
        cc.skip(pcap::SkipReason::filtered);
      else if (dispatcher.add(out_frame, frame.number, frame.ts))
        ++cc.udp_datagrams;
      else
        cc.skip(pcap::SkipReason::udp);
      continue;
    }
    const pcap::TcpSegmentView& seg = out_frame.segment;
    if (selection.by_endpoints() &&
        !selection.matches_endpoints({seg.src, seg.src_port}, {seg.dst, seg.dst_port})) {
      cc.skip(pcap::SkipReason::filtered);
      continue;
    }
    ++cc.tcp_segments;
    if (seg.payload_truncated()) ++cc.payload_truncated;
    dispatcher.add(out_frame, frame.number, frame.ts);
  }
  dispatcher.finish();
  if (options.stop && options.stop()) {
    result.stopped = true;
    return result;
  }
  result.stats = statistics(reader, path, cc, dispatcher, dcerpc_counters, tracker.counters());
  result.stats.capture_error = result.message;
  out.finish(result.stats, tracker.epm_links());
  return result;
}

}  // namespace rpctrace::app
