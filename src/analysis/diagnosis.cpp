// Diagnosis, part 1: what each frame, PDU and call adds. Rules, each with the evidence it
// cites (docs/diagnose.md):
// - bind_nak, a bind_ack or alter_context_resp that accepted no context;
// - faults by status; auth3 followed by a fault or the server's RST (authentication failure);
//   a KRB-ERROR in the server's verifier;
// - ept_map answered with no tower (EPT_S_NOT_REGISTERED); calls slower than --slow;
// - KB159298's MTA two-way bind: MtaBind (opnum 0) from A to B and MtaBindBack (opnum 1) from
//   B back to A.
// The rules at a conversation's end and at the end of the capture are in
// diagnosis_rules.cpp.
#include "rpctrace/analysis/diagnosis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "diagnosis_text.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

using dcerpc::PacketType;

namespace {

constexpr std::size_t kMaxSynFrames = 16;

const std::optional<common::Uuid>& mta_uuid() {
  static const std::optional<common::Uuid> u = dcerpc::interface_by_name("MTA");
  return u;
}

bool is_mta(const std::optional<dcerpc::SyntaxId>& s) {
  return s && mta_uuid() && s->uuid == *mta_uuid();
}

bool is_epm(const std::optional<dcerpc::SyntaxId>& s) { return s && s->uuid == dcerpc::epm_uuid(); }

std::uint32_t access_denied() {
  static const std::uint32_t code = dcerpc::status_code("ERROR_ACCESS_DENIED").value_or(5);
  return code;
}

// Statuses that say the caller was not authenticated or not allowed (names from the statuses
// table, MS-ERREF): a fault with one of them on the first call after auth3 is an
// authentication failure; any other fault (nca_s_op_rng_error, nca_s_unk_if ...) shows the
// server accepted the caller and dispatched the call.
bool about_authentication(std::uint32_t status) {
  static const std::vector<std::uint32_t> codes = [] {
    std::vector<std::uint32_t> out;
    for (std::string_view name :
         {"ERROR_ACCESS_DENIED", "ERROR_NO_TOKEN", "ERROR_NO_SUCH_USER", "ERROR_LOGON_FAILURE",
          "ERROR_LOGON_TYPE_NOT_GRANTED", "RPC_S_UNKNOWN_AUTHN_SERVICE",
          "RPC_S_UNSUPPORTED_AUTHN_LEVEL", "RPC_S_SEC_PKG_ERROR", "nca_s_unsupported_authn_level",
          "RPC_E_ACCESS_DENIED", "E_ACCESSDENIED", "WBEM_E_ACCESS_DENIED",
          "CO_E_RUNAS_LOGON_FAILURE", "STATUS_ACCESS_DENIED", "STATUS_NO_SUCH_USER",
          "STATUS_LOGON_FAILURE"})
      if (auto code = dcerpc::status_code(name)) out.push_back(*code);
    return out;
  }();
  return std::find(codes.begin(), codes.end(), status) != codes.end();
}

// The account a verifier names, for the evidence of authentication findings. The client's
// NTLMSSP AUTHENTICATE names it best; a Kerberos ticket names the service it is for.
void account_of(const auth::Token& t, std::string& account) {
  if (t.mechanism == "NTLMSSP" && t.message == "authenticate" && !t.user.empty()) {
    account = fmt::format("account {}{}{} (NTLMSSP{}{})", t.domain, t.domain.empty() ? "" : "\\",
                          t.user, t.workstation.empty() ? "" : ", from ", t.workstation);
  } else if (t.mechanism == "Kerberos" && t.message == "AP-REQ" && account.empty()) {
    account =
        fmt::format("Kerberos ticket for {}{}{}", t.service, t.realm.empty() ? "" : "@", t.realm);
  }
}

}  // namespace

ServiceStatus& Diagnosis::service(const common::IpAddress& client, const common::IpAddress& server,
                                  const dcerpc::SyntaxId& interface) {
  for (auto& s : result_.services)
    if (s.client == client && s.server == server && s.interface.uuid == interface.uuid) return s;
  ServiceStatus s;
  s.client = client;
  s.server = server;
  s.interface = interface;
  result_.services.push_back(s);
  return result_.services.back();
}

