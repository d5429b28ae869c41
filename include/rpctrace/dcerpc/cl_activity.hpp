// ClActivities: the DCE/RPC state of one connectionless conversation (a UDP flow between a
// client and a server port), fed one datagram at a time.
//
// Connectionless RPC has no binding and no call id: a call is named by its activity UUID and
// its sequence number (C706 §12.5.1: "act_id", "seqnum"), and it carries its interface and
// opnum in every header. Fragments are numbered (fragnum) and may arrive out of order, twice,
// or not at all; the receiver acknowledges them with fack. Calls are tracked by activity and
// sequence number, not by interface: Windows is known to send a wrong if_id in the later
// fragments of a request, so the first fragment's labels the call. The events are the same
// PduEvent / CallEnd the connection-oriented Association reports (the observer cannot tell
// the two apart except by PduEvent::cl), so every later stage works on both.
#pragma once

#include <array>
#include <cstdint>
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
  ClActivities(AssociationObserver& observer, Counters& counters, const AssociationLimits& limits)
      : observer_(observer), counters_(counters), limits_(limits) {}

  // One datagram's UDP payload: `data` captured, `wire_length` on the wire. A datagram that is
  // not a connectionless PDU is a malformed_pdu note.
  void datagram(Direction dir, common::Bytes data, std::size_t wire_length, const FrameRef& at);
  // The conversation ended: every call still outstanding ends unanswered.
  void finish(const FrameRef& at);

  [[nodiscard]] std::size_t outstanding_calls() const { return calls_.size(); }
  // Activities remembered at once per conversation (clients use one per binding handle).
  static constexpr std::size_t kMaxActivities = 4096;

 private:
  struct Fragment {
    std::uint32_t length = 0;
    std::vector<std::byte> stub;  // kept only for decoded interfaces (keep_stub)
    std::array<std::byte, 4> tail{};
    std::uint8_t tail_size = 0;
  };
  // One direction of a call: its fragments by number.
  struct Side {
    std::map<std::uint16_t, Fragment> fragments;
    std::optional<std::uint16_t> last;  // the fragment number that ends it, once seen
    bool complete = false;
    bool truncated = false;   // not kept whole: limit, or the capture cut a fragment
    bool incomplete = false;  // ... because the capture cut a fragment short
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
    bool keep_stub = false;
    Side request, response;
    bool responding = false;
    std::optional<std::int64_t> latency_us;
    std::uint32_t pings = 0, working = 0, nocalls = 0, resent = 0;
    std::uint64_t order = 0;
  };
  // What an activity's last call was, so the PDUs that follow its end (ack, a late fack or a
  // retransmitted response) are still labelled.
  struct Activity {
    std::uint32_t seqnum = 0;
    SyntaxId interface;
    std::uint16_t opnum = 0;
    std::optional<std::uint32_t> outstanding;  // the call in progress on it
    std::uint64_t order = 0;
  };

  void process(Direction dir, ClPduView& v, const FrameRef& at);
  Call* call_for_request(Direction dir, const ClPduView& v, const FrameRef& at);
  void request(Direction dir, const ClPduView& v, const FrameRef& at, PduEvent& e,
               PduPayloadView& payload, Call& c);
  // Returns true when the response completed the call.
  bool response(const ClPduView& v, const FrameRef& at, PduEvent& e, PduPayloadView& payload,
                Call& c);
  // Adds a fragment to a side; false when it was already there (a retransmission).
  bool add_fragment(Side& side, const ClPduView& v, const FrameRef& at, bool keep);
  std::vector<std::byte> joined(const Side& side) const;
  static std::optional<std::array<std::byte, 4>> tail_of(const Side& side);
  void answered(Call& c, const FrameRef& at, PduEvent& e);
  void end_call(const Key& k, Call& c, CallOutcome outcome, const FrameRef& at,
                std::uint32_t status = 0);
  void forget_activity_if_full();
  void note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
            std::uint64_t bytes = 0);

  AssociationObserver& observer_;
  Counters& counters_;
  const AssociationLimits& limits_;
  std::unordered_map<Key, Call, KeyHash> calls_;
  std::unordered_map<Uuid, Activity, common::UuidHash> activities_;
  std::uint64_t order_ = 0;
  // The joined stubs handed to the observer during on_pdu().
  std::vector<std::byte> request_scratch_, response_scratch_;
};

}  // namespace rpctrace::dcerpc
