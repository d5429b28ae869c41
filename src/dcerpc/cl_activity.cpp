// Connectionless calls: fragments joined by activity, sequence number and fragment number
// (C706 §12.5.1, fragnum; §12.5.3.4 fack), requests paired with their responses, faults and
// rejects by activity and sequence number, and the client's pings and the server's working and
// nocall answers counted on their call (C706 §12.5.3); the auth level of each fragment's
// verifier (MS-RPCE 2.2.3.4 sec_trailer_cl), so a sealed stub is neither read for a status
// nor handed to a decoder.
#include "rpctrace/dcerpc/cl_activity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "rpctrace/dcerpc/names.hpp"  // auth_level

namespace rpctrace::dcerpc {

namespace {

// fragnum is a u16 (C706 §12.5.1): the bits of Side::not_stored, in 64-bit words.
constexpr std::size_t kFragnumWords = (std::size_t{1} << 16) / 64;

// The auth_level of a PDU's verifier: whenever auth_proto is set, the verifier opens with
// sec_trailer_cl (auth_level, key_vers_num; MS-RPCE 2.2.3.4). 0 without a verifier, or when
// the capture cut the datagram (the parser keeps no verifier then).
std::uint8_t auth_level_of(const ClPduView& v) {
  if (v.header.auth_proto == 0) return 0;
  common::ByteReader r(v.auth_verifier);
  const std::uint8_t level = r.u8();
  return r.ok() ? level : 0;
}

// The connection-oriented header fields a connectionless PDU shares (see PduEvent).
CommonHeader shared_header(const ClPduView& v, std::size_t auth_length) {
  const ClHeader& h = v.header;
  CommonHeader c;
  c.rpc_vers = h.rpc_vers;
  c.rpc_vers_minor = 0;
  c.ptype = h.ptype;
  c.pfc_flags = 0;
  if (h.fragnum == 0) c.pfc_flags |= pfc::first_frag;
  if (!h.more_fragments()) c.pfc_flags |= pfc::last_frag;
  if (h.flags1 & cl_flags1::maybe) c.pfc_flags |= pfc::maybe;
  if (!h.object.is_nil()) c.pfc_flags |= pfc::object_uuid;
  c.packed_drep = h.drep;
  c.frag_length = static_cast<std::uint16_t>(std::min<std::size_t>(kClHeaderSize + h.len, 65535));
  c.auth_length = static_cast<std::uint16_t>(std::min<std::size_t>(auth_length, 65535));
  c.call_id = h.seqnum;
  return c;
}

}  // namespace

void ClActivities::note(Direction dir, const FrameRef& at, NoteKind kind, std::string detail,
                        std::uint64_t bytes) {
  observer_.on_note(make_note(dir, at, kind, std::move(detail), bytes));
}

void ClActivities::datagram(Direction dir, common::Bytes data, std::size_t wire_length,
                            const FrameRef& at) {
  ClPduResult r = parse_cl_pdu(data, wire_length);
  if (!r.is_complete()) {
    const auto& err = r.error();
    ++counters_.cl_malformed[static_cast<std::size_t>(err.reason)];
    std::string what = "connectionless PDU";
    if (auto h = parse_cl_header(data); h.is_complete())
      what = fmt::format("connectionless {} seq {}", to_string(h.value().ptype), h.value().seqnum);
    note(dir, at, NoteKind::malformed_pdu,
         fmt::format("{} malformed ({}): {}; {} bytes skipped", what, to_string(err.reason),
                     err.detail, data.size()),
         data.size());
    return;
  }
  if (r.value().truncated) ++counters_.truncated_pdus;
  process(dir, r.value(), at);
}

bool ClActivities::has_fragment(const Side& side, std::uint16_t n) {
  if (side.fragments.count(n)) return true;
  const std::size_t word = n / 64u;
  return word < side.not_stored.size() && ((side.not_stored[word] >> (n % 64u)) & 1u) != 0;
}

// Every fragment received, stored or only counted: what the call reports as its fragments.
std::uint32_t ClActivities::fragment_count(const Side& side) {
  return static_cast<std::uint32_t>(side.fragments.size()) + side.not_stored_count;
}

bool ClActivities::stub_handed(const Call& c, const Side& side) {
  return c.named && c.keep_stub && !side.truncated && !side.sealed;
}

bool ClActivities::add_fragment(const Call& c, Side& side, const ClPduView& v, const FrameRef& at) {
  const std::uint16_t n = v.header.fragnum;
  if (has_fragment(side, n) || (side.complete && side.last && n <= *side.last)) return false;
  if (fragment_count(side) == 0) side.first = at;
  side.last_at = at;
  side.stub_length += v.stub.size();
  if (v.truncated) side.truncated = side.incomplete = true;
  // Every fragment of a call has the same auth_level (MS-RPCE 2.2.3.4); any one sealed says so.
  if (auth_level_of(v) == auth_level::pkt_privacy) side.sealed = true;
  if (!v.header.more_fragments()) side.last = n;
  if (side.fragments.size() >= limits_.max_fragments_per_call) {
    // Counted, not stored: its octets are gone, so the stub is not whole.
    if (!side.truncated) {
      side.truncated = true;
      ++counters_.stub_truncated_calls;
    }
    if (side.not_stored.empty()) side.not_stored.resize(kFragnumWords);
    side.not_stored[n / 64u] |= std::uint64_t{1} << (n % 64u);
    ++side.not_stored_count;
  } else {
    Fragment f;
    f.length = static_cast<std::uint32_t>(v.stub.size());
    for (std::byte b : v.stub.last(std::min<std::size_t>(v.stub.size(), 4)))
      f.tail[f.tail_size++] = b;
    std::size_t kept = 0;
    for (const auto& [num, frag] : side.fragments) kept += frag.stub.size();
    if (c.keep_stub && !side.truncated) {
      if (kept + v.stub.size() > limits_.max_stub_bytes) {
        side.truncated = side.past_stub_limit = true;
        // A call kept provisionally (fragment 0 not seen yet) is counted when fragment 0
        // names an interface whose stubs are wanted (name_call), not before.
        if (c.named) ++counters_.stub_truncated_calls;
        for (auto& [num, frag] : side.fragments) std::vector<std::byte>().swap(frag.stub);
      } else {
        f.stub.assign(v.stub.begin(), v.stub.end());
      }
    }
    side.fragments.emplace(n, std::move(f));
  }
  // Whole once every fragment from 0 to the last is in, stored or counted.
  if (side.last) {
    const std::size_t last = *side.last;
    auto upto = side.fragments.upper_bound(*side.last);
    auto have = static_cast<std::size_t>(std::distance(side.fragments.begin(), upto));
    for (std::size_t w = 0; w < side.not_stored.size() && w * 64 <= last; ++w) {
      const std::size_t top = last - w * 64;  // the highest bit of this word that counts
      const std::uint64_t mask = top >= 63 ? ~std::uint64_t{0} : (std::uint64_t{2} << top) - 1;
      have += static_cast<std::size_t>(std::popcount(side.not_stored[w] & mask));
    }
    side.complete = have == last + 1;
  }
  return true;
}

std::vector<std::byte> ClActivities::joined(const Side& side) const {
  std::vector<std::byte> out;
  for (const auto& [n, f] : side.fragments) out.insert(out.end(), f.stub.begin(), f.stub.end());
  return out;
}

// The last four octets of the whole stub, across fragments however short the last ones are:
// read from the last fragment down without a gap (past max_fragments_per_call a fragment may
// not have been kept, and the octets before it are not the stub's end). None for a sealed
// stub (packet privacy): it ends in ciphertext, not a status (as Association::status_tail).
std::optional<std::array<std::byte, 4>> ClActivities::tail_of(const Side& side) {
  if (side.incomplete || side.sealed || !side.last) return std::nullopt;
  std::array<std::byte, 4> out{};
  std::size_t have = 0;
  std::uint32_t expect = *side.last;
  for (auto it = std::make_reverse_iterator(side.fragments.upper_bound(*side.last));
       it != side.fragments.rend() && have < 4; ++it, --expect) {
    if (it->first != expect) return std::nullopt;
    const Fragment& f = it->second;
    for (std::size_t i = f.tail_size; i > 0 && have < 4; --i) out[3 - have++] = f.tail[i - 1];
  }
  if (have < 4) return std::nullopt;
  return out;
}

// The call a request belongs to, made when new. Also makes the call of an answer (response,
// fault, reject) whose request the capture did not hold, named by the answer's header (the
// server echoes the interface and opnum): such a call is not its activity's current call, but
// it counts against max_outstanding_calls like any other.
ClActivities::Call* ClActivities::call_for_request(Direction dir, const ClPduView& v,
                                                   const FrameRef& at) {
  const ClHeader& h = v.header;
  const Key key{h.act_id, h.seqnum};
  const bool answer = h.ptype != PacketType::request;
  auto it = calls_.find(key);
  if (it != calls_.end()) {
    Call& c = it->second;
    // Fragment 0 names the call; a later fragment seen first may carry another if_id.
    if (h.fragnum == 0 && !c.named) name_call(c, h);
    c.request_seen = true;
    return &c;
  }
  // A new sequence number on an activity ends the call before it (C706 §12.5.3: a client
  // makes one call at a time per activity; its next request implicitly acknowledges the last).
  // Only a newer one gets here: process() keeps late (older) requests away.
  if (auto a = activities_.find(h.act_id); !answer && a != activities_.end() &&
                                           a->second.outstanding &&
                                           *a->second.outstanding != h.seqnum) {
    const Key old{h.act_id, *a->second.outstanding};
    if (auto o = calls_.find(old); o != calls_.end()) {
      end_call(old, o->second, CallOutcome::superseded, at);
      calls_.erase(o);
    }
  }
  if (calls_.size() >= limits_.max_outstanding_calls) {
    auto oldest = std::min_element(calls_.begin(), calls_.end(), [](const auto& a, const auto& b) {
      return a.second.order < b.second.order;
    });
    ++counters_.calls_evicted;
    note(dir, at, NoteKind::limit,
         fmt::format("{} calls outstanding (max_outstanding_calls): seq {} forgotten",
                     calls_.size(), oldest->first.seqnum));
    end_call(oldest->first, oldest->second, CallOutcome::forgotten, at);
    calls_.erase(oldest);
  }
  Call c;
  c.dir = answer ? static_cast<Direction>(dir ^ 1) : dir;
  c.request_seen = !answer;
  c.request_drep = h.drep;
  c.order = ++order_;
  if (!answer && h.fragnum == 0) {
    name_call(c, h);
  } else {
    // Labelled by this header until fragment 0 names it; its stubs are kept meanwhile, since
    // fragment 0 may name an interface whose stubs are wanted (Call::named).
    c.interface = h.interface();
    c.opnum = h.opnum;
    c.keep_stub = true;
  }
  if (answer) return &calls_.emplace(key, std::move(c)).first->second;
  Activity& a = activity_for_call(dir, h.act_id, at);
  a.seqnum = h.seqnum;
  a.interface = c.interface;
  a.opnum = c.opnum;
  a.outstanding = h.seqnum;
  return &calls_.emplace(key, std::move(c)).first->second;
}

void ClActivities::name_call(Call& c, const ClHeader& h) {
  c.interface = h.interface();
  c.opnum = h.opnum;
  c.named = true;
  c.keep_stub = observer_.wants_stub(c.interface);
  for (Side* side : {&c.request, &c.response}) {
    if (!c.keep_stub) {
      // Kept provisionally for an interface nobody decodes: let the octets go.
      for (auto& [n, f] : side->fragments) std::vector<std::byte>().swap(f.stub);
    } else if (side->past_stub_limit) {
      ++counters_.stub_truncated_calls;  // passed while provisional, not counted then
    }
  }
  // The activity labels the PDUs after the call's end with its names: fragment 0's, too.
  if (auto a = activities_.find(h.act_id);
      a != activities_.end() && a->second.outstanding == h.seqnum) {
    a->second.interface = c.interface;
    a->second.opnum = c.opnum;
  }
}

// A known activity is used again; a new one past max_activities_ makes room by forgetting the
// least recently used (the one being worked on is not in the table yet, so never that one).
// A call in progress on the forgotten activity stays tracked; only the activity's memory goes.
ClActivities::Activity& ClActivities::activity_for_call(Direction dir, const Uuid& act_id,
                                                        const FrameRef& at) {
  if (auto a = activities_.find(act_id); a != activities_.end()) {
    touch(a->second);
    return a->second;
  }
  if (activities_.size() >= max_activities_ && !lru_.empty()) {
    const Uuid oldest = lru_.front();
    note(dir, at, NoteKind::limit,
         fmt::format("{} activities (max_activities): activity {} forgotten", activities_.size(),
                     oldest.to_string()));
    activities_.erase(oldest);
    lru_.pop_front();
  }
  Activity& a = activities_[act_id];
  a.lru = lru_.insert(lru_.end(), act_id);
  return a;
}

void ClActivities::request(Direction, const ClPduView& v, const FrameRef& at, PduEvent& e,
                           PduPayloadView& payload, Call& c) {
  const bool was_complete = c.request.complete;
  if (!add_fragment(c, c.request, v, at)) {
    e.cl->duplicate = true;
    ++c.resent;
    return;
  }
  if (c.auth_level == 0) c.auth_level = auth_level_of(v);
  if (was_complete || !c.request.complete) return;
  e.call_complete = true;
  e.call_fragments = fragment_count(c.request);
  e.call_stub_length = c.request.stub_length;
  e.call_stub_truncated = c.request.truncated;
  e.call_stub_incomplete = c.request.incomplete;
  if (stub_handed(c, c.request)) {
    request_scratch_ = joined(c.request);
    payload.call_stub = request_scratch_;
  }
}

void ClActivities::answered(Call& c, const FrameRef& at, PduEvent& e) {
  if (c.request_seen) e.request_frame = c.request.first.frame;
  if (c.responding) return;
  c.responding = true;
  if (c.request_seen && fragment_count(c.request) > 0) {
    c.latency_us = at.ts.micros() - c.request.last_at.ts.micros();
    e.latency_us = c.latency_us;
  }
}

bool ClActivities::response(const ClPduView& v, const FrameRef& at, PduEvent& e,
                            PduPayloadView& payload, Call& c) {
  c.response_drep = v.header.drep;
  const bool first = !c.responding;
  if (!add_fragment(c, c.response, v, at)) {
    e.cl->duplicate = true;
    return false;
  }
  if (first) answered(c, at, e);
  if (c.request_seen) e.request_frame = c.request.first.frame;
  if (!c.response.complete) return false;
  e.call_complete = true;
  e.call_fragments = fragment_count(c.response);
  e.call_stub_length = c.response.stub_length;
  e.call_stub_truncated = c.response.truncated;
  e.call_stub_incomplete = c.response.incomplete;
  e.stub_tail = tail_of(c.response);
  if (stub_handed(c, c.response)) {
    response_scratch_ = joined(c.response);
    payload.call_stub = response_scratch_;
  }
  if (stub_handed(c, c.request) && c.request.complete) {
    request_scratch_ = joined(c.request);
    payload.request_stub = request_scratch_;
  }
  return true;
}

void ClActivities::process(Direction dir, ClPduView& v, const FrameRef& at) {
  ++counters_.pdus;
  ++counters_.pdus_by_ptype[static_cast<std::size_t>(v.header.ptype)];
  const ClHeader& h = v.header;
  PduEvent e;
  e.at = at;
  e.dir = dir;
  e.header = shared_header(v, v.auth_verifier.size());
  e.auth_value_length = e.header.auth_length;
  e.truncated = v.truncated;
  e.captured = v.truncated ? v.captured : e.header.frag_length;
  e.cl = ClFacts{h, v.body, false, v.auth_verifier.size(), auth_level_of(v)};
  PduPayloadView payload;
  payload.auth_value = v.auth_verifier;

  const Key key{h.act_id, h.seqnum};
  auto current = calls_.find(key);
  // The activity's last call has ended and this PDU is of it: an ack, a late fack, or a
  // request or response sent again (a client retransmits until the answer arrives, so its
  // request can cross the response on the wire). Labelled, not a call of its own.
  const auto known = activities_.find(h.act_id);
  if (known != activities_.end()) touch(known->second);
  const bool after_end = current == calls_.end() && known != activities_.end() &&
                         known->second.seqnum == h.seqnum && !known->second.outstanding;
  // A client's sequence numbers only grow on an activity (C706 §12.5.2.11), and it never wraps
  // them (MS-RPCE 3.2.3.1.7): a request older than the activity's latest call is a late copy
  // of a call already over, delayed or duplicated on the way. It neither ends the call in
  // progress nor starts one; it is labelled by its own header.
  const bool late = current == calls_.end() && known != activities_.end() &&
                    h.ptype == PacketType::request && h.seqnum < known->second.seqnum;
  Call* c = nullptr;
  if (after_end) {
    e.cl->duplicate = h.ptype == PacketType::response || h.ptype == PacketType::request;
  } else if (late) {
    e.cl->duplicate = true;
    e.interface = h.interface();
    ++late_requests_;
  } else if (h.ptype == PacketType::request) {
    c = call_for_request(dir, v, at);
  } else if (current != calls_.end()) {
    c = &current->second;
  } else if (h.ptype == PacketType::response || h.ptype == PacketType::fault ||
             h.ptype == PacketType::reject) {
    ++counters_.responses_without_request;
    c = call_for_request(dir, v, at);
  }

  std::optional<CallOutcome> ended;
  std::uint32_t status = 0;
  if (c != nullptr) {
    e.interface = c->interface;
    if (h.ptype != PacketType::request) e.opnum = c->opnum;
  } else if (auto a = activities_.find(h.act_id);
             a != activities_.end() && a->second.seqnum == h.seqnum) {
    e.interface = a->second.interface;  // a PDU after its call ended (ack, late fack)
    e.opnum = a->second.opnum;
  }
  switch (h.ptype) {
    case PacketType::request:
      if (c != nullptr) request(dir, v, at, e, payload, *c);
      e.body = Request{0, 0, h.opnum, h.object.is_nil() ? std::nullopt : std::optional(h.object),
                       static_cast<std::uint32_t>(v.stub.size())};
      break;
    case PacketType::response:
      if (c != nullptr && response(v, at, e, payload, *c)) ended = CallOutcome::response;
      e.body = Response{0, 0, 0, static_cast<std::uint32_t>(v.stub.size())};
      break;
    case PacketType::fault:
    case PacketType::reject:
      if (const auto* s = std::get_if<ClStatus>(&v.body)) status = s->status;
      if (c != nullptr) {
        answered(*c, at, e);
        ended = h.ptype == PacketType::fault ? CallOutcome::fault : CallOutcome::rejected;
      }
      if (h.ptype == PacketType::fault) e.body = Fault{0, 0, 0, 0, status, 0};
      break;
    case PacketType::ping:
      if (c != nullptr) ++c->pings;
      break;
    case PacketType::working:
      if (c != nullptr) ++c->working;
      break;
    case PacketType::nocall:
      if (c != nullptr) ++c->nocalls;
      break;
    default:  // ack, fack, cl_cancel, cancel_ack: labelled, nothing to track
      break;
  }
  observer_.on_pdu(e, payload);
  if (!ended) return;
  auto it = calls_.find(key);
  end_call(key, it->second, *ended, at, status);
  calls_.erase(it);
}

void ClActivities::end_call(const Key& k, Call& c, CallOutcome outcome, const FrameRef& at,
                            std::uint32_t status) {
  CallEnd e;
  e.call_id = k.seqnum;
  e.activity = k.activity;
  e.request_seen = c.request_seen;
  e.dir = c.dir;
  e.opnum = c.opnum;
  e.interface = c.interface;
  e.packed_drep = c.request_drep;
  e.request_first = c.request.first;
  e.request_last = c.request.last_at;
  e.request_complete = c.request.complete;
  e.auth_level = c.auth_level;
  e.request_fragments = fragment_count(c.request);
  e.request_stub_length = c.request.stub_length;
  if (c.responding) e.response_first = fragment_count(c.response) == 0 ? at : c.response.first;
  e.end = at;
  e.response_fragments = fragment_count(c.response);
  e.response_stub_length = c.response.stub_length;
  if (outcome == CallOutcome::response) e.response_tail = tail_of(c.response);
  e.response_drep = c.response_drep;
  e.latency_us = c.latency_us;
  e.outcome = outcome;
  e.fault_status = status;
  e.pings = c.pings;
  e.working = c.working;
  e.nocalls = c.nocalls;
  e.resent = c.resent;
  CallStubsView stubs;
  std::vector<std::byte> request_stub, response_stub;
  if (stub_handed(c, c.request) && c.request.complete) {
    request_stub = joined(c.request);
    stubs.request = request_stub;
  }
  if (stub_handed(c, c.response) && c.response.complete) {
    response_stub = joined(c.response);
    stubs.response = response_stub;
  }
  if (auto a = activities_.find(k.activity);
      a != activities_.end() && a->second.outstanding == k.seqnum)
    a->second.outstanding.reset();
  observer_.on_call_end(e, stubs);
}

void ClActivities::finish(const FrameRef& at) {
  std::vector<std::pair<std::uint64_t, Key>> order;
  order.reserve(calls_.size());
  for (const auto& [k, c] : calls_) order.emplace_back(c.order, k);
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [o, k] : order) end_call(k, calls_.at(k), CallOutcome::unanswered, at);
  calls_.clear();
}

}  // namespace rpctrace::dcerpc
