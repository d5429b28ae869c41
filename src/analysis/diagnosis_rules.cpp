// Diagnosis, part 2: the rules at the end of a conversation and of the capture.
// - a connection that got no SYN/ACK: to a port an ept_map answer gave -> a firewall passes
//   135 but not that port (RST instead: nothing listens there); to 135/593 -> the endpoint
//   mapper is unreachable or reset;
// - an ept_map never answered; other calls with no answer before the connection ended or the
//   capture stopped; the server's RST during a call; TCP retransmissions and zero windows;
// - RPC over HTTP's static ports (593, 6001, 6002, 6004), where no EPM lookup is expected;
// - a port the mapper gave that the client never tried; the MTA's two-way bind.
#include <fmt/format.h>

#include <algorithm>

#include "diagnosis_text.hpp"
#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

namespace {

// MS-RPCH 2.1.1.1 and Exchange's RPC proxy: 593 (ncacn_http's mapper), 6001, 6002, 6004.
bool is_http_port(std::uint16_t p) { return p == 593 || p == 6001 || p == 6002 || p == 6004; }

}  // namespace

std::string_view to_string(Severity s) {
  return s == Severity::error ? "error" : s == Severity::warning ? "warning" : "info";
}

std::string_view to_string(FindingKind k) {
  static constexpr std::string_view kNames[] = {
      "firewall_drops_dynamic_port",
      "port_refused",
      "epm_unanswered",
      "epm_reset",
      "connect_unanswered",
      "epm_not_registered",
      "epm_no_answer",
      "port_never_tried",
      "bind_nak",
      "bind_rejected",
      "alter_context_refused",
      "fault",
      "authentication_failed",
      "no_response",
      "slow_call",
      "reset_mid_call",
      "tcp_trouble",
      "rpc_over_http_port",
      "mta_two_way_bind",
      "mta_bindback_missing",
      "smb_session_refused",
      "smb_tree_refused",
      "pipe_open_refused",
      "smb_encrypted",
      "error_returned",
      "kerberos_error",
      "rpc_proxy_refused",
      "virtual_connection_incomplete",
      "https_encrypted",
  };
  static_assert(std::size(kNames) == static_cast<std::size_t>(FindingKind::count_));
  auto i = static_cast<std::size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string_view to_string(ServiceState s) {
  switch (s) {
    case ServiceState::established:
      return "Established";
    case ServiceState::connecting:
      return "Connecting";
    case ServiceState::failed:
      return "Failed";
  }
  return "unknown";
}

std::string_view outlook_label(const dcerpc::SyntaxId& s) {
  static const auto rfr = dcerpc::interface_by_name("RFR"),
                    nspi = dcerpc::interface_by_name("NSPI"),
                    emsmdb = dcerpc::interface_by_name("EMSMDB"),
                    async_emsmdb = dcerpc::interface_by_name("AsyncEMSMDB");
  if (s.uuid == rfr || s.uuid == nspi) return "Directory";
  if (s.uuid == emsmdb || s.uuid == async_emsmdb) return "Mail";
  return {};
}

ServiceState ServiceStatus::state() const {
  if (calls > 0) return ServiceState::established;
  if (refused > 0 || faults > 0) return ServiceState::failed;
  if (bound && unanswered == 0) return ServiceState::established;
  return ServiceState::connecting;
}

bool DiagnosisResult::has_error() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::error; });
}

Finding make_finding(Severity severity, FindingKind kind, const common::Endpoint& client,
                     const common::Endpoint& server, std::optional<dcerpc::SyntaxId> interface) {
  Finding x;
  x.severity = severity;
  x.kind = kind;
  x.client = client.address;
  x.server = server.address;
  x.interface = std::move(interface);
  x.port = server.port;
  return x;
}

std::string interface_text(const std::optional<dcerpc::SyntaxId>& s) {
  return s ? dcerpc::format_syntax(*s) : std::string("an unknown interface");
}

