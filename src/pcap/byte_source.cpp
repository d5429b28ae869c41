// ByteSource: files and standard input through read(2) in large blocks; gzip through zlib
// (inflate with automatic header detection) and Zstandard through libzstd's streaming API.
#include "rpctrace/pcap/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "rpctrace/pcap/capture_reader.hpp"  // CaptureError

namespace rpctrace::pcap {

std::string_view to_string(Compression c) {
  switch (c) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::zstd:
      return "zstd";
  }
  return "none";
}

bool ByteSource::seek(std::uint64_t) {
  error_ = "this input cannot seek (standard input or a compressed file)";
  return false;
}

namespace {

// A file descriptor's octets, with the first few octets (read to find the format) served
// again first.
class FileSource : public ByteSource {
 public:
  FileSource(int fd, bool owned, bool regular) : fd_(fd), owned_(owned), regular_(regular) {}
  ~FileSource() override {
    if (owned_) ::close(fd_);
  }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::size_t read(std::byte* dst, std::size_t n) override {
    std::size_t done = 0;
    if (prefix_used_ < prefix_.size()) {
      done = std::min(n, prefix_.size() - prefix_used_);
      std::memcpy(dst, prefix_.data() + prefix_used_, done);
      prefix_used_ += done;
    }
    while (done < n) {
      const ssize_t r = ::read(fd_, dst + done, n - done);
      if (r == 0) break;
      if (r < 0) {
        if (errno == EINTR) continue;
        error_ = std::strerror(errno);
        break;
      }
      done += static_cast<std::size_t>(r);
      read_.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
    }
    return done;
  }
  [[nodiscard]] std::uint64_t position() const override {
    return read_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] bool seekable() const override { return regular_; }
  bool seek(std::uint64_t offset) override {
    if (!regular_) return ByteSource::seek(offset);
    prefix_.clear();
    prefix_used_ = 0;
    if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
      error_ = std::strerror(errno);
      return false;
    }
    read_.store(offset, std::memory_order_relaxed);
    return true;
  }
  // The first octets, read once to tell the format; served again by read().
  std::size_t peek(std::byte* dst, std::size_t n) {
    prefix_.clear();
    prefix_used_ = 0;
    std::vector<std::byte> first(n);
    const std::size_t got = read(first.data(), n);
    first.resize(got);
    std::memcpy(dst, first.data(), got);
    prefix_ = std::move(first);
    return got;
  }

 private:
  int fd_;
  bool owned_;
  bool regular_;
  std::vector<std::byte> prefix_;
  std::size_t prefix_used_ = 0;
  std::atomic<std::uint64_t> read_{0};  // octets read from fd_ (the prefix counted once)
};

constexpr std::size_t kInputBlock = std::size_t{1} << 18;

// A decompressor's input block, not zeroed (only what read() wrote is ever read).
class InputBuffer {
 public:
  explicit InputBuffer(std::size_t size)
      : data_(std::make_unique_for_overwrite<std::byte[]>(size)), size_(size) {}
  [[nodiscard]] std::byte* data() { return data_.get(); }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t size_;
};

// gzip (RFC 1952) members, one after another, through zlib.
class GzipSource : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<ByteSource> in) : in_(std::move(in)), buffer_(kInputBlock) {
    compression_ = Compression::gzip;
    // 15 + 16: a gzip wrapper (RFC 1952), the largest window.
    ok_ = inflateInit2(&z_, 15 + 16) == Z_OK;
    if (!ok_) error_ = "zlib could not start";
  }
  ~GzipSource() override {
    if (ok_) inflateEnd(&z_);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  std::size_t read(std::byte* dst, std::size_t n) override {
    if (!ok_ || done_) return 0;
    z_.next_out = reinterpret_cast<Bytef*>(dst);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out > 0) {
      if (z_.avail_in == 0) {
        const std::size_t got = in_->read(buffer_.data(), buffer_.size());
        if (got == 0) {
          // The input ended: between members is its end; inside one it was cut short.
          if (in_member_)
            fail(in_->error().empty() ? where("gzip stream cut short") : in_->error());
          done_ = true;
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(buffer_.data());
        z_.avail_in = static_cast<uInt>(got);
        read_in_ += got;
      }
      in_member_ = true;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        inflateReset(&z_);  // another member may follow
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail(where(std::string("gzip stream corrupt: ") +
                   (z_.msg != nullptr ? z_.msg : "zlib error")));
        break;
      }
    }
    out_ += n - z_.avail_out;
    return n - z_.avail_out;
  }

 private:
  // The compressed file's offset, and the decompressed capture's, where it went wrong.
  [[nodiscard]] std::string where(const std::string& what) const {
    return what + " at compressed offset " + std::to_string(read_in_ - z_.avail_in) +
           " (decompressed offset " + std::to_string(out_) + ")";
  }
  void fail(std::string why) {
    error_ = std::move(why);
    done_ = true;
  }
  std::unique_ptr<ByteSource> in_;
  InputBuffer buffer_;
  z_stream z_{};
  bool ok_ = false, done_ = false, in_member_ = false;
  std::uint64_t read_in_ = 0, out_ = 0;  // compressed octets read; decompressed handed out

 public:
  [[nodiscard]] std::uint64_t position() const override { return in_->position(); }

 private:
};

