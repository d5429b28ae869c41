// Association state: presentation contexts (C706 §12.6.3.1 p_cont_list_t, results matched to
// the proposed list by position), calls by call_id (C706 §12.4: a response or fault carries
// the request's call_id), and fragment reassembly (C706 §12.6.3.3 PFC_FIRST_FRAG/LAST_FRAG).
#include "rpctrace/dcerpc/association.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/dcerpc/names.hpp"  // auth_level
#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::dcerpc {

std::string_view to_string(CallOutcome o) {
  static constexpr std::string_view kNames[] = {"response",  "fault",      "orphaned", "unanswered",
                                                "forgotten", "superseded", "rejected"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(CallOutcome::count_));
  auto i = static_cast<std::size_t>(o);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::optional<SyntaxId> Association::interface_of(std::uint16_t p_cont_id, bool* inferred) const {
  auto it = contexts_.find(p_cont_id);
  if (it != contexts_.end()) return it->second.abstract_syntax;
  if (inferred_interface_ && inferred != nullptr) *inferred = true;
  return inferred_interface_;
}

std::optional<SyntaxId> Association::transfer_syntax_of(std::uint16_t p_cont_id) const {
  auto it = contexts_.find(p_cont_id);
  if (it == contexts_.end()) return std::nullopt;
  return it->second.transfer_syntax;
}

void Association::note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
                       std::uint64_t bytes) {
  observer_.on_note(make_note(dir, at, kind, std::move(detail), bytes));
}

void Association::append_stub(std::vector<std::byte>& to, std::uint64_t& length, bool& truncated,
                              bool keep, common::Bytes stub) {
  length += stub.size();
  if (!keep || truncated) return;
  if (to.size() + stub.size() > limits_.max_stub_bytes) {
    truncated = true;
    ++counters_.stub_truncated_calls;
    to.clear();
    to.shrink_to_fit();
    return;
  }
  to.insert(to.end(), stub.begin(), stub.end());
}

void Association::end_call(std::uint32_t call_id, Call& c, CallOutcome outcome, const FrameRef& at,
                           std::uint32_t fault_status) {
  CallEnd e;
  e.call_id = call_id;
  e.dir = c.dir;
  e.opnum = c.opnum;
  e.p_cont_id = c.p_cont_id;
  e.interface = c.interface;
  e.interface_inferred = c.interface_inferred;
  e.transfer_syntax = c.transfer_syntax;
  e.packed_drep = c.packed_drep;
  e.auth_level = c.auth_level;
  e.request_first = c.first;
  e.request_last = c.last;
  e.request_complete = c.request_complete;
  e.request_fragments = c.fragments;
  e.request_stub_length = c.stub_length;
  if (c.responding) e.response_first = c.response_first;
  e.end = at;
  e.response_fragments = c.response_fragments;
  e.response_stub_length = c.response_stub_length;
  if (outcome == CallOutcome::response) e.response_tail = status_tail(c);
  e.response_drep = c.response_drep;
  e.latency_us = c.latency_us;
  e.outcome = outcome;
  e.fault_status = fault_status;
  CallStubsView stubs;
  if (c.keep_stub && !c.truncated && c.request_complete) stubs.request = c.request_stub;
  if (c.keep_stub && !c.response_truncated && c.responding) stubs.response = c.response_stub;
  observer_.on_call_end(e, stubs);
}

