// The run loop and the statistics of a run.
#include "rpctrace/app/run.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "rpctrace/app/sink_thread.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/pcap/counters.hpp"
#include "rpctrace/pcap/input.hpp"

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

// A conversation's program from the capture's process tables: the entry with its two
// endpoints, else one whose local endpoint is one of them (a listening or unconnected entry).
analysis::Tracker::ProcessLookup process_lookup(std::vector<pcap::ProcessInfo> table) {
  return [table = std::move(table)](
             const common::Endpoint& a,
             const common::Endpoint& b) -> std::optional<analysis::OwningProcess> {
    const pcap::ProcessInfo* partial = nullptr;
    for (const auto& p : table) {
      const common::Endpoint local{p.local, p.local_port}, remote{p.remote, p.remote_port};
      if ((local == a && remote == b) || (local == b && remote == a))
        return analysis::OwningProcess{p.name, p.path, p.pid};
      if (partial == nullptr && (local == a || local == b)) partial = &p;
    }
    if (partial == nullptr) return std::nullopt;
    return analysis::OwningProcess{partial->name, partial->path, partial->pid};
  };
}

analysis::Statistics statistics(const std::vector<pcap::InputFile>& files,
                                const pcap::InputCounters& input, const pcap::Counters& capture,
                                const transport::Dispatcher& dispatcher,
                                const dcerpc::Counters& dcerpc,
                                const analysis::Counters& analysis) {
  analysis::Statistics s;
  for (const auto& f : files) {
    s.file += (s.file.empty() ? "" : ", ") + f.name;
    if (!f.damage.empty())
      s.capture_error += (s.capture_error.empty() ? "" : "; ") +
                         (files.size() > 1 ? f.name + ": " : std::string()) + f.damage;
  }
  s.link_type = files.empty() ? std::string() : files.front().link_type;
  if (files.size() > 1 || (!files.empty() && files.front().format == "live"))
    for (const auto& f : files)
      s.files.push_back({f.name, f.format, f.link_type, f.frames, f.damage});
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
  pcap::append_counter_rows(input, s.not_decoded);
  dispatcher.append_counter_rows(s.not_decoded);
  dcerpc::append_counter_rows(dcerpc, s.not_decoded);
  analysis::append_counter_rows(analysis, s.not_decoded);
  return s;
}

}  // namespace

RunResult run(const pcap::InputOptions& input_options, const RunOptions& options,
              std::span<analysis::Sink* const> sinks) {
  std::unique_ptr<pcap::Input> input = pcap::open_input(input_options);
  common::FrameNames& names = common::frame_names();
  names.clear();
  std::vector<std::string> file_names;
  for (const auto& f : input->files()) file_names.push_back(f.name);
  names.set_files(std::move(file_names));
  FanOut fan_out(sinks);
  std::optional<SinkThread> sink_thread;
  if (options.sink_thread) sink_thread.emplace(fan_out);
  analysis::Sink& out = sink_thread ? static_cast<analysis::Sink&>(*sink_thread) : fan_out;
  dcerpc::Counters dcerpc_counters;
  analysis::Tracker tracker(options.analysis, out, dcerpc_counters);
  transport::Dispatcher dispatcher(tracker, dcerpc_counters, options.transport);
  if (auto processes = input->processes(); !processes.empty())
    tracker.set_process_lookup(process_lookup(std::move(processes)));
  pcap::Counters cc;
  RunResult result;
  pcap::Frame frame;
  for (;;) {
    if (options.interrupted && options.interrupted()) {
      result.interrupted = true;
      break;
    }
    if (options.max_frames != 0 && cc.frames_read >= options.max_frames) break;
    const auto status = input->next(frame);
    if (status == pcap::Input::Status::end) break;
    if (status == pcap::Input::Status::idle) {
      if (options.stop && options.stop()) {
        result.stopped = true;
        return result;
      }
      // A live capture's frames are stamped by this clock: quiet time ends connections
      // closed or idle, so their conversations are reported now, not at the next frame.
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
      dispatcher.expire({us / 1000000, static_cast<std::int32_t>(us % 1000000)});
      continue;
    }
    names.add(frame.number, frame.file, frame.number_in_file);
    if (options.on_frame) options.on_frame(frame);
    ++cc.frames_read;
    if (cc.frames_read % kStopCheckFrames == 0) {
      if (options.stop && options.stop()) {
        result.stopped = true;
        return result;
      }
      if (options.progress)
        options.progress({cc.frames_read, input->progress(), dispatcher.connections_open()});
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
      if (dispatcher.add(out_frame, frame.number, frame.ts))
        ++cc.udp_datagrams;
      else
        cc.skip(pcap::SkipReason::udp);
      continue;
    }
    const pcap::TcpSegmentView& seg = out_frame.segment;
    ++cc.tcp_segments;
    if (seg.payload_truncated()) ++cc.payload_truncated;
    dispatcher.add(out_frame, frame.number, frame.ts);
  }
  if (options.progress)
    options.progress({cc.frames_read, input->progress(), dispatcher.connections_open(), true});
  dispatcher.finish();
  if (options.stop && options.stop()) {
    result.stopped = true;
    return result;
  }
  result.files = input->files();
  const pcap::InputCounters input_counters = input->counters();
  result.notes = input_counters.notes;
  for (const auto& f : result.files)
    if (!f.damage.empty() && !result.read_error) {
      result.read_error = true;
      result.message = f.damage;
    }
  result.stats =
      statistics(result.files, input_counters, cc, dispatcher, dcerpc_counters, tracker.counters());
  out.finish(result.stats, tracker.epm_links());
  return result;
}

}  // namespace rpctrace::app
