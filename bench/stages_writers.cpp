// Micro-benchmarks of the writers (docs/performance.md, "Stages"): the analysis's records of
// a capture, recorded once, are handed again to a fresh writer each iteration, its output
// going to /dev/null through stdio as rpctrace's does. Items are the frame records handed.
//
//   BM_Writer/text       the timeline (report::TextWriter)
//   BM_Writer/jsonl      JSON Lines (report::JsonlWriter)
//   BM_Writer/calls      one line per call (report::CallLineWriter)
//   BM_Writer/zeek       Zeek's dce_rpc.log (report::ZeekWriter)
//   BM_Writer/summary    rpctrace summary: analysis::Summarizer into report::SummaryWriter
//
// The capture: $RPCTRACE_BENCH_CAPTURE, else testdata/kb159298_story.pcap of the source tree
// (bench/run.sh passes a prefix of its generated Exchange-like capture).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "rpctrace/analysis/summary.hpp"
#include "rpctrace/app/run.hpp"
#include "rpctrace/report/call_writers.hpp"
#include "rpctrace/report/summary_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace {

using namespace rpctrace;

// The events of one run, in the order the sinks got them.
class Recording final : public analysis::Sink {
 public:
  void frame(const analysis::FrameRecord& f) override {
    events_.emplace_back(f);
    ++frames_;
  }
  void call(const analysis::CallRecord& c) override { events_.emplace_back(c); }
  void kerberos(const analysis::KdcMessage& m) override { events_.emplace_back(m); }
  void conversation_end(const analysis::Conversation& c) override { events_.emplace_back(c); }
  void finish(const analysis::Statistics& s, const analysis::EpmLinks& links) override {
    stats_ = s;
    links_ = links;
  }

  // Hands every event to `sink`, then finish().
  void replay(analysis::Sink& sink) const {
    for (const auto& e : events_) analysis::deliver(sink, e);
    sink.finish(stats_, links_);
  }
  [[nodiscard]] std::size_t frames() const { return frames_; }
  [[nodiscard]] const analysis::Statistics& stats() const { return stats_; }

 private:
  std::vector<analysis::SinkEvent> events_;
  std::size_t frames_ = 0;
  analysis::Statistics stats_;
  analysis::EpmLinks links_;
};

const Recording& recording() {
  static const Recording* r = [] {
    auto* rec = new Recording;
    const char* env = std::getenv("RPCTRACE_BENCH_CAPTURE");
    pcap::InputOptions in;
    in.files.push_back(
        env != nullptr ? env : std::string(RPCTRACE_SOURCE_DIR) + "/testdata/kb159298_story.pcap");
    const app::RunOptions options;
    analysis::Sink* sinks[] = {rec};
    app::run(in, options, sinks);
    return rec;
  }();
  return *r;
}

enum class Kind { text, jsonl, calls, zeek, summary };

void BM_Writer(benchmark::State& state, Kind kind) {
  const Recording& rec = recording();
  std::FILE* out = std::fopen("/dev/null", "w");
  if (out == nullptr) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  for (auto _ : state) {
    switch (kind) {
      case Kind::text: {
        report::TextWriter w(out, out);
        rec.replay(w);
        break;
      }
      case Kind::jsonl: {
        report::JsonlWriter w(out);
        rec.replay(w);
        break;
      }
      case Kind::calls: {
        report::CallLineWriter w(out, out);
        rec.replay(w);
        break;
      }
      case Kind::zeek: {
        report::ZeekWriter w(out, out);
        rec.replay(w);
        break;
      }
      case Kind::summary: {
        report::SummaryWriter w(out, out, false);
        analysis::Summarizer s([&w](const analysis::ConversationSummary& c) { w.add(c); });
        rec.replay(s);
        w.finish(rec.stats());
        break;
      }
    }
  }
  std::fclose(out);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rec.frames()));
  state.counters["frame_records"] = static_cast<double>(rec.frames());
}
BENCHMARK_CAPTURE(BM_Writer, text, Kind::text);
BENCHMARK_CAPTURE(BM_Writer, jsonl, Kind::jsonl);
BENCHMARK_CAPTURE(BM_Writer, calls, Kind::calls);
BENCHMARK_CAPTURE(BM_Writer, zeek, Kind::zeek);
BENCHMARK_CAPTURE(BM_Writer, summary, Kind::summary);

}  // namespace
