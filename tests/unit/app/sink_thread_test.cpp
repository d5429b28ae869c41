// app::SinkThread: the target sink gets every event, in order, on a thread of its own, across
// batches whose slots are reused for events of other kinds and sizes; finish() comes after
// everything, on the calling thread; what the target throws reaches the calling thread; a run
// through it writes what a run without it writes.
#include "rpctrace/app/sink_thread.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "unit/app/run_harness.hpp"

namespace rpctrace::app {
namespace {

using analysis::CallRecord;
using analysis::Conversation;
using analysis::FrameRecord;

// What the target got, in order: "f<frame>/<pdus>", "c<conversation>", "e<conversation>".
class Log : public analysis::Sink {
 public:
  std::vector<std::string> got;
  std::thread::id frame_thread, finish_thread;
  int finished = 0;
  std::chrono::microseconds delay{0};  // per event, to keep batches waiting
  std::uint64_t throw_at_frame = 0;    // 0: never

  void frame(const FrameRecord& f) override {
    frame_thread = std::this_thread::get_id();
    if (f.frame == throw_at_frame) throw std::runtime_error("target failed");
    if (delay.count() != 0) std::this_thread::sleep_for(delay);
    got.push_back("f" + std::to_string(f.frame) + "/" + std::to_string(f.pdus.size()));
  }
  void call(const CallRecord& c) override { got.push_back("c" + std::to_string(c.conversation)); }
  void conversation_end(const Conversation& c) override {
    got.push_back("e" + std::to_string(c.id));
  }
  void finish(const analysis::Statistics&, const analysis::EpmLinks&) override {
    finish_thread = std::this_thread::get_id();
    ++finished;
  }
};

// Frames with 0-3 PDUs, a call after every fifth, an end after every 97th: the slots of a
// batch change kind and size from one round to the next.
void feed(analysis::Sink& sink, std::uint64_t frames, std::vector<std::string>* expected) {
  for (std::uint64_t n = 1; n <= frames; ++n) {
    FrameRecord f;
    f.frame = n;
    f.pdus.resize(n % 4);
    sink.frame(f);
    if (expected != nullptr)
      expected->push_back("f" + std::to_string(n) + "/" + std::to_string(n % 4));
    if (n % 5 == 0) {
      CallRecord c;
      c.conversation = n;
      sink.call(c);
      if (expected != nullptr) expected->push_back("c" + std::to_string(n));
    }
    if (n % 97 == 0) {
      Conversation c;
      c.id = n;
      sink.conversation_end(c);
      if (expected != nullptr) expected->push_back("e" + std::to_string(n));
    }
  }
}

TEST(SinkThread, HandsEveryEventInOrderOnItsThreadThenFinishesOnTheCaller) {
  Log log;
  std::vector<std::string> expected;
  {
    SinkThread thread(log);
    feed(thread, SinkThread::kBatchEvents * (SinkThread::kBatchesWaiting + 5) + 17, &expected);
    thread.finish({}, {});
    EXPECT_EQ(log.finished, 1);
  }
  EXPECT_EQ(log.got, expected);
  EXPECT_NE(log.frame_thread, std::this_thread::get_id());
  EXPECT_EQ(log.finish_thread, std::this_thread::get_id());
}

TEST(SinkThread, ASlowTargetHoldsTheAnalysisBackAndLosesNothing) {
  Log log;
  log.delay = std::chrono::microseconds(20);
  std::vector<std::string> expected;
  SinkThread thread(log);
  feed(thread, SinkThread::kBatchEvents * (SinkThread::kBatchesWaiting + 2), &expected);
  thread.drain();
  EXPECT_EQ(log.got, expected);
  EXPECT_EQ(log.finished, 0);
}

TEST(SinkThread, WhatTheTargetThrowsReachesTheCallingThread) {
  Log log;
  log.throw_at_frame = 3;
  SinkThread thread(log);
  EXPECT_THROW(
      {
        feed(thread, SinkThread::kBatchEvents * (SinkThread::kBatchesWaiting + 4), nullptr);
        thread.finish({}, {});
      },
      std::runtime_error);
  EXPECT_EQ(log.finished, 0);
}

TEST(SinkThread, DestroyedWithEventsWaitingNeitherFinishesNorHangs) {
  Log log;
  log.delay = std::chrono::microseconds(50);
  {
    SinkThread thread(log);
    feed(thread, SinkThread::kBatchEvents * 4, nullptr);
  }
  EXPECT_EQ(log.finished, 0);
  EXPECT_LT(log.got.size(), SinkThread::kBatchEvents * 4 + 1);
}

// Through app::run: the text and JSON Lines of a capture with several conversations, with and
// without the thread, byte for byte.
TEST(SinkThread, ARunWritesTheSameWithAndWithoutIt) {
  using namespace report::harness;
  ts::Capture cap;
  for (std::uint16_t port = 3000; port < 3040; ++port) {
    epm_lookup(cap, port);
    http(cap, static_cast<std::uint16_t>(port + 100));
  }
  ts::TempFile file("sink_thread", cap.to_pcap());
  auto write = [&file](bool jsonl, bool thread) {
    RunOptions options;
    options.sink_thread = thread;
    MemoryFile out;
    {
      std::unique_ptr<analysis::Sink> w;
      if (jsonl)
        w = std::make_unique<report::JsonlWriter>(out.get());
      else
        w = std::make_unique<report::TextWriter>(out.get(), out.get());
      app::run(file.path().string(), options, *w);
    }
    return out.text();
  };
  for (bool jsonl : {false, true}) {
    const std::string one = write(jsonl, false);
    EXPECT_GT(one.size(), 1000u);
    EXPECT_EQ(one, write(jsonl, true)) << (jsonl ? "jsonl" : "text");
  }
}

}  // namespace
}  // namespace rpctrace::app
