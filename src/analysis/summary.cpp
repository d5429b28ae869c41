// The Summarizer: a conversation's story gathered from its frame and call records, and the
// capture's per-operation table over the conversations shown.
#include "rpctrace/analysis/summary.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

using dcerpc::PacketType;

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::ok:
      return "ok";
    case Verdict::refused:
      return "refused";
    case Verdict::unanswered:
      return "unanswered";
    case Verdict::faulted:
      return "faulted";
    case Verdict::failed:
      return "failed";
    case Verdict::incomplete:
      return "incomplete";
  }
  return "ok";
}

std::string_view ending_of(const Conversation& c, bool fin, bool rst) {
  switch (c.end_reason) {
    case EndReason::closed:
      return rst ? "rst" : "fin";
    case EndReason::capture_end:
      // Closed in the capture's last moments, before the grace period ran out.
      return rst ? "rst" : fin ? "fin" : "capture_end";
    case EndReason::port_reused:
      return "port_reused";
    case EndReason::evicted_idle:
      return "idle";
    case EndReason::evicted_limit:
      return "evicted";
    case EndReason::joined:
      return "joined";
  }
  return "capture_end";
}

namespace {

// DOMAIN\user from a decoded verifier: NTLMSSP's AUTHENTICATE, or a Netlogon secure channel's
// computer account (NL_AUTH_MESSAGE names the computer; its account is COMPUTER$).
std::string account_of(const AuthDecode& a) {
  if (!a.value || !a.value->token) return {};
  const auth::Token& t = *a.value->token;
  std::string user = t.user;
  if (user.empty() && t.mechanism == "Netlogon" && !t.workstation.empty())
    user = t.workstation + "$";
  if (user.empty()) return {};
  return t.domain.empty() ? user : t.domain + "\\" + user;
}

void set_result(std::vector<BoundInterface>& bound, const dcerpc::SyntaxId& s, std::string result,
                std::uint16_t reason) {
  for (auto& b : bound)
    if (b.interface == s) {
      b.result = std::move(result);
      b.reason = reason;
      return;
    }
  if (bound.size() >= ConversationSummary::kMaxBound) return;
  bound.push_back({s, std::move(result), reason});
}

std::string_view result_word(std::uint16_t r) {
  switch (r) {
    case dcerpc::cont_def_result::acceptance:
      return "accepted";
    case dcerpc::cont_def_result::user_rejection:
      return "user_rejection";
    case dcerpc::cont_def_result::provider_rejection:
      return "provider_rejection";
    default:
      return "negotiate_ack";
  }
}

}  // namespace

void Summarizer::frame(const FrameRecord& f) {
  Open& o = open_[f.conversation];
  const std::uint8_t flags = f.segment.flags;
  if (f.delta_us >= 0 && !is_datagram(f.protseq)) {
    const bool syn = (flags & control::syn) != 0, ack = (flags & control::ack) != 0;
    if (syn && !ack && !o.syn) {
      o.syn = f.ts;
      o.syn_dir = f.dir;
    } else if (syn && ack && o.syn && !o.syn_ack && f.dir != o.syn_dir) {
      o.syn_ack = f.ts;
    } else if (!syn && ack && o.syn_ack && !o.handshake_done && f.dir == o.syn_dir) {
      o.handshake_done = true;
      o.s.handshake_rtt_us = f.ts.micros() - o.syn->micros();
    }
    if (flags & control::rst) {
      o.rst = true;
      if (o.syn && !o.syn_ack && f.dir != o.syn_dir && o.refused.empty())
        o.refused = fmt::format("connection refused: a RST answered the SYN (frame {})", f.frame);
    }
    if (flags & control::fin) o.fin = true;
  }
  if (f.delta_us >= 0 && f.src == f.server) o.server_spoke = true;
  for (const auto& n : f.notes)
    if (n.kind == NoteKind::gap) ++o.s.gaps;
  for (const auto& e : f.events) event(o, e);
  for (const auto& p : f.pdus) pdu(o, f, p);
}

