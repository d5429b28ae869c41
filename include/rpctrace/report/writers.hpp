// The two output formats. Both write to a FILE* (stdout normally) and report statistics.
//
// TextWriter: conversations in order of first frame, each a block of KB159298-style frame
//   lines; a conversation's block is printed once it and every earlier conversation ended.
//   The closing statistics go to `stats_out` (stderr by default, so stdout stays the report).
// JsonlWriter: one JSON object per line, in capture order: "pdu", "tcp" (SYN/FIN/RST frames)
//   and "note" records as they happen, a "conversation" record when a conversation ends, and a
//   final "stats" record. Schema: docs/jsonl.md.
#pragma once

#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/common/boxed.hpp"
#include "rpctrace/common/id_map.hpp"
#include "rpctrace/report/json.hpp"
#include "rpctrace/report/spill_file.hpp"
#include "rpctrace/report/text_chunks.hpp"

namespace rpctrace::report {

using analysis::CallRecord;
using analysis::Conversation;
using analysis::EpmLink;
using analysis::FrameRecord;
using analysis::Statistics;

// The timeline's time column (-t, tshark's letters): delta since the conversation's previous
// frame (d, the default), since its first frame (r), time of day UTC (u) or local (a), date and
// time UTC (ud) or local (ad), seconds since the epoch (e).
enum class TimeFormat : std::uint8_t { delta, relative, utc, utc_date, local, local_date, epoch };

struct PduText;  // src/report/pdu_text.hpp

class TextWriter : public analysis::Sink {
 public:
  // `summary`: conversation headers only, no frame lines. `max_ended_waiting` 0: every
  // conversation is printed as it ends (live capture), not in the order of first frames.
  // `max_buffered_text`: kMaxBufferedText but for tests.
  TextWriter(std::FILE* out, std::FILE* stats_out, bool summary = false,
             std::size_t max_ended_waiting = kMaxEndedWaiting,
             std::size_t max_buffered_text = kMaxBufferedText);
  ~TextWriter() override;
  void set_time_format(TimeFormat t) { time_format_ = t; }
  void frame(const FrameRecord& f) override;
  void conversation_end(const Conversation& c) override;
  void finish(const Statistics& s, const analysis::EpmLinks& links) override;

  // Frames of a conversation not (yet) shown are formatted only up to this many, so traffic
  // that is not DCE/RPC costs little; if it is shown later the footer says how many were cut.
  static constexpr std::size_t kMaxHiddenFrames = 64;
  // Text of conversations waiting behind an older one still open, kept in memory up to this
  // many bytes; past it, it is moved to a temporary file and read back in order.
  static constexpr std::size_t kMaxBufferedText = 64u << 20;
  // Ended conversations waiting behind an older one still open. Past it, the oldest of them are
  // printed ahead of it, each marked, so memory does not grow with the capture while one long
  // connection stays open (the open ones are bounded by the connection table).
  static constexpr std::size_t kMaxEndedWaiting = 65536;

 private:
  struct Block {
    TextChunks::Text text;                                       // formatted, not yet printed
    std::vector<std::pair<std::uint64_t, std::size_t>> spilled;  // earlier text, in spill_
    bool ended = false;
    bool shown = false;
    bool header_printed = false;  // the head conversation streams its lines directly
    std::uint64_t lines = 0, omitted = 0;
    common::Endpoint client, server;
    bool roles_from_syn = false;
    analysis::Protseq protseq = analysis::Protseq::ncacn_ip_tcp;
    analysis::EpmLinkPtr epm_link;
    analysis::OwningProcessPtr process;
    std::optional<common::Timestamp> first;  // its first frame's time (-t r)
    // ncadg_ip_udp: the flows its datagrams came on besides client <-> server (a server that
    // answers from another port), for the Wireshark filter of the whole conversation.
    std::vector<std::pair<common::Endpoint, common::Endpoint>> other_flows;
    // Set when it ends (only an ended block is retired): on the heap, as most blocks are of
    // open conversations.
    common::Boxed<Conversation> conv;
  };
  void format_frame(const FrameRecord& f, const Block& b, std::string& out);
  PduText& pdu_text();
  // The frame number's column (right-aligned) and the time column's least width.
  static constexpr std::size_t kNumberWidth = 6;
  static constexpr std::size_t kTimeWidth = 10;
  using TimeColumn = std::array<char, 64>;  // the longest: "2026-12-04 20:03:55.123456"
  [[nodiscard]] std::string_view time_column(const FrameRecord& f, const Block& b,
                                             TimeColumn& buf) const;
  void print_header(std::uint64_t id, Block& b);
  void print_buffered(Block& b);
  void spill(Block& b);
  void flush_ready();
  void print_ended_early();
  void retire(std::uint64_t id, Block& b);
  std::FILE* out_;
  std::FILE* stats_out_;
  bool summary_ = false;
  TimeFormat time_format_ = TimeFormat::delta;
  std::size_t max_buffered_text_;
  SpillFile spill_;
  std::size_t buffered_ = 0;
  TextChunks chunks_;  // the blocks' text; declared before blocks_, which it must outlive
  // By (group, conversation id): an EPM lookup's conversation, then the same client's
  // connections to the ports it answered, then the next group. The first is the head.
  using Key = std::pair<std::uint64_t, std::uint64_t>;
  Block& block(std::uint64_t id, std::uint64_t group);
  std::map<Key, Block> blocks_;
  // Conversation id -> its block in blocks_ (a map's nodes stay put): one flat look-up a
  // frame instead of two ordered ones. Erased before its block is.
  common::IdMap<Block*> block_of_;
  std::uint64_t printed_ = 0;
  std::size_t max_ended_waiting_;
  std::size_t ended_waiting_ = 0;  // blocks ended but not printed
  bool head_interrupted_ = false;  // blocks were printed inside the streaming head's lines
  std::string scratch_;
  // One PDU's lines, reused from PDU to PDU (pdu_text.hpp): made at the first PDU.
  std::unique_ptr<PduText> pdu_text_;
};

class JsonlWriter : public analysis::Sink {
 public:
  // `summary`: conversation and stats records only.
  explicit JsonlWriter(std::FILE* out, bool summary = false) : out_(out), summary_(summary) {}
  void frame(const FrameRecord& f) override;
  void conversation_end(const Conversation& c) override;
  void finish(const Statistics& s, const analysis::EpmLinks& links) override;

 private:
  void emit(const JsonLine& j);
  void endpoints(JsonLine& j, const FrameRecord& f);
  void segment_record(JsonLine& j, const FrameRecord& f);
  void event_record(JsonLine& j, const FrameRecord& f, const analysis::CarrierEvent& e);
  std::FILE* out_;
  bool summary_ = false;
  common::TimestampFormatter timestamps_;
  JsonLine line_;
  void flush_pending(std::uint64_t conversation, bool write);
  void put(const FrameRecord& f, const JsonLine& j);
  // Records of a conversation not yet known to be shown (no DCE/RPC yet, or not yet matching
  // --interface/--opnum), held until it is (at most kMaxPendingRecords each; more are counted
  // in the stats record's not_decoded).
  static constexpr std::size_t kMaxPendingRecords = 64;
  std::map<std::uint64_t, std::vector<std::string>> pending_;
  std::uint64_t dropped_ = 0;
};

// Text of the closing statistics block (also used by tests).
std::string format_statistics(const Statistics& s);
// The closing "stats" JSON record; `records_dropped`: the JSON Lines writer's held records that
// passed its bound.
void write_statistics_json(const Statistics& s, JsonLine& j, std::uint64_t records_dropped = 0);

}  // namespace rpctrace::report
