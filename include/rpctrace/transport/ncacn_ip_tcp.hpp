// The ncacn_ip_tcp adapter (C706 appendix I; MS-RPCE 2.1.1.1): each TCP connection is one
// conversation; its two byte streams, reassembled by the TCP layer, go through a
// dcerpc::StreamFramer, and the frames, notes and whole PDUs go to the analysis Tracker with
// the TCP facts translated into the analysis model's. RPC over HTTP v2 channels are
// connections too: their HTTP heads are cut off, and the IN and OUT channels of one virtual
// connection feed one conversation (virtual_connections.hpp).
#pragma once

#include <memory>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::transport {

class VirtualConnections;

class TcpAdapter : public tcp::StreamSink {
 public:
  TcpAdapter(analysis::Tracker& tracker, dcerpc::Counters& counters,
             const dcerpc::FramerLimits& limits);
  ~TcpAdapter() override;
  TcpAdapter(const TcpAdapter&) = delete;
  TcpAdapter& operator=(const TcpAdapter&) = delete;

  void on_connection_start(tcp::Connection& c) override;
  void on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) override;
  void on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
               const tcp::DataOrigin& origin) override;
  void on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
              tcp::GapCause cause) override;
  void on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) override;
  void on_connection_end(tcp::Connection& c, tcp::EndReason reason) override;

  // Takes over a connection another adapter opened (its conversation and byte totals so
  // far), from its current frame on.
  void adopt(tcp::Connection& c, analysis::ConversationHandle conversation,
             const analysis::CarrierTotals& totals);

 private:
  analysis::Tracker& tracker_;
  dcerpc::Counters& counters_;
  const dcerpc::FramerLimits& limits_;
  std::unique_ptr<VirtualConnections> virtual_connections_;
};

}  // namespace rpctrace::transport
