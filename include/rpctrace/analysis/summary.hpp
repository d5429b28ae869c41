// Summaries: one record per conversation with its whole story (how it began, what it bound,
// who authenticated, what it called and what came back, how long things took, how it ended,
// and a one-word verdict), and the per-operation response-time table of a whole capture.
// Both are built by one Sink from the records the Tracker hands out, so they know no carrier:
// the handshake and the end come from a frame's segment flags, the rest from PDUs and calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rpctrace/analysis/op_stats.hpp"
#include "rpctrace/analysis/sink.hpp"

namespace rpctrace::analysis {

// One word for how a conversation went, the first that applies in this order (docs/summary.md):
//   refused     the server said no: a RST answered the SYN, a bind_nak, a bind_ack rejecting
//               every context, a pipe's open refused, an RPC proxy's 4xx/5xx answer
//   unanswered  the client asked and nothing came back: a SYN never answered, or a bind or a
//               call left unanswered on a connection that then ended (not at the capture's end)
//   faulted     a call was answered by a fault PDU
//   failed      a call returned an error code, or a connectionless reject refused it
//   incomplete  the capture does not hold the whole story: picked up mid-stream with no bind, a
//               call still open when the capture ended, or bytes missing (a gap)
//   ok          none of these
enum class Verdict : std::uint8_t { ok, refused, unanswered, faulted, failed, incomplete };
std::string_view to_string(Verdict v);

// How a conversation ended, in the words of its carrier's last frames: "fin", "rst", "idle"
// (evicted after the idle timeout), "capture_end", "evicted" (the flow table was full),
// "port_reused", "joined" (RPC over HTTP: a channel of another conversation's connection).
std::string_view ending_of(const Conversation& c, bool fin, bool rst);

// A presentation context the conversation proposed, and what the server said of it.
struct BoundInterface {
  dcerpc::SyntaxId interface;
  // "accepted", "user_rejection", "provider_rejection" (with `reason`), "bind_nak" (with the
  // nak's reason), "unanswered" (no bind_ack seen).
  std::string result = "unanswered";
  std::uint16_t reason = 0;
};

// An error answer and how often it came: a fault's status, or a failure return code.
struct ErrorCount {
  bool fault = false;  // else a return code (`type` says which space)
  std::uint32_t value = 0;
  dcerpc::ReturnType type = dcerpc::ReturnType::unknown;
  std::uint64_t count = 0;
};

struct ConversationSummary {
  Conversation conv;  // addresses, protseq, pipes, times, bytes, EPM origin, end reason ...
  // "handshake" (its SYN captured), "mid_stream" (its first frame carried no SYN: it began
  // before the capture), "datagram" (connectionless: no connection to open).
  std::string began;
  std::string ended;                             // ending_of()
  std::optional<std::int64_t> handshake_rtt_us;  // SYN to the ACK of the SYN/ACK (Wireshark's iRTT)
  std::optional<std::int64_t> bind_rtt_us;       // first bind to its bind_ack or bind_nak
  std::vector<BoundInterface> bound;             // in order of proposal, at most kMaxBound
  // The first verifier's provider and level (MS-RPCE 2.2.1.1.7, 2.2.1.1.8); 0 when none.
  std::uint8_t auth_type = 0, auth_level = 0;
  std::string account;  // DOMAIN\user from NTLMSSP or Netlogon, or the SMB session's account
  std::vector<OpKey> operations;  // in order of first call; their tallies in `ops`
  std::map<OpKey, OpTally> ops;
  OpTally all;                                // every call of the conversation
  std::uint64_t calls_not_listed = 0;         // calls of operations past kMaxOperations
  std::uint64_t answers_without_request = 0;  // responses and faults whose request was not captured
  std::vector<ErrorCount> errors;             // most frequent first
  std::uint64_t gaps = 0;                     // bytes-missing notes
  Verdict verdict = Verdict::ok;
  std::string why;  // one line: what decided the verdict (empty for ok)
  static constexpr std::size_t kMaxBound = 64;
  static constexpr std::size_t kMaxOperations = 1024;  // more are tallied in `all` only
  static constexpr std::size_t kMaxErrors = 32;
};

// Builds a ConversationSummary per shown conversation (in order of their end) and the
// capture's per-operation table over the same conversations. `on_summary` may be empty.
class Summarizer : public Sink {
 public:
  using Handler = std::function<void(const ConversationSummary&)>;
  explicit Summarizer(Handler on_summary) : on_summary_(std::move(on_summary)) {}
  void frame(const FrameRecord& f) override;
  void call(const CallRecord& c) override;
  void conversation_end(const Conversation& c) override;
  void finish(const Statistics& s, const EpmLinks& links) override;

  [[nodiscard]] const OpTable& operations() const { return table_; }
  // Calls of operations past a conversation's kMaxOperations: in no row of the table.
  [[nodiscard]] std::uint64_t calls_not_listed() const { return calls_not_listed_; }
  // Answers whose request the capture lacks (no opnum to file them under).
  [[nodiscard]] std::uint64_t answers_without_request() const { return answers_without_request_; }
  [[nodiscard]] const Statistics& statistics() const { return stats_; }

 private:
  struct Open {
    ConversationSummary s;
    std::optional<common::Timestamp> syn, syn_ack, bind;
    Direction syn_dir = 0;
    bool fin = false, rst = false, handshake_done = false, reset_before_answer = false;
    bool server_spoke = false;  // any frame from the server side (a SYN/ACK, a PDU, ...)
    bool bind_seen = false, calls_open_at_end = false;
    std::vector<dcerpc::ContextElement> proposing;  // the last bind's or alter_context's
    std::string refused;                            // why, when refused
  };
  void pdu(Open& o, const FrameRecord& f, const ReportedPdu& p);
  void event(Open& o, const CarrierEvent& e);
  static void decide(Open& o);
  Handler on_summary_;
  std::unordered_map<std::uint64_t, Open> open_;
  OpTable table_;
  std::uint64_t calls_not_listed_ = 0, answers_without_request_ = 0;
  Statistics stats_;
};

}  // namespace rpctrace::analysis
