// Internal to the analysis: one conversation's state while it lasts (its association, its
// summary, its held frame records), and the association observer that forwards to the
// Tracker.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/dcerpc/association.hpp"

namespace rpctrace::analysis {

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
  common::Endpoint endpoint[2];
  Conversation conv;
  dcerpc::Association assoc;
  common::Timestamp prev_ts;
  bool have_prev = false;
  bool opening_seen = false;
  int client_dir = -1;                      // from the PDUs when the opening was not seen
  std::vector<Tracker::PendingFrame> held;  // records waiting while bytes are held
  bool interface_matched = false;           // --interface
  bool opnum_matched = false;               // --opnum
  // The endpoint mapper decode of the PDU just reported: the response of the call whose end
  // the association reports next.
  EpmDecodePtr last_epm;
  // The endpoint mapper requests decoded and not yet ended, by call id: their call records
  // take them instead of decoding the stub again. Bounded by kMaxEpmRequests.
  std::unordered_map<std::uint32_t, EpmDecodePtr> epm_requests;
  static constexpr std::size_t kMaxEpmRequests = 256;
};

}  // namespace rpctrace::analysis
