// Association: the DCE/RPC state of one connection-oriented channel (a TCP connection, a named
// pipe), fed whole PDUs by a StreamFramer.
//
// It parses each PDU, keeps the presentation contexts (p_cont_id -> abstract syntax) from
// bind/alter_context and their acks, pairs responses and faults with their request by call_id,
// reassembles multi-fragment calls (bounded), and reports every PDU, every note and the end of
// every call to an AssociationObserver.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/flat_map.hpp"
#include "rpctrace/dcerpc/cl.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/note.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

// A connectionless PDU's own facts (ncadg_ip_udp, C706 §12.5): its header and the body of
// the packet types connection-oriented RPC does not have (fack, reject, cancel ...).
struct ClFacts {
  ClHeader header;
  ClBody body;
  // A fragment already received for its call (the sender retransmitted it): not counted again.
  bool duplicate = false;
  std::size_t auth_verifier_length = 0;  // octets after the body when auth_proto is set
  // The verifier's auth_level (MS-RPCE 2.2.3.4 sec_trailer_cl); 0 without one.
  std::uint8_t auth_level = 0;
};

// One PDU, decoded and labelled. Owns its values. A connectionless PDU (cl set) fills the
// fields the two protocols share: header.ptype, packed_drep, call_id (its seqnum), pfc_flags
// first_frag/last_frag (from fragnum and flags1), maybe and object_uuid, frag_length (80 + len,
// at most 65535); body Request/Response/Fault for request, response and fault.
struct PduEvent {
  FrameRef at;
  Direction dir = 0;
  CommonHeader header;
  Body body;
  std::optional<SecTrailer> sec_trailer;
  std::uint16_t auth_value_length = 0;
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
  // On the PDU completing a response: the last four octets of the whole response stub (its
  // fragments joined), where an operation's status return value travels; unset when the stub
  // is sealed (auth level packet privacy), shorter than four octets or cut by the capture.
  std::optional<std::array<std::byte, 4>> stub_tail;
  // The capture cut this PDU short (snap length, lost segment, end of capture): only its first
  // `captured` octets were seen and decoded.
  bool truncated = false;
  std::size_t captured = 0;
  std::optional<ClFacts> cl;  // a connectionless PDU
};

// The bytes behind a PduEvent, valid only during AssociationObserver::on_pdu().
struct PduPayloadView {
  common::Bytes auth_value;                   // the verifier's octets (after the sec_trailer)
  std::optional<common::Bytes> call_stub;     // the completed call direction's stub, when kept
  std::optional<common::Bytes> request_stub;  // on a completed response: its request's stub
};

// How a call ended.
enum class CallOutcome : std::uint8_t {
  response,    // the last fragment of its response arrived
  fault,       // a fault answered it
  orphaned,    // the client abandoned it (C706 §12.6.4.8)
  unanswered,  // the channel ended first (finish())
  forgotten,   // max_outstanding_calls: forgotten before its answer
  superseded,  // a new call reused its call_id (or, connectionless, its activity started the
               // next sequence number) before it was answered
  rejected,    // connectionless: a reject PDU refused it (C706 §12.5.3.8; fault_status holds
               // its status)
  count_
};
std::string_view to_string(CallOutcome o);

// One call, from its request to its end. Owns its values. A response or fault whose request
// was not seen (the capture began after it) ends a call too, with request_seen false: then
// only call_id, the context's interface and the answer's fields are known.
struct CallEnd {
  std::uint32_t call_id = 0;
  bool request_seen = true;
  Direction dir = 0;  // the request's direction
  std::uint16_t opnum = 0;
  std::uint16_t p_cont_id = 0;
  std::optional<SyntaxId> interface;
  bool interface_inferred = false;
  std::optional<SyntaxId> transfer_syntax;
  DataRepresentation packed_drep;        // the request's first fragment's
  std::uint8_t auth_level = 0;           // ... and its sec_trailer's (0: no verifier)
  FrameRef request_first, request_last;  // its first and last request fragments
  bool request_complete = false;         // the request's last fragment was seen
  std::uint32_t request_fragments = 0;
  std::uint64_t request_stub_length = 0;
  std::optional<FrameRef> response_first;  // the first fragment of its answer
  FrameRef end;                            // where it ended (the answer's last PDU, ...)
  std::uint32_t response_fragments = 0;
  std::uint64_t response_stub_length = 0;
  std::optional<std::array<std::byte, 4>> response_tail;  // as PduEvent::stub_tail
  DataRepresentation response_drep;                       // its last fragment's
  std::optional<std::int64_t> latency_us;  // first answer fragment - last request fragment
  CallOutcome outcome = CallOutcome::unanswered;
  std::uint32_t fault_status = 0;  // outcome fault or rejected
  // Connectionless calls (ncadg_ip_udp): the activity, and how the client asked after the call
  // (ping) and the server answered meanwhile (working: still executing; nocall: it has no such
  // call), C706 §12.5.3.
  std::optional<Uuid> activity;
  std::uint32_t pings = 0, working = 0, nocalls = 0;
  std::uint32_t resent = 0;  // request fragments received again (the client retransmitted)
};

