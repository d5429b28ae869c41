// Test helpers for the analysis sinks: the records a Tracker hands its sinks (frame records, call
// records, the conversation's end), built by hand from a script, with no capture and no reader.
// A ConvScript keeps the order a sink is promised (sink.hpp): its frame records in frame order,
// each call's record after the frame that ended it, the calls left unanswered just before
// conversation_end().
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/analysis/epm_links.hpp"
#include "rpctrace/analysis/model.hpp"
#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/epm/types.hpp"

namespace rpctrace::analysis {

// GoogleTest prints the enums by name.
inline void PrintTo(Severity s, std::ostream* os) { *os << to_string(s); }
inline void PrintTo(ServiceState s, std::ostream* os) { *os << to_string(s); }
inline void PrintTo(FindingKind k, std::ostream* os) { *os << to_string(k); }

}  // namespace rpctrace::analysis

namespace rpctrace::analysis::test {

using dcerpc::PacketType;
using dcerpc::SyntaxId;

inline common::IpAddress ip(std::string_view text) {
  auto a = common::IpAddress::parse(text);
  if (!a) ADD_FAILURE() << "not an address: " << text;
  return a.value_or(common::IpAddress{});
}
inline common::Endpoint endpoint(std::string_view address, std::uint16_t port) {
  return {ip(address), port};
}

// The interface with this short name in the names table, at the version the table gives.
inline SyntaxId interface_named(std::string_view name) {
  auto u = dcerpc::interface_by_name(name);
  if (!u) {
    ADD_FAILURE() << "no interface named " << name;
    return {};
  }
  return dcerpc::interface_version(*u).value_or(SyntaxId{*u, 0, 0});
}
inline SyntaxId interface_uuid(std::string_view uuid, std::uint16_t major = 1,
                               std::uint16_t minor = 0) {
  auto u = common::Uuid::parse(uuid);
  if (!u) ADD_FAILURE() << "not a UUID: " << uuid;
  return {u.value_or(common::Uuid{}), major, minor};
}
inline SyntaxId epm_interface() { return {dcerpc::epm_uuid(), 3, 0}; }

// Whether `text` contains `part`, saying both when it does not.
inline testing::AssertionResult Contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// The capture's clock and frame numbers, shared by its conversations.
struct Clock {
  std::uint64_t frame = 0;
  std::int64_t now_us = 1'700'000'000'000'000;
  dcerpc::FrameRef tick(std::int64_t after_us) {
    now_us += after_us;
    return {++frame,
            common::Timestamp{now_us / 1'000'000, static_cast<std::int32_t>(now_us % 1'000'000)}};
  }
};

// ncacn_ip_tcp tower for `iface` at `port`, on `address` when given (C706 appendix L).
inline epm::Tower tcp_tower(const SyntaxId& iface, std::uint16_t port,
                            std::optional<common::IpAddress> address = std::nullopt) {
  epm::Tower t;
  t.interface = iface;
  t.protseq = "ncacn_ip_tcp";
  t.port = port;
  t.address = address;
  return t;
}
inline epm::EptMapResponse map_answer(std::vector<epm::Tower> towers, std::uint32_t status = 0) {
  epm::EptMapResponse m;
  m.num_towers = static_cast<std::uint32_t>(towers.size());
  m.towers = std::move(towers);
  m.status = status;
  return m;
}
// The decoded stubs of an ept_map call: its request's map_tower asks for `wanted`.
inline EpmDecodePtr map_request(const SyntaxId& wanted) {
  epm::EptMapRequest q;
  q.map_tower = tcp_tower(wanted, 0);
  return std::make_shared<const EpmDecode>(EpmDecode{epm::opnum::ept_map, epm::EpmValue{q}, {}});
}
inline EpmDecodePtr map_response(const epm::EptMapResponse& m) {
  return std::make_shared<const EpmDecode>(EpmDecode{epm::opnum::ept_map, epm::EpmValue{m}, {}});
}

// One PDU as a frame record carries it; the script stamps its frame, time and direction.
inline ReportedPdu make_pdu(PacketType type, std::uint32_t call_id, dcerpc::Body body) {
  ReportedPdu p;
  p.event.header.ptype = type;
  p.event.header.pfc_flags = dcerpc::pfc::first_frag | dcerpc::pfc::last_frag;
  p.event.header.call_id = call_id;
  p.event.body = std::move(body);
  return p;
}
// A bind (or alter_context) proposing `ifaces`, p_cont_id 0, 1, ...; with a verifier at
// `auth_level` when given.
inline ReportedPdu bind_pdu(std::uint32_t call_id, const std::vector<SyntaxId>& ifaces,
                            std::optional<std::uint8_t> auth_level = std::nullopt,
                            PacketType type = PacketType::bind) {
  dcerpc::Bind b;
  for (std::size_t i = 0; i < ifaces.size(); ++i)
    b.contexts.push_back({static_cast<std::uint16_t>(i), ifaces[i], {}});
  ReportedPdu p = make_pdu(type, call_id, b);
  if (auth_level) p.event.sec_trailer = dcerpc::SecTrailer{10, *auth_level, 0, 0, 0};
  return p;
}
// A bind_ack (or alter_context_resp) with one result per proposed context, all with `reason`.
inline ReportedPdu bind_ack_pdu(std::uint32_t call_id, const std::vector<SyntaxId>& proposed,
                                const std::vector<std::uint16_t>& results, std::uint16_t reason = 0,
                                PacketType type = PacketType::bind_ack) {
  dcerpc::BindAck a;
  for (auto r : results) a.results.push_back({r, reason, {}});
  ReportedPdu p = make_pdu(type, call_id, a);
  for (std::size_t i = 0; i < proposed.size(); ++i)
    p.event.proposed.push_back({static_cast<std::uint16_t>(i), proposed[i], {}});
  return p;
}
inline ReportedPdu request_pdu(std::uint32_t call_id, const SyntaxId& iface, std::uint16_t opnum) {
  dcerpc::Request q;
  q.opnum = opnum;
  ReportedPdu p = make_pdu(PacketType::request, call_id, q);
  p.event.interface = iface;
  p.event.call_complete = true;
  return p;
}
// A verifier decoded to `token` (NTLMSSP, Kerberos).
// An NTLMSSP AUTHENTICATE naming RPCTEST\<user> from WS1, as a verifier's decode.
inline auth::Token ntlm_authenticate(std::string user = "Administrator") {
  auth::Token t;
  t.mechanism = "NTLMSSP";
  t.message = "authenticate";
  t.domain = "RPCTEST";
  t.user = std::move(user);
  t.workstation = "WS1";
  return t;
}

inline ReportedPdu with_token(ReportedPdu p, const auth::Token& token) {
  auth::AuthValue v;
  v.token = token;
  p.auth = AuthDecode{v, {}};
  return p;
}

enum class From : std::uint8_t { client, server };

// One conversation, client to server, told to a sink record by record.
class ConvScript {
 public:
  ConvScript(Sink& sink, Clock& clock, std::uint64_t id, common::Endpoint client,
             common::Endpoint server)
      : sink_(sink), clock_(clock), id_(id), client_(client), server_(server) {}

