// ReadAheadSource: a thread reads (and decompresses) the next blocks of a capture file while
// the pipeline works on the current one. Reading a file is a third of a bare read loop's time
// (the kernel's copy into our buffer), decompressing a gzip file more than the whole
// analysis: on a second core both overlap the work instead of adding to it.
//
// Blocks change hands under one mutex, once per block (a megabyte), never per packet.
#include "rpctrace/pcap/read_ahead.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace rpctrace::pcap {

namespace {

class ReadAheadSource : public ByteSource {
 public:
  ReadAheadSource(std::unique_ptr<ByteSource> in, std::size_t block, std::size_t depth)
      : in_(std::move(in)), block_(block) {
    compression_ = in_->compression();
    for (std::size_t k = 0; k < depth; ++k)
      free_.push_back(std::make_unique_for_overwrite<std::byte[]>(block_));
    start();
  }
  ~ReadAheadSource() override { stop(); }
  ReadAheadSource(const ReadAheadSource&) = delete;
  ReadAheadSource& operator=(const ReadAheadSource&) = delete;

  std::size_t read(std::byte* dst, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      if (used_ == current_.size) {
        if (at_end_ || !next_block_read()) break;
        continue;
      }
      const std::size_t step = std::min(n - done, current_.size - used_);
      std::memcpy(dst + done, current_.data.get() + used_, step);
      used_ += step;
      done += step;
    }
    return done;
  }
  [[nodiscard]] bool lends_blocks() const override { return true; }
  std::span<const std::byte> next_block() override {
    if (at_end_ || !next_block_read()) return {};
    used_ = current_.size;
    return {current_.data.get(), current_.size};
  }
  [[nodiscard]] bool seekable() const override { return in_->seekable(); }
  [[nodiscard]] std::uint64_t position() const override { return in_->position(); }
  bool seek(std::uint64_t offset) override {
    stop();
    // Every block read ahead is dropped; reading starts again at `offset`.
    for (auto& b : filled_) free_.push_back(std::move(b.data));
    filled_.clear();
    if (current_.data) free_.push_back(std::move(current_.data));
    current_ = Block{};
    used_ = 0;
    at_end_ = false;
    const bool ok = in_->seek(offset);
    if (!ok) error_ = in_->error();
    start();
    return ok;
  }

 private:
  struct Block {
    std::unique_ptr<std::byte[]> data;
    std::size_t size = 0;  // 0: the input ended here (in_->error() says whether by damage)
  };

  // The next block read ahead, waiting for it; false at the end of the input.
  bool next_block_read() {
    std::unique_lock lock(mutex_);
    if (current_.data) free_.push_back(std::move(current_.data));
    used_ = 0;
    current_.size = 0;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !filled_.empty(); });
    current_ = std::move(filled_.front());
    filled_.pop_front();
    if (current_.size == 0) {
      at_end_ = true;
      // The reader wrote the inner source's error before it handed over this last block.
      error_ = in_->error();
      return false;
    }
    return true;
  }

  void start() {
    stopping_ = false;
    reader_ = std::thread([this] { fill(); });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (reader_.joinable()) reader_.join();
  }

  // The reader thread: fills free blocks in order until the input ends.
  void fill() {
    for (;;) {
      std::unique_ptr<std::byte[]> data;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || !free_.empty(); });
        if (stopping_) return;
        data = std::move(free_.back());
        free_.pop_back();
      }
      const std::size_t got = in_->read(data.get(), block_);
      {
        std::lock_guard lock(mutex_);
        filled_.push_back(Block{std::move(data), got});
      }
      changed_.notify_all();
      if (got == 0) return;
    }
  }

  std::unique_ptr<ByteSource> in_;  // read by the reader thread only while it runs
  const std::size_t block_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<std::byte[]>> free_;  // under mutex_
  std::deque<Block> filled_;                        // under mutex_, in input order
  bool stopping_ = false;                           // under mutex_
  std::thread reader_;
  // The consumer's side.
  Block current_;
  std::size_t used_ = 0;
  bool at_end_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> read_ahead(std::unique_ptr<ByteSource> in, std::size_t block,
                                       std::size_t depth) {
  if (block == 0 || depth == 0) return in;
  return std::make_unique<ReadAheadSource>(std::move(in), block, depth);
}

}  // namespace rpctrace::pcap
