// The frames a run reads: one or several capture files merged by timestamp, or a live
// interface through libpcap, with an optional BPF filter expression on either.
//
// Several files are merged as mergecap merges them: by timestamp, a frame of a later file
// first when two are equal (as mergecap picks), numbered 1.. in the merged order; each frame also
// keeps its file and its number there (common::frame_names() names it "FILE:NUMBER"). A file is
// opened when the merge reaches its first frame, so a ring buffer of a thousand files holds one or
// two open at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/pcap/capture_reader.hpp"

namespace rpctrace::pcap {

// What a run read from one file (or the live interface), for the statistics.
struct InputFile {
  std::string name;       // as given; "standard input" for "-"; the interface
  std::string format;     // "pcap", "pcapng (gzip)", "NetMon 2.3", "live"
  std::string link_type;  // of the first interface, as libpcap names it
  std::uint64_t frames = 0;
  std::string damage;  // set when reading stopped on damage (the offset named)
};

// Counts of the readers that are no frames: blocks skipped, packets of no interface, and a
// live capture's drops (pcap_stats).
struct InputCounters {
  std::uint64_t blocks_skipped = 0;  // pcapng blocks of other types, NetMon 2.x pseudo-records
  std::uint64_t packets_bad_interface = 0;  // pcapng packets naming an undescribed interface
  std::uint64_t filtered_out = 0;           // frames of a file that did not match the BPF filter
  std::optional<std::uint64_t> dropped_by_kernel, dropped_by_interface;  // live only
  std::vector<std::string> notes;  // the first of each kind, with file and offset
};
void append_counter_rows(const InputCounters& c, common::CounterRows& rows);

// How far the reading is: octets of the files read so far and their sizes (0: unknown, as
// for standard input and a live capture).
struct InputProgress {
  std::uint64_t done = 0;
  std::uint64_t total = 0;
};

class Input {
 public:
  enum class Status {
    frame,  // `frame` holds the next frame (valid until the next call)
    idle,   // live: nothing arrived for a while; ask again (a chance to look at signals)
    end,
  };
  virtual ~Input() = default;
  virtual Status next(Frame& frame) = 0;
  // Every file so far, in the order given (damage per file).
  [[nodiscard]] virtual std::vector<InputFile> files() const = 0;
  [[nodiscard]] virtual InputCounters counters() const = 0;
  // The process tables of the files (NetMon 2.2+, seekable), read when they were opened.
  [[nodiscard]] virtual std::vector<ProcessInfo> processes() const { return {}; }
  // Stops a live capture from a signal handler (async-signal-safe); files ignore it.
  virtual void interrupt() {}
  [[nodiscard]] virtual InputProgress progress() const { return {}; }
};

// Compressed files merged at most this many to a run are each read ahead by a thread.
inline constexpr std::size_t kMaxReadAheadFiles = 4;

struct InputOptions {
  std::vector<std::string> files;  // "-": standard input (at most once)
  std::string interface;           // live capture instead of files ("any": every interface)
  std::string filter;              // BPF expression (pcap-filter(7)); empty: every frame
  bool promiscuous = true;         // live: as tcpdump does unless -p
  // Compressed files read by a thread of their own ahead of the pipeline (--threads 2 and
  // more); only while at most kMaxReadAheadFiles files are given (each holds 4 MiB of blocks).
  bool read_ahead = false;
};

// Opens the files or the interface. Throws CaptureError when a file is no capture, the
// interface cannot be opened, or the filter does not compile (the message names which).
std::unique_ptr<Input> open_input(const InputOptions& options);

}  // namespace rpctrace::pcap