  bool shown = true;  // as the tracker decided
  EpmLinkPtr link;    // the ept_map answer that gave the server's port
  std::optional<VirtualConnection> virtual_connection;  // RPC over HTTP v2
  static constexpr std::uint16_t kWindow = 64240;

  // The record of the next frame, `after_us` after the capture's previous one, not yet sent:
  // the caller adds to it and sends it.
  FrameRecord segment(From from, std::uint8_t flags, std::uint32_t payload = 0,
                      std::int64_t after_us = 1000) {
    const dcerpc::FrameRef at = clock_.tick(after_us);
    FrameRecord f;
    f.conversation = id_;
    f.frame = at.frame;
    f.ts = at.ts;
    f.dir = from == From::client ? 0 : 1;
    f.src = from == From::client ? client_ : server_;
    f.dst = from == From::client ? server_ : client_;
    f.delta_us = first_frame_ == 0 ? 0 : after_us;
    f.segment.flags = flags;
    f.segment.window = kWindow;
    f.segment.payload_length = f.segment.captured_length = payload;
    f.shown = shown;
    f.client = client_;
    f.server = server_;
    f.roles_from_syn = true;
    f.epm_link = link;
    f.group = id_;
    return f;
  }
  void send(const FrameRecord& f) {
    if (first_frame_ == 0) first_frame_ = f.frame;
    last_ = {f.frame, f.ts};
    if (!f.pdus.empty()) dcerpc_ = true;
    sink_.frame(f);
  }
  std::uint64_t send_segment(From from, std::uint8_t flags, std::uint32_t payload = 0,
                             std::int64_t after_us = 1000, std::uint8_t ttl = 0) {
    FrameRecord f = segment(from, flags, payload, after_us);
    f.segment.ttl = ttl;
    send(f);
    return f.frame;
  }
  std::uint64_t syn(std::int64_t after_us = 1000) {
    return send_segment(From::client, control::syn, 0, after_us);
  }
  std::uint64_t rst(From from) { return send_segment(from, control::rst | control::ack); }
  void handshake() {
    syn();
    send_segment(From::server, control::syn | control::ack);
    send_segment(From::client, control::ack);
  }
  // A frame carrying one PDU; returns where it was.
  dcerpc::FrameRef send_pdu(From from, ReportedPdu p, std::int64_t after_us = 1000) {
    FrameRecord f = segment(from, control::psh | control::ack, 100, after_us);
    p.event.at = {f.frame, f.ts};
    p.event.dir = f.dir;
    f.pdus.push_back(std::move(p));
    send(f);
    return last_;
  }
  // A frame carrying one carrier event (an SMB step); returns its frame number.
  std::uint64_t send_event(From from, CarrierEvent e, std::int64_t after_us = 1000) {
    FrameRecord f = segment(from, control::psh | control::ack, 100, after_us);
    f.events.push_back(std::move(e));
    send(f);
    return f.frame;
  }
  // A request and its answer with `status`: returns the answer's frame.
  std::uint64_t smb_step(CarrierEventKind kind, std::string command, std::string text,
                         std::uint32_t status, std::string account = {}) {
    CarrierEvent q;
    q.kind = kind;
    q.command = command;
    q.text = text;
    const std::uint64_t request = send_event(From::client, q);
    CarrierEvent a = q;
    a.response = true;
    a.status = status;
    a.request_frame = request;
    a.latency_us = 1000;
    a.account = std::move(account);
    return send_event(From::server, std::move(a));
  }
  // bind, then a bind_ack accepting every context.
  void bind(const std::vector<SyntaxId>& ifaces, std::uint32_t call_id = 1,
            std::optional<std::uint8_t> auth_level = std::nullopt) {
    send_pdu(From::client, bind_pdu(call_id, ifaces, auth_level));
    send_pdu(From::server,
             bind_ack_pdu(call_id, ifaces, std::vector<std::uint16_t>(ifaces.size())));
  }