std::string operation_text(const std::optional<dcerpc::SyntaxId>& s, std::uint16_t opnum,
                           bool request_seen) {
  std::string iface;
  if (s) {
    auto name = dcerpc::interface_name(s->uuid);
    iface = name.empty() ? dcerpc::format_syntax(*s) : std::string(name);
  }
  if (!request_seen) return "a call to " + (s ? iface : interface_text(s));
  if (!s) return fmt::format("opnum {} of an unknown interface", opnum);
  auto op = dcerpc::operation_name(s->uuid, opnum);
  return op.empty() ? fmt::format("{} opnum {}", iface, opnum) : fmt::format("{} {}", iface, op);
}

std::string frames_text(const std::vector<std::uint64_t>& frames, std::uint64_t total) {
  total = std::max<std::uint64_t>(total, frames.size());
  std::string out;
  for (std::size_t i = 0; i < frames.size() && i < 8; ++i)
    out += fmt::format("{}{}", i ? ", " : "", common::FrameNo{frames[i]});
  if (total > 8) out += fmt::format(" and {} more", total - 8);
  return out;
}

std::optional<dcerpc::SyntaxId> looked_up(const CallRecord& r) {
  if (!r.epm_request || !r.epm_request->value) return std::nullopt;
  const auto* q = std::get_if<epm::EptMapRequest>(&*r.epm_request->value);
  if (q == nullptr || !q->map_tower) return std::nullopt;
  return q->map_tower->interface;
}

void Diagnosis::conversation_end(const Conversation& conv) {
  auto it = convs_.find(conv.id);
  if (it == convs_.end()) return;
  // Only RPC conversations, attempts on the endpoint mapper's ports and connections to ports
  // an EPM answer gave are diagnosed (a port scan or LDAP traffic is not this tool's business).
  Conv& c = it->second;
  if ((conv.shown || c.link) && contacts_.size() < kMaxContacts) {
    std::optional<dcerpc::SyntaxId> iface = c.link ? c.link->interface : std::nullopt;
    if (!iface && !c.bound.empty()) iface = c.bound.front();
    if (!iface) iface = c.last_bind;
    contacts_.push_back({c.client, c.server, conv.id, conv.first_frame, conv.last_frame, iface,
                         c.account, !c.bound.empty()});
  }
  if (conv.shown) {
    if (!c.syn_frames.empty() && !c.syn_ack && !c.data) {
      connection_refused(c, conv);
    } else {
      // An IN channel whose OUT channel was not joined to it (not captured): the answers to
      // its requests rode a connection this capture does not hold.
      const bool joined = conv.virtual_connection && conv.virtual_connection->channels.size() > 1;
      if (!c.http.in_channel || joined) unanswered_calls(c, conv);
      tcp_trouble(c, conv);
    }
  }
  if (conv.virtual_connection && conv.virtual_connection->conversation == conv.id)
    virtual_connection_end(c, conv);
  convs_.erase(it);
}