void Summarizer::pdu(Open& o, const FrameRecord& f, const ReportedPdu& p) {
  const dcerpc::PduEvent& e = p.event;
  ConversationSummary& s = o.s;
  if (e.sec_trailer && s.auth_type == 0 && e.header.ptype != PacketType::rts) {
    s.auth_type = e.sec_trailer->auth_type;
    s.auth_level = e.sec_trailer->auth_level;
  }
  if (p.auth && s.account.empty()) s.account = account_of(*p.auth);
  switch (e.header.ptype) {
    case PacketType::bind:
    case PacketType::alter_context:
      if (const auto* b = std::get_if<dcerpc::Bind>(&e.body)) {
        o.proposing = b->contexts;
        for (const auto& c : b->contexts)
          if (!dcerpc::is_bind_time_feature_negotiation(c.abstract_syntax.uuid))
            set_result(s.bound, c.abstract_syntax, "unanswered", 0);
      }
      if (e.header.ptype == PacketType::bind && !o.bind) o.bind = f.ts;
      o.bind_seen = true;
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
      if (const auto* a = std::get_if<dcerpc::BindAck>(&e.body)) {
        const auto& proposed = e.proposed.empty() ? o.proposing : e.proposed;
        bool any_accepted = false, any = false;
        for (std::size_t i = 0; i < a->results.size() && i < proposed.size(); ++i) {
          const auto& syntax = proposed[i].abstract_syntax;
          if (dcerpc::is_bind_time_feature_negotiation(syntax.uuid)) continue;
          const auto& r = a->results[i];
          any = true;
          any_accepted = any_accepted || r.result == dcerpc::cont_def_result::acceptance;
          set_result(s.bound, syntax, std::string(result_word(r.result)), r.reason);
        }
        if (any && !any_accepted && o.refused.empty())
          o.refused = fmt::format("the {} in frame {} rejected every context",
                                  dcerpc::to_string(e.header.ptype), f.frame);
      }
      if (e.header.ptype == PacketType::bind_ack && o.bind && !s.bind_rtt_us)
        s.bind_rtt_us = f.ts.micros() - o.bind->micros();
      o.proposing.clear();
      break;
    case PacketType::bind_nak:
      if (const auto* n = std::get_if<dcerpc::BindNak>(&e.body)) {
        for (const auto& c : o.proposing)
          if (!dcerpc::is_bind_time_feature_negotiation(c.abstract_syntax.uuid))
            set_result(s.bound, c.abstract_syntax, "bind_nak", n->provider_reject_reason);
        if (o.refused.empty())
          o.refused = fmt::format("bind_nak in frame {}: {}", f.frame,
                                  dcerpc::reject_reason_name(n->provider_reject_reason));
      }
      if (o.bind && !s.bind_rtt_us) s.bind_rtt_us = f.ts.micros() - o.bind->micros();
      o.proposing.clear();
      break;
    default:
      break;
  }
}

void Summarizer::event(Open& o, const CarrierEvent& e) {
  if (!o.refused.empty() || !e.response) return;
  if (e.kind == CarrierEventKind::open && e.status != 0)
    o.refused = fmt::format("the open of {} was refused: {}",
                            e.channel && !e.channel->name.empty() ? e.channel->name : e.text,
                            dcerpc::format_return_code(e.status, dcerpc::ReturnType::ntstatus));
  else if (e.kind == CarrierEventKind::http_response && e.status >= 400)
    o.refused = fmt::format("the RPC proxy answered HTTP {} {}", e.status, e.text);
}

void Summarizer::call(const CallRecord& c) {
  Open& o = open_[c.conversation];
  ConversationSummary& s = o.s;
  // An answer whose request the capture lacks names no operation (its opnum travels in the
  // request only): counted apart, not filed under opnum 0.
  if (!c.call.request_seen) {
    ++s.answers_without_request;
    return;
  }
  const OpKey key{c.call.interface, c.call.opnum};
  auto it = s.ops.find(key);
  if (it == s.ops.end() && s.ops.size() < ConversationSummary::kMaxOperations) {
    it = s.ops.emplace(key, OpTally{}).first;
    s.operations.push_back(key);
  }
  if (it != s.ops.end())
    it->second.add(c);
  else
    ++s.calls_not_listed;
  s.all.add(c);
  if (c.call.outcome == dcerpc::CallOutcome::unanswered) o.calls_open_at_end = true;
  std::optional<ErrorCount> err;
  if (c.call.outcome == dcerpc::CallOutcome::fault ||
      c.call.outcome == dcerpc::CallOutcome::rejected)
    err = ErrorCount{true, c.call.fault_status, dcerpc::ReturnType::unknown, 1};
  else if (is_error_return(c))
    err = ErrorCount{false, c.return_code->value, c.return_code->type, 1};
  if (!err) return;
  for (auto& x : s.errors)
    if (x.fault == err->fault && x.value == err->value && x.type == err->type) {
      ++x.count;
      return;
    }
  if (s.errors.size() < ConversationSummary::kMaxErrors) s.errors.push_back(*err);
}

