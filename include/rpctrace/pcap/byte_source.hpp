// Where a capture's octets come from: a file or standard input, read in large blocks, and
// decompressed as they are read when they begin with a gzip member (RFC 1952: 1f 8b) or a
// Zstandard frame (RFC 8878: 28 b5 2f fd). Concatenated gzip members and Zstandard frames
// (what `cat a.gz b.gz` and pigz/zstd -T write) are read one after the other.
//
// Errors of the environment (a missing file, a directory) throw CaptureError from
// open_source(); damage found while reading (a compressed stream cut short or corrupt) ends
// the octets with read() returning 0 and error() naming it, with the offset in the
// decompressed stream up to which everything was delivered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace rpctrace::pcap {

enum class Compression : std::uint8_t { none, gzip, zstd };
std::string_view to_string(Compression c);  // "none", "gzip", "zstd"

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `n` octets into `dst`; fewer only at the end of the input (then 0) or on an error
  // (then 0, and error() is set).
  virtual std::size_t read(std::byte* dst, std::size_t n) = 0;
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] Compression compression() const { return compression_; }
  // Whether the octets are a file's own, so that a reader may seek (NetMon's frame table).
  [[nodiscard]] virtual bool seekable() const { return false; }
  // Moves to `offset` of a seekable source; false (and error()) when that fails.
  virtual bool seek(std::uint64_t offset);
  // A source that reads ahead into blocks of its own (read_ahead.hpp) lends them instead of
  // copying them: next_block() is the next block of the input (empty at its end), valid until
  // the next call of next_block() or seek(). read() and next_block() are not mixed.
  [[nodiscard]] virtual bool lends_blocks() const { return false; }
  // Octets of the file itself (compressed, when it is) read so far: the progress line's
  // measure. Safe to ask while a read-ahead thread reads.
  [[nodiscard]] virtual std::uint64_t position() const { return 0; }
  virtual std::span<const std::byte> next_block() { return {}; }

 protected:
  std::string error_;
  Compression compression_ = Compression::none;
};

// `path` "-" is standard input. `name` is how messages name the input.
std::unique_ptr<ByteSource> open_source(const std::string& path);
// `data` (which must outlive the source), decompressed as open_source() decompresses a file:
// fuzz targets and tests read captures held in memory through it. Seekable when not
// compressed and `seekable` (false: read as standard input is).
std::unique_ptr<ByteSource> open_memory(std::span<const std::byte> data, bool seekable = true);

// Reads records off a ByteSource: ensure(n) makes the next n octets available at data(),
// consume(n) moves past them. The buffer grows to the largest record asked for, which the
// caller bounds.
class ByteReaderBuffer {
 public:
  explicit ByteReaderBuffer(ByteSource& source) : source_(source), lent_(source.lends_blocks()) {}
  // Whether `n` octets are available (false at the end of the input or on its error). What
  // data() showed before may move.
  bool ensure(std::size_t n);
  [[nodiscard]] const std::byte* data() const { return base_ + start_; }
  [[nodiscard]] std::size_t available() const { return end_ - start_; }
  void consume(std::size_t n) {
    start_ += n;
    offset_ += n;
    if (stitched_ && start_ == end_) leave_stitch();
  }
  // Offset of data() in the input (after decompression).
  [[nodiscard]] std::uint64_t offset() const { return offset_; }
  // Skips `n` octets, reading through them; false when the input ends first.
  bool skip(std::uint64_t n);
  // Starts again at `offset` of a seekable source.
  bool seek(std::uint64_t offset);
  [[nodiscard]] ByteSource& source() { return source_; }

 private:
  // Reads are this large once the buffer has grown (from kFirstBlock, doubling as the input
  // goes on): one read() system call per megabyte, not per record.
  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  static constexpr std::size_t kFirstBlock = std::size_t{1} << 16;
  // A source that lends its blocks is read in place: records are served from the lent block,
  // and only one that straddles two blocks is copied ("stitched": the first block's tail and
  // the next block's head, in buffer_), after which reading goes on in the next block.
  bool ensure_lent(std::size_t n);
  void grow(std::size_t n);
  void leave_stitch();
  ByteSource& source_;
  const bool lent_;
  const std::byte* base_ = nullptr;   // buffer_, or the lent block
  std::span<const std::byte> block_;  // the lent block
  std::size_t in_block_ = 0;          // stitched: octets of block_ copied into buffer_
  bool stitched_ = false;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t capacity_ = 0, start_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace rpctrace::pcap