  // A call's record as the association ends it: its request at `request`, ended at `end`.
  CallRecord call_record(std::uint32_t call_id, const SyntaxId& iface, std::uint16_t opnum,
                         const dcerpc::FrameRef& request, const dcerpc::FrameRef& end,
                         dcerpc::CallOutcome outcome) const {
    CallRecord r;
    r.conversation = id_;
    r.client = client_;
    r.server = server_;
    dcerpc::CallEnd& c = r.call;
    c.call_id = call_id;
    c.opnum = opnum;
    c.interface = iface;
    c.request_first = c.request_last = request;
    c.request_complete = true;
    c.request_fragments = 1;
    c.end = end;
    c.outcome = outcome;
    if (outcome == dcerpc::CallOutcome::response || outcome == dcerpc::CallOutcome::fault) {
      c.response_first = end;
      c.response_fragments = 1;
      c.latency_us = end.ts.micros() - request.ts.micros();
    }
    return r;
  }
  // The request's frame; the answer's frame `latency_us` later (a response, or a fault with
  // `status`) and its call record. Returns the record sent.
  CallRecord call(std::uint32_t call_id, const SyntaxId& iface, std::uint16_t opnum,
                  std::int64_t latency_us = 2000,
                  dcerpc::CallOutcome outcome = dcerpc::CallOutcome::response,
                  std::uint32_t status = 0) {
    const dcerpc::FrameRef request = send_pdu(From::client, request_pdu(call_id, iface, opnum));
    return answer(request, call_id, iface, opnum, latency_us, outcome, status);
  }
  CallRecord answer(const dcerpc::FrameRef& request, std::uint32_t call_id, const SyntaxId& iface,
                    std::uint16_t opnum, std::int64_t latency_us = 2000,
                    dcerpc::CallOutcome outcome = dcerpc::CallOutcome::response,
                    std::uint32_t status = 0) {
    CallRecord r = answer_frame(request, call_id, iface, opnum, latency_us, outcome, status);
    sink_.call(r);
    return r;
  }
  // A call answered by a response whose stub ended in `code` (ReturnCode).
  CallRecord returned(std::uint32_t call_id, const SyntaxId& iface, std::uint16_t opnum,
                      std::uint32_t value, dcerpc::ReturnType type) {
    const dcerpc::FrameRef request = send_pdu(From::client, request_pdu(call_id, iface, opnum));
    CallRecord r =
        answer_frame(request, call_id, iface, opnum, 2000, dcerpc::CallOutcome::response, 0);
    r.return_code = ReturnCode{value, type};
    sink_.call(r);
    return r;
  }
  // An ept_map call asking for `wanted`, answered `m`; its record carries both stubs decoded.
  CallRecord ept_map(std::uint32_t call_id, const SyntaxId& wanted, const epm::EptMapResponse& m) {
    const dcerpc::FrameRef request =
        send_pdu(From::client, request_pdu(call_id, epm_interface(), epm::opnum::ept_map));
    CallRecord r = answer_frame(request, call_id, epm_interface(), epm::opnum::ept_map, 2000,
                                dcerpc::CallOutcome::response, 0, map_response(m));
    r.epm_request = map_request(wanted);
    r.epm_response = map_response(m);
    sink_.call(r);
    return r;
  }
  // A request whose answer never comes: its record goes out at the end, unanswered.
  dcerpc::FrameRef unanswered(std::uint32_t call_id, const SyntaxId& iface, std::uint16_t opnum) {
    const dcerpc::FrameRef request = send_pdu(From::client, request_pdu(call_id, iface, opnum));
    pending_calls_.push_back(
        call_record(call_id, iface, opnum, request, request, dcerpc::CallOutcome::unanswered));
    return request;
  }
  // Adds to the record of the unanswered call sent last (its stubs, ...).
  CallRecord& last_unanswered() { return pending_calls_.back(); }