Association::Call* Association::call_for_request(Direction dir, const PduView& v, const Request& q,
                                                 const FrameRef& at) {
  const std::uint32_t call_id = v.header.call_id;
  const bool first = (v.header.pfc_flags & pfc::first_frag) != 0;
  auto it = calls_.find(call_id);
  // A first fragment starts a call; so does any fragment of a call we have not seen start
  // (capture began mid-call, or a peer that omits PFC_FIRST_FRAG). A first fragment for a
  // call_id already complete is a new call reusing the id.
  if (it != calls_.end() && !first && !it->second.request_complete) return &it->second;
  if (it != calls_.end()) {
    end_call(call_id, it->second, CallOutcome::superseded, at);
    calls_.erase(it);
  }
  if (calls_.size() >= limits_.max_outstanding_calls) {
    auto oldest = std::min_element(calls_.begin(), calls_.end(), [](const auto& a, const auto& b) {
      return a.second.order < b.second.order;
    });
    ++counters_.calls_evicted;
    note(dir, at, NoteKind::limit,
         fmt::format("{} calls outstanding (max_outstanding_calls): call_id {} forgotten",
                     calls_.size(), oldest->first));
    end_call(oldest->first, oldest->second, CallOutcome::forgotten, at);
    calls_.erase(oldest);
  }
  Call c;
  c.dir = dir;
  c.opnum = q.opnum;
  c.p_cont_id = q.p_cont_id;
  c.interface = interface_of(q.p_cont_id, &c.interface_inferred);
  c.transfer_syntax = transfer_syntax_of(q.p_cont_id);
  c.packed_drep = v.header.packed_drep;
  if (v.sec_trailer && v.header.auth_length > 0) c.auth_level = v.sec_trailer->auth_level;
  c.first = at;
  c.order = ++call_order_;
  c.keep_stub = c.interface.has_value() && observer_.wants_stub(*c.interface);
  return &calls_.emplace(call_id, std::move(c)).first->second;
}

void Association::pdu(Direction dir, common::Bytes pdu, const FrameRef& at) {
  PduResult r = parse_pdu(pdu);
  if (!r.is_complete()) {
    const auto& err = r.error();
    ++counters_.malformed[static_cast<std::size_t>(err.reason)];
    Note n;
    n.at = at;
    n.dir = dir;
    n.kind = NoteKind::malformed_pdu;
    n.reason = err.reason;
    n.detail = err.detail;
    n.bytes = pdu.size();
    HeaderResult h = parse_framing_header(pdu);
    if (h.is_complete()) n.header = h.value();
    observer_.on_note(n);
    return;
  }
  process(dir, r.value(), at);
}

void Association::cut_pdu(Direction dir, common::Bytes partial, const FrameRef& at) {
  PduResult r = parse_pdu_prefix(partial);
  if (!r.is_complete()) return;
  ++counters_.truncated_pdus;
  process(dir, r.value(), at);
}

// bind / alter_context: remember the proposal for the ack, and label the contexts
// provisionally so calls are named even when the ack is not in the capture (one-sided
// captures).
void Association::bind(Direction dir, const PduView& v, const FrameRef& at) {
  const Bind* b = std::get_if<Bind>(&v.body);
  if (b == nullptr) return;  // truncated before its contexts
  pending_binds_[v.header.call_id] = b->contexts;
  while (pending_binds_.size() > limits_.max_contexts) pending_binds_.erase(pending_binds_.begin());
  for (const auto& c : b->contexts) {
    if (contexts_.size() >= limits_.max_contexts && !contexts_.contains(c.p_cont_id)) {
      ++counters_.contexts_evicted;
      note(dir, at, NoteKind::limit,
           fmt::format("{} presentation contexts (max_contexts): p_cont_id {} not tracked",
                       contexts_.size(), c.p_cont_id));
      continue;
    }
    auto& ctx = contexts_[c.p_cont_id];
    if (!ctx.accepted || ctx.abstract_syntax != c.abstract_syntax) {
      ctx.abstract_syntax = c.abstract_syntax;
      ctx.accepted = false;
      ctx.transfer_syntax.reset();
    }
  }
}

// bind_ack / alter_context_resp: results answer the proposed contexts in order (C706
// §12.6.3.1).
void Association::bind_ack(const PduView& v, PduEvent& e) {
  const BindAck* a = std::get_if<BindAck>(&v.body);
  auto pending = pending_binds_.find(v.header.call_id);
  if (a == nullptr || pending == pending_binds_.end()) return;
  e.proposed = std::move(pending->second);
  pending_binds_.erase(pending);
  for (std::size_t i = 0; i < a->results.size() && i < e.proposed.size(); ++i) {
    auto it = contexts_.find(e.proposed[i].p_cont_id);
    if (it == contexts_.end()) continue;
    if (a->results[i].result == 0) {
      it->second.accepted = true;
      it->second.transfer_syntax = a->results[i].transfer_syntax;
    } else if (!it->second.accepted) {
      contexts_.erase(it);
    }
  }
}

