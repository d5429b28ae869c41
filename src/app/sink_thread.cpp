// The sinks on a thread of their own (sink_thread.hpp).
#include "rpctrace/app/sink_thread.hpp"

#include <utility>

namespace rpctrace::app {

SinkThread::SinkThread(analysis::Sink& target) : target_(target), thread_([this] { work(); }) {
  filling_.slots.reserve(kBatchEvents);
}

SinkThread::~SinkThread() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    waiting_.clear();
  }
  to_thread_.notify_one();
  thread_.join();
}

void SinkThread::hand_over() {
  Batch next;
  {
    std::unique_lock lock(mutex_);
    to_analysis_.wait(lock, [this] { return waiting_.size() < kBatchesWaiting; });
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    waiting_.push_back(std::move(filling_));
    if (!spare_.empty()) {
      next = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  to_thread_.notify_one();
  filling_ = std::move(next);
  filling_.used = 0;
  filling_.slots.reserve(kBatchEvents);
}

void SinkThread::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    to_thread_.wait(lock, [this] { return closing_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // closing, nothing left
    Batch batch = std::move(waiting_.front());
    waiting_.pop_front();
    busy_ = true;
    const bool failed = failure_ != nullptr;
    lock.unlock();
    to_analysis_.notify_one();  // room for another batch
    std::exception_ptr thrown;
    if (!failed) {
      try {
        for (std::size_t i = 0; i < batch.used; ++i) analysis::deliver(target_, batch.slots[i]);
      } catch (...) {
        thrown = std::current_exception();
      }
    }
    batch.used = 0;  // the records stay, for the analysis to copy over
    lock.lock();
    if (thrown && !failure_) failure_ = thrown;
    if (spare_.size() < kBatchesWaiting) spare_.push_back(std::move(batch));
    busy_ = false;
    to_analysis_.notify_one();  // drain() may be waiting for this batch
  }
}

void SinkThread::drain() {
  if (filling_.used != 0) hand_over();
  {
    std::unique_lock lock(mutex_);
    to_analysis_.wait(lock, [this] { return waiting_.empty() && !busy_; });
  }
  rethrow_failure();
}

void SinkThread::rethrow_failure() {
  std::exception_ptr failure;
  {
    std::lock_guard lock(mutex_);
    failure = std::exchange(failure_, nullptr);
  }
  if (failure) std::rethrow_exception(failure);
}

void SinkThread::finish(const analysis::Statistics& s, const analysis::EpmLinks& links) {
  drain();
  target_.finish(s, links);
}

}  // namespace rpctrace::app
