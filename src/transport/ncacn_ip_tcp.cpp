// ncacn_ip_tcp: TCP connections as DCE/RPC conversations; RPC over HTTP v2 channels joined
// into their virtual connection's conversation.
#include "rpctrace/transport/ncacn_ip_tcp.hpp"

#include <fmt/format.h>

#include <optional>

#include "http_heads.hpp"
#include "rpctrace/dcerpc/framer.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "tcp_carrier.hpp"
#include "virtual_connections.hpp"

namespace rpctrace::transport {

namespace {

constexpr std::uint8_t kPtypeOffset = 2;  // C706 12.6.3.1: rpc_vers, rpc_vers_minor, PTYPE

// One connection: its conversation in the analysis (its own, or its virtual connection's once
// it is a channel of one) and the framer of its two streams.
class Channel : public tcp::ConnectionState, public dcerpc::FramerSink {
 public:
  Channel(analysis::Tracker& t, VirtualConnections& registry, analysis::ConversationHandle c,
          dcerpc::Counters& counters, const dcerpc::FramerLimits& limits)
      : tracker(t), vcs(registry), own(std::move(c)), framer(*this, counters, limits) {}

  // Where its facts go: the virtual connection's conversation once it holds or feeds one.
  analysis::ConversationState& conversation() {
    VirtualConnection* v = vc();
    return v != nullptr ? *v->conversation : *own;
  }
  // Its directions in the conversation's: a channel whose opener is endpoint[1] of its own
  // connection is turned round.
  [[nodiscard]] analysis::Direction in_conversation(tcp::Direction dir) const {
    return static_cast<analysis::Direction>(dir ^ flip);
  }
  void count(tcp::Direction dir, std::size_t n) {
    VirtualConnection* v = vc();
    (v != nullptr ? v->totals : totals).bytes[in_conversation(dir)] += n;
  }

  void on_pdu(dcerpc::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) override {
    dcerpc::RtsVantage where;
    if (pdu.size() > kPtypeOffset &&
        static_cast<dcerpc::PacketType>(pdu[kPtypeOffset]) == dcerpc::PacketType::rts) {
      if (!over_http || !over_http->named) name(dir, pdu, at);
      where = vantage(dir);
    }
    tracker.pdu(conversation(), in_conversation(dir), pdu, at, where);
  }
  void on_cut_pdu(dcerpc::Direction dir, common::Bytes partial,
                  const dcerpc::FrameRef& at) override {
    tracker.cut_pdu(conversation(), in_conversation(dir), partial, at);
  }
  void on_note(const dcerpc::Note& n) override {
    dcerpc::Note m = n;
    m.dir = in_conversation(n.dir);
    tracker.note(conversation(), m);
  }

  // Whether a direction's stream start was seen is known at its first bytes or gap.
  void start(tcp::Direction dir, bool stream_start) {
    if (started[dir]) return;
    framer.start(dir, stream_start);
    started[dir] = true;
  }

  // Joins the virtual connection its RTS PDU named, at the end of the frame that carried it
  // (so that frame stays whole in its own conversation): its own conversation ends there.
  void join() {
    Http& h = *over_http;
    // Its holder ended since (within the same frame): it stays a conversation of its own.
    if (!h.joining->conversation) {
      h.joining.reset();
      return;
    }
    tracker.closing(*own);
    tracker.close(std::move(own), analysis::EndReason::joined, totals);
    h.vc = std::move(h.joining);
    flip = static_cast<analysis::Direction>(h.initiator.value_or(0) ^ h.vc->initiator);
    ++h.vc->feeding;
  }

  // What RPC over HTTP v2 adds to a connection, from its request head or first RTS PDU on
  // (most connections carry none, and keep a null pointer).
  struct Http {
    std::shared_ptr<VirtualConnection> vc;          // the virtual connection it holds or feeds
    std::shared_ptr<VirtualConnection> joining;     // named one another holds: joins at frame end
    std::optional<std::uint64_t> request_frame;     // of its RPC_IN_DATA / RPC_OUT_DATA head
    std::optional<tcp::Direction> initiator;        // the side that sent the request head
    std::optional<dcerpc::RtsChannel> rts_channel;  // IN for RPC_IN_DATA, OUT for RPC_OUT_DATA
    bool named = false;                             // its virtual connection cookie was looked for
    bool holds = false;  // it named its virtual connection first: the conversation is its own
  };
  Http& http_state() {
    if (!over_http) over_http = std::make_unique<Http>();
    return *over_http;
  }
  [[nodiscard]] VirtualConnection* vc() const { return over_http ? over_http->vc.get() : nullptr; }
  [[nodiscard]] bool joining() const { return over_http && over_http->joining; }
  [[nodiscard]] std::optional<dcerpc::RtsChannel> rts_channel() const {
    return over_http ? over_http->rts_channel : std::nullopt;
  }
  [[nodiscard]] std::optional<std::uint64_t> request_frame() const {
    return over_http ? over_http->request_frame : std::nullopt;
  }

