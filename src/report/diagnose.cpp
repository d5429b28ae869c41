// rpctrace diagnose: services and findings (issue 5). Rules, each with the evidence it cites:
// - a connection that got no SYN/ACK: to a port an ept_map answer gave -> a firewall passes
//   135 but not that port (RST instead: nothing listens there); to 135/593 -> the endpoint
//   mapper is unreachable or reset;
// - ept_map answered with no tower (EPT_S_NOT_REGISTERED) or never answered;
// - a port the mapper gave that the client never tried;
// - bind_nak, a bind_ack or alter_context_resp that accepted no context;
// - faults by status; auth3 followed by a fault or the server's RST (authentication failure);
// - calls with no answer before the connection ended or the capture stopped; calls slower
//   than --slow; TCP retransmissions, zero windows, the server's RST during a call;
// - RPC over HTTP's static ports (593, 6001, 6002, 6004), where no EPM lookup is expected;
// - KB159298's MTA two-way bind: MtaBind (opnum 0) from A to B and MtaBindBack (opnum 1) from
//   B back to A, linked when both came, an error when the second never did.
#include "rpctrace/report/diagnose.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pdu_text.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/json.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

using dcerpc::PacketType;

const dcerpc::Uuid kMta = *dcerpc::Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe");
constexpr std::size_t kMaxSynFrames = 16;

bool is_http_port(std::uint16_t p) { return p == 593 || p == 6001 || p == 6002 || p == 6004; }
bool is_epm_port(std::uint16_t p) { return p == 135 || p == 593; }

// Outlook's connection status labels: Directory (RFR, NSPI) and Mail (EMSMDB).
std::string service_label(const dcerpc::SyntaxId& s) {
  auto name = dcerpc::interface_name(s.uuid);
  std::string n = name.empty() ? s.uuid.to_string() : std::string(name);
  if (name == "RFR" || name == "NSPI") return "Directory (" + n + ")";
  if (name == "EMSMDB" || name == "AsyncEMSMDB") return "Mail (" + n + ")";
  return n;
}

Finding make_finding(Severity severity, std::string kind, const common::Endpoint& client,
                     const common::Endpoint& server, std::optional<dcerpc::SyntaxId> interface) {
  Finding x;
  x.severity = severity;
  x.kind = std::move(kind);
  x.client = client.address;
  x.server = server.address;
  x.interface = std::move(interface);
  x.port = server.port;
  return x;
}

std::string iface_text(const std::optional<dcerpc::SyntaxId>& s) {
  return s ? dcerpc::format_syntax(*s) : std::string("an unknown interface");
}

std::string frames_text(const std::vector<std::uint64_t>& frames) {
  std::string out;
  for (std::size_t i = 0; i < frames.size() && i < 8; ++i)
    out += fmt::format("{}{}", i ? ", " : "", frames[i]);
  if (frames.size() > 8) out += fmt::format(" and {} more", frames.size() - 8);
  return out;
}

// The state Outlook would show: Established when calls were answered (or it is bound and has
// nothing pending), Failed when it was refused or faulted without ever answering, Connecting
// otherwise (tried, never got there).
std::string state_of(const ServiceStatus& s) {
  if (s.calls > 0) return "Established";
  if (s.refused > 0 || s.faults > 0) return "Failed";
  if (s.bound && s.unanswered == 0) return "Established";
  return "Connecting";
}

