// Writers of one line per call, in the order calls end: the text of `--calls` (long sealed
// conversations read call by call, not frame by frame) and `--format zeek`, records shaped
// like Zeek's dce_rpc.log in its JSON form (docs/zeek.md).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/common/uuid.hpp"

namespace rpctrace::report {

// Calls of shown conversations, in the order they end: a call of a conversation not yet known
// to be shown waits for its end (a time window can show it late), then goes or is dropped.
class ShownCalls : public analysis::Sink {
 public:
  void frame(const analysis::FrameRecord& /*f*/) override {}
  void call(const analysis::CallRecord& c) override;
  void conversation_end(const analysis::Conversation& c) override;
  static constexpr std::size_t kMaxWaiting = 4096;  // per conversation; more are dropped, counted

 protected:
  virtual void shown_call(const analysis::CallRecord& c) = 0;
  std::uint64_t dropped_ = 0;  // calls past kMaxWaiting of a conversation shown late

 private:
  std::map<std::uint64_t, std::vector<analysis::CallRecord>> waiting_;
};

class CallLineWriter : public ShownCalls {
 public:
  // The statistics go to `stats_out` at the end, as the timeline writes them.
  CallLineWriter(std::FILE* out, std::FILE* stats_out) : out_(out), stats_out_(stats_out) {}
  void finish(const analysis::Statistics& s, const analysis::EpmLinks& /*l*/) override;

 private:
  void shown_call(const analysis::CallRecord& c) override;
  std::FILE* out_;
  std::FILE* stats_out_;
  std::string line_;
  bool header_ = false;
};

// --format zeek: a dce_rpc.log record per answered call, as Zeek writes them (docs/zeek.md):
// ts (the request's last fragment), uid (the carrier connection's, stable in a run), id.*
// (the connection's originator and responder), rtt (to the response's last fragment; absent
// when zero), named_pipe (the bind_ack's secondary address: the pipe, or a port), endpoint and
// operation by Zeek's own tables. As Zeek: faults and calls never answered are not logged,
// nor Zeek's default ignored operations. Calls not logged are counted on the statistics.
class ZeekWriter : public ShownCalls {
 public:
  ZeekWriter(std::FILE* out, std::FILE* stats_out) : out_(out), stats_out_(stats_out) {}
  void frame(const analysis::FrameRecord& f) override;  // bind_ack secondary addresses
  void conversation_end(const analysis::Conversation& c) override;
  void finish(const analysis::Statistics& s, const analysis::EpmLinks& /*l*/) override;

  // Zeek's names: "samr", "unknown-<uuid>"; "SamrConnect5", "unknown-<opnum>".
  static std::string endpoint_name(const common::Uuid& u);
  static std::string operation_name(const common::Uuid& u, std::uint16_t opnum);
  // The connection uid Zeek's form takes: "C" and base62 digits, from the conversation.
  static std::string uid(std::uint64_t conversation, const common::Endpoint& orig,
                         const common::Endpoint& resp);

 private:
  void shown_call(const analysis::CallRecord& c) override;
  std::FILE* out_;
  std::FILE* stats_out_;
  // By (conversation, pipe id; 0 on the conversation's own stream): the last bind_ack's sec_addr.
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::string> sec_addr_;
  std::uint64_t logged_ = 0, not_answered_ = 0, faults_ = 0, ignored_ = 0, no_interface_ = 0;
};

}  // namespace rpctrace::report
