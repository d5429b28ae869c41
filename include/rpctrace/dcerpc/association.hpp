// Association: the DCE/RPC state of one TCP connection.
//
// It frames each direction's byte stream into PDUs (finding DCE/RPC on any port by the
// common header alone), keeps the presentation contexts (p_cont_id -> abstract syntax) from
// bind/alter_context and their acks, pairs responses and faults with their request by
// call_id, reassembles multi-fragment calls (bounded), resynchronises after gaps, and reports
// everything to an Observer. See docs/design.md for the framing modes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

using Direction = std::uint8_t;  // as tcp::Direction: 0 from endpoint[0], 1 towards it

struct FrameRef {
  std::uint64_t frame = 0;
  common::Timestamp ts;
};

// One PDU, decoded and labelled. Owns its values; the stub pointers are only valid during
// Observer::on_pdu().
struct PduEvent {
  FrameRef at;
  Direction dir = 0;
  CommonHeader header;
  Body body;
  std::optional<SecTrailer> sec_trailer;
  std::uint16_t auth_value_length = 0;
  common::Bytes auth_value;  // the verifier's octets; valid only during Observer::on_pdu()
  // Labels from the association.
  std::optional<SyntaxId> interface;        // the context's abstract syntax
  bool interface_inferred = false;          // no bind seen: the interface an EPM lookup asked for
  std::optional<SyntaxId> transfer_syntax;  // the context's accepted transfer syntax
  std::optional<std::uint16_t> opnum;       // responses and faults: the request's
  std::optional<std::uint64_t> request_frame;  // responses and faults
  std::optional<std::int64_t> latency_us;      // first response fragment - last request fragment
  // bind_ack / alter_context_resp: the contexts proposed by the matching bind (empty when the
  // bind was not seen), so each result can be named.
  std::vector<ContextElement> proposed;
  // Set on the PDU that completes a call direction (last fragment of a request or response).
  bool call_complete = false;
  std::uint32_t call_fragments = 0;
  std::uint64_t call_stub_length = 0;
  bool call_stub_truncated = false;   // stub not kept whole: not decoded
  bool call_stub_incomplete = false;  // ... because the capture cut a fragment short
  // The capture cut this PDU short (snap length, lost segment, end of capture): only its first
  // `captured` octets were seen and decoded.
  bool truncated = false;
  std::size_t captured = 0;
  const std::vector<std::byte>* call_stub = nullptr;     // when the observer wanted it
  const std::vector<std::byte>* request_stub = nullptr;  // on a completed response
};

enum class NoteKind : std::uint8_t {
  malformed_pdu,     // header valid, body not: the PDU is skipped by frag_length
  lost_sync,         // an invalid header where one was expected: resynchronising
  resynchronised,    // a valid header found again after `bytes` skipped
  picked_up,         // mid-stream: first PDU header found after `bytes` skipped
  partial_pdu_lost,  // a gap cut a PDU: its remaining bytes are skipped
  not_dcerpc,        // the stream does not start with a DCE/RPC header
  ncacn_http,        // "ncacn_http/1.0" preamble skipped (RPC over HTTP v1)
  limit,             // a resource limit was hit (detail says which)
  response_without_request,
};

struct Note {
  FrameRef at;
  Direction dir = 0;
  NoteKind kind = NoteKind::malformed_pdu;
  std::optional<CommonHeader> header;  // for malformed_pdu / partial_pdu_lost
  Reason reason = Reason::count_;      // for malformed_pdu / lost_sync
  std::string detail;
  std::uint64_t bytes = 0;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_pdu(const PduEvent& e) = 0;
  virtual void on_note(const Note& n) = 0;
  // Whether to keep the stub of calls on this interface (EPM decoding needs it).
  virtual bool wants_stub(const SyntaxId& interface) = 0;
};

class Association {
 public:
  Association(Observer& observer, Counters& counters, const AssociationLimits& limits)
      : observer_(observer), counters_(counters), limits_(limits) {}

