// ClActivities: the DCE/RPC state of one connectionless conversation (a UDP flow between a
// client and a server port), fed one datagram at a time.
//
// Connectionless RPC has no binding and no call id: a call is named by its activity UUID and
// its sequence number (C706 §12.5.1: "act_id", "seqnum"), and it carries its interface and
// opnum in every header. Fragments are numbered (fragnum) and may arrive out of order, twice,
// or not at all; the receiver acknowledges them with fack. Calls are tracked by activity and
// sequence number, not by interface: Windows is known to send a wrong if_id in the later
// fragments of a request, so fragment 0's labels the call (and decides whether its stubs are
// kept). A client's sequence numbers only grow on an activity, so a request older than the
// activity's latest call is a late copy of a finished call, not a new one. The events are the
// same PduEvent / CallEnd the connection-oriented Association reports (the observer cannot
// tell the two apart except by PduEvent::cl), so every later stage works on both.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "rpctrace/dcerpc/association.hpp"
#include "rpctrace/dcerpc/cl.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"

namespace rpctrace::dcerpc {

class ClActivities {
 public:
  // Activities remembered at once per conversation by default (clients use one per binding
  // handle); past it the least recently used one is forgotten, with a limit note.
  static constexpr std::size_t kMaxActivities = 4096;

  // `max_activities` (at least 1 is kept) is lowered by tests.
  ClActivities(AssociationObserver& observer, Counters& counters, const AssociationLimits& limits,
               std::size_t max_activities = kMaxActivities)
      : observer_(observer),
        counters_(counters),
        limits_(limits),
        max_activities_(max_activities) {}

  // One datagram's UDP payload: `data` captured, `wire_length` on the wire. A datagram that is
  // not a connectionless PDU is a malformed_pdu note.
  void datagram(Direction dir, common::Bytes data, std::size_t wire_length, const FrameRef& at);
  // The conversation ended: every call still outstanding ends unanswered.
  void finish(const FrameRef& at);

  [[nodiscard]] std::size_t outstanding_calls() const { return calls_.size(); }
  [[nodiscard]] std::size_t activities() const { return activities_.size(); }
  // Requests older than their activity's latest call (late copies of finished calls): reported
  // as retransmissions (ClFacts::duplicate), counted here; no call is started or ended by them.
  [[nodiscard]] std::uint64_t late_requests() const { return late_requests_; }

 private:
  struct Fragment {
    std::uint32_t length = 0;
    std::vector<std::byte> stub;  // kept only while the call keeps its stubs (keep_stub)
    std::array<std::byte, 4> tail{};
    std::uint8_t tail_size = 0;
  };
  // One direction of a call: its fragments by number. At most max_fragments_per_call are
  // stored; past it a fragment is only counted, by one bit per fragnum (a u16: at most 8 KiB a
  // side, made when the limit is passed), so retransmissions are still told apart and the
  // count and completeness stay exact.
  struct Side {
    std::map<std::uint16_t, Fragment> fragments;
    std::vector<std::uint64_t> not_stored;  // bit n: fragment n arrived, past the limit
    std::uint32_t not_stored_count = 0;
    std::optional<std::uint16_t> last;  // the fragment number that ends it, once seen
    bool complete = false;
    bool truncated = false;        // not kept whole: limit, or the capture cut a fragment
    bool incomplete = false;       // ... because the capture cut a fragment short
    bool past_stub_limit = false;  // passed max_stub_bytes (truncated)
    bool sealed = false;           // a fragment at auth level packet privacy: the stub is encrypted
    std::uint64_t stub_length = 0;
    FrameRef first, last_at;
  };
  struct Key {
    Uuid activity;
    std::uint32_t seqnum = 0;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return common::UuidHash{}(k.activity) ^ (std::size_t{k.seqnum} * 0x9e3779b97f4a7c15ull);
    }
  };
  struct Call {
    Direction dir = 0;  // the request's direction
    bool request_seen = false;
    std::uint16_t opnum = 0;
    SyntaxId interface;
    DataRepresentation request_drep, response_drep;
    std::uint8_t auth_level = 0;  // its request's (sec_trailer_cl); 0: no verifier seen
    // Fragment 0 of the request has named the call (interface, opnum, keep_stub). Until then
    // its stubs are kept provisionally (within max_stub_bytes), since fragment 0 may name an
    // interface the observer decodes, and none is handed to the observer.
    bool named = false;
    bool keep_stub = false;
    Side request, response;
    bool responding = false;
    std::optional<std::int64_t> latency_us;
    std::uint32_t pings = 0, working = 0, nocalls = 0, resent = 0;
    std::uint64_t order = 0;
  };
  // What an activity's last call was, so the PDUs that follow its end (ack, a late fack or a
  // retransmitted response) are still labelled, and older requests are known as late.
  struct Activity {
    std::uint32_t seqnum = 0;  // its latest call's
    SyntaxId interface;
    std::uint16_t opnum = 0;
    std::optional<std::uint32_t> outstanding;  // the call in progress on it
    std::list<Uuid>::iterator lru;             // its place in lru_
  };

  void process(Direction dir, ClPduView& v, const FrameRef& at);
  Call* call_for_request(Direction dir, const ClPduView& v, const FrameRef& at);
  // Fragment 0 of the request names the call: interface, opnum, whether its stubs are kept.
  void name_call(Call& c, const ClHeader& h);
  void request(Direction dir, const ClPduView& v, const FrameRef& at, PduEvent& e,
               PduPayloadView& payload, Call& c);
  // Returns true when the response completed the call.
  bool response(const ClPduView& v, const FrameRef& at, PduEvent& e, PduPayloadView& payload,
                Call& c);
  // Adds a fragment to a side of `c`; false when it was already there (a retransmission).
  bool add_fragment(const Call& c, Side& side, const ClPduView& v, const FrameRef& at);
  static bool has_fragment(const Side& side, std::uint16_t n);
  static std::uint32_t fragment_count(const Side& side);
  // Whether a side's stub goes to the observer: the call is named and wants it, and the stub
  // is whole, kept and in clear.
  static bool stub_handed(const Call& c, const Side& side);
  std::vector<std::byte> joined(const Side& side) const;
  static std::optional<std::array<std::byte, 4>> tail_of(const Side& side);
  void answered(Call& c, const FrameRef& at, PduEvent& e);
  void end_call(const Key& k, Call& c, CallOutcome outcome, const FrameRef& at,
                std::uint32_t status = 0);
  // The activity of a request that starts a call, made (and the least recently used one
  // forgotten past max_activities_) when new.
  Activity& activity_for_call(Direction dir, const Uuid& act_id, const FrameRef& at);
  void touch(Activity& a) { lru_.splice(lru_.end(), lru_, a.lru); }
  void note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
            std::uint64_t bytes = 0);

  AssociationObserver& observer_;
  Counters& counters_;
  const AssociationLimits& limits_;
  std::size_t max_activities_;
  std::uint64_t late_requests_ = 0;
  std::unordered_map<Key, Call, KeyHash> calls_;
  std::unordered_map<Uuid, Activity, common::UuidHash> activities_;
  std::list<Uuid> lru_;  // the activities, least recently used first
  std::uint64_t order_ = 0;
  // The joined stubs handed to the observer during on_pdu().
  std::vector<std::byte> request_scratch_, response_scratch_;
};

}  // namespace rpctrace::dcerpc
