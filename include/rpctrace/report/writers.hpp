// The two output formats. Both write to a FILE* (stdout normally) and report statistics.
//
// TextWriter: conversations in order of first frame, each a block of KB159298-style frame
//   lines; a conversation's block is printed once it and every earlier conversation ended.
//   The closing statistics go to `stats_out` (stderr by default, so stdout stays the report).
// JsonlWriter: one JSON object per line, in capture order: "pdu", "tcp" (SYN/FIN/RST frames)
//   and "note" records as they happen, a "conversation" record when a conversation ends, and a
//   final "stats" record. Schema: docs/jsonl.md.
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rpctrace/report/json.hpp"
#include "rpctrace/report/model.hpp"

namespace rpctrace::report {

class TextWriter : public Writer {
 public:
  // `summary`: conversation headers only, no frame lines.
  TextWriter(std::FILE* out, std::FILE* stats_out, bool summary = false)
      : out_(out), stats_out_(stats_out), summary_(summary) {}
  void frame(const FrameRecord& f) override;
  void conversation_end(const Conversation& c) override;
  void finish(const Statistics& s) override;

 private:
  // Frames of a conversation not (yet) shown are formatted only up to this many, so traffic
  // that is not DCE/RPC costs little; if it is shown later the header says how many were cut.
  static constexpr std::size_t kMaxHiddenFrames = 64;
  struct Block {
    std::string text;
    std::uint64_t lines = 0;
    std::uint64_t omitted = 0;
    bool ended = false;
    bool shown = false;
    Conversation conv;
  };
  void flush_ready();
  std::FILE* out_;
  std::FILE* stats_out_;
  bool summary_ = false;
  std::map<std::uint64_t, Block> blocks_;  // by conversation id
  std::uint64_t printed_ = 0;
};

class JsonlWriter : public Writer {
 public:
  // `summary`: conversation and stats records only.
  explicit JsonlWriter(std::FILE* out, bool summary = false) : out_(out), summary_(summary) {}
  void frame(const FrameRecord& f) override;
  void conversation_end(const Conversation& c) override;
  void finish(const Statistics& s) override;

 private:
  void emit(const JsonLine& j);
  void endpoints(JsonLine& j, const FrameRecord& f);
  std::FILE* out_;
  bool summary_ = false;
  common::TimestampFormatter timestamps_;
  JsonLine line_;
  // "tcp" records of a conversation not yet known to carry DCE/RPC, held until it is shown.
  std::map<std::uint64_t, std::vector<std::string>> pending_;
  std::map<std::uint64_t, bool> shown_;
};

// Text of the closing statistics block (also used by tests).
std::string format_statistics(const Statistics& s);

}  // namespace rpctrace::report