void Diagnosis::add(Finding f) {
  if (!selected(f.interface)) return;
  if (result_.findings.size() >= kMaxFindings) {
    ++result_.findings_dropped;
    return;
  }
  result_.findings.push_back(std::move(f));
  if (on_finding_) on_finding_(result_.findings.back());
}

void Diagnosis::add_grouped(std::string key, Finding f) {
  if (!selected(f.interface)) return;
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    if (result_.findings.size() < kMaxFindings)
      groups_.emplace(std::move(key), Group{result_.findings.size(), f.evidence, f.frames.size()});
    add(std::move(f));
    return;
  }
  Group& group = it->second;
  Finding& g = result_.findings[group.index];
  ++g.count;
  group.frames += f.frames.size();
  for (auto fr : f.frames)
    if (g.frames.size() < kMaxFindingFrames) g.frames.push_back(fr);
  g.evidence = fmt::format("{}; {} times in all, frames {}", group.evidence, g.count,
                           frames_text(g.frames, group.frames));
}

void Diagnosis::frame(const FrameRecord& f) {
  Conv& c = convs_[f.conversation];
  c.client = f.client;
  c.server = f.server;
  c.protseq = std::string(to_string(f.protseq));
  if (f.epm_link) c.link = f.epm_link;
  if (f.delta_us >= 0 && !is_datagram(f.protseq)) carrier_facts(c, f);  // TCP only
  for (const auto& e : f.events) carrier_event(c, f, e);
  for (const auto& p : f.pdus) pdu(c, f, p);
}

// The handshake, resets, retransmissions and zero windows of a stream carrier.
void Diagnosis::carrier_facts(Conv& c, const FrameRecord& f) {
  const SegmentFacts& s = f.segment;
  const bool from_client = f.src == c.client;
  const bool syn = s.flags & control::syn, ack = s.flags & control::ack;
  if (syn && !ack && from_client) {
    if (c.syn_frames.empty()) c.first_syn = f.ts;
    c.last_syn = f.ts;
    if (c.syn_frames.size() < kMaxSynFrames) c.syn_frames.push_back(f.frame);
    ++c.syns;
  }
  if (syn && ack) c.syn_ack = true;
  if (syn && ack && !from_client) {
    Path& p = paths_[{c.client.address, c.server.address}];
    if (p.frame == 0 && s.ttl != 0) {
      p.ttl = s.ttl;
      p.frame = f.frame;
      p.port = c.server.port;
      if (!c.syn_frames.empty()) p.rtt_us = f.ts.micros() - c.last_syn.micros();
    }
  }
  if ((s.flags & control::rst) && !from_client && c.rst_frame == 0) {
    c.rst_frame = f.frame;
    c.rst_ttl = s.ttl;
    c.rst_ts = f.ts;
    if (c.open_calls > 0) c.rst_mid_call = f.frame;
    if (c.auth3_frame != 0 && !c.bound.empty() && c.open_calls == 0 && !c.data_after_auth3) {
      Finding x = make_finding(Severity::error, FindingKind::authentication_failed, c.client,
                               c.server, c.bound.back());
      x.frames = {c.auth3_frame, f.frame};
      x.message =
          fmt::format("{} reset the connection after the client's auth3: authentication failed",
                      c.server.to_string());
      x.evidence =
          fmt::format("auth3 in frame {}, RST in frame {}{}", common::FrameNo{c.auth3_frame},
                      common::FrameNo{f.frame}, c.account.empty() ? "" : ", " + c.account);
      x.next_step =
          "check the account, its password and the server's security log; check clock skew for "
          "Kerberos";
      add(std::move(x));
    }
  }
  if (s.payload_length > 0) {
    c.data = true;
    if (c.auth3_frame != 0 && f.frame > c.auth3_frame && from_client) c.data_after_auth3 = true;
  }
  if (s.note == NoteKind::retransmission || s.note == NoteKind::partial_retransmission) {
    if (c.retransmissions++ == 0) c.first_retransmission = f.frame;
  }
  if (s.window == 0 && !(s.flags & (control::syn | control::rst))) {
    if (c.zero_windows++ == 0) c.first_zero_window = f.frame;
  }
}

