// Counters of the DCE/RPC layer: PDUs by type, and every byte or PDU not decoded, by reason.
#pragma once

#include <array>
#include <cstdint>

#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/dcerpc/cl.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

struct Counters {
  std::array<std::uint64_t, 21> pdus_by_ptype{};        // indexed by PacketType value
  std::array<std::uint64_t, kReasonCount> malformed{};  // PDUs skipped, by reason
  std::array<std::uint64_t, kClReasonCount> cl_malformed{};  // connectionless ones, by reason
  std::uint64_t pdus = 0;
  std::uint64_t lost_sync = 0;          // invalid header where one was expected
  std::uint64_t resync_bytes = 0;       // bytes skipped to find the next valid header
  std::uint64_t hunting_bytes = 0;      // mid-stream bytes before the first header
  std::uint64_t partial_pdus_lost = 0;  // PDUs cut by a gap
  std::uint64_t truncated_pdus = 0;     // of those, reported from their captured header
  std::uint64_t gap_skipped_bytes = 0;  // captured bytes of PDUs cut by a gap
  std::uint64_t non_rpc_streams = 0;    // directions that do not start with a header
  std::uint64_t non_rpc_bytes = 0;
  std::uint64_t calls_evicted = 0;         // max_outstanding_calls reached
  std::uint64_t contexts_evicted = 0;      // max_contexts reached
  std::uint64_t stub_truncated_calls = 0;  // call sides (request, response) whose stub passed
                                           // max_stub_bytes or max_fragments_per_call
  std::uint64_t responses_without_request = 0;
  std::uint64_t unterminated_pdus = 0;  // partial PDU still buffered when the connection ended
  std::uint64_t unterminated_bytes = 0;
};
// Rows for the statistics' "not decoded" list: malformed PDUs by reason, then the framer's and
// the association's counts.
void append_counter_rows(const Counters& c, common::CounterRows& rows);

}  // namespace rpctrace::dcerpc