  // `stream_start` is true when the direction's first byte follows its SYN (so it must be a
  // header); false when the capture began mid-connection.
  void set_stream_start(Direction dir, bool known_start);
  // In-order bytes of direction `dir`, delivered while processing frame `at`.
  // `chunk_start`: these bytes begin a TCP segment's payload.
  void on_data(Direction dir, common::Bytes data, const FrameRef& at, bool chunk_start);
  // `size` bytes of direction `dir` were not captured.
  void on_gap(Direction dir, std::uint64_t size, const FrameRef& at);
  // The connection ended: a PDU still partly buffered is counted and noted.
  void finish(const FrameRef& at);

  // The interface to assume for contexts whose bind was not captured (the one the endpoint
  // mapper was asked for before this connection was made).
  void set_inferred_interface(const SyntaxId& interface) { inferred_interface_ = interface; }

  [[nodiscard]] bool is_rpc() const { return seen_pdu_; }
  [[nodiscard]] std::size_t context_count() const { return contexts_.size(); }
  [[nodiscard]] std::size_t outstanding_calls() const { return calls_.size(); }

 private:
  enum class Mode : std::uint8_t { expect_header, hunting, in_sync, resync, not_rpc };
  struct Stream {
    Mode mode = Mode::hunting;
    std::vector<std::byte> buffer;     // a partial PDU or the tail of a resync scan
    std::uint64_t skip_remaining = 0;  // rest of a PDU a gap cut (known from frag_length)
    std::uint64_t skipped = 0;         // bytes skipped while hunting/resynchronising
    FrameRef last_data;                // frame of the last bytes received (a cut PDU's frame)
  };
  struct Context {
    SyntaxId abstract_syntax;
    std::optional<SyntaxId> transfer_syntax;
    bool accepted = false;  // false until the ack accepts it
  };
  struct Call {
    std::uint16_t opnum = 0;
    std::uint16_t p_cont_id = 0;
    std::optional<SyntaxId> interface;
    bool interface_inferred = false;
    std::optional<SyntaxId> transfer_syntax;
    FrameRef first, last;
    bool request_complete = false;
    bool keep_stub = false;
    std::uint32_t fragments = 0;
    std::uint64_t stub_length = 0;
    bool truncated = false;   // request stub not kept whole (limit or capture)
    bool incomplete = false;  // ... because the capture cut a fragment short
    std::vector<std::byte> request_stub;
    // response side
    bool responding = false;
    std::uint32_t response_fragments = 0;
    std::uint64_t response_stub_length = 0;
    bool response_truncated = false;
    bool response_incomplete = false;
    std::vector<std::byte> response_stub;
    std::uint64_t order = 0;  // for eviction of the oldest
  };

  std::size_t process(Direction dir, common::Bytes input, const FrameRef& at, bool chunk_start);
  std::size_t frame_loop(Direction dir, common::Bytes input, const FrameRef& at);
  void picked_up(Direction dir, const FrameRef& at);  // hunting found the first header
  void handle_pdu(Direction dir, common::Bytes pdu, const FrameRef& at);
  // A PDU cut short by a gap or the end of the connection: report what its octets hold.
  void handle_partial(Direction dir, common::Bytes partial, const FrameRef& at);
  void process(Direction dir, PduView& v, const FrameRef& at);
  void note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
            std::uint64_t bytes = 0);
  Call* call_for_request(Direction dir, const PduView& v, const Request& q, const FrameRef& at);
  void append_stub(std::vector<std::byte>& to, std::uint64_t& length, bool& truncated, bool keep,
                   common::Bytes stub);
  // The context's abstract syntax, else the inferred interface (and *inferred set).
  std::optional<SyntaxId> interface_of(std::uint16_t p_cont_id, bool* inferred = nullptr) const;
  std::optional<SyntaxId> transfer_syntax_of(std::uint16_t p_cont_id) const;

  Observer& observer_;
  Counters& counters_;
  const AssociationLimits& limits_;
  Stream streams_[2];
  std::map<std::uint16_t, Context> contexts_;
  std::map<std::uint32_t, std::vector<ContextElement>> pending_binds_;  // by call_id
  std::unordered_map<std::uint32_t, Call> calls_;                       // by call_id
  std::uint64_t call_order_ = 0;
  bool seen_pdu_ = false;
  std::optional<SyntaxId> inferred_interface_;
};

}  // namespace rpctrace::dcerpc