void Diagnosis::pdu(Conv& c, const FrameRecord& f, const ReportedPdu& p) {
  const dcerpc::PduEvent& e = p.event;
  auto finding = [&](Severity sev, FindingKind kind, std::optional<dcerpc::SyntaxId> iface,
                     std::string message, std::string evidence, std::string next,
                     std::string group = {}) {
    Finding x = make_finding(sev, kind, c.client, c.server, std::move(iface));
    x.frames = {e.at.frame};
    x.message = std::move(message);
    x.evidence = std::move(evidence);
    x.next_step = std::move(next);
    if (group.empty())
      add(std::move(x));
    else
      add_grouped(std::move(group), std::move(x));
  };
  const auth::Token* token =
      p.auth && p.auth->value && p.auth->value->token ? &*p.auth->value->token : nullptr;
  if (token != nullptr) account_of(*token, c.account);
  const common::Endpoint& sender = e.dir == f.dir ? f.src : f.dst;
  if (token != nullptr && token->error_code && sender == c.server) {  // the ticket refused
    auto name = auth::krb_error_name(*token->error_code);
    finding(Severity::error, FindingKind::authentication_failed, c.last_bind,
            fmt::format("{} refused the client's Kerberos authentication: error {}{}{}{}",
                        c.server.address.to_string(), *token->error_code, name.empty() ? "" : " (",
                        name, name.empty() ? "" : ")"),
            fmt::format("KRB-ERROR in the verifier of frame {}{}", common::FrameNo{e.at.frame},
                        c.account.empty() ? "" : ", " + c.account),
            "KRB_AP_ERR_SKEW: fix the clocks; KRB_AP_ERR_MODIFIED: the service principal's key "
            "(duplicate SPN, stale machine account); otherwise see RFC 4120 7.5.9");
  }
  if (e.header.ptype == dcerpc::PacketType::rts) rts(c, p);
  switch (e.header.ptype) {
    case PacketType::bind:
    case PacketType::alter_context:
      if (const auto* b = std::get_if<dcerpc::Bind>(&e.body); b && !b->contexts.empty())
        c.last_bind = b->contexts[0].abstract_syntax;
      if (e.sec_trailer) c.auth_level = e.sec_trailer->auth_level;
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
      bind_ack(c, e);
      break;
    case PacketType::bind_nak: {
      const auto* n = std::get_if<dcerpc::BindNak>(&e.body);
      if (n == nullptr) break;
      if (c.last_bind) ++service(c.client.address, c.server.address, *c.last_bind).refused;
      auto reason = dcerpc::reject_reason_name(n->provider_reject_reason);
      auto meaning = dcerpc::reject_reason_meaning(n->provider_reject_reason);
      // A bind with a Kerberos AP-REQ refused with no reason: the server could not accept the
      // ticket (MS-RPCE 3.3.1.5.2: a failed security context gives a bind_nak).
      const bool kerberos = c.account.starts_with("Kerberos ticket for ");
      std::string next =
          meaning.empty() ? "see the server's RPC configuration" : std::string(meaning);
      if (kerberos && n->provider_reject_reason == 0)
        next =
            "the server could not accept the client's Kerberos ticket: the service principal may "
            "belong to another account (an alias SPN on a user account, a duplicate SPN) or the "
            "service's key changed; check setspn -Q for it, and any KRB-ERROR of the KDC";
      finding(
          Severity::error, FindingKind::bind_nak, c.last_bind,
          fmt::format("{} refused the association (bind_nak): {}{}", c.server.address.to_string(),
                      reason.empty() ? fmt::format("reason {}", n->provider_reject_reason)
                                     : std::string(reason),
                      kerberos ? ", after the client's Kerberos authentication" : ""),
          fmt::format("bind_nak in frame {}{}", common::FrameNo{e.at.frame},
                      c.account.empty() ? "" : ", the bind carried a " + c.account),
          std::move(next),
          fmt::format("nak|{}|{}|{}|{}|{}", c.client.address.to_string(),
                      c.server.address.to_string(), interface_text(c.last_bind),
                      n->provider_reject_reason, c.account));
      break;
    }
    case PacketType::auth3:
      c.auth3_frame = e.at.frame;
      break;
    case PacketType::request: {
      const auto* q = std::get_if<dcerpc::Request>(&e.body);
      if (q == nullptr || !e.call_complete) break;
      ++c.open_calls;
      if (is_mta(e.interface) && q->opnum == 0)
        mta_binds_.push_back(MtaBind{c.client.address, c.server.address, e.at.frame, e.at.ts, 0});
      if (is_mta(e.interface) && q->opnum == 1)
        for (auto& m : mta_binds_)
          if (m.a == c.server.address && m.b == c.client.address && m.back_frame == 0 &&
              m.ts <= e.at.ts)
            m.back_frame = e.at.frame;
      break;
    }
    default:
      break;
  }
}

