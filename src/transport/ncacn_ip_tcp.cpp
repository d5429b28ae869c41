// ncacn_ip_tcp: TCP connections as DCE/RPC conversations.
#include "rpctrace/transport/ncacn_ip_tcp.hpp"

#include <optional>

#include "http_heads.hpp"
#include "rpctrace/dcerpc/framer.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "tcp_carrier.hpp"

namespace rpctrace::transport {

namespace {

// One connection: its conversation in the analysis and the framer of its two streams.
class Channel : public tcp::ConnectionState, public dcerpc::FramerSink {
 public:
  Channel(analysis::Tracker& t, analysis::ConversationHandle c, dcerpc::Counters& counters,
          const dcerpc::FramerLimits& limits)
      : tracker(t), conversation(std::move(c)), framer(*this, counters, limits) {}

  void on_pdu(dcerpc::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) override {
    tracker.pdu(*conversation, dir, pdu, at);
  }
  void on_cut_pdu(dcerpc::Direction dir, common::Bytes partial,
                  const dcerpc::FrameRef& at) override {
    tracker.cut_pdu(*conversation, dir, partial, at);
  }
  void on_note(const dcerpc::Note& n) override { tracker.note(*conversation, n); }

  // Whether a direction's stream start was seen is known at its first bytes or gap.
  void start(tcp::Direction dir, bool stream_start) {
    if (started[dir]) return;
    framer.start(dir, stream_start);
    started[dir] = true;
  }

  analysis::Tracker& tracker;
  analysis::ConversationHandle conversation;
  dcerpc::StreamFramer framer;
  bool started[2] = {false, false};
  HttpHead http[2];  // RPC over HTTP v2: the heads before the PDU streams
  std::optional<std::uint64_t> http_request_frame;
  analysis::CarrierTotals totals;
};

Channel& channel(tcp::Connection& c) { return static_cast<Channel&>(*c.state); }

}  // namespace

void TcpAdapter::on_connection_start(tcp::Connection& c) {
  c.state = std::make_unique<Channel>(
      tracker_, tracker_.open(conversation_open(c, analysis::Protseq::ncacn_ip_tcp)), counters_,
      limits_);
}

void TcpAdapter::adopt(tcp::Connection& c, analysis::ConversationHandle conversation,
                       const analysis::CarrierTotals& totals) {
  tracker_.reclassify(*conversation, analysis::Protseq::ncacn_ip_tcp);
  auto ch = std::make_unique<Channel>(tracker_, std::move(conversation), counters_, limits_);
  ch->totals = totals;
  c.state = std::move(ch);
}

void TcpAdapter::on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) {
  tracker_.begin_frame(*channel(c).conversation, carrier_frame(s));
}

void TcpAdapter::on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
                         const tcp::DataOrigin& origin) {
  Channel& ch = channel(c);
  ch.totals.bytes[dir] += data.size();
  analysis::ConversationState& conv = *ch.conversation;
  const bool at_start = stream_start(c, dir) && ch.http[dir].state() == HttpHead::State::undecided;
  const HttpHead::State before = ch.http[dir].state();
  HttpHead::Result head = ch.http[dir].data(data, at_start, ch.http_request_frame.has_value());
  if (head.event) {
    // A channel of RPC over HTTP v2: its heads are steps of the carrier, shown on their frame.
    if (head.rpc_over_http) {
      tracker_.reclassify(conv, analysis::Protseq::ncacn_http);
      ch.http_request_frame = origin.frame;
    } else if (head.event->response) {
      head.event->request_frame = ch.http_request_frame;
    }
    tracker_.event(conv, std::move(*head.event), true);
  }
  if (ch.http[dir].state() != HttpHead::State::pdus || head.rest.empty()) return;
  // The PDU stream starts after a head, or is the direction itself.
  ch.start(dir, before == HttpHead::State::head ? true : stream_start(c, dir));
  data = head.rest;
  dcerpc::FrameRef ref = tracker_.attribute(conv, dcerpc::FrameRef{origin.frame, origin.ts});
  ch.framer.data(dir, data, ref, true);  // the reassembler hands over a segment at a time
  tracker_.attribute_current(conv);
}

void TcpAdapter::on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
                        tcp::GapCause cause) {
  Channel& ch = channel(c);
  tracker_.note(*ch.conversation, gap_note(c, dir, size, cause));
  ch.http[dir].gap();
  ch.start(dir, false);
  ch.framer.gap(dir, size, tracker_.here(*ch.conversation));
}

void TcpAdapter::on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) {
  tracker_.end_frame(*channel(c).conversation, frame_end(c, s));
}

void TcpAdapter::on_connection_end(tcp::Connection& c, tcp::EndReason reason) {
  Channel& ch = channel(c);
  ch.framer.finish(tracker_.closing(*ch.conversation));
  tracker_.close(std::move(ch.conversation), end_reason(reason), ch.totals);
}

}  // namespace rpctrace::transport