const char* severity_name(Severity s) {
  return s == Severity::error ? "error" : s == Severity::warning ? "warning" : "info";
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

ServiceStatus& DiagnoseWriter::service(const common::IpAddress& client,
                                       const common::IpAddress& server,
                                       const dcerpc::SyntaxId& interface) {
  for (auto& s : services_)
    if (s.client == client && s.server == server && s.interface.uuid == interface.uuid) return s;
  ServiceStatus s;
  s.client = client;
  s.server = server;
  s.interface = interface;
  s.state = "Connecting";
  services_.push_back(s);
  return services_.back();
}

void DiagnoseWriter::add(Finding f) {
  if (findings_.size() >= kMaxFindings) {
    ++findings_dropped_;
    return;
  }
  findings_.push_back(std::move(f));
}

void DiagnoseWriter::frame(const FrameRecord& f) {
  Conv& c = convs_[f.conversation];
  c.client = f.client;
  c.server = f.server;
  if (f.epm_link) c.link = f.epm_link;
  const analysis::SegmentFacts& s = f.segment;
  const bool from_client = f.src == c.client;
  if (f.delta_us >= 0) {
    bool syn = s.flags & analysis::control::syn, ack = s.flags & analysis::control::ack;
    if (syn && !ack && from_client) {
      if (c.syn_frames.empty()) c.first_syn = f.ts;
      c.last_syn = f.ts;
      if (c.syn_frames.size() < kMaxSynFrames) c.syn_frames.push_back(f.frame);
    }
    if (syn && ack) c.syn_ack = true;
    if ((s.flags & analysis::control::rst) && !from_client && c.rst_frame == 0) {
      c.rst_frame = f.frame;
      c.rst_before_data = !c.syn_ack;
      if (!c.outstanding.empty()) c.rst_mid_call = f.frame;
      if (c.auth3_frame != 0 && c.bound.size() > 0 && c.outstanding.empty() &&
          !c.data_after_auth3) {
        Finding x;
        x.severity = Severity::error;
        x.kind = "authentication_failed";
        x.client = c.client.address;
        x.server = c.server.address;
        x.port = c.server.port;
        x.frames = {c.auth3_frame, f.frame};
        x.message =
            fmt::format("{} reset the connection after the client's auth3: authentication failed",
                        c.server.to_string());
        x.evidence = fmt::format("auth3 in frame {}, RST in frame {}{}", c.auth3_frame, f.frame,
                                 c.account.empty() ? "" : ", " + c.account);
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
    if (s.note == analysis::NoteKind::retransmission ||
        s.note == analysis::NoteKind::partial_retransmission) {
      if (c.retransmissions++ == 0) c.first_retransmission = f.frame;
    }
    if (s.window == 0 && !(s.flags & (analysis::control::syn | analysis::control::rst))) {
      if (c.zero_windows++ == 0) c.first_zero_window = f.frame;
    }
  }
  for (const auto& p : f.pdus) pdu(c, f, p);
}

void DiagnoseWriter::pdu(Conv& c, const FrameRecord& /*f*/, const ReportedPdu& p) {
  const dcerpc::PduEvent& e = p.event;
  const common::IpAddress& client = c.client.address;
  const common::IpAddress& server = c.server.address;
  auto finding = [&](Severity sev, std::string kind, std::optional<dcerpc::SyntaxId> iface,
                     std::string message, std::string evidence, std::string next) {
    Finding x = make_finding(sev, std::move(kind), c.client, c.server, iface);
    x.frames = {e.at.frame};
    x.message = std::move(message);
    x.evidence = std::move(evidence);
    x.next_step = std::move(next);
    add(std::move(x));
  };
  const auth::Token* token =
      p.auth && p.auth->value && p.auth->value->token ? &*p.auth->value->token : nullptr;
  if (token != nullptr) account_of(*token, c.account);
  if (token != nullptr && token->error_code && e.dir == 1) {  // the server refused the ticket
    auto name = auth::krb_error_name(*token->error_code);
    finding(Severity::error, "authentication_failed", c.last_bind,
            fmt::format("{} refused the client's Kerberos authentication: error {}{}{}{}",
                        server.to_string(), *token->error_code, name.empty() ? "" : " (", name,
                        name.empty() ? "" : ")"),
            fmt::format("KRB-ERROR in the verifier of frame {}{}", e.at.frame,
                        c.account.empty() ? "" : ", " + c.account),
            "KRB_AP_ERR_SKEW: fix the clocks; KRB_AP_ERR_MODIFIED: the service principal's key "
            "(duplicate SPN, stale machine account); otherwise see RFC 4120 7.5.9");
  }
  switch (e.header.ptype) {
    case PacketType::bind:
    case PacketType::alter_context:
      if (const auto* b = std::get_if<dcerpc::Bind>(&e.body); b && !b->contexts.empty())
        c.last_bind = b->contexts[0].abstract_syntax;
      if (e.sec_trailer) c.auth_level = e.sec_trailer->auth_level;
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp: {
      const auto* a = std::get_if<dcerpc::BindAck>(&e.body);
      if (a == nullptr) break;
      bool accepted = false;
      for (std::size_t i = 0; i < a->results.size(); ++i) {
        if (a->results[i].result == 0 || a->results[i].result == 3)
          accepted = true;  // incl. negotiate_ack
        if (a->results[i].result != 0 || i >= e.proposed.size()) continue;
        c.bound.push_back(e.proposed[i].abstract_syntax);
        if (e.proposed[i].abstract_syntax.uuid == dcerpc::epm_uuid())
          continue;  // a means, not a service
        ServiceStatus& s = service(client, server, e.proposed[i].abstract_syntax);
        s.protseq = "ncacn_ip_tcp";
        s.port = c.server.port;
        s.bound = true;
      }
      if (!accepted && !a->results.empty()) {
        const auto& r = a->results[0];
        auto reason = dcerpc::provider_reason_name(r.reason);
        auto meaning = dcerpc::provider_reason_meaning(r.reason);
        std::optional<dcerpc::SyntaxId> iface =
            e.proposed.empty() ? c.last_bind : std::optional(e.proposed[0].abstract_syntax);
        if (iface) ++service(client, server, *iface).refused;
        bool alter = e.header.ptype == PacketType::alter_context_resp;
        finding(
            alter ? Severity::warning : Severity::error,
            alter ? "alter_context_refused" : "bind_rejected", iface,
            fmt::format("{} {} {}: {}", server.to_string(),
                        alter ? "refused the alter_context for" : "refused the bind to",
                        iface_text(iface),
                        reason.empty() ? fmt::format("reason {}", r.reason) : std::string(reason)),
            fmt::format("{} in frame {}, call_id 0x{:X}", alter ? "alter_context_resp" : "bind_ack",
                        e.at.frame, e.header.call_id),
            meaning.empty() ? "check the interface and version the client asks for"
                            : std::string(meaning));
      }
      break;
    }
    case PacketType::bind_nak: {
      const auto* n = std::get_if<dcerpc::BindNak>(&e.body);
      if (n == nullptr) break;
      if (c.last_bind) ++service(client, server, *c.last_bind).refused;
      auto reason = dcerpc::reject_reason_name(n->provider_reject_reason);
      auto meaning = dcerpc::reject_reason_meaning(n->provider_reject_reason);
      finding(Severity::error, "bind_nak", c.last_bind,
              fmt::format("{} refused the association (bind_nak): {}", server.to_string(),
                          reason.empty() ? fmt::format("reason {}", n->provider_reject_reason)
                                         : std::string(reason)),
              fmt::format("bind_nak in frame {}", e.at.frame),
              meaning.empty() ? "see the server's RPC configuration" : std::string(meaning));
      break;
    }
    case PacketType::auth3:
      c.auth3_frame = e.at.frame;
      break;
    case PacketType::orphaned:  // the client abandoned the call: no answer is expected
      c.outstanding.erase(e.header.call_id);
      break;
    case PacketType::request: {
      const auto* q = std::get_if<dcerpc::Request>(&e.body);
      if (q == nullptr || !e.call_complete) break;
      c.outstanding[e.header.call_id] = Call{q->opnum, e.interface, e.at.frame, e.at.ts};
      if (e.interface && e.interface->uuid == kMta && q->opnum == 0)
        mta_binds_.push_back(MtaBind{client, server, e.at.frame, e.at.ts, 0});
      if (e.interface && e.interface->uuid == kMta && q->opnum == 1)
        for (auto& m : mta_binds_)
          if (m.a == server && m.b == client && m.back_frame == 0 && m.ts <= e.at.ts)
            m.back_frame = e.at.frame;
      if (p.epm && p.epm->value)
        if (const auto* m = std::get_if<epm::EptMapRequest>(&*p.epm->value);
            m && m->map_tower && m->map_tower->interface)
          c.epm_asked[e.header.call_id] = *m->map_tower->interface;
      break;
    }
    case PacketType::response:
    case PacketType::fault: {
      bool fault = e.header.ptype == PacketType::fault;
      if (!e.call_complete && !fault) break;
      auto call = c.outstanding.find(e.header.call_id);
      std::optional<dcerpc::SyntaxId> iface = e.interface;
      if (call != c.outstanding.end()) {
        if (!iface) iface = call->second.interface;
        c.outstanding.erase(call);
      }
      if (iface && iface->uuid != dcerpc::epm_uuid()) {
        ServiceStatus& s = service(client, server, *iface);
        s.port = c.server.port;
        if (s.protseq.empty()) s.protseq = "ncacn_ip_tcp";
        if (!fault) {
          ++s.calls;
          if (e.latency_us && s.latencies_us.size() < kMaxLatencies)
            s.latencies_us.push_back(*e.latency_us);
        } else {
          ++s.faults;
        }
      }
      if (!fault && e.latency_us && *e.latency_us > options_.slow_us) {
        std::string op =
            e.opnum && iface ? std::string(dcerpc::operation_name(iface->uuid, *e.opnum)) : "";
        finding(Severity::warning, "slow_call", iface,
                fmt::format("a call to {}{} took {} s (over the {} s threshold)", iface_text(iface),
                            op.empty() ? "" : " " + op, common::format_seconds(*e.latency_us),
                            common::format_seconds(options_.slow_us)),
                fmt::format("request in frame {}, response in frame {}",
                            e.request_frame.value_or(0), e.at.frame),
                "RPC is sensitive to latency: look at the server's load and the network path (WAN, "
                "proxies)");
      }
      if (fault) {
        const auto* ft = std::get_if<dcerpc::Fault>(&e.body);
        std::uint32_t status = ft ? ft->status : 0;
        auto meaning = dcerpc::status_meaning(status);
        bool auth = c.auth3_frame != 0 && !c.first_call_after_auth3_seen;
        std::string next =
            meaning.empty() ? "look the status up in MS-ERREF" : std::string(meaning);
        // Below packet integrity, access denied on the first call is often the level itself:
        // SAMR and LSA on Windows and Samba refuse connect-level binds.
        constexpr std::uint8_t kIntegrity = 5;
        if (auth && status == 5 && c.auth_level > 0 && c.auth_level < kIntegrity)
          next = fmt::format(
              "the server may refuse auth level {} ({}): bind at packet integrity (5) or "
              "privacy (6); otherwise check the account's rights",
              c.auth_level, dcerpc::auth_level_name(c.auth_level));
        else if (auth && status == 5)
          next =
              "the credentials were refused or the account lacks the right: check the "
              "password and the server's security log, the account's group membership, and "
              "for Kerberos the clocks";
        finding(Severity::error, auth ? "authentication_failed" : "fault", iface,
                fmt::format("{} answered {} call to {} with a fault: {}{}", server.to_string(),
                            auth ? "the first authenticated" : "a", iface_text(iface),
                            dcerpc::format_status(status),
                            !auth         ? ""
                            : status == 5 ? ": authentication or authorization failed"
                                          : ": authentication failed"),
                fmt::format("fault in frame {}{}", e.at.frame,
                            e.request_frame
                                ? fmt::format(" for the request in frame {}", *e.request_frame)
                                : "") +
                    (auth ? fmt::format(", the first call after auth3 in frame {}{}", c.auth3_frame,
                                        c.account.empty() ? "" : ", " + c.account)
                          : ""),
                std::move(next));
      }
      if (c.auth3_frame != 0) c.first_call_after_auth3_seen = true;
      if (p.epm && p.epm->value)
        if (const auto* m = std::get_if<epm::EptMapResponse>(&*p.epm->value)) {
          auto asked = c.epm_asked.find(e.header.call_id);
          std::optional<dcerpc::SyntaxId> want;
          if (asked != c.epm_asked.end()) want = asked->second;
          if (m->towers.empty() || m->status != 0) {
            auto meaning = dcerpc::status_meaning(m->status);
            if (want) ++service(client, server, *want).refused;
            finding(
                Severity::error, "epm_not_registered", want,
                fmt::format("the endpoint mapper on {} has no endpoint for {}: {}",
                            server.to_string(), iface_text(want), dcerpc::format_status(m->status)),
                fmt::format("ept_map answer in frame {}", e.at.frame),
                meaning.empty()
                    ? "start the service on the server, or check the interface asked for"
                    : std::string(meaning));
          }
          for (const auto& t : m->towers) {
            if (!t.port || *t.port == 0 || !t.interface) continue;
            bool unspecified = !t.address || t.address->octets[0] == 0;
            common::IpAddress where = unspecified ? server : *t.address;
            answers_.push_back(Answer{client, where, *t.interface, *t.port, e.at.frame, false});
            ServiceStatus& s = service(client, where, *t.interface);
            if (s.protseq.empty()) s.protseq = t.protseq;
            if (s.port == 0) s.port = *t.port;
          }
        }
      break;
    }
    default:
      break;
  }
}

void DiagnoseWriter::conversation_end(const Conversation& conv) {
  auto it = convs_.find(conv.id);
  if (it == convs_.end()) return;
  end_checks(it->second, conv);
  convs_.erase(it);
}

void DiagnoseWriter::end_checks(Conv& c, const Conversation& conv) {
  // Only RPC conversations, attempts on the endpoint mapper's ports and connections to ports
  // an EPM answer gave are diagnosed (a port scan or LDAP traffic is not this tool's business).
  if (!conv.shown) return;
  const common::IpAddress& client = c.client.address;
  const common::IpAddress& server = c.server.address;
  const std::uint16_t port = c.server.port;
  std::optional<dcerpc::SyntaxId> iface;
  if (c.link && c.link->interface) iface = c.link->interface;
  if (!iface && !c.bound.empty()) iface = c.bound.front();
  for (auto& a : answers_)
    if (a.client == client && a.server == server && a.port == port) a.tried = true;
  auto base = [&](Severity sev, std::string kind) {
    return make_finding(sev, std::move(kind), c.client, c.server, iface);
  };
  // A connection that never got a SYN/ACK.
  if (!c.syn_frames.empty() && !c.syn_ack && !c.data) {
    std::int64_t waited = c.last_syn.micros() - c.first_syn.micros();
    std::string syns =
        fmt::format("SYN in frame{} {} ({} retransmitted, {} s between the first and the last)",
                    c.syn_frames.size() > 1 ? "s" : "", frames_text(c.syn_frames),
                    c.syn_frames.size() - 1, common::format_seconds(waited));
    std::string given =
        c.link ? fmt::format("; ept_map in conversation {}, frame {} gave this port for {}",
                             c.link->conversation, c.link->frame, iface_text(c.link->interface))
               : "";
    Finding x = base(Severity::error, "");
    x.frames = c.syn_frames;
    if (c.rst_frame) {
      x.frames.push_back(c.rst_frame);
      x.kind = is_epm_port(port) ? "epm_reset" : "nothing_listens";
      x.message =
          is_epm_port(port)
              ? fmt::format("{} refused TCP {}: the endpoint mapper is not listening",
                            server.to_string(), port)
              : fmt::format(
                    "nothing listens on {}:{}: the server answered the client's SYN with a reset",
                    server.to_string(), port);
      x.evidence = syns + fmt::format(", RST in frame {}", c.rst_frame) + given;
      x.next_step = is_epm_port(port)
                        ? "check that the RPC service (RpcSs) runs on the server"
                        : "the service registered this port and stopped, or the answer is stale: "
                          "restart the service, then look up its port again";
    } else {
      x.kind = c.link              ? "firewall_drops_dynamic_port"
               : is_epm_port(port) ? "epm_unanswered"
                                   : "connect_unanswered";
      x.message =
          c.link
              ? fmt::format(
                    "a firewall between {} and {} passes 135 but not {}: the client's SYNs to it "
                    "went unanswered",
                    client.to_string(), server.to_string(), port)
          : is_epm_port(port)
              ? fmt::format("TCP {} on {} did not answer: the endpoint mapper is unreachable", port,
                            server.to_string())
              : fmt::format("{}:{} did not answer the client's SYNs", server.to_string(), port);
      x.evidence = syns + given;
      x.next_step =
          c.link ? fmt::format(
                       "open TCP {} (or the server's dynamic RPC port range, or fix the service "
                       "to a static port) between {} and {}",
                       port, client.to_string(), server.to_string())
                 : "check routing and firewalls between the two hosts";
    }
    if (iface && iface->uuid != dcerpc::epm_uuid()) {
      ServiceStatus& s = service(client, server, *iface);
      if (s.port == 0) s.port = port;
      if (s.protseq.empty()) s.protseq = "ncacn_ip_tcp";
    }
    add(std::move(x));
    return;
  }
  // An ept_map the endpoint mapper never answered: the lookup itself failed.
  for (auto it = c.outstanding.begin(); it != c.outstanding.end();) {
    if (!it->second.interface || it->second.interface->uuid != dcerpc::epm_uuid()) {
      ++it;
      continue;
    }
    auto asked = c.epm_asked.find(it->first);
    std::optional<dcerpc::SyntaxId> want;
    if (asked != c.epm_asked.end()) want = asked->second;
    Finding x = base(Severity::error, "epm_no_answer");
    x.interface = want;
    x.frames = {it->second.frame};
    x.message = fmt::format("the endpoint mapper on {} never answered the lookup for {}",
                            server.to_string(), iface_text(want));
    x.evidence = fmt::format(
        "ept_map request in frame {}; the {} with no answer", it->second.frame,
        conv.end_reason == analysis::EndReason::capture_end ? "capture ended" : "connection ended");
    x.next_step =
        "the RPC service on the server is hung or overloaded: check RpcSs and the server's load";
    if (want) ++service(client, server, *want).unanswered;
    add(std::move(x));
    it = c.outstanding.erase(it);
  }
  if (!c.outstanding.empty()) {
    Finding x = base(
        conv.end_reason == analysis::EndReason::capture_end ? Severity::warning : Severity::error,
        "no_response");
    std::string list;
    for (const auto& [call_id, call] : c.outstanding) {
      x.frames.push_back(call.frame);
      if (call.interface && call.interface->uuid != dcerpc::epm_uuid())
        ++service(client, server, *call.interface).unanswered;
      std::string op =
          call.interface ? std::string(dcerpc::operation_name(call.interface->uuid, call.opnum))
                         : "";
      list += fmt::format("{}frame {} ({} opnum {}{})", list.empty() ? "" : ", ", call.frame,
                          iface_text(call.interface), call.opnum, op.empty() ? "" : " " + op);
    }
    x.message =
        fmt::format("{} call{} to {} {} never answered before {}", c.outstanding.size(),
                    c.outstanding.size() == 1 ? "" : "s", server.to_string(),
                    c.outstanding.size() == 1 ? "was" : "were",
                    conv.end_reason == analysis::EndReason::capture_end ? "the capture ended"
                                                                        : "the connection ended");
    x.evidence = "requests in " + list;
    x.next_step = conv.end_reason == analysis::EndReason::capture_end
                      ? "capture longer to see whether an answer comes"
                      : "look at the server: the call hung or the service crashed";
    add(std::move(x));
  }
  if (c.rst_mid_call) {
    Finding x = base(Severity::error, "reset_mid_call");
    x.frames = {c.rst_mid_call};
    x.message =
        fmt::format("{} reset the connection while a call was outstanding", server.to_string());
    x.evidence = fmt::format("RST in frame {}", c.rst_mid_call);
    x.next_step =
        "the service closed the connection (crash, timeout or policy): see the server's event log";
    add(std::move(x));
  }
  if (conv.dcerpc && (c.retransmissions > 0 || c.zero_windows > 0)) {
    // One or two retransmissions are ordinary; more, or a receiver that stops, slow RPC down.
    Finding x =
        base(c.retransmissions >= 3 || c.zero_windows > 0 ? Severity::warning : Severity::info,
             "tcp_trouble");
    if (c.first_retransmission) x.frames.push_back(c.first_retransmission);
    if (c.first_zero_window) x.frames.push_back(c.first_zero_window);
    x.message = fmt::format(
        "TCP trouble on the RPC connection to {}:{}: {} retransmission{}, {} zero window{}",
        server.to_string(), port, c.retransmissions, c.retransmissions == 1 ? "" : "s",
        c.zero_windows, c.zero_windows == 1 ? "" : "s");
    x.frames.erase(std::remove(x.frames.begin(), x.frames.end(), 0u), x.frames.end());
    std::string evidence;
    if (c.first_retransmission)
      evidence = fmt::format("first retransmission in frame {}", c.first_retransmission);
    if (c.first_zero_window)
      evidence += fmt::format("{}first zero window in frame {}", evidence.empty() ? "" : ", ",
                              c.first_zero_window);
    x.evidence = evidence;
    x.next_step = "look for loss or a slow receiver on the path; RPC calls wait for every byte";
    add(std::move(x));
  }
  if (is_http_port(port) && conv.dcerpc && !c.link) {
    Finding x = base(Severity::info, "rpc_over_http_port");
    x.frames = {conv.first_frame};
    x.message = fmt::format(
        "{}:{} is a static RPC-over-HTTP port: no endpoint mapper lookup is expected for it",
        server.to_string(), port);
    x.evidence = fmt::format("DCE/RPC from frame {}", conv.first_frame);
    x.next_step = "none needed; if it fails, check the RPC proxy's ValidPorts and this port";
    add(std::move(x));
  }
}

void DiagnoseWriter::final_checks() {
  for (const auto& a : answers_) {
    // An answer with several towers is used when any of them is tried.
    bool used = std::any_of(answers_.begin(), answers_.end(), [&](const Answer& o) {
      return o.frame == a.frame && o.client == a.client && o.tried;
    });
    if (used) continue;
    Finding x;
    x.severity = Severity::warning;
    x.kind = "port_never_tried";
    x.client = a.client;
    x.server = a.server;
    x.interface = a.interface;
    x.port = a.port;
    x.frames = {a.frame};
    x.message =
        fmt::format("{} never tried {}:{}, the port the endpoint mapper gave for {}",
                    a.client.to_string(), a.server.to_string(), a.port, iface_text(a.interface));
    x.evidence = fmt::format("ept_map answer in frame {}", a.frame);
    x.next_step =
        "the client gave up before connecting, or the capture missed it: capture on the client";
    add(std::move(x));
  }
  for (const auto& m : mta_binds_) {
    Finding x;
    x.client = m.a;
    x.server = m.b;
    x.interface = dcerpc::SyntaxId{kMta, 2, 0};
    x.frames = {m.frame};
    if (m.back_frame) {
      x.severity = Severity::info;
      x.kind = "mta_two_way_bind";
      x.frames.push_back(m.back_frame);
      x.message = fmt::format("the MTA two-way bind between {} and {} is complete", m.a.to_string(),
                              m.b.to_string());
      x.evidence = fmt::format("MtaBind in frame {}, MtaBindBack from {} in frame {}", m.frame,
                               m.b.to_string(), m.back_frame);
      x.next_step = "none needed";
    } else {
      x.severity = Severity::error;
      x.kind = "mta_bindback_missing";
      x.message =
          fmt::format("{} sent MtaBind to {}, but no MtaBindBack connection came back from {}",
                      m.a.to_string(), m.b.to_string(), m.b.to_string());
      x.evidence = fmt::format("MtaBind in frame {}", m.frame);
      x.next_step = fmt::format(
          "{} must reach {}'s endpoint mapper and MTA port too: check the firewall in that "
          "direction (KB159298)",
          m.b.to_string(), m.a.to_string());
    }
    add(std::move(x));
  }
}

bool DiagnoseWriter::has_error() const {
  return std::any_of(findings_.begin(), findings_.end(),
                     [](const Finding& f) { return f.severity == Severity::error; });
}

namespace {
struct Latency {
  std::int64_t median = 0, worst = 0;
};
Latency latency(std::vector<std::int64_t> v) {
  Latency l;
  if (v.empty()) return l;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  l.median = *mid;
  l.worst = *std::max_element(v.begin(), v.end());
  return l;
}
}  // namespace

void DiagnoseWriter::write_text(const Statistics& s) {
  std::string out = "Service status (client -> server), as Outlook's connection status lists it:\n";
  if (services_.empty()) out += "  no RPC service was tried in this capture\n";
  std::vector<const ServiceStatus*> sorted;
  for (const auto& sv : services_) sorted.push_back(&sv);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ServiceStatus* a, const ServiceStatus* b) {
                     return std::tie(a->client, a->server) < std::tie(b->client, b->server);
                   });
  const ServiceStatus* previous = nullptr;
  for (const ServiceStatus* sv : sorted) {
    if (!previous || previous->client != sv->client || previous->server != sv->server)
      fmt::format_to(std::back_inserter(out), "  {} -> {}\n", sv->client.to_string(),
                     sv->server.to_string());
    previous = sv;
    Latency l = latency(sv->latencies_us);
    const std::string state = state_of(*sv);
    std::string where =
        sv->port ? fmt::format("{} {}", sv->protseq.empty() ? "?" : sv->protseq, sv->port) : "-";
    fmt::format_to(std::back_inserter(out), "    {:<22} {:<12} {:<18} calls {}",
                   service_label(sv->interface), state, where, sv->calls);
    if (!sv->latencies_us.empty())
      fmt::format_to(std::back_inserter(out), ", median {} s, worst {} s",
                     common::format_seconds(l.median), common::format_seconds(l.worst));
    out += '\n';
  }
  std::vector<const Finding*> order;
  for (const auto& f : findings_) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(),
                   [](const Finding* a, const Finding* b) { return a->severity < b->severity; });
  fmt::format_to(std::back_inserter(out), "\nFindings: {}\n",
                 order.empty() ? "nothing wrong found" : "");
  for (const Finding* f : order) {
    fmt::format_to(std::back_inserter(out), "  [{}] {}\n", severity_name(f->severity), f->message);
    fmt::format_to(std::back_inserter(out), "    evidence: {}\n", f->evidence);
    fmt::format_to(std::back_inserter(out), "    next step: {}\n", f->next_step);
  }
  if (findings_dropped_)
    fmt::format_to(std::back_inserter(out), "  ({} more findings not listed)\n", findings_dropped_);
  std::fwrite(out.data(), 1, out.size(), out_);
  std::string stats = format_statistics(s);
  std::fwrite(stats.data(), 1, stats.size(), stats_out_);
}