void Diagnosis::bind_ack(Conv& c, const dcerpc::PduEvent& e) {
  const auto* a = std::get_if<dcerpc::BindAck>(&e.body);
  if (a == nullptr) return;
  // negotiate_ack answers bind time feature negotiation (MS-RPCE 3.3.1.5.3): it accepts no
  // interface, so a bind whose other contexts were all rejected is refused.
  constexpr std::uint16_t kAcceptance = dcerpc::cont_def_result::acceptance;
  bool accepted = false;
  for (std::size_t i = 0; i < a->results.size(); ++i) {
    if (a->results[i].result != kAcceptance) continue;
    accepted = true;
    if (i >= e.proposed.size()) continue;
    c.bound.push_back(e.proposed[i].abstract_syntax);
    if (e.proposed[i].abstract_syntax.uuid == dcerpc::epm_uuid())
      continue;  // a means, not a service
    ServiceStatus& s = service(c.client.address, c.server.address, e.proposed[i].abstract_syntax);
    s.protseq = c.protseq;
    s.port = c.server.port;
    s.bound = true;
  }
  if (accepted || a->results.empty()) return;
  // The reason of the first rejected context (not the negotiate_ack's feature bits).
  const auto rejected =
      std::find_if(a->results.begin(), a->results.end(), [](const dcerpc::ContextResult& x) {
        return x.result != dcerpc::cont_def_result::negotiate_ack;
      });
  const auto& r = rejected != a->results.end() ? *rejected : a->results[0];
  auto reason = dcerpc::provider_reason_name(r.reason);
  auto meaning = dcerpc::provider_reason_meaning(r.reason);
  std::optional<dcerpc::SyntaxId> iface =
      e.proposed.empty() ? c.last_bind : std::optional(e.proposed[0].abstract_syntax);
  if (iface) ++service(c.client.address, c.server.address, *iface).refused;
  const bool alter = e.header.ptype == PacketType::alter_context_resp;
  Finding x = make_finding(alter ? Severity::warning : Severity::error,
                           alter ? FindingKind::alter_context_refused : FindingKind::bind_rejected,
                           c.client, c.server, iface);
  x.frames = {e.at.frame};
  x.message = fmt::format(
      "{} {} {}: {}", c.server.address.to_string(),
      alter ? "refused the alter_context for" : "refused the bind to", interface_text(iface),
      reason.empty() ? fmt::format("reason {}", r.reason) : std::string(reason));
  x.evidence =
      fmt::format("{} in frame {}, call_id 0x{:X}", alter ? "alter_context_resp" : "bind_ack",
                  common::FrameNo{e.at.frame}, e.header.call_id);
  x.next_step = meaning.empty() ? "check the interface and version the client asks for"
                                : std::string(meaning);
  add(std::move(x));
}

void Diagnosis::call(const CallRecord& r) {
  Conv& c = convs_[r.conversation];
  const dcerpc::CallEnd& call = r.call;
  if (call.request_seen && call.request_complete)
    c.open_calls -= std::min<std::uint64_t>(c.open_calls, 1);
  switch (call.outcome) {
    case dcerpc::CallOutcome::response:
    case dcerpc::CallOutcome::fault:
    case dcerpc::CallOutcome::rejected:  // connectionless: a reject is a fault before the call
      answered(c, r);
      break;
    case dcerpc::CallOutcome::unanswered:
      if (call.request_complete) c.unanswered.push_back(r);
      break;
    default:  // orphaned, forgotten, superseded: no answer is expected or known
      break;
  }
}

