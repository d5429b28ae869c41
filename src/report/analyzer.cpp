// The pipeline: pcap reader -> packet decoder -> TCP connection table -> DCE/RPC association
// -> EPM decoder -> Writer. One ConnState per TCP connection owns its association and its
// conversation summary; a FrameRecord is built while a frame is processed and handed to the
// writer when the TCP layer says the frame is done.
#include "rpctrace/report/analyzer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>

#include "pdu_text.hpp"
#include "rpctrace/auth/auth_value.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/dcerpc/verification_trailer.hpp"
#include "rpctrace/epm/decode.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/tcp/connection_table.hpp"

namespace rpctrace::report {

namespace {

using dcerpc::PacketType;

constexpr std::uint8_t kAuthLevelPrivacy = 6;  // RPC_C_AUTHN_LEVEL_PKT_PRIVACY, MS-RPCE 2.2.1.1.8

// Well-known endpoint mapper ports: 135 (ncacn_ip_tcp) and 593 (ncacn_http), as the source
// documents give them.
bool is_epm_port(std::uint16_t port) { return port == 135 || port == 593; }

class Pipeline;
bool matches_interface(const Options& o, const dcerpc::SyntaxId& s);
std::optional<std::uint16_t> opnum_of(const dcerpc::PduEvent& e);

class ConnState : public tcp::ConnectionState, public dcerpc::Observer {
 public:
  ConnState(Pipeline& p, tcp::Connection& c);
  void on_pdu(const dcerpc::PduEvent& e) override;
  void on_note(const dcerpc::Note& n) override;
  bool wants_stub(const dcerpc::SyntaxId& interface) override {
    return interface.uuid == dcerpc::epm_uuid();
  }

  Pipeline& pipeline;
  tcp::Connection& conn;
  dcerpc::Association assoc;
  Conversation conv;
  common::Timestamp prev_ts;
  bool have_prev = false;
  bool start_set[2] = {false, false};
  int client_dir = -1;             // from the PDUs when no SYN was seen
  std::vector<FrameRecord> held;   // records waiting while bytes are held out of order
  bool interface_matched = false;  // --interface
  bool opnum_matched = false;      // --opnum
};

class Pipeline : public tcp::StreamSink {
 public:
  Pipeline(const Options& o, Writer& w) : options(o), writer(w), table(*this, o.tcp_limits) {}

  void on_connection_start(tcp::Connection& c) override {
    c.state = std::make_unique<ConnState>(*this, c);
    ++stats.conversations_tcp;
    link(state(c), c, c.first_ts);
    state(c).conv.well_known_port =
        is_epm_port(c.endpoint[0].port) || is_epm_port(c.endpoint[1].port);
  }
  // Records for bytes flushed when a connection ends (no frame of their own) go in a trailer
  // record attached to the conversation's last frame.
  FrameRecord& record(tcp::Connection& c) {
    if (target != nullptr) return *target;
    if (in_frame) return current;
    if (!trailer_open || current.conversation != c.id) {
      ConnState& st = state(c);
      current = FrameRecord{};
      current.conversation = c.id;
      current.segment.frame = st.conv.last_frame;
      current.segment.ts = st.conv.end;
      current.src = c.endpoint[0];
      current.dst = c.endpoint[1];
      current.delta_us = -1;  // not a frame of its own
      at = dcerpc::FrameRef{st.conv.last_frame, st.conv.end};
      trailer_open = true;
    }
    return current;
  }