// Zstandard (RFC 8878) frames through libzstd's streaming decompression.
class ZstdSource : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<ByteSource> in)
      : in_(std::move(in)), buffer_(ZSTD_DStreamInSize()), z_(ZSTD_createDStream()) {
    compression_ = Compression::zstd;
    if (z_ == nullptr) error_ = "libzstd could not start";
  }
  ~ZstdSource() override { ZSTD_freeDStream(z_); }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  std::size_t read(std::byte* dst, std::size_t n) override {
    if (z_ == nullptr || done_) return 0;
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos < out.size) {
      if (in_pos_ == in_size_) {
        in_size_ = in_->read(buffer_.data(), buffer_.size());
        in_pos_ = 0;
        read_in_ += in_size_;
        if (in_size_ == 0) {
          if (in_frame_)
            fail(in_->error().empty() ? where("zstd stream cut short", out.pos) : in_->error());
          done_ = true;
          break;
        }
      }
      ZSTD_inBuffer in{buffer_.data(), in_size_, in_pos_};
      const std::size_t rc = ZSTD_decompressStream(z_, &out, &in);
      in_pos_ = in.pos;
      if (ZSTD_isError(rc)) {
        fail(where(std::string("zstd stream corrupt: ") + ZSTD_getErrorName(rc), out.pos));
        break;
      }
      in_frame_ = rc != 0;  // 0: a frame ended exactly here
    }
    out_ += out.pos;
    return out.pos;
  }

 private:
  // The compressed file's offset, and the decompressed capture's, where it went wrong.
  [[nodiscard]] std::string where(const std::string& what, std::size_t pending) const {
    return what + " at compressed offset " + std::to_string(read_in_ - (in_size_ - in_pos_)) +
           " (decompressed offset " + std::to_string(out_ + pending) + ")";
  }
  void fail(std::string why) {
    error_ = std::move(why);
    done_ = true;
  }
  std::unique_ptr<ByteSource> in_;
  InputBuffer buffer_;
  std::size_t in_size_ = 0, in_pos_ = 0;
  std::uint64_t read_in_ = 0, out_ = 0;  // compressed octets read; decompressed handed out

 public:
  [[nodiscard]] std::uint64_t position() const override { return in_->position(); }

 private:
  ZSTD_DStream* z_;
  bool done_ = false, in_frame_ = false;
};

// Octets held in memory (open_memory): seekable when they are a file's own.
class MemorySource : public ByteSource {
 public:
  MemorySource(std::span<const std::byte> data, bool seekable) : data_(data), seekable_(seekable) {}
  std::size_t read(std::byte* dst, std::size_t n) override {
    const std::size_t done = pos_ < data_.size() ? std::min(n, data_.size() - pos_) : 0;
    if (done > 0) std::memcpy(dst, data_.data() + pos_, done);
    pos_ += done;
    return done;
  }
  [[nodiscard]] bool seekable() const override { return seekable_; }
  bool seek(std::uint64_t offset) override {
    if (!seekable_) return ByteSource::seek(offset);
    pos_ = static_cast<std::size_t>(std::min<std::uint64_t>(offset, data_.size()));
    return true;
  }

 private:
  std::span<const std::byte> data_;
  bool seekable_;
  std::size_t pos_ = 0;

 public:
  [[nodiscard]] std::uint64_t position() const override { return pos_; }
};

// `in` decompressed when its first octets (`magic`, `got` of them) say so.
std::unique_ptr<ByteSource> decompressing(std::unique_ptr<ByteSource> in, const std::byte* magic,
                                          std::size_t got) {
  if (got >= 2 && magic[0] == std::byte{0x1f} && magic[1] == std::byte{0x8b})
    return std::make_unique<GzipSource>(std::move(in));
  if (got >= 4 && magic[0] == std::byte{0x28} && magic[1] == std::byte{0xb5} &&
      magic[2] == std::byte{0x2f} && magic[3] == std::byte{0xfd})
    return std::make_unique<ZstdSource>(std::move(in));
  return in;
}

}  // namespace

