// The DCE/RPC layer's counters as rows of the closing statistics.
#include "rpctrace/dcerpc/counters.hpp"

namespace rpctrace::dcerpc {

void append_counter_rows(const Counters& c, common::CounterRows& rows) {
  for (std::size_t i = 0; i < kReasonCount; ++i) {
    auto r = static_cast<Reason>(i);
    rows.push_back({to_string(r), describe(r), c.malformed[i]});
  }
  for (std::size_t i = 0; i < kClReasonCount; ++i) {
    auto r = static_cast<ClReason>(i);
    rows.push_back({to_string(r), describe(r), c.cl_malformed[i]});
  }
  rows.push_back({"dcerpc_lost_sync", "invalid PDU headers where one was expected", c.lost_sync});
  rows.push_back(
      {"dcerpc_resync_bytes", "bytes skipped to find the next PDU header", c.resync_bytes});
  rows.push_back(
      {"dcerpc_hunting_bytes", "mid-stream bytes before the first PDU header", c.hunting_bytes});
  rows.push_back({"dcerpc_partial_pdus_lost", "PDUs cut by a TCP gap", c.partial_pdus_lost});
  rows.push_back(
      {"dcerpc_gap_skipped_bytes", "captured bytes of PDUs cut by a gap", c.gap_skipped_bytes});
  rows.push_back({"dcerpc_unterminated_pdus", "PDUs incomplete when their connection ended",
                  c.unterminated_pdus});
  rows.push_back({"dcerpc_responses_without_request", "responses/faults whose request was not seen",
                  c.responses_without_request});
  rows.push_back(
      {"dcerpc_calls_evicted", "calls forgotten: max_outstanding_calls", c.calls_evicted});
  rows.push_back(
      {"dcerpc_contexts_evicted", "contexts not tracked: max_contexts", c.contexts_evicted});
  // Each side of a call (request, response) is counted when its stub is not kept whole.
  rows.push_back({"dcerpc_stub_truncated_calls",
                  "call stubs not kept whole: past max_stub_bytes or max_fragments_per_call",
                  c.stub_truncated_calls});
  rows.push_back({"non_dcerpc_streams", "TCP directions that are not DCE/RPC", c.non_rpc_streams});
}

}  // namespace rpctrace::dcerpc