void Association::request(Direction dir, const PduView& v, const FrameRef& at, PduEvent& e,
                          PduPayloadView& payload) {
  const Request* q = std::get_if<Request>(&v.body);
  if (q == nullptr) return;  // truncated before opnum
  Call* c = call_for_request(dir, v, *q, at);
  e.interface = c->interface;
  e.interface_inferred = c->interface_inferred;
  e.transfer_syntax = c->transfer_syntax;
  ++c->fragments;
  c->last = at;
  if (c->fragments > limits_.max_fragments_per_call && !c->truncated) {
    c->truncated = true;
    ++counters_.stub_truncated_calls;
    c->request_stub.clear();
  }
  if (v.truncated) c->truncated = c->incomplete = true;  // stub incomplete: nothing to decode
  append_stub(c->request_stub, c->stub_length, c->truncated, c->keep_stub, v.stub);
  if ((v.header.pfc_flags & pfc::last_frag) == 0) return;
  c->request_complete = true;
  e.call_complete = true;
  e.call_fragments = c->fragments;
  e.call_stub_length = c->stub_length;
  e.call_stub_truncated = c->truncated;
  e.call_stub_incomplete = c->incomplete;
  if (c->keep_stub && !c->truncated) payload.call_stub = c->request_stub;
}

// The response stub's last four octets when they can be read as a status: all four seen, in
// clear, none of the stub cut by the capture.
std::optional<std::array<std::byte, 4>> Association::status_tail(const Call& c) {
  if (c.tail_size < 4 || c.sealed || c.response_incomplete) return std::nullopt;
  return c.tail;
}

// The stub's last four octets, across fragments however they are cut (a last fragment of one
// or two octets keeps the end of the one before).
void Association::keep_tail(Call& c, const PduView& v) {
  c.response_drep = v.header.packed_drep;
  if (v.sec_trailer && v.sec_trailer->auth_level == auth_level::pkt_privacy) c.sealed = true;
  for (std::byte b : v.stub.last(std::min<std::size_t>(v.stub.size(), 4))) {
    if (c.tail_size == 4) {
      std::copy(c.tail.begin() + 1, c.tail.end(), c.tail.begin());
      c.tail[3] = b;
    } else {
      c.tail[c.tail_size++] = b;
    }
  }
}

std::optional<std::uint32_t> Association::answer(const PduView& v, const FrameRef& at, PduEvent& e,
                                                 PduPayloadView& payload) {
  const Response* rs = std::get_if<Response>(&v.body);
  const Fault* ft = std::get_if<Fault>(&v.body);
  if (rs == nullptr && ft == nullptr) return std::nullopt;  // truncated before p_cont_id
  const std::uint32_t call_id = v.header.call_id;
  std::uint16_t p_cont_id = rs ? rs->p_cont_id : ft->p_cont_id;
  auto it = calls_.find(call_id);
  if (it == calls_.end()) {
    ++counters_.responses_without_request;
    e.interface = interface_of(p_cont_id, &e.interface_inferred);
    return std::nullopt;
  }
  Call& c = it->second;
  if (!c.interface) {  // the request's context was unknown; the answer's may be known now
    c.interface = interface_of(p_cont_id, &c.interface_inferred);
  }
  e.interface = c.interface;
  e.interface_inferred = c.interface_inferred;
  e.transfer_syntax = c.transfer_syntax;
  e.opnum = c.opnum;
  e.request_frame = c.first.frame;
  if (!c.responding) {
    e.latency_us = at.ts.micros() - c.last.ts.micros();
    c.latency_us = e.latency_us;
    c.response_first = at;
    c.responding = true;
  }
  ++c.response_fragments;
  if (v.truncated) c.response_truncated = c.response_incomplete = true;
  append_stub(c.response_stub, c.response_stub_length, c.response_truncated, c.keep_stub, v.stub);
  if (rs != nullptr) keep_tail(c, v);
  // A fault ends the call whatever its flags.
  if ((v.header.pfc_flags & pfc::last_frag) == 0 && ft == nullptr) return std::nullopt;
  e.call_complete = true;
  if (rs != nullptr) e.stub_tail = status_tail(c);
  e.call_fragments = c.response_fragments;
  e.call_stub_length = c.response_stub_length;
  e.call_stub_truncated = c.response_truncated;
  e.call_stub_incomplete = c.response_incomplete;
  if (c.keep_stub && !c.response_truncated) payload.call_stub = c.response_stub;
  if (c.keep_stub && !c.truncated && c.request_complete) payload.request_stub = c.request_stub;
  return call_id;
}