  analysis::Tracker& tracker;
  VirtualConnections& vcs;
  analysis::ConversationHandle own;  // this connection's conversation, until it joins another's
  dcerpc::StreamFramer framer;
  bool started[2] = {false, false};
  analysis::Direction flip = 0;
  HttpHead http[2];                 // RPC over HTTP v2: the heads before the PDU streams
  TlsHello tls;                     // RPC over HTTPS: the opener's ClientHello
  std::unique_ptr<Http> over_http;  // null until its request head or first RTS PDU
  analysis::CarrierTotals totals;   // of its own conversation
  // Its connection, for its endpoints and id (its own conversation's): the table does not
  // move a connection while it is tracked.
  const tcp::Connection* connection = nullptr;

 private:
  [[nodiscard]] dcerpc::RtsVantage vantage(tcp::Direction dir) const {
    if (!over_http || !over_http->rts_channel) return {};
    const Http& h = *over_http;
    const dcerpc::RtsLeg leg =
        h.request_frame ? dcerpc::RtsLeg::client_proxy : dcerpc::RtsLeg::proxy_server;
    return dcerpc::rts_vantage(leg, *h.rts_channel, h.initiator && *h.initiator == dir);
  }
  void name(tcp::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at);
};

// The first RTS PDU from the side that opened the channel names its virtual connection.
void Channel::name(tcp::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) {
  if (over_http && over_http->initiator && *over_http->initiator != dir) return;
  auto n = channel_naming(pdu);
  if (!n) return;
  Http& h = http_state();
  h.named = true;
  h.initiator = dir;
  if (!h.rts_channel) h.rts_channel = n->channel;  // between proxy and server: from its Flags
  const dcerpc::RtsLeg leg =
      h.request_frame ? dcerpc::RtsLeg::client_proxy : dcerpc::RtsLeg::proxy_server;
  const VirtualConnectionKey key{n->virtual_connection_cookie, leg};
  analysis::HttpChannel facts;
  if (h.rts_channel) facts.name = dcerpc::to_string(*h.rts_channel);
  facts.client = connection->endpoint[dir];
  facts.server = connection->endpoint[dir ^ 1];
  facts.frame = at.frame;
  if (auto holder = vcs.find(key); holder && holder->conversation) {
    facts.conversation = connection->id;
    tracker.join_virtual_connection(*own, *holder->conversation, facts);
    h.joining = std::move(holder);
    return;
  }
  h.vc = vcs.add(key);
  if (!h.vc) {
    analysis::ReportedNote note;
    note.kind = analysis::NoteKind::limit;
    note.detail = fmt::format(
        "{} RPC over HTTP virtual connections followed at once: this channel is not joined to "
        "its other channel",
        VirtualConnections::kMax);
    tracker.note(*own, std::move(note));
    return;
  }
  facts.conversation = connection->id;
  tracker.name_virtual_connection(*own, n->virtual_connection_cookie, facts);
  h.vc->initiator = static_cast<analysis::Direction>(dir);
  h.vc->totals = totals;
  h.vc->feeding = 1;
  h.vc->conversation = std::move(own);
  h.holds = true;
}

Channel& channel(tcp::Connection& c) { return static_cast<Channel&>(*c.state); }

}  // namespace

TcpAdapter::TcpAdapter(analysis::Tracker& tracker, dcerpc::Counters& counters,
                       const dcerpc::FramerLimits& limits)
    : tracker_(tracker),
      counters_(counters),
      limits_(limits),
      virtual_connections_(std::make_unique<VirtualConnections>()) {}

TcpAdapter::~TcpAdapter() = default;

void TcpAdapter::on_connection_start(tcp::Connection& c) {
  auto ch = std::make_unique<Channel>(
      tracker_, *virtual_connections_,
      tracker_.open(conversation_open(c, analysis::Protseq::ncacn_ip_tcp)), counters_, limits_);
  ch->connection = &c;
  c.state = std::move(ch);
}

void TcpAdapter::adopt(tcp::Connection& c, analysis::ConversationHandle conversation,
                       const analysis::CarrierTotals& totals) {
  tracker_.reclassify(*conversation, analysis::Protseq::ncacn_ip_tcp);
  auto ch = std::make_unique<Channel>(tracker_, *virtual_connections_, std::move(conversation),
                                      counters_, limits_);
  ch->totals = totals;
  ch->connection = &c;
  c.state = std::move(ch);
}

void TcpAdapter::on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) {
  Channel& ch = channel(c);
  analysis::CarrierFrame f = carrier_frame(s);
  f.http_channel = ch.rts_channel();
  // A channel feeding another's conversation: its own endpoints.
  if (ch.vc() != nullptr && !ch.over_http->holds) {
    f.dir = ch.in_conversation(s.dir);
    f.endpoints = std::make_pair(c.endpoint[s.dir], c.endpoint[s.dir ^ 1]);
  }
  tracker_.begin_frame(ch.conversation(), f);
}

