// What each PDU adds to its conversation: the summary's counts and interfaces, the roles it
// proves, the selection it matches, a note when a linked connection binds another interface
// than the one looked up, the decoded verifier and endpoint mapper stub; and the record of
// each call the association ends.
#include <fmt/format.h>

#include <algorithm>

#include "conversation_state.hpp"
#include "rpctrace/analysis/stub_decoders.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

using dcerpc::PacketType;

namespace {

// Which side sent a PDU of this type: the client (+1), the server (-1), either (0).
int sender_role(PacketType t) {
  switch (t) {
    case PacketType::bind:
    case PacketType::alter_context:
    case PacketType::request:
    case PacketType::auth3:
    case PacketType::co_cancel:
    case PacketType::orphaned:
    case PacketType::ping:  // connectionless (C706 §12.5.3)
    case PacketType::ack:
    case PacketType::cl_cancel:
      return 1;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
    case PacketType::bind_nak:
    case PacketType::response:
    case PacketType::fault:
    case PacketType::working:
    case PacketType::nocall:
    case PacketType::reject:
    case PacketType::cancel_ack:
      return -1;
    default:
      return 0;
  }
}

void use_interface(Conversation& v, const dcerpc::SyntaxId& s, std::uint64_t calls) {
  auto it = std::find_if(v.interfaces.begin(), v.interfaces.end(),
                         [&](const InterfaceUse& u) { return u.interface == s; });
  if (it == v.interfaces.end())
    v.interfaces.push_back({s, calls});
  else
    it->calls += calls;
}

}  // namespace

void Tracker::note(ConversationState& s, const dcerpc::Note& n) {
  ReportedNote r;
  r.kind = from_dcerpc(n.kind);
  r.detail = n.detail;
  if (n.kind == dcerpc::NoteKind::malformed_pdu && n.header) {
    r.detail = fmt::format("{} call_id {} malformed ({}): {}; {} bytes skipped",
                           dcerpc::to_string(n.header->ptype), n.header->call_id,
                           dcerpc::to_string(n.reason), n.detail, n.bytes);
    s.conv.dcerpc = true;
  }
  r.header = n.header;
  note(s, std::move(r));
}

// The conversation's summary, roles and selection, from one PDU.
void Tracker::count_pdu(ConversationState& s, const dcerpc::PduEvent& e) {
  Conversation& v = s.conv;
  v.dcerpc = true;
  ++v.pdus;
  const Selection& sel = options_.selection;
  const auto* bind = std::get_if<dcerpc::Bind>(&e.body);
  if (!sel.interfaces.empty() && !s.interface_matched) {
    if (e.interface && sel.matches_interface(*e.interface)) s.interface_matched = true;
    if (bind != nullptr)
      for (const auto& ctx : bind->contexts)
        if (sel.matches_interface(ctx.abstract_syntax)) s.interface_matched = true;
  }
  if (sel.by_opnum() && !s.opnum_matched && e.header.ptype == PacketType::request && opnum_of(e) &&
      sel.matches_call(*opnum_of(e), e.interface))
    s.opnum_matched = true;
  if (int role = sender_role(e.header.ptype); role != 0 && s.client_dir < 0)
    s.client_dir = role > 0 ? e.dir : e.dir ^ 1;
  if (e.header.ptype == PacketType::fault) ++v.faults;
  if (e.header.ptype == PacketType::request && e.call_complete) {
    ++v.calls;
    if (e.interface) use_interface(v, *e.interface, 1);
  }
  if (bind != nullptr)
    for (const auto& ctx : bind->contexts) use_interface(v, ctx.abstract_syntax, 0);
}

// --interface keeps the endpoint mapper lookup that led to a selected conversation: an
// ept_map or ept_lookup request asking for a selected interface selects its conversation.
void Tracker::select_by_lookup(ConversationState& s, const EpmDecode& d) {
  const Selection& sel = options_.selection;
  if (sel.interfaces.empty() || s.interface_matched || !d.value) return;
  std::optional<dcerpc::SyntaxId> asked;
  if (const auto* m = std::get_if<epm::EptMapRequest>(&*d.value); m && m->map_tower)
    asked = m->map_tower->interface;
  else if (const auto* l = std::get_if<epm::EptLookupRequest>(&*d.value))
    asked = l->interface_id;
  if (asked && sel.matches_interface(*asked)) s.interface_matched = true;
}

// The link to an ept_map answer is by address and port; the bind says whether this
// connection asks for the interface that was looked up.
void Tracker::check_epm_interface(ConversationState& s, const dcerpc::PduEvent& e) {
  const Conversation& v = s.conv;
  const auto* b = std::get_if<dcerpc::Bind>(&e.body);
  if (b == nullptr || e.header.ptype != PacketType::bind || b->contexts.empty() || !v.epm_link ||
      !v.epm_link->interface)
    return;
  const auto& looked_up = *v.epm_link->interface;
  if (std::any_of(b->contexts.begin(), b->contexts.end(), [&](const dcerpc::ContextElement& c) {
        return c.abstract_syntax.uuid == looked_up.uuid;
      }))
    return;
  ReportedNote n;
  n.kind = NoteKind::epm_interface_mismatch;
  n.detail = fmt::format(
      "the ept_map answer in conversation {} was for {}, but this bind asks for {}: the port "
      "serves several interfaces, or the client reused it",
      v.epm_link->conversation, dcerpc::format_syntax(looked_up),
      dcerpc::format_syntax(b->contexts[0].abstract_syntax));
  note(s, std::move(n));
}

