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
  explicit ByteReaderBuffer(ByteSource& source) : source_(source) {}
  // Whether `n` octets are available (false at the end of the input or on its error).
  bool ensure(std::size_t n);
  [[nodiscard]] const std::byte* data() const { return buffer_.get() + start_; }
  [[nodiscard]] std::size_t available() const { return end_ - start_; }
  void consume(std::size_t n) {
    start_ += n;
    offset_ += n;
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
  ByteSource& source_;
  std::unique_ptr<std::byte[]> buffer_;
  std::size_t capacity_ = 0, start_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace rpctrace::pcap
