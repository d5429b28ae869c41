// The conversation tracker: frame records, their hold-back while a carrier has bytes out of
// order, roles, selection, and the end of conversations. What each PDU adds to its
// conversation is in tracker_pdus.cpp.
#include "rpctrace/analysis/tracker.hpp"

#include <algorithm>

#include "conversation_state.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

ConversationState::ConversationState(Tracker& t, const ConversationOpen& o,
                                     dcerpc::Counters& counters,
                                     const dcerpc::AssociationLimits& limits)
    : tracker(t), assoc(*this, counters, limits) {
  conv.id = o.id;
  conv.group = o.id;
  conv.protseq = o.protseq;
  conv.first_frame = o.first_frame;
  conv.start = conv.end = o.first_ts;
  conv.client = o.endpoint[0];
  conv.server = o.endpoint[1];
  conv.well_known_port = epm::is_endpoint_mapper_port(o.endpoint[0].port) ||
                         epm::is_endpoint_mapper_port(o.endpoint[1].port);
  if (is_datagram(o.protseq)) cl = std::make_unique<dcerpc::ClActivities>(*this, counters, limits);
}

bool ConversationState::wants_stub(const dcerpc::SyntaxId& interface) {
  // The endpoint mapper's and the DCOM activators' (their answers name dynamic ports).
  return interface.uuid == dcerpc::epm_uuid() || interface.uuid == dcom::iface::object_exporter ||
         interface.uuid == dcom::iface::remote_activation ||
         interface.uuid == dcom::iface::remote_scm_activator;
}

void ConversationStateDeleter::operator()(ConversationState* s) const { delete s; }

Tracker::Tracker(const TrackerOptions& options, Sink& sink, dcerpc::Counters& dcerpc_counters)
    : options_(options), sink_(sink), dcerpc_counters_(dcerpc_counters) {}

Tracker::~Tracker() = default;

ConversationHandle Tracker::open(const ConversationOpen& o) {
  ConversationHandle s(
      new ConversationState(*this, o, dcerpc_counters_, options_.association_limits));
  ++counters_.conversations;
  // Linked to the EPM answer that gave one of its ports, when there is one and it came first.
  const bool udp = is_datagram(o.protseq);
  if (auto l = links_.link(o.endpoint, o.first_ts, udp)) {
    if (l->same_client) s->conv.group = l->conversation;
    if (l->interface) s->assoc.set_inferred_interface(*l->interface);
    s->conv.epm_link = std::make_shared<const EpmLink>(std::move(*l));
  }
  if (process_lookup_)
    if (auto p = process_lookup_(o.endpoint[0], o.endpoint[1]))
      s->conv.process = std::make_shared<const OwningProcess>(std::move(*p));
  const Selection& sel = options_.selection;
  s->excluded = (sel.by_endpoints() && !sel.matches_endpoints(o.endpoint[0], o.endpoint[1])) ||
                !sel.matches_conversation(o.id);
  // A datagram names its interface in every header: nothing to infer.
  if (!udp && unopened_count_ < kMaxUnopened) {
    ++unopened_count_;
    for (const common::Endpoint& e : o.endpoint) unopened_[{e, o.id}] = s.get();
  }
  return s;
}

void Tracker::forget_unopened(const ConversationState& s) {
  std::size_t erased = 0;
  for (int d : {0, 1}) erased += unopened_.erase({s.endpoint(d), s.conv.id});
  if (erased > 0) --unopened_count_;
}

void Tracker::infer_from_answer(const epm::EptMapResponse& answer, const ConversationState& mapper,
                                const dcerpc::FrameRef& at,
                                const common::IpAddress& mapper_address) {
  for (const auto& t : answer.towers) {
    if (!t.port || !t.interface) continue;
    const common::Endpoint server{tower_destination(t, mapper_address), *t.port};
    for (auto it = unopened_.lower_bound({server, 0});
         it != unopened_.end() && it->first.first == server; ++it) {
      ConversationState& c = *it->second;
      if (&c == &mapper || c.conv.syn_seen || c.conv.epm_link || c.conv.inferred_from ||
          c.assoc.context_count() > 0)
        continue;
      c.assoc.set_inferred_interface(*t.interface);
      EpmLink l;
      l.conversation = mapper.conv.id;
      l.frame = at.frame;
      l.ts = at.ts;
      l.interface = t.interface;
      c.conv.inferred_from = std::make_shared<const EpmLink>(std::move(l));
      // Listed among its interfaces even when no PDU came after the answer.
      if (std::none_of(c.conv.interfaces.begin(), c.conv.interfaces.end(),
                       [&](const InterfaceUse& u) { return u.interface == *t.interface; }))
        c.conv.interfaces.push_back({*t.interface, 0});
    }
  }
}

void Tracker::reclassify(ConversationState& s, Protseq protseq) { s.conv.protseq = protseq; }

