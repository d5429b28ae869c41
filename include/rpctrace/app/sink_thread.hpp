// SinkThread: the sinks on a thread of their own, beside the analysis (RunOptions::sink_thread:
// in rpctrace, the timeline's text writer and -w's slice, with --threads 2 or more).
//
// The analysis hands every event to this sink, which copies it into a batch; a full batch goes
// to the thread, which hands its events to the target sink in the order they came. The target
// therefore gets exactly the calls it would have got on one thread, in the same order, and
// writes the same bytes. The events own their data (strings, vectors; the decodes and links
// they share are immutable shared pointers), so a copy outlives the analysis's state.
//
// One lock per batch of kBatchEvents events, never per packet. At most kBatchesWaiting batches
// wait for the thread: a writer slower than the analysis holds the analysis back, so memory
// stays bounded whatever the capture's length. Batches go back and forth without being
// emptied: an event is copied over the one a slot held before, reusing its strings' and
// vectors' storage, so in the steady state neither thread allocates for them and memory
// allocated by one thread is not freed by the other.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "rpctrace/analysis/sink.hpp"

namespace rpctrace::app {

class SinkThread final : public analysis::Sink {
 public:
  static constexpr std::size_t kBatchEvents = 256;
  static constexpr std::size_t kBatchesWaiting = 8;

  explicit SinkThread(analysis::Sink& target);
  // A run that stopped early (output gone, an exception): what waits is dropped, the thread
  // joined; the target is not finished.
  ~SinkThread() override;
  SinkThread(const SinkThread&) = delete;
  SinkThread& operator=(const SinkThread&) = delete;

  void frame(const analysis::FrameRecord& f) override { add(f); }
  void call(const analysis::CallRecord& c) override { add(c); }
  void kerberos(const analysis::KdcMessage& m) override { add(m); }
  void conversation_end(const analysis::Conversation& c) override { add(c); }
  // Waits until the thread handed every event, then finishes the target on the calling
  // thread: what a sink gathered is read on this thread after the run.
  void finish(const analysis::Statistics& s, const analysis::EpmLinks& links) override;
  // Waits until every event added so far reached the target; rethrows what the target threw.
  void drain();

 private:
  using Event = analysis::SinkEvent;
  struct Batch {
    std::vector<Event> slots;  // [0, used) are this batch's events; the rest kept for reuse
    std::size_t used = 0;
  };

  template <typename T>
  void add(const T& event) {
    if (filling_.used < filling_.slots.size()) {
      Event& slot = filling_.slots[filling_.used];
      if (T* same = std::get_if<T>(&slot))
        *same = event;  // copy-assignment keeps the slot's storage
      else
        slot.template emplace<T>(event);
    } else {
      filling_.slots.emplace_back(std::in_place_type<T>, event);
    }
    if (++filling_.used >= kBatchEvents) hand_over();
  }
  void hand_over();  // filling_ to the thread, a recycled batch in its place
  void work();       // the thread
  void rethrow_failure();

  analysis::Sink& target_;
  Batch filling_;  // the analysis's side only
  std::mutex mutex_;
  std::condition_variable to_thread_, to_analysis_;
  std::deque<Batch> waiting_;  // handed over, not yet taken
  std::vector<Batch> spare_;   // handed by the thread, their slots kept
  bool busy_ = false;          // the thread is handing a batch to the target
  bool closing_ = false;
  std::exception_ptr failure_;  // what the target threw; later batches are dropped
  std::thread thread_;          // last: started once the members above exist
};

}  // namespace rpctrace::app