void DiagnoseWriter::write_jsonl(const Statistics& s) {
  JsonLine j;
  auto emit = [&] {
    std::fwrite(j.text().data(), 1, j.text().size(), out_);
    std::fputc('\n', out_);
  };
  for (const auto& sv : services_) {
    j.clear();
    Latency l = latency(sv.latencies_us);
    j.begin_object().str("type", "service").ip("client", sv.client).ip("server", sv.server);
    j.begin_object("interface")
        .uuid("uuid", sv.interface.uuid)
        .str("version", fmt::format("{}.{}", sv.interface.major, sv.interface.minor));
    if (auto name = dcerpc::interface_name(sv.interface.uuid); !name.empty()) j.str("name", name);
    j.end_object()
        .str("label", service_label(sv.interface))
        .str("state", state_of(sv))
        .str("protseq", sv.protseq);
    j.num("port", sv.port).num("calls", sv.calls);
    if (!sv.latencies_us.empty())
      j.inum("median_latency_us", l.median).inum("worst_latency_us", l.worst);
    j.end_object();
    emit();
  }
  for (const auto& f : findings_) {
    j.clear();
    j.begin_object()
        .str("type", "finding")
        .str("kind", f.kind)
        .str("severity", severity_name(f.severity));
    j.ip("client", f.client).ip("server", f.server);
    if (f.interface) {
      j.begin_object("interface")
          .uuid("uuid", f.interface->uuid)
          .str("version", fmt::format("{}.{}", f.interface->major, f.interface->minor));
      if (auto name = dcerpc::interface_name(f.interface->uuid); !name.empty()) j.str("name", name);
      j.end_object();
    }
    j.num("port", f.port).begin_array("frames");
    for (auto fr : f.frames) j.element(static_cast<std::uint64_t>(fr));
    j.end_array()
        .str("message", f.message)
        .str("evidence", f.evidence)
        .str("next_step", f.next_step);
    j.end_object();
    emit();
  }
  j.clear();
  write_statistics_json(s, j);
  emit();
}

void DiagnoseWriter::finish(const Statistics& s) {
  // Conversations still open were ended by the analyzer before finish(); what is left here
  // are cross-conversation checks.
  final_checks();
  if (jsonl_)
    write_jsonl(s);
  else
    write_text(s);
  std::fflush(out_);
}

}  // namespace rpctrace::report
