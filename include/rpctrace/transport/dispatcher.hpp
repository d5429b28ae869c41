// Dispatcher: hands each decoded frame to the transport adapter of its carrier. TCP segments go
// to the TCP connection table; a connection on an SMB port (445, 139) goes to the ncacn_np
// adapter, every other one to ncacn_ip_tcp (DCE/RPC is found there by its header, not by a
// port number). UDP datagrams go to the Kerberos adapter on port 88, else to the ncadg_ip_udp
// adapter, which takes the flows that carry connectionless DCE/RPC. Each adapter feeds the
// same Tracker.
#pragma once

#include <cstdint>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/pcap/packet.hpp"
#include "rpctrace/smb/limits.hpp"
#include "rpctrace/tcp/connection_table.hpp"
#include "rpctrace/tcp/limits.hpp"
#include "rpctrace/transport/kerberos_kdc.hpp"
#include "rpctrace/transport/ncacn_ip_tcp.hpp"
#include "rpctrace/transport/ncacn_np.hpp"
#include "rpctrace/transport/ncadg_ip_udp.hpp"

namespace rpctrace::transport {

struct Limits {
  tcp::ReassemblyLimits tcp;
  dcerpc::FramerLimits framer;
  smb::Limits smb;
  UdpLimits udp;
};

// Routes each TCP connection to the adapter of its protocol sequence, by its ports; the bytes
// of a connection on port 88 are also teed to the Kerberos adapter.
class TcpRouter : public tcp::StreamSink {
 public:
  TcpRouter(TcpAdapter& tcp, NpAdapter& np, KdcAdapter& kdc) : tcp_(tcp), np_(np), kdc_(kdc) {}
  void on_connection_start(tcp::Connection& c) override { pick(c).on_connection_start(c); }
  void on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) override {
    pick(c).on_segment(c, s);
  }
  void on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
               const tcp::DataOrigin& origin) override {
    if (KdcAdapter::is_kdc(c)) kdc_.stream_data(c, dir, data, origin);
    tcp::StreamSink& to = pick(c);
    if (&to == &np_ && np_.carries_dcerpc(c, data)) {
      analysis::CarrierTotals totals;
      analysis::ConversationHandle conversation = np_.release(c, totals);
      tcp_.adopt(c, std::move(conversation), totals);
      c.state->owner = kAdopted;
      tcp_.on_data(c, dir, data, origin);
      return;
    }
    to.on_data(c, dir, data, origin);
  }
  void on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
              tcp::GapCause cause) override {
    if (KdcAdapter::is_kdc(c)) kdc_.stream_gap(c, dir);
    pick(c).on_gap(c, dir, size, cause);
  }
  void on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) override {
    pick(c).on_frame_end(c, s);
  }
  void on_connection_end(tcp::Connection& c, tcp::EndReason reason) override {
    if (KdcAdapter::is_kdc(c)) kdc_.stream_end(c);
    pick(c).on_connection_end(c, reason);
  }

 private:
  // By port, unless the first bytes on an SMB port were DCE/RPC (NpAdapter::carries_dcerpc).
  static constexpr std::uint8_t kAdopted = 1;
  tcp::StreamSink& pick(const tcp::Connection& c) {
    if (c.state && c.state->owner == kAdopted) return tcp_;
    if (NpAdapter::is_smb_port(c.endpoint[0].port) || NpAdapter::is_smb_port(c.endpoint[1].port))
      return np_;
    return tcp_;
  }
  TcpAdapter& tcp_;
  NpAdapter& np_;
  KdcAdapter& kdc_;
};

class Dispatcher {
 public:
  Dispatcher(analysis::Tracker& tracker, dcerpc::Counters& counters, const Limits& limits)
      : limits_(limits),
        tcp_adapter_(tracker, counters, limits_.framer),
        np_adapter_(tracker, counters, limits_.framer, limits_.smb),
        kdc_adapter_(tracker),
        udp_adapter_(tracker, limits_.udp, conversation_ids_),
        router_(tcp_adapter_, np_adapter_, kdc_adapter_),
        tcp_table_(router_, limits_.tcp, &conversation_ids_) {}

  // A frame the capture layer decoded into a carrier unit; false when no adapter takes it.
  bool add(const pcap::DecodeOutcome& frame, std::uint64_t number, common::Timestamp ts);
  // Time passes with no frame (a quiet live capture): connections closed or idle longer than
  // their limits end now, as a later frame's timestamp would end them.
  void expire(common::Timestamp now) {
    tcp_table_.expire(now);
    udp_adapter_.expire(now);
  }
  // The end of the capture: every conversation still open ends.
  void finish() {
    tcp_table_.finish();
    udp_adapter_.finish();
  }
  // Connectionless conversations opened (each of the others is a TCP connection).
  [[nodiscard]] std::uint64_t udp_flows() const { return udp_adapter_.counters().flows; }
  [[nodiscard]] std::uint64_t connections_open() const { return tcp_table_.size(); }
  // The carriers' counters, as rows of the closing statistics.
  void append_counter_rows(common::CounterRows& rows) const;

 private:
  Limits limits_;
  std::uint64_t conversation_ids_ = 1;  // every carrier's conversations numbered in one order
  TcpAdapter tcp_adapter_;
  NpAdapter np_adapter_;
  KdcAdapter kdc_adapter_;
  UdpAdapter udp_adapter_;
  TcpRouter router_;
  tcp::ConnectionTable tcp_table_;
};

}  // namespace rpctrace::transport