// A call answered by its response or a fault. A fault is a finding even when its request was
// not captured; a response alone says little (which operation, how long it took).
void Diagnosis::answered(Conv& c, const CallRecord& r) {
  const dcerpc::CallEnd& call = r.call;
  const bool faulted =
      call.outcome == dcerpc::CallOutcome::fault || call.outcome == dcerpc::CallOutcome::rejected;
  if (!faulted && !call.request_seen) return;
  const std::optional<dcerpc::SyntaxId>& iface = call.interface;
  const std::optional<std::int64_t>& latency_us = call.latency_us;
  const bool error_status = !faulted && r.return_code &&
                            dcerpc::is_failure(r.return_code->value, r.return_code->type) &&
                            !ordinary_error(*r.return_code);
  if (iface && !is_epm(iface)) {
    ServiceStatus& s = service(c.client.address, c.server.address, *iface);
    if (error_status) ++s.errors;
    s.port = c.server.port;
    if (s.protseq.empty()) s.protseq = std::string(to_string(r.protseq));
    if (faulted) {
      ++s.faults;
    } else {
      ++s.calls;
      if (latency_us && s.latencies_us.size() < kMaxLatencies)
        s.latencies_us.push_back(*latency_us);
    }
  }
  if (!faulted && latency_us && *latency_us > options_.slow_us) {
    std::string op = call.request_seen && iface
                         ? std::string(dcerpc::operation_name(iface->uuid, call.opnum))
                         : "";
    Finding x = make_finding(Severity::warning, FindingKind::slow_call, c.client, c.server, iface);
    x.frames = {call.end.frame};
    x.message =
        fmt::format("a call to {}{} took {} s (over the {} s threshold)", interface_text(iface),
                    op.empty() ? "" : " " + op, common::format_seconds(*latency_us),
                    common::format_seconds(options_.slow_us));
    x.evidence = fmt::format("request in frame {}, response in frame {}",
                             common::FrameNo{call.request_seen ? call.request_first.frame : 0},
                             common::FrameNo{call.end.frame});
    x.next_step =
        "RPC is sensitive to latency: look at the server's load and the network path (WAN, "
        "proxies)";
    add(std::move(x));
  }
  if (faulted) fault(c, r, iface);
  if (error_status && !is_epm(iface)) error_returned(c, r);
  if (c.auth3_frame != 0) c.first_call_after_auth3_seen = true;
  if (r.epm_response && r.epm_response->value)
    if (const auto* m = std::get_if<epm::EptMapResponse>(&*r.epm_response->value))
      epm_answer(c, r, *m);
}