// A connection that never got a SYN/ACK.
void Diagnosis::connection_refused(Conv& c, const Conversation& conv) {
  const common::IpAddress& client = c.client.address;
  const common::IpAddress& server = c.server.address;
  const std::uint16_t port = c.server.port;
  const bool mapper = epm::is_endpoint_mapper_port(port);
  std::optional<dcerpc::SyntaxId> iface;
  if (c.link && c.link->interface) iface = c.link->interface;
  if (!iface && !c.bound.empty()) iface = c.bound.front();
  std::int64_t waited = c.last_syn.micros() - c.first_syn.micros();
  std::string syns =
      c.syns > 1
          ? fmt::format("SYNs in frames {} ({} retransmitted, {} s between the first and the last)",
                        frames_text(c.syn_frames, c.syns), c.syns - 1,
                        common::format_seconds(waited))
          : fmt::format("SYN in frame {}", frames_text(c.syn_frames, c.syns));
  std::string given =
      c.link ? fmt::format("; {} in conversation {}, frame {} gave this port{}", c.link->source,
                           c.link->conversation, common::FrameNo{c.link->frame},
                           c.link->interface ? " for " + interface_text(c.link->interface)
                           : c.link->source == "ept_map" ? std::string()
                                                         : " (the object exporter's: DCOM/WMI)")
             : "";
  Finding x =
      make_finding(Severity::error, FindingKind::connect_unanswered, c.client, c.server, iface);
  x.frames = c.syn_frames;
  if (c.rst_frame) {
    x.frames.push_back(c.rst_frame);
    x.kind = mapper ? FindingKind::epm_reset : FindingKind::port_refused;
    x.message = mapper ? fmt::format(
                             "{} refused TCP {}: the endpoint mapper is not listening, or a "
                             "firewall rejects the port with resets",
                             server.to_string(), port)
                       : fmt::format(
                             "{}:{} answered the client's SYN with a reset: nothing listens there, "
                             "or a firewall rejects the port with resets",
                             server.to_string(), port);
    std::string next;
    x.evidence = syns + fmt::format(", RST in frame {}", common::FrameNo{c.rst_frame}) +
                 reset_origin(c, next) + given;
    x.next_step =
        (mapper ? std::string("check that the RPC service (RpcSs) runs on the server, and the "
                              "firewalls' rules for TCP 135")
                : fmt::format("if nothing listens, the service registered this port and stopped, "
                              "or the answer is stale: restart it and look its port up again; if "
                              "a firewall rejects TCP {}, open it (or the dynamic RPC port range) "
                              "between {} and {}",
                              port, client.to_string(), server.to_string())) +
        next;
  } else {
    x.kind = c.link   ? FindingKind::firewall_drops_dynamic_port
             : mapper ? FindingKind::epm_unanswered
                      : FindingKind::connect_unanswered;
    x.message =
        c.link ? fmt::format(
                     "a firewall between {} and {} passes 135 but not {}: the client's SYNs to it "
                     "went unanswered",
                     client.to_string(), server.to_string(), port)
        : mapper ? fmt::format("TCP {} on {} did not answer: the endpoint mapper is unreachable",
                               port, server.to_string())
                 : fmt::format("{}:{} did not answer the client's SYNs", server.to_string(), port);
    x.evidence = syns + given;
    x.next_step = c.link ? fmt::format(
                               "open TCP {} (or the server's dynamic RPC port range, or fix the "
                               "service to a static port) between {} and {}",
                               port, client.to_string(), server.to_string())
                         : "check routing and firewalls between the two hosts";
  }
  if (iface && iface->uuid != dcerpc::epm_uuid()) {
    ServiceStatus& s = service(client, server, *iface);
    if (s.port == 0) s.port = port;
    if (s.protseq.empty()) s.protseq = std::string(to_string(conv.protseq));
  }
  // A client retrying the same port on new connections: one finding with a count.
  add_grouped(fmt::format("conn|{}|{}|{}|{}", to_string(x.kind), client.to_string(),
                          server.to_string(), port),
              std::move(x));
}

// What tells the two causes of a reset apart: its IP TTL and delay against the server's own
// SYN/ACKs to the same client. Returns evidence text; adds the reading to `next_step`.
std::string Diagnosis::reset_origin(const Conv& c, std::string& next_step) const {
  std::string out;
  std::int64_t delay = -1;
  if (!c.syn_frames.empty()) delay = c.rst_ts.micros() - c.last_syn.micros();
  if (c.rst_ttl != 0) out += fmt::format(" with IP TTL {}", c.rst_ttl);
  if (delay >= 0) out += fmt::format(", {} s after the SYN", common::format_seconds(delay));
  auto it = paths_.find({c.client.address, c.server.address});
  if (it == paths_.end() || it->second.ttl == 0 || c.rst_ttl == 0) {
    next_step =
        "; no SYN/ACK of the server is in the capture to compare the reset's TTL with: capture a "
        "connection to a port that answers (135) to tell the two apart";
    return out;
  }
  const Path& p = it->second;
  out += fmt::format("; the server's SYN/ACK on port {} (frame {}) had TTL {}", p.port,
                     common::FrameNo{p.frame}, p.ttl);
  if (p.rtt_us >= 0) out += fmt::format(", {} s after its SYN", common::format_seconds(p.rtt_us));
  if (p.ttl != c.rst_ttl) {
    next_step = fmt::format(
        "; the TTLs differ ({} against {}): the reset came from another device on the path, a "
        "firewall rejecting the port",
        c.rst_ttl, p.ttl);
  } else if (delay >= 0 && p.rtt_us > 0 && delay * 4 < p.rtt_us) {
    next_step = fmt::format(
        "; the same TTL, but the reset came {} times faster than the server's SYN/ACK: a device "
        "nearer the client (a firewall) probably sent it",
        p.rtt_us / std::max<std::int64_t>(delay, 1));
  } else {
    next_step =
        "; the same TTL and a similar delay: the reset came from the server's host itself, "
        "where nothing listens on the port or its own firewall rejects it (nftables or iptables "
        "REJECT with tcp-reset; Windows Firewall drops instead)";
  }
  return out;
}