  // The end: the unanswered calls' records, then conversation_end(). Returns what was sent.
  Conversation end(EndReason reason = EndReason::closed) {
    for (auto& r : pending_calls_) {
      r.call.end = last_;
      sink_.call(r);
    }
    pending_calls_.clear();
    Conversation v;
    v.id = id_;
    v.client = client_;
    v.server = server_;
    v.roles_from_syn = true;
    v.syn_seen = true;
    v.dcerpc = dcerpc_;
    v.shown = shown;
    v.first_frame = first_frame_;
    v.last_frame = last_.frame;
    v.end_reason = reason;
    v.epm_link = link;
    v.well_known_port = epm::is_endpoint_mapper_port(server_.port);
    v.group = id_;
    if (virtual_connection) v.virtual_connection = *virtual_connection;
    sink_.conversation_end(v);
    return v;
  }

  [[nodiscard]] const common::Endpoint& client() const { return client_; }
  [[nodiscard]] const common::Endpoint& server() const { return server_; }
  [[nodiscard]] std::uint64_t id() const { return id_; }

 private:
  // The answer's frame; its call record, not yet sent.
  CallRecord answer_frame(const dcerpc::FrameRef& request, std::uint32_t call_id,
                          const SyntaxId& iface, std::uint16_t opnum, std::int64_t latency_us,
                          dcerpc::CallOutcome outcome, std::uint32_t status,
                          EpmDecodePtr epm = nullptr) {
    const bool fault = outcome == dcerpc::CallOutcome::fault;
    dcerpc::Body body = fault ? dcerpc::Body{dcerpc::Fault{0, 0, 0, 0, status, 0}}
                              : dcerpc::Body{dcerpc::Response{}};
    ReportedPdu p = make_pdu(fault ? PacketType::fault : PacketType::response, call_id, body);
    p.event.interface = iface;
    p.event.opnum = opnum;
    p.event.call_complete = true;
    p.epm = std::move(epm);
    const dcerpc::FrameRef end = send_pdu(From::server, p, latency_us);
    CallRecord r = call_record(call_id, iface, opnum, request, end, outcome);
    r.call.fault_status = status;
    return r;
  }