void Diagnosis::fault(Conv& c, const CallRecord& r, const std::optional<dcerpc::SyntaxId>& iface) {
  const dcerpc::CallEnd& call = r.call;
  const std::uint32_t status = call.fault_status;
  const std::string_view name = dcerpc::status_name(status);
  auto meaning = dcerpc::status_meaning(status);
  const bool first_after_auth3 = c.auth3_frame != 0 && !c.first_call_after_auth3_seen;
  // Samba answers the first request after an auth3 it could not verify with
  // nca_s_proto_error (and drops the connection); Windows with ERROR_ACCESS_DENIED.
  const bool proto_after_auth3 = first_after_auth3 && name == "nca_s_proto_error";
  const bool auth = first_after_auth3 && (about_authentication(status) || proto_after_auth3);
  const std::string op = operation_text(iface, call.opnum, call.request_seen);
  std::string next = meaning.empty() ? "look the status up in MS-ERREF" : std::string(meaning);
  std::string why;
  if (name == "nca_s_op_rng_error" || name == "RPC_S_PROCNUM_OUT_OF_RANGE") {
    why = fmt::format(": the server does not implement opnum {}", call.opnum);
    next = fmt::format(
        "the server's {} has no operation {} (another product, or an older version of the "
        "interface): use an operation it offers, or a server that implements it",
        interface_text(iface), call.opnum);
  } else if (name == "nca_s_unk_if" || name == "RPC_S_UNKNOWN_IF") {
    why = ": the server does not offer that interface on this association";
  } else if (name == "nca_s_fault_context_mismatch" || name == "ERROR_INVALID_HANDLE") {
    why = ": the context handle is not one the server holds";
  } else if (proto_after_auth3) {
    why = ": the server found the client's auth3 invalid (authentication failed)";
    next =
        "the credentials were refused (Samba answers a failed NTLM auth3 this way): check the "
        "account's password, that it is not locked out, and the server's log";
  } else if (auth && status == access_denied()) {
    why = ": authentication or authorization failed";
  } else if (auth) {
    why = ": authentication failed";
  }
  // Below packet integrity, access denied on the first call is often the level itself: SAMR
  // and LSA on Windows and Samba refuse connect-level binds.
  if (auth && status == access_denied() && c.auth_level > 0 &&
      c.auth_level < dcerpc::auth_level::pkt_integrity)
    next = fmt::format(
        "the server may refuse auth level {} ({}): bind at packet integrity (5) or privacy (6); "
        "otherwise check the account's rights",
        c.auth_level, dcerpc::auth_level_name(c.auth_level));
  else if (auth && status == access_denied())
    next =
        "the credentials were refused or the account lacks the right: check the password and the "
        "server's security log, the account's group membership, and for Kerberos the clocks";
  Finding x =
      make_finding(Severity::error, auth ? FindingKind::authentication_failed : FindingKind::fault,
                   c.client, c.server, iface);
  // A connectionless server refuses a call it cannot start with a reject (C706 §12.5.3.8).
  const std::string_view answer =
      call.outcome == dcerpc::CallOutcome::rejected ? "reject" : "fault";
  x.frames = {call.end.frame};
  x.message = fmt::format("{} answered {} with a {}: {}{}", c.server.address.to_string(),
                          auth ? fmt::format("the first authenticated call ({})", op) : op, answer,
                          dcerpc::format_status(status), why);
  x.evidence =
      fmt::format("{} in frame {}{}", answer, common::FrameNo{call.end.frame},
                  call.request_seen ? fmt::format(" for the request in frame {}",
                                                  common::FrameNo{call.request_first.frame})
                                    : "") +
      (auth
           ? fmt::format(", the first call after auth3 in frame {}", common::FrameNo{c.auth3_frame})
           : "") +
      (c.account.empty() ? "" : ", " + c.account);
  x.next_step = std::move(next);
  add_grouped(
      fmt::format("{}|{}|{}|{}|{}|{}|{}", answer, c.client.address.to_string(),
                  c.server.address.to_string(), interface_text(iface), call.opnum, status, auth),
      std::move(x));
}

// An ept_map answer: "not registered" is a finding; its towers are services the client is
// trying to reach.
void Diagnosis::epm_answer(Conv& c, const CallRecord& r, const epm::EptMapResponse& m) {
  std::optional<dcerpc::SyntaxId> want = looked_up(r);
  if (m.towers.empty() || m.status != 0) {
    auto meaning = dcerpc::status_meaning(m.status);
    if (want) ++service(c.client.address, c.server.address, *want).refused;
    Finding x =
        make_finding(Severity::error, FindingKind::epm_not_registered, c.client, c.server, want);
    x.frames = {r.call.end.frame};
    x.message = fmt::format("the endpoint mapper on {} has no endpoint for {}: {}",
                            c.server.address.to_string(), interface_text(want),
                            dcerpc::format_status(m.status));
    x.evidence = fmt::format("ept_map answer in frame {}", common::FrameNo{r.call.end.frame});
    x.next_step = meaning.empty()
                      ? "start the service on the server, or check the interface asked for"
                      : std::string(meaning);
    add(std::move(x));
  }
  for (const auto& t : m.towers) {
    if (!t.port || *t.port == 0 || !t.interface) continue;
    ServiceStatus& s =
        service(c.client.address, tower_destination(t, c.server.address), *t.interface);
    if (s.protseq.empty()) s.protseq = t.protseq;
    if (s.port == 0) s.port = *t.port;
  }
}

bool Diagnosis::selected(const std::optional<dcerpc::SyntaxId>& interface) const {
  if (options_.interfaces.empty()) return true;
  return interface && interface_filter_.matches_interface(*interface);
}

}  // namespace rpctrace::analysis
