// The ncacn_np adapter (C706 appendix I; MS-RPCE 2.1.1.2): DCE/RPC in SMB named pipes, on TCP
// 445 (SMB over direct TCP) and 139 (the NetBIOS session service). Each TCP connection is one
// conversation; each pipe opened on it (an SMB2 CREATE or SMB1 NT_CREATE_ANDX of a name on
// IPC$) is a channel of that conversation with its own association. The pipe's bytes (WRITE
// and READ, IOCTL FSCTL_PIPE_TRANSCEIVE, SMB1 TRANSACTION TransactNmPipe) go through a
// dcerpc::StreamFramer per pipe; session setup, tree connect, create and close become the
// conversation's carrier events. Everything else SMB does is passed over: this is not an SMB
// dissector.
#pragma once

#include <array>
#include <cstdint>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/smb/limits.hpp"
#include "rpctrace/smb/types.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::transport {

struct NpCounters {
  std::uint64_t connections = 0;
  std::uint64_t dcerpc_connections = 0;  // DCE/RPC straight on an SMB port: handed to ncacn_ip_tcp
  std::uint64_t smb1_messages = 0;
  std::uint64_t smb2_messages = 0;        // compound members counted one by one
  std::uint64_t encrypted_messages = 0;   // SMB3 TRANSFORM_HEADER: not visible
  std::uint64_t compressed_messages = 0;  // SMB3 compression: not decompressed
  std::uint64_t cut_messages = 0;         // a gap took part of them
  std::uint64_t messages_over_limit = 0;  // past max_message_size: their pipe bytes not followed
  std::array<std::uint64_t, static_cast<std::size_t>(smb::Reason::count_)> malformed{};
  std::uint64_t not_smb_bytes = 0;  // skipped while hunting for a session header
  std::uint64_t pipes_opened = 0;
  std::uint64_t pipes_unnamed = 0;        // found by their DCE/RPC bytes, their open not captured
  std::uint64_t pipes_over_limit = 0;     // opens (and unnamed pipes' messages) past max_pipes
  std::uint64_t requests_dropped = 0;     // waiting requests forgotten past max_pending
  std::uint64_t responses_unmatched = 0;  // pipe data in a response whose request was not seen
};
void append_counter_rows(const NpCounters& c, common::CounterRows& rows);

class NpAdapter : public tcp::StreamSink {
 public:
  NpAdapter(analysis::Tracker& tracker, dcerpc::Counters& dcerpc_counters,
            const dcerpc::FramerLimits& framer_limits, const smb::Limits& limits)
      : tracker_(tracker),
        dcerpc_counters_(dcerpc_counters),
        framer_limits_(framer_limits),
        limits_(limits) {}

  // The ports SMB uses: 445 (direct TCP) and 139 (NetBIOS session service).
  static bool is_smb_port(std::uint16_t port) { return port == 445 || port == 139; }

  void on_connection_start(tcp::Connection& c) override;
  void on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) override;
  void on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
               const tcp::DataOrigin& origin) override;
  void on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
              tcp::GapCause cause) override;
  void on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) override;
  void on_connection_end(tcp::Connection& c, tcp::EndReason reason) override;

  [[nodiscard]] const NpCounters& counters() const { return counters_; }

  // Whether `data`, the first bytes of a connection that has carried nothing yet, is a
  // connection-oriented DCE/RPC header rather than SMB: some tools speak ncacn_ip_tcp on 445.
  // (A session message starts 0x00 or 0x81-0x85, RFC 1002 4.3.1; a PDU 0x05, rpc_vers.)
  [[nodiscard]] bool carries_dcerpc(const tcp::Connection& c, common::Bytes data) const;
  // Gives up a connection: its conversation and byte totals, for another adapter to adopt.
  analysis::ConversationHandle release(tcp::Connection& c, analysis::CarrierTotals& totals);

 private:
  analysis::Tracker& tracker_;
  dcerpc::Counters& dcerpc_counters_;
  const dcerpc::FramerLimits& framer_limits_;
  const smb::Limits& limits_;
  NpCounters counters_;
};

}  // namespace rpctrace::transport