namespace {

// How the client and a connectionless server kept a call alive: ", sent 3 times, 2 pings
// answered by working 2"; empty for a call on a connection.
std::string datagram_exchange(const dcerpc::CallEnd& call) {
  std::string out;
  if (call.resent > 0) out += fmt::format(", sent {} times", call.resent + 1);
  if (call.pings > 0) out += fmt::format(", {} ping{}", call.pings, call.pings == 1 ? "" : "s");
  if (call.working > 0) out += fmt::format(", working {}", call.working);
  if (call.nocalls > 0) out += fmt::format(", nocall {}", call.nocalls);
  return out;
}

}  // namespace

// Calls the conversation's end left unanswered: an ept_map is its own finding (the lookup
// itself failed), the others one finding together; and the server's RST during a call.
void Diagnosis::unanswered_calls(Conv& c, const Conversation& conv) {
  const common::IpAddress& client = c.client.address;
  const common::IpAddress& server = c.server.address;
  const bool capture_end = conv.end_reason == EndReason::capture_end;
  std::optional<dcerpc::SyntaxId> iface;
  if (c.link && c.link->interface) iface = c.link->interface;
  if (!iface && !c.bound.empty()) iface = c.bound.front();
  // Connectionless calls apart by what the server said to the client's pings: nothing,
  // working, nocall; each group is a finding of its own.
  std::vector<const CallRecord*> others[3];
  for (const auto& r : c.unanswered) {
    const auto& call_iface = r.call.interface;
    if (!call_iface || call_iface->uuid != dcerpc::epm_uuid()) {
      others[r.call.nocalls > 0 ? 2 : r.call.working > 0 ? 1 : 0].push_back(&r);
      continue;
    }
    std::optional<dcerpc::SyntaxId> want = looked_up(r);
    // The capture may simply have stopped before the answer: a warning, as for other calls.
    Finding x = make_finding(capture_end ? Severity::warning : Severity::error,
                             FindingKind::epm_no_answer, c.client, c.server, want);
    x.frames = {r.call.request_last.frame};
    x.message = fmt::format("the endpoint mapper on {} never answered the lookup for {}",
                            server.to_string(), interface_text(want));
    x.evidence = fmt::format("ept_map request in frame {}; the {} with no answer",
                             common::FrameNo{r.call.request_last.frame},
                             capture_end ? "capture ended" : "connection ended");
    x.next_step = capture_end ? "capture longer to see whether an answer comes"
                              : "the RPC service on the server is hung or overloaded: check RpcSs "
                                "and the server's load";
    if (want) ++service(client, server, *want).unanswered;
    add(std::move(x));
  }
  for (const auto& group : others) {
    if (group.empty()) continue;
    // No bind names a connectionless conversation's interface: its first call's header does.
    Finding x =
        make_finding(capture_end ? Severity::warning : Severity::error, FindingKind::no_response,
                     c.client, c.server, iface ? iface : group.front()->call.interface);
    std::string list;
    std::uint64_t working = 0, nocalls = 0;
    for (const CallRecord* r : group) {
      const dcerpc::CallEnd& call = r->call;
      x.frames.push_back(call.request_last.frame);
      if (call.interface && call.interface->uuid != dcerpc::epm_uuid())
        ++service(client, server, *call.interface).unanswered;
      std::string op =
          call.interface ? std::string(dcerpc::operation_name(call.interface->uuid, call.opnum))
                         : "";
      list += fmt::format("{}frame {} ({} opnum {}{}{})", list.empty() ? "" : ", ",
                          common::FrameNo{call.request_last.frame}, interface_text(call.interface),
                          call.opnum, op.empty() ? "" : " " + op, datagram_exchange(call));
      working += call.working;
      nocalls += call.nocalls;
    }
    const bool datagram = is_datagram(conv.protseq);
    x.message = fmt::format("{} call{} to {} {} never answered before {}", group.size(),
                            group.size() == 1 ? "" : "s", server.to_string(),
                            group.size() == 1 ? "was" : "were",
                            capture_end ? "the capture ended"
                            : datagram  ? "the flow went quiet"
                                        : "the connection ended");
    x.evidence = "requests in " + list;
    // Connectionless servers say why through their answers to the client's pings (C706
    // §12.5.3.5, §12.5.3.9): nocall, it holds no such call; working, it is still executing.
    if (nocalls > 0) {
      x.message += fmt::format(": the server answered nocall {} time{} (it has no such call)",
                               nocalls, nocalls == 1 ? "" : "s");
      x.next_step =
          "the request never reached the server whole (fragments lost: a firewall or an MTU "
          "problem on UDP) or the server restarted and forgot it (compare server_boot): look at "
          "the path for UDP fragments, or use ncacn_ip_tcp";
    } else if (working > 0) {
      x.message += fmt::format(": the server answered working {} time{} (still executing)", working,
                               working == 1 ? "" : "s");
      x.next_step = capture_end ? "the call is slow, not lost: capture longer to see its end"
                                : "the call hung on the server: look at the service's load";
    } else if (datagram) {
      x.next_step =
          "nothing came back over UDP: a firewall dropping the port, or no server listening "
          "(ICMP port unreachable is not decoded): check the path with ncacn_ip_tcp";
    } else {
      x.next_step = capture_end ? "capture longer to see whether an answer comes"
                                : "look at the server: the call hung or the service crashed";
    }
    add(std::move(x));
  }
  if (c.rst_mid_call) {
    Finding x =
        make_finding(Severity::error, FindingKind::reset_mid_call, c.client, c.server, iface);
    x.frames = {c.rst_mid_call};
    x.message =
        fmt::format("{} reset the connection while a call was outstanding", server.to_string());
    x.evidence = fmt::format("RST in frame {}", common::FrameNo{c.rst_mid_call});
    x.next_step =
        "the service closed the connection (crash, timeout or policy): see the server's event log";
    add(std::move(x));
  }
}