std::unique_ptr<ByteSource> open_memory(std::span<const std::byte> data, bool seekable) {
  return decompressing(std::make_unique<MemorySource>(data, seekable), data.data(), data.size());
}

std::unique_ptr<ByteSource> open_source(const std::string& path) {
  int fd = STDIN_FILENO;
  bool owned = false, regular = false;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw CaptureError(path + ": " + std::strerror(errno));
    owned = true;
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (owned) ::close(fd);
      throw CaptureError(path + ": Is a directory");
    }
    regular = S_ISREG(st.st_mode);
  }
  auto file = std::make_unique<FileSource>(fd, owned, regular);
  std::byte magic[4] = {};
  const std::size_t got = file->peek(magic, sizeof magic);
  return decompressing(std::move(file), magic, got);
}

// Room for `n` octets from start_ in buffer_, what is left moved to its front. The buffer
// starts at kFirstBlock and doubles up to kBlock, so a small file costs no megabyte; it is not
// zeroed (only what was read or copied into it is ever read).
void ByteReaderBuffer::grow(std::size_t n) {
  const std::size_t left = end_ - start_;
  const std::size_t want =
      std::max(n, capacity_ == 0 ? kFirstBlock : std::min(kBlock, 2 * capacity_));
  if (want > capacity_) {
    auto bigger = std::make_unique_for_overwrite<std::byte[]>(want);
    if (left > 0) std::memcpy(bigger.get(), base_ + start_, left);
    buffer_ = std::move(bigger);
    capacity_ = want;
  } else if (left > 0) {
    std::memmove(buffer_.get(), base_ + start_, left);
  }
  base_ = buffer_.get();
  start_ = 0;
  end_ = left;
}

void ByteReaderBuffer::leave_stitch() {
  // The stitched record is read: go on in the block, after what was copied of it.
  stitched_ = false;
  base_ = block_.data();
  start_ = in_block_;
  end_ = block_.size();
}

bool ByteReaderBuffer::ensure_lent(std::size_t n) {
  while (end_ - start_ < n) {
    if (stitched_ && in_block_ < block_.size()) {  // copy more of the block's head
      const std::size_t want = n - (end_ - start_);
      const std::size_t take = std::min(want, block_.size() - in_block_);
      if (end_ + take > capacity_) grow(end_ - start_ + take);
      std::memcpy(buffer_.get() + end_, block_.data() + in_block_, take);
      in_block_ += take;
      end_ += take;
      continue;
    }
    if (eof_) return false;
    // The block (or the stitch) is used up but for a record's start: keep that start, take
    // the next block (the one lent so far goes back to the source).
    const std::size_t left = end_ - start_;
    if (left > 0 || stitched_) {
      if (!stitched_ || start_ > 0) grow(std::max(n, left));
    } else {
      start_ = end_ = 0;
    }
    block_ = source_.next_block();
    in_block_ = 0;
    if (block_.empty()) {
      eof_ = true;
      stitched_ = false;
      if (left == 0) base_ = buffer_.get();
      return false;
    }
    if (left == 0) {  // nothing to stitch: read the block in place
      stitched_ = false;
      base_ = block_.data();
      start_ = 0;
      end_ = block_.size();
    } else {
      stitched_ = true;
    }
  }
  return true;
}

bool ByteReaderBuffer::ensure(std::size_t n) {
  if (end_ - start_ >= n) return true;
  if (lent_) return ensure_lent(n);
  if (eof_) return false;
  if (n > capacity_ - start_) grow(n);
  while (end_ - start_ < n) {
    const std::size_t got = source_.read(buffer_.get() + end_, capacity_ - end_);
    if (got == 0) {
      eof_ = true;
      return false;
    }
    end_ += got;
  }
  return true;
}

bool ByteReaderBuffer::skip(std::uint64_t n) {
  while (n > 0) {
    if (available() == 0 && !ensure(1)) return false;
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, available()));
    consume(step);
    n -= step;
  }
  return true;
}

bool ByteReaderBuffer::seek(std::uint64_t offset) {
  if (!source_.seek(offset)) return false;
  block_ = {};
  stitched_ = false;
  base_ = buffer_.get();
  start_ = end_ = 0;
  offset_ = offset;
  eof_ = false;
  return true;
}

}  // namespace rpctrace::pcap