  void on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) override {
    ConnState& st = state(c);
    in_frame = true;
    trailer_open = false;
    // Reset field by field: clear() keeps the vectors' capacity for the next frame.
    current.pdus.clear();
    current.notes.clear();
    current.shown = false;
    current.conversation = c.id;
    current.segment = s;
    current.src = c.endpoint[s.dir];
    current.dst = c.endpoint[s.dir ^ 1];
    current.delta_us = st.have_prev ? s.ts.micros() - st.prev_ts.micros() : 0;
    st.prev_ts = s.ts;
    st.have_prev = true;
    at = dcerpc::FrameRef{s.frame, s.ts};
    Conversation& v = st.conv;
    ++v.frames;
    v.last_frame = s.frame;
    v.end = s.ts;
  }
  void on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
               const tcp::DataOrigin& origin) override {
    ConnState& st = state(c);
    if (!st.start_set[dir]) {
      st.assoc.set_stream_start(dir, c.half[dir].syn_seen && !c.half[dir].mid_stream);
      st.start_set[dir] = true;
    }
    (dir == 0 ? st.conv.bytes_to_server : st.conv.bytes_to_client) += data.size();
    // Bytes held out of order belong to the frame that carried them: its record is still
    // held (see on_frame_end), so PDUs they complete are reported there, as tshark does.
    dcerpc::FrameRef ref = at;
    if (!in_frame || origin.frame != current.segment.frame) {
      for (auto& r : st.held)
        if (r.segment.frame == origin.frame) {
          target = &r;
          ref = dcerpc::FrameRef{origin.frame, origin.ts};
          break;
        }
    }
    st.assoc.on_data(dir, data, ref, true);
    target = nullptr;
  }
  void on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
              tcp::GapCause cause) override {
    ConnState& st = state(c);
    ReportedNote n;
    n.layer = "tcp";
    n.kind = cause == tcp::GapCause::snaplen ? "snaplen" : "gap";
    n.detail = fmt::format("{} bytes {} -> {} missing: {}", size, c.endpoint[dir].to_string(),
                           c.endpoint[dir ^ 1].to_string(), tcp::to_string(cause));
    record(c).notes.push_back(std::move(n));
    ++st.conv.notes;
    if (!st.start_set[dir]) {
      st.assoc.set_stream_start(dir, false);
      st.start_set[dir] = true;
    }
    st.assoc.on_gap(dir, size, at);
  }
  void on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) override {
    ConnState& st = state(c);
    current.segment.note = s.note;
    if (s.note != tcp::SegmentNote::none) {
      ReportedNote n;
      n.layer = "tcp";
      n.kind = tcp::kind_of(s.note);
      n.detail =
          fmt::format("{}: {} bytes at seq {}", tcp::to_string(s.note), s.payload_length, s.seq);
      current.notes.push_back(std::move(n));
    }
    if (s.flags & pcap::tcp_flag::syn) st.conv.syn_seen = true;
    st.conv.shown = shown(st);
    current.shown = st.conv.shown;
    resolve_roles(st);
    current.client = st.conv.client;
    current.server = st.conv.server;
    current.roles_from_syn = st.conv.roles_from_syn;
    current.epm_link = st.conv.epm_link;
    current.group = st.conv.group;
    in_frame = false;
    // While either direction holds out-of-order bytes, this conversation's records wait, so
    // the PDUs those bytes complete can join the frame that carried them.
    bool holding = !c.half[0].out_of_order.empty() || !c.half[1].out_of_order.empty();
    if (holding || !st.held.empty()) {
      st.held.push_back(std::move(current));
      if (!holding || st.held.size() > kMaxHeldRecords) flush_held(st);
    } else {
      write(current);
    }
  }

  void flush_held(ConnState& st) {
    for (auto& r : st.held) {
      r.shown = st.conv.shown;
      write(r);
    }
    st.held.clear();
  }

  // --opnum keeps single calls: only their PDUs, and only frames that carry one.
  void write(FrameRecord& r) {
    if (options.opnum) {
      std::erase_if(r.pdus, [&](const ReportedPdu& p) {
        auto op = opnum_of(p.event);
        if (op != options.opnum) return true;
        return !options.interfaces.empty() &&
               !(p.event.interface && matches_interface(options, *p.event.interface));
      });
      if (r.pdus.empty()) return;
      r.notes.clear();
    }
    writer.frame(r);
  }
  void on_connection_end(tcp::Connection& c, tcp::EndReason reason) override {
    ConnState& st = state(c);
    flush_held(st);
    record(c);
    st.assoc.finish(at);
    Conversation& v = st.conv;
    v.end_reason = tcp::to_string(reason);
    resolve_roles(st);
    v.shown = shown(st);
    current.shown = v.shown;
    current.client = v.client;
    current.server = v.server;
    current.roles_from_syn = v.roles_from_syn;
    current.epm_link = v.epm_link;
    current.group = v.group;
    if (!current.notes.empty() || !current.pdus.empty()) write(current);
    trailer_open = false;
    if (v.dcerpc) ++stats.conversations_dcerpc;
    if (v.shown) ++stats.conversations_shown;
    writer.conversation_end(v);
  }

  ConnState& state(tcp::Connection& c) { return static_cast<ConnState&>(*c.state); }

  void resolve_roles(ConnState& st) {
    Conversation& v = st.conv;
    const tcp::Connection& c = st.conn;
    int client = 0;
    if (c.half[0].syn_seen || c.half[1].syn_seen) {
      v.roles_from_syn = true;  // endpoint[0] is the SYN's sender or the SYN/ACK's receiver
    } else if (st.client_dir >= 0) {
      client = st.client_dir;
    } else if (is_epm_port(c.endpoint[0].port) ||
               (c.endpoint[0].port < 1024 && c.endpoint[1].port >= 1024)) {
      client = 1;
    }
    v.client = c.endpoint[client];
    v.server = c.endpoint[client ^ 1];
  }

  bool shown(ConnState& st) {
    if (!options.interfaces.empty() && !st.interface_matched) return false;
    if (options.opnum && !st.opnum_matched) return false;
    if (st.conv.dcerpc || options.show_all_tcp || st.conv.epm_link) return true;
    const tcp::Connection& c = st.conn;
    return is_epm_port(c.endpoint[0].port) || is_epm_port(c.endpoint[1].port);
  }

  const Options& options;
  Writer& writer;
  Statistics stats;
  dcerpc::Counters dcerpc_counters;
  tcp::ConnectionTable table;
  // Bound on frame records held per conversation while out-of-order bytes wait (the TCP
  // layer's own bound, max_out_of_order_segments, normally releases them long before).
  static constexpr std::size_t kMaxHeldRecords = 4096;
  FrameRecord current;
  FrameRecord* target = nullptr;  // where PDUs of released held bytes go
  bool in_frame = false;
  bool trailer_open = false;
  dcerpc::FrameRef at;
  // (address, port) pairs EPM answers handed out, with the latest answer for each: connections
  // to them are shown and linked to it. Bounded: the oldest entries go first.
  static constexpr std::size_t kMaxEpmAnswers = 1u << 16;
  std::map<std::pair<common::IpAddress, std::uint16_t>, EpmLink> epm_ports;
  std::deque<std::pair<common::IpAddress, std::uint16_t>> epm_order;

  void remember_answer(const common::IpAddress& address, std::uint16_t port, const EpmLink& link) {
    auto key = std::make_pair(address, port);
    if (epm_ports.insert_or_assign(key, link).second) {
      epm_order.push_back(key);
      if (epm_order.size() > kMaxEpmAnswers) {
        epm_ports.erase(epm_order.front());
        epm_order.pop_front();
      }
    }
  }

  // Links a new connection to the EPM answer that gave one of its ports, when there is one
  // and it came first.
  void link(ConnState& st, const tcp::Connection& c, common::Timestamp ts) {
    for (int i : {1, 0}) {  // endpoint[1] is the server when the SYN was seen
      auto it = epm_ports.find({c.endpoint[i].address, c.endpoint[i].port});
      if (it == epm_ports.end() || it->second.ts.micros() > ts.micros()) continue;
      EpmLink l = it->second;
      l.delay_us = ts.micros() - l.ts.micros();
      l.same_client = l.client == c.endpoint[i ^ 1].address;
      if (l.same_client) st.conv.group = l.conversation;
      st.conv.epm_link = l;
      if (l.interface) st.assoc.set_inferred_interface(*l.interface);
      return;
    }
  }
};

