// One or several capture files as the frames of one run, merged by timestamp (input.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <queue>

#include "bpf_filter.hpp"
#include "inputs.hpp"

namespace rpctrace::pcap {

namespace {

std::string display(const std::string& path) { return path == "-" ? "standard input" : path; }

class FileSet final : public Input {
 public:
  FileSet(const std::vector<std::string>& paths, const std::string& filter, bool read_ahead)
      : read_ahead_(read_ahead) {
    if (!filter.empty()) filter_ = std::make_unique<BpfFilter>(filter);
    files_.resize(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
      File& f = files_[i];
      f.path = paths[i];
      f.info.name = display(paths[i]);
      if (std::error_code ec; f.path != "-" && std::filesystem::is_regular_file(f.path, ec)) {
        f.size = std::filesystem::file_size(f.path, ec);
        if (ec) f.size = 0;
      }
      sized_ = sized_ && f.size != 0;
      // A single file is read as it comes; several are looked at first for their first
      // timestamp (standard input, which cannot be read twice, stays open).
      open(f);
      if (filter_) {
        if (std::string why = filter_->compile(f.reader->link_type(), f.reader->snaplen());
            !why.empty())
          throw CaptureError(fmt::format("filter \"{}\": {}", filter, why));
      }
      if (paths.size() > 1) {
        f.has_first = f.has_pending = read(f, i);
        if (f.has_first) f.first = f.pending.ts;
        if (f.path != "-") {
          f.reader.reset();
          f.has_pending = false;
          f.info.frames = 0;
        }
      }
    }
    for (std::size_t i = 0; i < files_.size(); ++i) waiting_.push_back(i);
    // Files in the order of their first frame; a file with none goes first (it is read to its
    // end, to count its damage, when first asked).
    std::stable_sort(waiting_.begin(), waiting_.end(), [this](std::size_t a, std::size_t b) {
      const File &x = files_[a], &y = files_[b];
      if (x.has_first != y.has_first) return !x.has_first;
      return x.has_first && x.first < y.first;
    });
  }

  Status next(Frame& frame) override {
    if (last_ != kNone) {  // the file of the frame handed out last moves on
      advance(last_);
      last_ = kNone;
    }
    for (;;) {
      open_due();
      if (active_.empty()) return Status::end;
      const std::size_t index = active_.top().file;
      active_.pop();
      File& f = files_[index];
      // Numbered before the filter, so that a frame keeps the number tshark gives it.
      f.pending.number = ++merged_;
      if (filter_ && !filter_->matches(f.pending)) {
        ++counters_.filtered_out;
        advance(index);
        continue;
      }
      frame = f.pending;
      last_ = index;
      return Status::frame;
    }
  }

  [[nodiscard]] std::vector<InputFile> files() const override {
    std::vector<InputFile> out;
    for (const File& f : files_) out.push_back(f.info);
    return out;
  }

  [[nodiscard]] std::vector<ProcessInfo> processes() const override { return processes_; }

  [[nodiscard]] InputProgress progress() const override {
    InputProgress p;
    if (!sized_) return p;  // standard input, a pipe: no end to measure against
    for (const File& f : files_) {
      p.total += f.size;
      p.done += f.finished ? f.size : f.reader ? std::min(f.size, f.reader->position()) : 0;
    }
    return p;
  }

  [[nodiscard]] InputCounters counters() const override {
    InputCounters c = counters_;
    for (const File& f : files_) {
      if (!f.reader) continue;
      add(c, f.reader->counters(), f.info.name);
    }
    if (filter_ && !filter_->note().empty()) c.notes.push_back(filter_->note());
    return c;
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  struct File {
    std::string path;
    InputFile info;
    std::unique_ptr<CaptureReader> reader;
    Frame pending;
    bool has_pending = false;
    bool has_first = false;  // of the look at the start
    bool processes_read = false;
    bool finished = false;
    std::uint64_t size = 0;  // a regular file's, else 0
    common::Timestamp first;
  };
  struct Due {
    common::Timestamp ts;
    std::size_t file;
    // std::priority_queue puts the greatest first: the earliest frame, and on equal times the
    // later file's, as mergecap picks (its comparison takes a later file's equal time as
    // earlier; checked with Wireshark 4.0's mergecap).
    bool operator<(const Due& o) const { return ts != o.ts ? o.ts < ts : file < o.file; }
  };

  static void add(InputCounters& c, const ReaderCounters& r, const std::string& name) {
    c.blocks_skipped += r.blocks_skipped;
    c.packets_bad_interface += r.packets_bad_interface;
    if (!r.note.empty()) c.notes.push_back(name + ": " + r.note);
  }

  // Opens every file whose first frame is due: none is open, or its first frame comes no
  // later than the earliest pending one.
  void open_due() {
    while (next_waiting_ < waiting_.size()) {
      File& f = files_[waiting_[next_waiting_]];
      if (!active_.empty() && f.has_first && files_[active_.top().file].pending.ts < f.first)
        return;
      const std::size_t index = waiting_[next_waiting_++];
      if (!f.reader) open(f);
      if (!f.has_pending) f.has_pending = read(f, index);
      if (f.has_pending)
        active_.push({f.pending.ts, index});
      else
        done(f);
    }
  }

  // Done with a file: keep its counters, let its buffers go.
  void done(File& f) {
    f.finished = true;
    add(counters_, f.reader->counters(), f.info.name);
    f.reader.reset();
  }

  void open(File& f) {
    f.reader = std::make_unique<CaptureReader>(f.path, read_ahead_);
    f.info.format = f.reader->format();
    f.info.link_type = f.reader->link_type_name();
    if (!f.processes_read) {  // read at open, kept when the file closes
      f.processes_read = true;
      processes_.insert(processes_.end(), f.reader->processes().begin(),
                        f.reader->processes().end());
    }
  }

  // The file's next frame into f.pending; false at its end or damage.
  bool read(File& f, std::size_t index) {
    const auto status = f.reader->next(f.pending);
    if (status == CaptureReader::Status::end) return false;
    if (status == CaptureReader::Status::error) {
      f.info.damage = f.reader->error();
      return false;
    }
    ++f.info.frames;
    f.pending.file = static_cast<std::uint32_t>(index);
    return true;
  }

  void advance(std::size_t index) {
    File& f = files_[index];
    f.has_pending = read(f, index);
    if (f.has_pending) {
      active_.push({f.pending.ts, index});
    } else {
      done(f);
    }
  }

  std::vector<File> files_;
  std::vector<std::size_t> waiting_;  // files by first timestamp
  std::size_t next_waiting_ = 0;
  std::priority_queue<Due> active_;
  std::size_t last_ = kNone;
  std::uint64_t merged_ = 0;
  std::unique_ptr<BpfFilter> filter_;
  bool read_ahead_ = false;
  bool sized_ = true;  // every file has a size (none is standard input or a pipe)
  InputCounters counters_;
  std::vector<ProcessInfo> processes_;
};

}  // namespace

std::unique_ptr<Input> open_files(const std::vector<std::string>& paths, const std::string& filter,
                                  bool read_ahead) {
  return std::make_unique<FileSet>(paths, filter, read_ahead && paths.size() <= kMaxReadAheadFiles);
}

}  // namespace rpctrace::pcap
