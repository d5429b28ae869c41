// ncacn_ip_tcp: TCP connections as DCE/RPC conversations.
#include "rpctrace/transport/ncacn_ip_tcp.hpp"

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
  ch.start(dir, stream_start(c, dir));
  ch.totals.bytes[dir] += data.size();
  analysis::ConversationState& conv = *ch.conversation;
  dcerpc::FrameRef ref = tracker_.attribute(conv, dcerpc::FrameRef{origin.frame, origin.ts});
  ch.framer.data(dir, data, ref, true);  // the reassembler hands over a segment at a time
  tracker_.attribute_current(conv);
}

void TcpAdapter::on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
                        tcp::GapCause cause) {
  Channel& ch = channel(c);
  tracker_.note(*ch.conversation, gap_note(c, dir, size, cause));
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