void Tracker::begin_frame(ConversationState& s, const CarrierFrame& f) {
  in_frame_ = true;
  trailer_open_ = false;
  FrameRecord& r = current_.record;
  // Reset field by field: clear() keeps the vectors' capacity for the next frame.
  r.pdus.clear();
  r.notes.clear();
  r.events.clear();
  current_.calls.clear();
  r.shown = false;
  r.conversation = s.conv.id;
  r.protseq = s.conv.protseq;
  r.frame = f.frame;
  r.ts = f.ts;
  r.dir = f.dir;
  r.segment = f.segment;
  r.src = f.endpoints ? f.endpoints->first : s.endpoint(f.dir);
  r.dst = f.endpoints ? f.endpoints->second : s.endpoint(f.dir ^ 1);
  r.http_channel = f.http_channel;
  r.delta_us = s.have_prev ? f.ts.micros() - s.prev_ts.micros() : 0;
  s.prev_ts = f.ts;
  s.have_prev = true;
  at_ = FrameRef{f.frame, f.ts};
  ++s.conv.frames;
  s.conv.last_frame = f.frame;
  s.conv.end = f.ts;
}

// Facts found outside a frame (a conversation ending while another's frame is read, or at the
// end of the capture) go in a record of the conversation's last frame, written at its end.
Tracker::PendingFrame& Tracker::pending(ConversationState& s) {
  if (target_ != nullptr) return *target_;
  if (in_frame_) return current_;
  if (!trailer_open_ || current_.record.conversation != s.conv.id) {
    current_ = PendingFrame{};
    FrameRecord& r = current_.record;
    r.conversation = s.conv.id;
    r.protseq = s.conv.protseq;
    r.frame = s.conv.last_frame;
    r.ts = s.conv.end;
    r.src = s.endpoint(0);
    r.dst = s.endpoint(1);
    r.delta_us = -1;  // not a frame of its own
    at_ = FrameRef{s.conv.last_frame, s.conv.end};
    trailer_open_ = true;
  }
  return current_;
}

FrameRef Tracker::here(ConversationState& s) {
  pending(s);
  return at_;
}

FrameRef Tracker::attribute(ConversationState& s, const FrameRef& origin) {
  FrameRef ref = here(s);
  if (!in_frame_ || origin.frame != current_.record.frame) {
    for (auto& p : s.held)
      if (p.record.frame == origin.frame) {
        target_ = &p;
        return origin;
      }
  }
  return ref;
}

void Tracker::attribute_current(ConversationState&) { target_ = nullptr; }

void Tracker::pdu(ConversationState& s, Direction dir, common::Bytes pdu, const FrameRef& at,
                  const dcerpc::RtsVantage& rts) {
  s.rts_vantage = rts;
  s.assoc.pdu(dir, pdu, at);
}

void Tracker::name_virtual_connection(ConversationState& s, const common::Uuid& cookie,
                                      const HttpChannel& channel) {
  VirtualConnection& vc = s.conv.virtual_connection.emplace();
  vc.cookie = cookie;
  vc.conversation = s.conv.id;
  vc.channels.push_back(channel);
}

void Tracker::join_virtual_connection(ConversationState& s, ConversationState& holder,
                                      const HttpChannel& channel) {
  if (!holder.conv.virtual_connection) return;
  VirtualConnection& vc = *holder.conv.virtual_connection;
  if (vc.channels.size() < VirtualConnection::kMaxListed)
    vc.channels.push_back(channel);
  else
    ++vc.channels_not_listed;
  VirtualConnection& own = s.conv.virtual_connection.emplace();
  own.cookie = vc.cookie;
  own.conversation = vc.conversation;
  own.channels.push_back(channel);
}

void Tracker::datagram(ConversationState& s, Direction dir, common::Bytes payload,
                       std::size_t wire_length, const FrameRef& at) {
  if (s.cl) s.cl->datagram(dir, payload, wire_length, at);
}

void Tracker::cut_pdu(ConversationState& s, Direction dir, common::Bytes partial,
                      const FrameRef& at) {
  s.assoc.cut_pdu(dir, partial, at);
}

void Tracker::note(ConversationState& s, ReportedNote n) {
  // The ncacn_http/1.0 greeting of RPC over HTTP v1 (MS-RPCH 2.1.1) is the protocol sequence's
  // first step, not an anomaly: it names the conversation's protocol sequence.
  if (n.kind == NoteKind::ncacn_http) {
    s.conv.protseq = Protseq::ncacn_http;
  } else {
    ++s.conv.notes;
  }
  pending(s).record.notes.push_back(std::move(n));
}

void Tracker::resolve_roles(ConversationState& s) {
  Conversation& v = s.conv;
  int client = 0;
  if (s.opening_seen) {
    v.roles_from_syn = true;  // endpoint(0) opened it
  } else if (s.client_dir >= 0) {
    client = s.client_dir;
  } else if (epm::is_endpoint_mapper_port(s.endpoint(0).port) ||
             (s.endpoint(0).port < 1024 && s.endpoint(1).port >= 1024)) {
    client = 1;
  }
  const common::Endpoint ends[2] = {s.endpoint(0), s.endpoint(1)};  // before they change
  v.client = ends[client];
  v.server = ends[client ^ 1];
  s.client_is = static_cast<std::uint8_t>(client);
}