void Association::process(Direction dir, PduView& v, const FrameRef& at) {
  ++counters_.pdus;
  ++counters_.pdus_by_ptype[static_cast<std::size_t>(v.header.ptype)];

  PduEvent e;
  e.at = at;
  e.dir = dir;
  e.header = v.header;
  e.sec_trailer = v.sec_trailer;
  e.auth_value_length = static_cast<std::uint16_t>(v.auth_value.size());
  e.truncated = v.truncated;
  e.captured = v.truncated ? v.captured : v.header.frag_length;
  PduPayloadView payload;
  payload.auth_value = v.auth_value;
  std::optional<std::uint32_t> ended;  // a call this PDU ended
  switch (v.header.ptype) {
    case PacketType::bind:
    case PacketType::alter_context:
      bind(dir, v, at);
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
      bind_ack(v, e);
      break;
    case PacketType::bind_nak:
      pending_binds_.erase(v.header.call_id);
      break;
    case PacketType::request:
      request(dir, v, at, e, payload);
      break;
    case PacketType::response:
    case PacketType::fault:
      ended = answer(v, at, e, payload);
      break;
    case PacketType::orphaned:  // the client abandoned the call (C706 §12.6.4.8)
      if (calls_.count(v.header.call_id)) ended = v.header.call_id;
      break;
    default:
      break;
  }
  e.body = std::move(v.body);
  observer_.on_pdu(e, payload);
  if (!ended) {
    end_unknown_call(v, e);
    return;
  }
  auto it = calls_.find(*ended);
  const Fault* ft = std::get_if<Fault>(&e.body);
  CallOutcome outcome = v.header.ptype == PacketType::orphaned ? CallOutcome::orphaned
                        : ft != nullptr                        ? CallOutcome::fault
                                                               : CallOutcome::response;
  end_call(*ended, it->second, outcome, at, ft != nullptr ? ft->status : 0);
  calls_.erase(it);
}

void Association::end_unknown_call(const PduView& v, const PduEvent& e) {
  const bool fault = v.header.ptype == PacketType::fault;
  if (!(v.header.ptype == PacketType::response || fault) || e.request_frame ||
      std::holds_alternative<NoBody>(e.body))
    return;  // not an answer, an answer to a known call, or one cut before its fields
  if ((v.header.pfc_flags & pfc::last_frag) == 0 && !fault) return;
  CallEnd c;
  c.call_id = v.header.call_id;
  c.request_seen = false;
  c.dir = e.dir ^ 1;
  c.interface = e.interface;
  c.interface_inferred = e.interface_inferred;
  c.packed_drep = v.header.packed_drep;
  c.response_first = e.at;
  c.end = e.at;
  c.response_fragments = 1;
  c.response_stub_length = v.stub.size();
  c.outcome = fault ? CallOutcome::fault : CallOutcome::response;
  if (const auto* f = std::get_if<Fault>(&e.body)) c.fault_status = f->status;
  observer_.on_call_end(c, CallStubsView{});
}

void Association::finish(const FrameRef& at) {
  std::vector<std::uint32_t> ids;
  ids.reserve(calls_.size());
  for (const auto& [id, call] : calls_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (std::uint32_t id : ids) end_call(id, calls_.at(id), CallOutcome::unanswered, at);
  calls_.clear();
}

}  // namespace rpctrace::dcerpc