void Diagnosis::tcp_trouble(Conv& c, const Conversation& conv) {
  const std::uint16_t port = c.server.port;
  std::optional<dcerpc::SyntaxId> iface;
  if (c.link && c.link->interface) iface = c.link->interface;
  if (!iface && !c.bound.empty()) iface = c.bound.front();
  if (conv.dcerpc && (c.retransmissions > 0 || c.zero_windows > 0)) {
    // One or two retransmissions are ordinary; more, or a receiver that stops, slow RPC down.
    const bool serious = c.retransmissions >= 3 || c.zero_windows > 0;
    Finding x = make_finding(serious ? Severity::warning : Severity::info, FindingKind::tcp_trouble,
                             c.client, c.server, iface);
    if (c.first_retransmission) x.frames.push_back(c.first_retransmission);
    if (c.first_zero_window) x.frames.push_back(c.first_zero_window);
    x.message = fmt::format(
        "TCP trouble on the RPC connection to {}:{}: {} retransmission{}, {} zero window{}",
        c.server.address.to_string(), port, c.retransmissions, c.retransmissions == 1 ? "" : "s",
        c.zero_windows, c.zero_windows == 1 ? "" : "s");
    std::string evidence;
    if (c.first_retransmission)
      evidence =
          fmt::format("first retransmission in frame {}", common::FrameNo{c.first_retransmission});
    if (c.first_zero_window)
      evidence += fmt::format("{}first zero window in frame {}", evidence.empty() ? "" : ", ",
                              common::FrameNo{c.first_zero_window});
    x.evidence = evidence;
    x.next_step = "look for loss or a slow receiver on the path; RPC calls wait for every byte";
    if (serious) {
      add(std::move(x));
    } else {
      // The ordinary kind: one finding per client and server, however many connections.
      x.message = fmt::format("a few TCP retransmissions on RPC connections from {} to {}",
                              c.client.address.to_string(), c.server.address.to_string());
      x.evidence = fmt::format("port {}: {} retransmission{}, {} zero window{}, {}", port,
                               c.retransmissions, c.retransmissions == 1 ? "" : "s", c.zero_windows,
                               c.zero_windows == 1 ? "" : "s", evidence);
      add_grouped(
          fmt::format("tcp|{}|{}", c.client.address.to_string(), c.server.address.to_string()),
          std::move(x));
    }
  }
  if (is_http_port(port) && conv.dcerpc && !c.link) {
    Finding x =
        make_finding(Severity::info, FindingKind::rpc_over_http_port, c.client, c.server, iface);
    x.frames = {conv.first_frame};
    x.message = fmt::format(
        "{}:{} is a static RPC-over-HTTP port: no endpoint mapper lookup is expected for it",
        c.server.address.to_string(), port);
    x.evidence = fmt::format("DCE/RPC from frame {}", common::FrameNo{conv.first_frame});
    x.next_step = "none needed; if it fails, check the RPC proxy's ValidPorts and this port";
    add(std::move(x));
  }
}