bool Tracker::shown(const ConversationState& s) const {
  const Selection& sel = options_.selection;
  if (s.excluded) return false;
  if (!sel.interfaces.empty() && !s.interface_matched) return false;
  if (sel.by_opnum() && !s.opnum_matched) return false;
  if (!sel.matches_conversation(s.conv.id)) return false;
  if (!sel.matches_time(s.conv.start, s.conv.end)) return false;
  return s.conv.dcerpc || sel.show_all || s.conv.epm_link || s.conv.well_known_port ||
         s.conv.pipe_activity;
}

// The conversation as known now, on one of its records.
void Tracker::stamp(ConversationState& s, FrameRecord& r) {
  r.shown = s.conv.shown;
  r.client = s.conv.client;
  r.server = s.conv.server;
  r.roles_from_syn = s.conv.roles_from_syn;
  r.epm_link = s.conv.epm_link;
  r.process = s.conv.process;
  r.group = s.conv.group;
}

void Tracker::end_frame(ConversationState& s, const FrameEnd& e) {
  FrameRecord& r = current_.record;
  r.segment.note.reset();
  if (e.note) {
    r.segment.note = e.note->kind;
    r.notes.push_back(*e.note);
  }
  if ((r.segment.flags & control::syn) && !s.conv.syn_seen) {
    s.conv.syn_seen = true;
    forget_unopened(s);
  }
  s.opening_seen = e.opening_seen;
  s.conv.shown = shown(s);
  resolve_roles(s);
  stamp(s, r);
  in_frame_ = false;
  if (s.excluded) return;  // nothing of it is written
  // While the carrier holds bytes out of order, this conversation's records wait, so the PDUs
  // those bytes complete can join the frame that carried them.
  if (e.holding || !s.held.empty()) {
    s.held.push_back(std::move(current_));
    if (!e.holding || s.held.size() > kMaxHeldRecords) flush_held(s);
  } else {
    write(current_);
  }
}

void Tracker::flush_held(ConversationState& s) {
  for (auto& p : s.held) {
    p.record.shown = s.conv.shown;
    write(p);
  }
  s.held.clear();
}

// --opnum keeps single calls: only their PDUs, and only frames that carry one. `frame`: the
// record is worth a frame() (the record of a conversation's end may hold only calls).
void Tracker::write(PendingFrame& p, bool frame) {
  FrameRecord& r = p.record;
  const Selection& sel = options_.selection;
  auto selected = [&](std::uint16_t op, const std::optional<dcerpc::SyntaxId>& interface) {
    return sel.matches_call(op, interface);
  };
  if (sel.by_opnum()) {
    std::erase_if(r.pdus, [&](const ReportedPdu& x) {
      auto op = opnum_of(x.event);
      return !op || !selected(*op, x.event.interface);
    });
    frame = frame && !r.pdus.empty();
    r.notes.clear();
    r.events.clear();
  }
  if (frame) sink_.frame(r);
  for (auto& c : p.calls) {
    if (sel.by_opnum() && !selected(c.call.opnum, c.call.interface)) continue;
    c.client = r.client;
    c.server = r.server;
    c.shown = r.shown;
    sink_.call(c);
  }
}

FrameRef Tracker::closing(ConversationState& s) {
  flush_held(s);
  return here(s);
}

void Tracker::close(ConversationHandle handle, EndReason reason, const CarrierTotals& totals) {
  ConversationState& s = *handle;
  pending(s);
  for (std::uint32_t id = 1; id <= s.channels.size(); ++id) close_channel(s, id);
  s.assoc.finish(at_);  // calls still outstanding end unanswered
  if (s.cl) s.cl->finish(at_);
  Conversation& v = s.conv;
  v.end_reason = reason;
  resolve_roles(s);
  // Direction 0 is from endpoint(0), which may be the server (no opening seen).
  const int from_client = v.client == s.endpoint(0) ? 0 : 1;
  v.bytes_to_server = totals.bytes[from_client];
  v.bytes_to_client = totals.bytes[from_client ^ 1];
  v.shown = shown(s);
  links_.tried(v.client, v.server, is_datagram(v.protseq));
  forget_unopened(s);
  write_trailer(s);
  if (v.dcerpc) ++counters_.conversations_dcerpc;
  if (v.shown) ++counters_.conversations_shown;
  sink_.conversation_end(v);
}

void Tracker::channel_ended(ConversationState& s) {
  if (in_frame_ || !trailer_open_ || current_.record.conversation != s.conv.id) return;
  write_trailer(s);
}

// The record of what came after the conversation's last frame: a frame line only when it holds
// something, its calls either way; the next facts start a record of their own.
void Tracker::write_trailer(ConversationState& s) {
  if (s.excluded) {
    trailer_open_ = false;
    return;
  }
  stamp(s, current_.record);
  write(current_, !current_.record.notes.empty() || !current_.record.pdus.empty() ||
                      !current_.record.events.empty());
  trailer_open_ = false;
}

}  // namespace rpctrace::analysis