void TcpAdapter::on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
                         const tcp::DataOrigin& origin) {
  Channel& ch = channel(c);
  ch.count(dir, data.size());
  analysis::ConversationState& conv = ch.conversation();
  const bool at_start = stream_start(c, dir) && ch.http[dir].state() == HttpHead::State::undecided;
  const HttpHead::State before = ch.http[dir].state();
  HttpHead::Result head = ch.http[dir].data(data, at_start, ch.request_frame().has_value());
  if (head.event) {
    // A channel of RPC over HTTP v2: its heads are steps of the carrier, shown on their frame.
    if (head.rpc_over_http) {
      tracker_.reclassify(conv, analysis::Protseq::ncacn_http);
      Channel::Http& h = ch.http_state();
      h.request_frame = origin.frame;
      h.initiator = dir;
      h.rts_channel =
          head.event->command == "RPC_IN_DATA" ? dcerpc::RtsChannel::in : dcerpc::RtsChannel::out;
    } else if (head.event->response) {
      head.event->request_frame = ch.request_frame();
    }
    tracker_.event(conv, std::move(*head.event), true);
  }
  // RPC over HTTPS: the opener's ClientHello, a step shown with --all (most TLS is no RPC).
  if (dir == 0 && !ch.tls.done())
    if (auto hello = ch.tls.data(data, stream_start(c, dir)))
      tracker_.event(conv, std::move(*hello), false);
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
  tracker_.note(ch.conversation(), gap_note(c, dir, size, cause));
  ch.http[dir].gap();
  ch.start(dir, false);
  ch.framer.gap(dir, size, tracker_.here(ch.conversation()));
}

void TcpAdapter::on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) {
  Channel& ch = channel(c);
  analysis::FrameEnd e = frame_end(c, s);
  if (VirtualConnection* vc = ch.vc()) {
    // The conversation's opening is its first channel's.
    if (ch.over_http->holds)
      vc->opening_seen = e.opening_seen;
    else
      e.opening_seen = vc->opening_seen;
  }
  tracker_.end_frame(ch.conversation(), e);
  if (ch.joining()) ch.join();
}

void TcpAdapter::on_connection_end(tcp::Connection& c, tcp::EndReason reason) {
  Channel& ch = channel(c);
  if (ch.joining()) ch.join();
  ch.framer.finish(tracker_.closing(ch.conversation()));
  if (ch.vc() == nullptr) {
    tracker_.close(std::move(ch.own), end_reason(reason), ch.totals);
    return;
  }
  // The virtual connection's conversation ends with its last channel.
  VirtualConnection& vc = *ch.vc();
  vc.reason = end_reason(reason);
  if (--vc.feeding > 0) {
    tracker_.channel_ended(*vc.conversation);
  } else {
    virtual_connections_->remove(vc.key);
    tracker_.close(std::move(vc.conversation), vc.reason, vc.totals);
  }
  ch.over_http->vc.reset();
}

}  // namespace rpctrace::transport