ConnState::ConnState(Pipeline& p, tcp::Connection& c)
    : pipeline(p), conn(c), assoc(*this, p.dcerpc_counters, p.options.dcerpc_limits) {
  conv.id = c.id;
  conv.group = c.id;
  conv.first_frame = c.first_frame;
  conv.start = conv.end = c.first_ts;
  conv.client = c.endpoint[0];
  conv.server = c.endpoint[1];
}

// Packet privacy seals the stub of requests, responses and faults (MS-RPCE 3.3.1.5.2); the
// header, the sec_trailer and the verifier's framing stay readable.
bool stub_sealed(const dcerpc::PduEvent& e) {
  auto t = e.header.ptype;
  return e.sec_trailer && e.header.auth_length > 0 &&
         e.sec_trailer->auth_level == kAuthLevelPrivacy &&
         (t == PacketType::request || t == PacketType::response || t == PacketType::fault);
}

void decode_auth(const dcerpc::PduEvent& e, ReportedPdu& out, Statistics& stats) {
  if (stub_sealed(e)) {
    out.stub_encrypted = true;
    ++stats.stubs_encrypted;
  }
  // A PDU cut by the capture has no whole verifier to decode.
  if (!e.sec_trailer || e.auth_value.empty() || e.truncated) return;
  AuthDecode d;
  auto r = auth::decode_auth_value(e.sec_trailer->auth_type, e.auth_value);
  if (r.is_complete()) {
    d.value = r.take();
    ++stats.auth_decoded;
  } else {
    d.error = fmt::format("{}: {}", auth::to_string(r.error().reason), r.error().detail);
    ++stats.auth_errors[static_cast<std::size_t>(r.error().reason)];
  }
  out.auth = std::move(d);
}