// The kept stubs of an ended call (when the observer wanted them and they are whole), valid
// only during AssociationObserver::on_call_end().
struct CallStubsView {
  std::optional<common::Bytes> request, response;
};

class AssociationObserver {
 public:
  virtual ~AssociationObserver() = default;
  virtual void on_pdu(const PduEvent& e, const PduPayloadView& payload) = 0;
  virtual void on_note(const Note& n) = 0;
  // After the on_pdu() of the PDU that ended it, or from finish().
  virtual void on_call_end(const CallEnd& c, const CallStubsView& stubs) = 0;
  // Whether to keep the stub of calls on this interface (EPM decoding needs it).
  virtual bool wants_stub(const SyntaxId& interface) = 0;
};

class Association {
 public:
  Association(AssociationObserver& observer, Counters& counters, const AssociationLimits& limits)
      : observer_(observer), counters_(counters), limits_(limits) {}

  // A whole PDU of direction `dir` (frag_length octets, framing header checked), completed by
  // frame `at`. A body that does not parse is a malformed_pdu note.
  void pdu(Direction dir, common::Bytes pdu, const FrameRef& at);
  // A PDU the capture cut short: its first octets; what they hold is reported, truncated.
  void cut_pdu(Direction dir, common::Bytes partial, const FrameRef& at);
  // The channel ended: every call still outstanding ends unanswered, in call_id order.
  void finish(const FrameRef& at);

  // The interface to assume for contexts whose bind was not captured (the one the endpoint
  // mapper was asked for before this connection was made).
  void set_inferred_interface(const SyntaxId& interface) { inferred_interface_ = interface; }

  [[nodiscard]] std::size_t context_count() const { return contexts_.size(); }
  [[nodiscard]] std::size_t outstanding_calls() const { return calls_.size(); }

 private:
  struct Context {
    SyntaxId abstract_syntax;
    std::optional<SyntaxId> transfer_syntax;
    bool accepted = false;  // false until the ack accepts it
  };
  struct Call {
    Direction dir = 0;
    std::uint16_t opnum = 0;
    std::uint16_t p_cont_id = 0;
    std::optional<SyntaxId> interface;
    bool interface_inferred = false;
    std::optional<SyntaxId> transfer_syntax;
    DataRepresentation packed_drep;
    std::uint8_t auth_level = 0;
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
    FrameRef response_first;
    std::optional<std::int64_t> latency_us;
    std::uint32_t response_fragments = 0;
    std::uint64_t response_stub_length = 0;
    bool response_truncated = false;
    bool response_incomplete = false;
    std::vector<std::byte> response_stub;
    std::array<std::byte, 4> tail{};  // the response stub's last octets so far
    std::uint8_t tail_size = 0;
    bool sealed = false;  // a response fragment at auth level packet privacy
    DataRepresentation response_drep;
    std::uint64_t order = 0;  // for eviction of the oldest
  };

  void process(Direction dir, PduView& v, const FrameRef& at);
  static void keep_tail(Call& c, const PduView& v);
  static std::optional<std::array<std::byte, 4>> status_tail(const Call& c);
  void bind(Direction dir, const PduView& v, const FrameRef& at);
  void bind_ack(const PduView& v, PduEvent& e);
  void request(Direction dir, const PduView& v, const FrameRef& at, PduEvent& e,
               PduPayloadView& payload);
  // Returns the call when the PDU ended it (the caller reports it after the PDU).
  std::optional<std::uint32_t> answer(const PduView& v, const FrameRef& at, PduEvent& e,
                                      PduPayloadView& payload);
  // An answer whose request was not seen ends a call of its own.
  void end_unknown_call(const PduView& v, const PduEvent& e);
  void note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
            std::uint64_t bytes = 0);
  Call* call_for_request(Direction dir, const PduView& v, const Request& q, const FrameRef& at);
  void end_call(std::uint32_t call_id, Call& c, CallOutcome outcome, const FrameRef& at,
                std::uint32_t fault_status = 0);
  void append_stub(std::vector<std::byte>& to, std::uint64_t& length, bool& truncated, bool keep,
                   common::Bytes stub);
  // The context's abstract syntax, else the inferred interface (and *inferred set).
  std::optional<SyntaxId> interface_of(std::uint16_t p_cont_id, bool* inferred = nullptr) const;
  std::optional<SyntaxId> transfer_syntax_of(std::uint16_t p_cont_id) const;

  AssociationObserver& observer_;
  Counters& counters_;
  const AssociationLimits& limits_;
  common::FlatMap<std::uint16_t, Context> contexts_;
  common::FlatMap<std::uint32_t, std::vector<ContextElement>> pending_binds_;  // by call_id
  std::unordered_map<std::uint32_t, Call> calls_;                              // by call_id
  std::uint64_t call_order_ = 0;
  std::optional<SyntaxId> inferred_interface_;
};

}  // namespace rpctrace::dcerpc
