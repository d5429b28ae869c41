// -w: the frames of the conversations a run showed, written to a capture file for Wireshark.
//
// The run notes each shown conversation's carrier flow (TCP or UDP, its two endpoints) and its
// first and last frame; a second pass over the input writes every frame of those flows within
// those frames: handshake, retransmissions and teardown included, in the input's order. RPC
// over HTTP v2: a shown virtual connection brings every channel connection it named, up to
// its own last frame; a connectionless conversation brings the flows its answers came on
// from another server port. Standard
// input and live capture cannot be read twice: their frames are kept in a temporary pcapng
// file (a FrameSpool) while the run reads them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/app/run.hpp"
#include "rpctrace/pcap/capture_writer.hpp"
#include "rpctrace/pcap/input.hpp"
#include "rpctrace/pcap/packet.hpp"

namespace rpctrace::app {

// The flows and frame spans of the shown conversations.
class ConversationSlice : public analysis::Sink {
 public:
  void frame(const analysis::FrameRecord& f) override;
  void conversation_end(const analysis::Conversation& c) override;
  void finish(const analysis::Statistics& /*s*/, const analysis::EpmLinks& /*l*/) override;

  // The frame numbered `frame`, decoded as `d`, belongs to a shown conversation.
  [[nodiscard]] bool contains(const pcap::DecodeOutcome& d, std::uint64_t frame) const;
  [[nodiscard]] std::uint64_t conversations() const { return conversations_; }

 private:
  struct Flow {
    bool udp = false;
    common::Endpoint lo, hi;  // ordered, so both directions find it
    friend auto operator<=>(const Flow&, const Flow&) = default;
  };
  struct Span {
    std::uint64_t first = 0, last = 0;
  };
  static Flow flow_of(bool udp, const common::Endpoint& a, const common::Endpoint& b);
  void add(const Flow& f, Span s);

  std::map<Flow, std::vector<Span>> flows_;
  // ncadg_ip_udp: flows a conversation's datagrams came on besides client <-> server (answers
  // from another server port), by conversation, until it ends.
  std::map<std::uint64_t, std::vector<Flow>> other_flows_;
  static constexpr std::size_t kMaxOtherFlows = 16;
  // RPC over HTTP v2: every channel connection's span, and those a shown conversation named.
  std::map<std::uint64_t, std::pair<Flow, Span>> channel_spans_;
  struct Wanted {
    std::uint64_t conversation;  // the channel's own
    Flow flow;
    Span holder;  // the shown conversation that holds the timeline
  };
  std::vector<Wanted> channels_wanted_;
  std::uint64_t conversations_ = 0;
};

// Every frame a run read, kept for a second pass (standard input, live capture).
class FrameSpool {
 public:
  // nullptr with `error` set when no temporary file can be made.
  static std::unique_ptr<FrameSpool> create(std::string& error);
  ~FrameSpool();
  FrameSpool(const FrameSpool&) = delete;
  FrameSpool& operator=(const FrameSpool&) = delete;

  void add(const pcap::Frame& frame);
  // Ends the writing: false with error() set when the spool could not be written.
  bool seal();
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& error() const { return error_; }
  // The run's number of the spool's frame `n` (1-based).
  [[nodiscard]] std::uint64_t number(std::uint64_t n) const;

 private:
  FrameSpool(std::FILE* file, std::string path);
  std::FILE* file_;
  std::string path_;
  std::unique_ptr<pcap::CaptureWriter> writer_;
  std::vector<std::uint64_t> numbers_;
  std::string error_;
};

struct SliceResult {
  std::uint64_t frames = 0;  // written
  pcap::CaptureFormat format = pcap::CaptureFormat::pcap;
  std::string link_types;  // a pcapng's, when several: "EN10MB, RAW"
  std::string error;       // set when the file could not be written (nothing else is said)
};

// Writes the slice to `path` ("-": standard output): pcap unless the name ends in ".pcapng"
// or the frames have several link types. Reads `input` again (the same filter, the same -c),
// or the spool when there is one. Throws pcap::CaptureError as run() does.
SliceResult write_slice(const pcap::InputOptions& input, const RunOptions& options,
                        const ConversationSlice& slice, const std::string& path,
                        const FrameSpool* spool);

}  // namespace rpctrace::app