void decode_epm(const dcerpc::PduEvent& e, ReportedPdu& out, Pipeline& p, const tcp::Connection& c,
                std::uint8_t dir) {
  if (!e.call_complete || !e.interface || e.interface->uuid != dcerpc::epm_uuid()) return;
  if (out.stub_encrypted) return;  // sealed: decode_auth said so
  std::uint16_t opnum = 0;
  if (const auto* q = std::get_if<dcerpc::Request>(&e.body))
    opnum = q->opnum;
  else if (e.header.ptype == PacketType::response && e.opnum)
    opnum = *e.opnum;
  else
    return;
  if (opnum > epm::opnum::ept_mgmt_delete) return;  // not an ept.idl operation
  const bool request = e.header.ptype == PacketType::request;
  EpmDecode d;
  d.opnum = opnum;
  if (e.call_stub == nullptr) {
    d.error = e.call_stub_incomplete  ? "stub incomplete in the capture"
              : e.call_stub_truncated ? "stub larger than max_stub_bytes"
                                      : "stub not kept";
    ++p.stats.epm_errors;
    out.epm = std::move(d);
    return;
  }
  auto order = e.header.packed_drep.integer_order();
  // Windows appends a verification trailer to request stubs (MS-RPCE 2.2.2.13): decode what
  // precedes it.
  common::Bytes stub = *e.call_stub;
  if (request)
    if (auto vt = dcerpc::find_verification_trailer(stub, order)) {
      stub = stub.first(vt->offset);
      out.verification_trailer = std::move(vt);
    }
  // The stub is in the context's transfer syntax; without the bind_ack (capture started late)
  // try NDR, then NDR64.
  std::vector<epm::Syntax> syntaxes{epm::Syntax::ndr, epm::Syntax::ndr64};
  if (e.transfer_syntax && dcerpc::transfer_syntax_name(*e.transfer_syntax) == "NDR64")
    syntaxes = {epm::Syntax::ndr64};
  else if (e.transfer_syntax && dcerpc::transfer_syntax_name(*e.transfer_syntax) == "NDR")
    syntaxes = {epm::Syntax::ndr};
  const std::string_view op_name = dcerpc::operation_name(dcerpc::epm_uuid(), opnum);
  for (epm::Syntax syntax : syntaxes) {
    auto r = epm::decode_epm_stub(opnum, request, stub, order, syntax);
    if (r.is_complete() && r.consumed() == stub.size()) {
      d.value = r.take();
      d.error.clear();
      break;
    }
    d.error = r.is_complete()
                  ? fmt::format("{} {}: {} octets left after the stub", op_name,
                                request ? "request" : "response", stub.size() - r.consumed())
                  : fmt::format("{} {}: {} at stub offset {}: {}", op_name,
                                request ? "request" : "response", epm::to_string(r.error().reason),
                                r.error().offset, r.error().detail);
  }
  // Remember where the mapper sent clients (a tower with no address means the server's).
  if (const auto* answer = d.value ? std::get_if<epm::EptMapResponse>(&*d.value) : nullptr) {
    const common::Endpoint& server = c.endpoint[dir];
    for (const auto& t : answer->towers) {
      if (!t.port || *t.port == 0) continue;
      bool unspecified = !t.address || (t.address->octets[0] == 0 && t.address->octets[1] == 0 &&
                                        t.address->octets[2] == 0 && t.address->octets[3] == 0);
      EpmLink l;
      l.conversation = c.id;
      l.frame = e.at.frame;
      l.ts = e.at.ts;
      l.interface = t.interface;
      l.client = c.endpoint[dir ^ 1].address;
      p.remember_answer(unspecified ? server.address : *t.address, *t.port, l);
    }
  }
  if (d.error.empty())
    ++p.stats.epm_decoded;
  else
    ++p.stats.epm_errors;
  out.epm = std::move(d);
}