void Summarizer::decide(Open& o) {
  ConversationSummary& s = o.s;
  const Conversation& c = s.conv;
  const bool at_capture_end = s.ended == "capture_end";
  const bool bind_unanswered =
      std::any_of(s.bound.begin(), s.bound.end(),
                  [](const BoundInterface& b) { return b.result == "unanswered"; });
  auto set = [&](Verdict v, std::string why) {
    s.verdict = v;
    s.why = std::move(why);
  };
  if (!o.refused.empty()) return set(Verdict::refused, o.refused);
  if (o.syn && !o.syn_ack && !o.server_spoke && !c.dcerpc)
    return set(Verdict::unanswered, "the SYN was never answered");
  if (s.all.unanswered > 0 && o.calls_open_at_end && !at_capture_end)
    return set(Verdict::unanswered,
               fmt::format("{} of {} calls never answered before the connection ended",
                           s.all.unanswered, s.all.calls));
  if (bind_unanswered && !at_capture_end)
    return set(Verdict::unanswered, "the bind was never answered before the connection ended");
  auto most = [&](bool fault) -> const ErrorCount* {
    for (const auto& e : s.errors)
      if (e.fault == fault) return &e;
    return nullptr;
  };
  if (s.all.faults > 0) {
    const auto* e = most(true);
    return set(Verdict::faulted,
               fmt::format("{} of {} calls faulted{}", s.all.faults, s.all.calls,
                           e ? fmt::format(" ({})", dcerpc::format_status(e->value)) : ""));
  }
  if (s.all.error_returns > 0) {
    const auto* e = most(false);
    return set(
        Verdict::failed,
        fmt::format("{} of {} calls returned an error{}", s.all.error_returns, s.all.calls,
                    e ? fmt::format(" ({})", dcerpc::format_return_code(e->value, e->type)) : ""));
  }
  if (o.calls_open_at_end && at_capture_end)
    return set(Verdict::incomplete, "a call was still open when the capture ended");
  if (bind_unanswered)
    return set(Verdict::incomplete, "the bind was still unanswered when the capture ended");
  if (s.gaps > 0)
    return set(Verdict::incomplete,
               fmt::format("bytes missing from the capture ({} gaps)", s.gaps));
  if (!is_datagram(c.protseq) && !c.syn_seen && !o.bind_seen && c.dcerpc)
    return set(Verdict::incomplete,
               "picked up mid-stream: its handshake and bind were not captured");
  set(Verdict::ok, "");
}

void Summarizer::conversation_end(const Conversation& c) {
  auto node = open_.extract(c.id);
  if (!c.shown) return;
  Open o = node.empty() ? Open{} : std::move(node.mapped());
  ConversationSummary& s = o.s;
  s.conv = c;
  s.began = is_datagram(c.protseq) ? "datagram" : c.syn_seen ? "handshake" : "mid_stream";
  s.ended = std::string(ending_of(c, o.fin, o.rst));
  if (s.account.empty())
    for (const auto& ch : c.channels)
      if (ch && !ch->account.empty()) {
        s.account = ch->account;
        break;
      }
  std::stable_sort(s.errors.begin(), s.errors.end(),
                   [](const ErrorCount& a, const ErrorCount& b) { return a.count > b.count; });
  decide(o);
  for (const auto& [key, tally] : s.ops) table_[key].merge(tally);
  calls_not_listed_ += s.calls_not_listed;
  answers_without_request_ += s.answers_without_request;
  if (on_summary_) on_summary_(s);
}

void Summarizer::finish(const Statistics& s, const EpmLinks& /*links*/) { stats_ = s; }

}  // namespace rpctrace::analysis