// Ports an ept_map answer gave that its client never went to. An answer with several towers
// is used when any of them was tried.
void Diagnosis::ports_never_tried(const EpmLinks& links) {
  for (const EpmAnswer& a : links.answers()) {
    if (std::find(a.tried.begin(), a.tried.end(), true) != a.tried.end()) continue;
    for (const auto& t : a.response->towers) {
      if (!t.port || *t.port == 0 || !t.interface) continue;
      Finding x;
      x.severity = Severity::warning;
      x.kind = FindingKind::port_never_tried;
      x.client = a.client.address;
      x.server = tower_destination(t, a.server);
      x.interface = t.interface;
      x.port = *t.port;
      x.frames = {a.frame};
      x.message = fmt::format("{} never tried {}:{}, the port the endpoint mapper gave for {}",
                              x.client.to_string(), x.server.to_string(), x.port,
                              interface_text(x.interface));
      x.evidence = fmt::format("ept_map answer in frame {}", common::FrameNo{a.frame});
      x.next_step =
          "the client gave up before connecting, or the capture missed it: capture on the client";
      add(std::move(x));
    }
  }
}

void Diagnosis::mta_binds() {
  for (const auto& m : mta_binds_) {
    Finding x;
    x.client = m.a;
    x.server = m.b;
    if (auto mta = dcerpc::interface_by_name("MTA")) x.interface = dcerpc::interface_version(*mta);
    x.frames = {m.frame};
    if (m.back_frame) {
      x.severity = Severity::info;
      x.kind = FindingKind::mta_two_way_bind;
      x.frames.push_back(m.back_frame);
      x.message = fmt::format("the MTA two-way bind between {} and {} is complete", m.a.to_string(),
                              m.b.to_string());
      x.evidence =
          fmt::format("MtaBind in frame {}, MtaBindBack from {} in frame {}",
                      common::FrameNo{m.frame}, m.b.to_string(), common::FrameNo{m.back_frame});
      x.next_step = "none needed";
    } else {
      x.severity = Severity::error;
      x.kind = FindingKind::mta_bindback_missing;
      x.message =
          fmt::format("{} sent MtaBind to {}, but no MtaBindBack connection came back from {}",
                      m.a.to_string(), m.b.to_string(), m.b.to_string());
      x.evidence = fmt::format("MtaBind in frame {}", common::FrameNo{m.frame});
      x.next_step = fmt::format(
          "{} must reach {}'s endpoint mapper and MTA port too: check the firewall in that "
          "direction (KB159298)",
          m.b.to_string(), m.a.to_string());
    }
    add(std::move(x));
  }
}

void Diagnosis::finish(const Statistics& /*s*/, const EpmLinks& links) {
  // Every conversation has ended before finish(); what is left are checks across them.
  ports_never_tried(links);
  mta_binds();
  kdc_errors();
  result_.answers_dropped = links.answers_dropped();
  if (!options_.interfaces.empty())
    std::erase_if(result_.services,
                  [&](const ServiceStatus& s) { return !selected(std::optional(s.interface)); });
}

}  // namespace rpctrace::analysis