bool matches_interface(const Options& o, const dcerpc::SyntaxId& s) {
  for (const auto& want : o.interfaces) {
    if (auto u = common::Uuid::parse(want)) {
      if (*u == s.uuid) return true;
      continue;
    }
    auto name = dcerpc::interface_name(s.uuid);
    if (name.size() == want.size() &&
        std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return true;
  }
  return false;
}

// The opnum a PDU belongs to: a request's own, or its request's for a response or fault.
std::optional<std::uint16_t> opnum_of(const dcerpc::PduEvent& e) {
  if (const auto* q = std::get_if<dcerpc::Request>(&e.body)) return q->opnum;
  if (e.header.ptype == PacketType::response || e.header.ptype == PacketType::fault) return e.opnum;
  return std::nullopt;
}

void ConnState::on_pdu(const dcerpc::PduEvent& e) {
  conv.dcerpc = true;
  ++conv.pdus;
  const Options& o = pipeline.options;
  if (!o.interfaces.empty() && !interface_matched) {
    if (e.interface && matches_interface(o, *e.interface)) interface_matched = true;
    if (const auto* b = std::get_if<dcerpc::Bind>(&e.body))
      for (const auto& ctx : b->contexts)
        if (matches_interface(o, ctx.abstract_syntax)) interface_matched = true;
  }
  if (o.opnum && !opnum_matched && e.header.ptype == PacketType::request &&
      opnum_of(e) == o.opnum &&
      (o.interfaces.empty() || (e.interface && matches_interface(o, *e.interface))))
    opnum_matched = true;
  switch (e.header.ptype) {
    case PacketType::bind:
    case PacketType::alter_context:
    case PacketType::request:
    case PacketType::auth3:
    case PacketType::co_cancel:
    case PacketType::orphaned:
      if (client_dir < 0) client_dir = e.dir;
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
    case PacketType::bind_nak:
    case PacketType::response:
    case PacketType::fault:
      if (client_dir < 0) client_dir = e.dir ^ 1;
      break;
    default:
      break;
  }
  if (e.header.ptype == PacketType::fault) ++conv.faults;
  if (e.header.ptype == PacketType::request && e.call_complete && e.interface) {
    ++conv.calls;
    auto it = std::find_if(conv.interfaces.begin(), conv.interfaces.end(),
                           [&](const InterfaceUse& u) { return u.interface == *e.interface; });
    if (it == conv.interfaces.end())
      conv.interfaces.push_back({*e.interface, 1});
    else
      ++it->calls;
  } else if (e.header.ptype == PacketType::request && e.call_complete) {
    ++conv.calls;
  }
  if (const auto* b = std::get_if<dcerpc::Bind>(&e.body);
      b != nullptr && conv.epm_link && conv.epm_link->interface && !b->contexts.empty() &&
      e.header.ptype == PacketType::bind) {
    // The link is by address and port; the bind says whether it is the interface looked up.
    const auto& looked_up = *conv.epm_link->interface;
    bool match = std::any_of(
        b->contexts.begin(), b->contexts.end(),
        [&](const dcerpc::ContextElement& c) { return c.abstract_syntax.uuid == looked_up.uuid; });
    if (!match) {
      ReportedNote n;
      n.layer = "report";
      n.kind = "epm_interface_mismatch";
      n.detail = fmt::format(
          "the ept_map answer in conversation {} was for {}, but this bind asks for {}: the port "
          "serves "
          "several interfaces, or the client reused it",
          conv.epm_link->conversation, format_syntax(looked_up),
          format_syntax(b->contexts[0].abstract_syntax));
      ++conv.notes;
      pipeline.record(conn).notes.push_back(std::move(n));
    }
  }
  if (const auto* b = std::get_if<dcerpc::Bind>(&e.body)) {
    for (const auto& ctx : b->contexts) {
      auto it =
          std::find_if(conv.interfaces.begin(), conv.interfaces.end(),
                       [&](const InterfaceUse& u) { return u.interface == ctx.abstract_syntax; });
      if (it == conv.interfaces.end()) conv.interfaces.push_back({ctx.abstract_syntax, 0});
    }
  }
  ReportedPdu r;
  r.event = e;
  r.event.call_stub = nullptr;
  r.event.request_stub = nullptr;
  r.event.auth_value = {};
  decode_auth(e, r, pipeline.stats);
  decode_epm(e, r, pipeline, conn, e.dir);
  pipeline.record(conn).pdus.push_back(std::move(r));
}

void ConnState::on_note(const dcerpc::Note& n) {
  static constexpr const char* kKinds[] = {
      "malformed_pdu",           "lost_sync",  "resynchronised", "picked_up",
      "partial_pdu_lost",        "not_dcerpc", "ncacn_http",     "limit",
      "response_without_request"};
  ReportedNote r;
  r.layer = "dcerpc";
  r.kind = kKinds[static_cast<std::size_t>(n.kind)];
  r.detail = n.detail;
  if (n.kind == dcerpc::NoteKind::malformed_pdu && n.header) {
    r.detail = fmt::format("{} call_id {} malformed ({}): {}; {} bytes skipped",
                           dcerpc::to_string(n.header->ptype), n.header->call_id,
                           dcerpc::to_string(n.reason), n.detail, n.bytes);
    conv.dcerpc = true;
  }
  r.header = n.header;
  ++conv.notes;
  pipeline.record(conn).notes.push_back(std::move(r));
}

}  // namespace

