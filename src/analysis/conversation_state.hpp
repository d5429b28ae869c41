// Internal to the analysis: one conversation's state while it lasts (its association, its
// summary, its held frame records), and the association observer that forwards to the
// Tracker.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/flat_map.hpp"
#include "rpctrace/dcerpc/association.hpp"
#include "rpctrace/dcerpc/cl_activity.hpp"

namespace rpctrace::analysis {

class ConversationState;

// A channel inside a conversation (an ncacn_np pipe): its own association, whose events reach
// the Tracker tagged with the channel's facts.
class ChannelState : public dcerpc::AssociationObserver {
 public:
  ChannelState(ConversationState& s, ChannelPtr f, dcerpc::Counters& counters,
               const dcerpc::AssociationLimits& limits)
      : state(s), facts(std::move(f)), assoc(*this, counters, limits) {}
  void on_pdu(const dcerpc::PduEvent& e, const dcerpc::PduPayloadView& payload) override;
  void on_note(const dcerpc::Note& n) override;
  void on_call_end(const dcerpc::CallEnd& c, const dcerpc::CallStubsView& stubs) override;
  bool wants_stub(const dcerpc::SyntaxId& interface) override;

  ConversationState& state;
  ChannelPtr facts;
  dcerpc::Association assoc;
};

class ConversationState : public dcerpc::AssociationObserver {
 public:
  ConversationState(Tracker& t, const ConversationOpen& o, dcerpc::Counters& counters,
                    const dcerpc::AssociationLimits& limits);

  void on_pdu(const dcerpc::PduEvent& e, const dcerpc::PduPayloadView& payload) override {
    tracker.on_pdu(*this, e, payload);
  }
  void on_note(const dcerpc::Note& n) override { tracker.note(*this, n); }
  void on_call_end(const dcerpc::CallEnd& c, const dcerpc::CallStubsView& stubs) override {
    tracker.on_call_end(*this, c, stubs);
  }
  // Endpoint mapper stubs are decoded; no other interface's are kept.
  bool wants_stub(const dcerpc::SyntaxId& interface) override;

  Tracker& tracker;
  // Its two ends in the order of the carrier's directions (0: the one that opened it, or sent
  // first): the conversation's client and server, as the roles put them.
  [[nodiscard]] const common::Endpoint& endpoint(int dir) const {
    return dir == client_is ? conv.client : conv.server;
  }
  Conversation conv;
  dcerpc::Association assoc;
  // A connectionless conversation's calls (ncadg_ip_udp); null on a connection.
  std::unique_ptr<dcerpc::ClActivities> cl;
  common::Timestamp prev_ts;
  int client_dir = -1;         // from the PDUs when the opening was not seen
  std::uint8_t client_is = 0;  // the direction of conv.client (endpoint())
  // --port, --host or --conversation leave it out whatever it carries: analysed (its EPM answers
  // link the conversations they name, its frames keep the clock), never written to a sink.
  bool excluded = false;
  bool have_prev = false;
  bool opening_seen = false;
  bool interface_matched = false;  // --interface
  bool opnum_matched = false;      // --opnum
  // Where the PDU being reported now was seen, when it is an RTS PDU (Tracker::pdu).
  dcerpc::RtsVantage rts_vantage;
  std::vector<Tracker::PendingFrame> held;  // records waiting while bytes are held
  // The endpoint mapper decode of the PDU just reported: the response of the call whose end
  // the association reports next.
  EpmDecodePtr last_epm;
  // Channels by id - 1; null once closed.
  std::vector<std::unique_ptr<ChannelState>> channels;
  // The channel whose association is reporting now; null for the conversation's own.
  const ChannelPtr* channel_now = nullptr;
  // The endpoint mapper requests decoded and not yet ended, by call id: their call records
  // take them instead of decoding the stub again. Bounded by kMaxEpmRequests.
  common::FlatMap<std::uint64_t, EpmDecodePtr> epm_requests;  // epm_request_key()
  static constexpr std::size_t kMaxEpmRequests = 256;
};

// Call ids are per association: the key is the channel's id and the call id.
inline std::uint64_t epm_request_key(const ConversationState& s, std::uint32_t call_id) {
  const std::uint64_t channel = s.channel_now != nullptr ? (*s.channel_now)->id : 0;
  return channel << 32 | call_id;
}

}  // namespace rpctrace::analysis
