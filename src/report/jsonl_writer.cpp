// JSON Lines output (schema in docs/jsonl.md). Field names are the specs' (C706, MS-RPCE).
#include <fmt/format.h>

#include "jsonl_pdu.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/json_objects.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

void JsonlWriter::endpoints(JsonLine& j, const FrameRecord& f) {
  j.num("frame", f.frame);
  file_and_frame(j, f.frame);
  j.raw_str("ts", [&](std::string& out) { timestamps_.append(out, f.ts); });
  j.num("conversation", f.conversation);
  j.ip("src", f.src.address).num("src_port", f.src.port);
  j.ip("dst", f.dst.address).num("dst_port", f.dst.port);
}

void JsonlWriter::emit(const JsonLine& j) { j.write_line(out_); }

void JsonlWriter::frame(const FrameRecord& f) {
  if (summary_) return;
  // A conversation shown from this frame on: its held SYN/FIN/RST records come first, so the
  // output stays in capture order.
  if (f.shown) flush_pending(f.conversation, true);
  JsonLine& j = line_;  // reused: its buffer keeps its capacity
  for (const auto& p : f.pdus) {
    j.clear();
    write_pdu_record(j, f, p, timestamps_);
    put(f, j);
  }
  for (const auto& e : f.events) {
    j.clear();
    event_record(j, f, e);
    put(f, j);
  }
  for (const auto& n : f.notes) {
    j.clear();
    j.begin_object().str("type", "note");
    endpoints(j, f);
    j.str("layer", analysis::layer_of(n.kind))
        .str("kind", analysis::to_string(n.kind))
        .str("detail", n.detail);
    if (n.header) {
      j.str("ptype", dcerpc::to_string(n.header->ptype)).num("call_id", n.header->call_id);
      j.num("frag_length", n.header->frag_length);
    }
    j.end_object();
    put(f, j);
  }
  // SYN, FIN and RST are timeline events; pure ACKs and data segments are not recorded.
  if (f.delta_us >= 0 && (f.segment.flags & (analysis::control::syn | analysis::control::fin |
                                             analysis::control::rst))) {
    j.clear();
    segment_record(j, f);
    put(f, j);
  }
}

// A carrier's step: "type":"smb", or "type":"http" for the heads of RPC over HTTP.
void JsonlWriter::event_record(JsonLine& j, const FrameRecord& f, const analysis::CarrierEvent& e) {
  const bool http = e.kind == analysis::CarrierEventKind::http_request ||
                    e.kind == analysis::CarrierEventKind::http_response;
  if (e.kind == analysis::CarrierEventKind::tls_client_hello) {
    j.begin_object().str("type", "tls");
    endpoints(j, f);
    j.str("kind", analysis::to_string(e.kind)).str("server_name", e.text).str("alpn", e.alpn);
    j.end_object();
    return;
  }
  if (http) {
    j.begin_object().str("type", "http");
    endpoints(j, f);
    j.str("protseq", analysis::to_string(f.protseq)).str("kind", analysis::to_string(e.kind));
    j.str(e.response ? "version" : "method", e.command)
        .str(e.response ? "reason" : "target", e.text);
    if (e.response) j.num("status", e.status);
    if (!e.proxy_target.empty()) j.str("rpc_proxy_target", e.proxy_target);
    if (e.request_frame) j.num("request_frame", *e.request_frame);
    j.end_object();
    return;
  }
  j.begin_object().str("type", "smb");
  endpoints(j, f);
  j.str("protseq", analysis::to_string(f.protseq));
  j.str("command", e.command).str("kind", analysis::to_string(e.kind));
  j.boolean("response", e.response);
  if (!e.text.empty()) j.str("text", e.text);
  if (e.response) {
    j.num("status", e.status);
    std::string name = dcerpc::return_code_text(e.status, dcerpc::ReturnType::ntstatus).name;
    if (name.empty() || e.status == 0) name = dcerpc::status_name(e.status);
    if (!name.empty()) j.str("status_name", name);
  }
  if (e.request_frame) j.num("request_frame", *e.request_frame);
  if (e.latency_us) j.inum("latency_us", *e.latency_us);
  if (e.channel) channel_object(j, "pipe", *e.channel);
  j.end_object();
}

void JsonlWriter::segment_record(JsonLine& j, const FrameRecord& f) {
  const auto& s = f.segment;
  j.begin_object().str("type", "tcp");
  endpoints(j, f);
  std::string flags;
  static constexpr std::pair<std::uint8_t, const char*> kFlags[] = {
      {analysis::control::syn, "SYN"}, {analysis::control::ack, "ACK"},
      {analysis::control::fin, "FIN"}, {analysis::control::rst, "RST"},
      {analysis::control::psh, "PSH"}, {analysis::control::urg, "URG"}};
  for (auto [bit, name] : kFlags)
    if (s.flags & bit) flags += (flags.empty() ? "" : "|") + std::string(name);
  j.str("flags", flags)
      .num("seq", s.seq)
      .num("ack", s.ack)
      .num("win", s.window)
      .num("len", s.payload_length);
  j.end_object();
}