  Sink& sink_;
  Clock& clock_;
  std::uint64_t id_;
  common::Endpoint client_, server_;
  std::uint64_t first_frame_ = 0;
  dcerpc::FrameRef last_;
  bool dcerpc_ = false;
  std::vector<CallRecord> pending_calls_;
};

// ----- The Diagnosis fixture (diagnosis_test.cpp, diagnosis_rules_test.cpp) -----

// A client, the server's endpoint mapper and the server's dynamic port; the services Outlook
// shows and others; the status codes the tests meet.
inline const common::Endpoint kClient = endpoint("10.5.0.20", 49700);
inline const common::Endpoint kMapper = endpoint("10.5.0.10", 135);
inline const common::Endpoint kStore = endpoint("10.5.0.10", 49154);
inline const dcerpc::SyntaxId kEmsmdb = interface_named("EMSMDB");
inline const dcerpc::SyntaxId kNspi = interface_named("NSPI");
inline const dcerpc::SyntaxId kRfr = interface_named("RFR");
inline const dcerpc::SyntaxId kSamr = interface_named("SAMR");
inline const dcerpc::SyntaxId kMta = interface_uuid("9e8ee830-4459-11ce-979b-00aa005ffebe", 2);
inline constexpr std::uint32_t kAccessDenied = 5, kOpRangeError = 0x1c010002,
                               kNotRegistered = 0x16c9a0d6, kSecPkgError = 0x721;
inline constexpr std::uint16_t kSamrConnect5 = 64;
inline constexpr std::uint16_t kProviderRejection = 2, kAbstractSyntaxNotSupported = 1;

inline std::string name_of(const std::optional<dcerpc::SyntaxId>& s) {
  return s ? dcerpc::format_syntax(*s) : "no interface";
}

// The ept_map answer in conversation 1, frame 7, that gave the server's port for `iface`.
inline EpmLinkPtr link_for(const dcerpc::SyntaxId& iface) {
  EpmLink l;
  l.conversation = 1;
  l.frame = 7;
  l.interface = iface;
  l.client = kClient.address;
  l.same_client = true;
  return std::make_shared<const EpmLink>(l);
}

class DiagnosisTest : public testing::Test {
 protected:
  void options(DiagnoseOptions o) { diagnosis_.emplace(std::move(o)); }
  Diagnosis& sink() { return *diagnosis_; }
  ConvScript conv(std::uint64_t id, common::Endpoint client, common::Endpoint server) {
    return ConvScript(*diagnosis_, clock_, id, client, server);
  }
  const DiagnosisResult& finish() {
    diagnosis_->finish(Statistics{}, links_);
    return diagnosis_->result();
  }
  [[nodiscard]] const DiagnosisResult& result() const { return diagnosis_->result(); }
  [[nodiscard]] std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const auto& f : result().findings) out.emplace_back(to_string(f.kind));
    return out;
  }
  [[nodiscard]] std::string dump() const {
    std::string out;
    for (const auto& f : result().findings)
      out += std::string(to_string(f.kind)) + ": " + f.message + "\n";
    return out;
  }
  // The one finding of kind `k`.
  const Finding& one(FindingKind k) {
    const Finding* found = nullptr;
    int n = 0;
    for (const auto& f : result().findings)
      if (f.kind == k && n++ == 0) found = &f;
    EXPECT_EQ(n, 1) << "findings of kind " << to_string(k) << " in:\n" << dump();
    static const Finding kNone;
    return found != nullptr ? *found : kNone;
  }
  // The service of `iface`; a failure when there is none.
  const ServiceStatus& service(const dcerpc::SyntaxId& iface) {
    for (const auto& s : result().services)
      if (s.interface.uuid == iface.uuid) return s;
    ADD_FAILURE() << "no service for " << name_of(iface);
    static const ServiceStatus kNone;
    return kNone;
  }
  [[nodiscard]] bool has_service(const dcerpc::SyntaxId& iface) const {
    for (const auto& s : result().services)
      if (s.interface.uuid == iface.uuid) return true;
    return false;
  }
  // A connection whose SYNs (`syns` of them, 3 s apart) got no SYN/ACK, and no data.
  std::vector<std::uint64_t> unanswered_syns(ConvScript& c, int syns = 3) {
    std::vector<std::uint64_t> frames;
    for (int i = 0; i < syns; ++i) frames.push_back(c.syn(i == 0 ? 1000 : 3'000'000));
    return frames;
  }

  Clock clock_;
  EpmLinks links_;
  std::optional<Diagnosis> diagnosis_{std::in_place, DiagnoseOptions{}};
};

}  // namespace rpctrace::analysis::test