void Tracker::count_return(const ReturnCode& r) {
  const auto key = std::make_pair(r.type, r.value);
  auto it = counters_.return_codes.find(key);
  if (it != counters_.return_codes.end())
    ++it->second;
  else if (counters_.return_codes.size() < Counters::kMaxReturnCodes)
    counters_.return_codes.emplace(key, 1);
  else
    ++counters_.return_codes_other;
}

void Tracker::on_pdu(ConversationState& s, const dcerpc::PduEvent& e,
                     const dcerpc::PduPayloadView& payload) {
  const Conversation& v = s.conv;
  count_pdu(s, e);
  check_epm_interface(s, e);
  // Built in place in its frame's record: a ReportedPdu is large.
  ReportedPdu& r = pending(s).record.pdus.emplace_back();
  r.event = e;
  if (e.stub_tail && e.opnum) {
    r.return_code = return_code_of(e.interface, *e.opnum, e.stub_tail, e.header.packed_drep);
    if (r.return_code) count_return(*r.return_code);
  }
  if (s.channel_now != nullptr) r.channel = *s.channel_now;
  if (stub_sealed(e)) {
    r.stub_encrypted = true;
    ++counters_.stubs_encrypted;
  }
  if (const auto* rts = std::get_if<dcerpc::Rts>(&e.body); rts != nullptr && !rts->error) {
    r.rts_names = dcerpc::classify_rts(rts->flags, rts->commands, s.rts_vantage);
    r.rts_channel = s.rts_vantage.channel;
  }
  r.auth = decode_auth(e, payload.auth_value, counters_);
  s.last_epm.reset();
  if (auto epm = decode_epm(e, payload.call_stub, r.stub_encrypted, counters_)) {
    r.epm = std::make_shared<const EpmDecode>(std::move(epm->decode));
    r.verification_trailer = std::move(epm->verification_trailer);
    // Remember where the mapper sent clients: e.dir is the mapper's direction.
    if (const auto* answer =
            r.epm->value ? std::get_if<epm::EptMapResponse>(&*r.epm->value) : nullptr) {
      links_.remember(std::shared_ptr<const epm::EptMapResponse>(r.epm, answer), v.id, e.at,
                      s.endpoint(e.dir ^ 1), s.endpoint(e.dir).address);
      infer_from_answer(*answer, s, e.at, s.endpoint(e.dir).address);
    }
    if (e.header.ptype == PacketType::request) {
      select_by_lookup(s, *r.epm);
      if (s.epm_requests.size() >= ConversationState::kMaxEpmRequests) s.epm_requests.clear();
      s.epm_requests[epm_request_key(s, e.header.call_id)] = r.epm;
    } else {
      s.last_epm = r.epm;
    }
  }
  if (auto d = decode_dcom(e, payload.call_stub, r.stub_encrypted, counters_)) {
    r.dcom = std::make_shared<const DcomDecode>(std::move(*d));
    // The object exporter's ports: a connection to one links to this call as to an ept_map
    // answer (the firewall rule, the endpoints listing, the timeline's headers).
    if (r.dcom->value) {
      epm::EptMapResponse towers = activation_towers(*r.dcom->value);
      if (!towers.towers.empty())
        links_.remember(std::move(towers), v.id, e.at, s.endpoint(e.dir ^ 1),
                        s.endpoint(e.dir).address, r.dcom->value->operation);
    }
  }
}

void Tracker::on_call_end(ConversationState& s, const dcerpc::CallEnd& c,
                          const dcerpc::CallStubsView& stubs) {
  CallRecord r;
  r.conversation = s.conv.id;
  r.protseq = s.conv.protseq;
  r.call = c;
  r.return_code = return_code_of(c.interface, c.opnum, c.response_tail, c.response_drep);
  if (s.channel_now != nullptr) r.channel = *s.channel_now;
  const std::uint64_t key = epm_request_key(s, c.call_id);
  const bool epm = c.interface && c.interface->uuid == dcerpc::epm_uuid() &&
                   c.opnum <= epm::opnum::ept_mgmt_delete;
  if (epm && c.auth_level != dcerpc::auth_level::pkt_privacy) {
    if (stubs.request) {
      auto q = s.epm_requests.find(key);
      // The request PDU's decode, unless it was dropped past kMaxEpmRequests.
      r.epm_request = q != s.epm_requests.end()
                          ? std::move(q->second)
                          : std::make_shared<const EpmDecode>(
                                decode_epm_stub(c.opnum, true, *stubs.request,
                                                c.packed_drep.integer_order(), c.transfer_syntax)
                                    .decode);
    }
    if (c.outcome == dcerpc::CallOutcome::response) r.epm_response = s.last_epm;
  }
  s.epm_requests.erase(key);
  pending(s).calls.push_back(std::move(r));
}

}  // namespace rpctrace::analysis