RunResult analyze(const std::string& path, const Options& options, Writer& writer) {
  pcap::CaptureReader reader(path);
  Pipeline p(options, writer);
  p.stats.file = path == "-" ? "standard input" : path;
  p.stats.link_type = reader.link_type_name();
  const int link_type = reader.link_type();
  pcap::Counters& cc = p.stats.capture;
  RunResult result;
  pcap::Frame frame;
  for (;;) {
    auto status = reader.next(frame);
    if (status == pcap::CaptureReader::Status::end) break;
    if (status == pcap::CaptureReader::Status::error) {
      result.read_error = true;
      result.message = reader.error();
      break;
    }
    ++cc.frames_read;
    cc.bytes_read += frame.caplen;
    if (frame.ts_clamped) ++cc.timestamps_clamped;
    pcap::DecodeOutcome out = pcap::decode_frame(link_type, frame.data);
    if (!out.is_tcp) {
      cc.skip(out.reason);
      continue;
    }
    if (!options.filter.empty() && !options.filter.matches(out.segment)) {
      cc.skip(pcap::SkipReason::filtered);
      continue;
    }
    ++cc.tcp_segments;
    if (out.segment.payload_truncated()) ++cc.payload_truncated;
    p.table.add(out.segment, frame.number, frame.ts);
  }
  p.table.finish();
  p.stats.tcp = p.table.counters();
  p.stats.dcerpc = p.dcerpc_counters;
  p.stats.capture_error = result.message;
  writer.finish(p.stats);
  return result;
}

}  // namespace rpctrace::report