// Records of a conversation not (yet) shown wait, up to kMaxPendingRecords, until it is.
void JsonlWriter::put(const FrameRecord& f, const JsonLine& j) {
  if (f.shown) {
    emit(j);
    return;
  }
  auto& pending = pending_[f.conversation];
  if (pending.size() < kMaxPendingRecords)
    pending.emplace_back(j.text());
  else
    ++dropped_;
}

void JsonlWriter::flush_pending(std::uint64_t conversation, bool write) {
  auto it = pending_.find(conversation);
  if (it == pending_.end()) return;
  if (write)
    for (const auto& line : it->second) {
      std::fwrite(line.data(), 1, line.size(), out_);
      std::fputc('\n', out_);
    }
  pending_.erase(it);
}

void JsonlWriter::conversation_end(const Conversation& c) {
  flush_pending(c.id, c.shown);
  if (!c.shown) return;
  JsonLine& j = line_;  // reused, as for the frames' records
  j.clear();
  j.begin_object().str("type", "conversation").num("conversation", c.id).num("group", c.group);
  j.ip("client", c.client.address).num("client_port", c.client.port);
  j.ip("server", c.server.address).num("server_port", c.server.port);
  j.boolean("roles_from_syn", c.roles_from_syn).boolean("dcerpc", c.dcerpc);
  if (c.process)
    j.begin_object("process")
        .str("name", c.process->name)
        .num("pid", c.process->pid)
        .str("path", c.process->path)
        .end_object();
  j.num("first_frame", c.first_frame).num("last_frame", c.last_frame).num("frames", c.frames);
  j.str("start", c.start.to_iso8601()).str("end", c.end.to_iso8601());
  j.inum("duration_us", c.end.micros() - c.start.micros());
  j.num("bytes_to_server", c.bytes_to_server).num("bytes_to_client", c.bytes_to_client);
  j.num("pdus", c.pdus).num("calls", c.calls).num("faults", c.faults).num("anomalies", c.notes);
  j.begin_array("interfaces");
  for (const auto& u : c.interfaces) {
    j.begin_object();
    syntax_fields(j, u.interface);
    j.num("calls", u.calls).end_object();
  }
  j.end_array().str("end_reason", analysis::to_string(c.end_reason));
  if (c.protseq != analysis::Protseq::ncacn_ip_tcp)
    j.str("protseq", analysis::to_string(c.protseq));
  if (c.protseq == analysis::Protseq::ncacn_np) {
    j.begin_array("pipes");
    for (const auto& ch : c.channels) channel_object(j, "", *ch);
    j.end_array();
  }
  if (c.virtual_connection) {
    const auto& vc = *c.virtual_connection;
    j.begin_object("virtual_connection")
        .str("cookie", vc.cookie.to_string())
        .num("conversation", vc.conversation);
    j.begin_array("channels");
    for (const auto& ch : vc.channels) {
      j.begin_object().str("channel", ch.name).num("conversation", ch.conversation);
      j.str("client", ch.client.to_string()).str("server", ch.server.to_string());
      j.num("frame", ch.frame).end_object();
    }
    j.end_array();
    if (vc.channels_not_listed) j.num("channels_not_listed", vc.channels_not_listed);
    j.end_object();
  }
  // Where the server port came from: an EPM answer in this capture, the mapper's own port, or
  // neither (a static port, or a lookup before the capture began).
  if (c.epm_link) {
    j.str("port_source", "epm");
    j.begin_object("epm_link")
        .num("conversation", c.epm_link->conversation)
        .num("frame", c.epm_link->frame);
    j.inum("delay_us", c.epm_link->delay_us);
    if (c.epm_link->interface) syntax_object(j, "interface", *c.epm_link->interface);
    j.end_object();
  } else if (c.inferred_from) {
    // The port was named by an answer that came after the connection began.
    j.str("port_source", "epm_later");
    j.begin_object("interface_inferred_from")
        .num("conversation", c.inferred_from->conversation)
        .num("frame", c.inferred_from->frame);
    if (c.inferred_from->interface) syntax_object(j, "interface", *c.inferred_from->interface);
    j.end_object();
  } else {
    j.str("port_source", c.protseq == analysis::Protseq::ncacn_np ? "smb"
                         : c.well_known_port                      ? "well_known"
                         : c.dcerpc                               ? "unexplained"
                                                                  : "unknown");
  }
  j.end_object();
  emit(j);
}

void JsonlWriter::finish(const Statistics& s, const analysis::EpmLinks&) {
  JsonLine j;
  write_statistics_json(s, j, dropped_);
  emit(j);
  std::fflush(out_);
}

}  // namespace rpctrace::report
