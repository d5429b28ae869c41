// PDU summaries and details for the text report.
#include "pdu_text.hpp"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::report {

using dcerpc::PacketType;

void append_interface_label(std::string& out, std::string_view before,
                            const std::optional<dcerpc::SyntaxId>& i,
                            std::optional<std::uint16_t> opnum, bool inferred) {
  if (!i) return;
  out += before;
  const std::string_view name = dcerpc::interface_name(i->uuid);
  if (name.empty())
    i->uuid.append_to(out, true);
  else
    out += name;
  append_format(out, FMT_COMPILE(" v{}.{}"), i->major, i->minor);
  if (opnum) {
    auto op = dcerpc::operation_name(i->uuid, *opnum);
    if (!op.empty()) {
      out += ' ';
      out += op;
    }
  }
  if (inferred) out += " (inferred from ept_map: bind not captured)";
}

std::string interface_label(const std::optional<dcerpc::SyntaxId>& i,
                            std::optional<std::uint16_t> opnum, bool inferred) {
  std::string out;
  append_interface_label(out, {}, i, opnum, inferred);
  return out;
}

std::string_view frag_label(std::uint8_t flags) {
  bool first = flags & dcerpc::pfc::first_frag, last = flags & dcerpc::pfc::last_frag;
  if (first && last) return {};
  if (first) return " [first fragment]";
  if (last) return " [last fragment]";
  return " [middle fragment]";
}

namespace {

std::string auth_line(const analysis::ReportedPdu& p) {
  const auto& t = *p.event.sec_trailer;
  auto type = dcerpc::auth_type_name(t.auth_type);
  auto level = dcerpc::auth_level_name(t.auth_level);
  return fmt::format(
      FMT_COMPILE("auth: type {} ({}) level {} ({}) pad {} context_id {} auth_length {}"),
      t.auth_type, type.empty() ? "unknown" : type, t.auth_level, level.empty() ? "unknown" : level,
      t.auth_pad_length, t.auth_context_id, p.event.header.auth_length);
}

// Lookup listings can hold hundreds of entries: the timeline shows the first few, and
// `rpctrace endpoints` lists them all.
constexpr std::size_t kEntriesShown = 8;

std::string entry_line(const epm::EptEntry& e) {
  std::string line = "  ";
  if (e.tower && e.tower->interface)
    line += dcerpc::format_syntax(*e.tower->interface);
  else
    line += "?";
  if (!e.annotation.empty()) line += fmt::format(FMT_COMPILE(" \"{}\""), e.annotation);
  if (e.tower) line += " -> " + e.tower->string_binding();
  if (!e.object.is_nil()) line += " object " + e.object.to_string(true);
  return line;
}

void entry_lines(std::string_view op, const std::vector<epm::EptEntry>& entries, TextLines& out) {
  out.push_back(fmt::format(FMT_COMPILE("{}: {} entr{}"), op, entries.size(),
                            entries.size() == 1 ? "y" : "ies"));
  for (std::size_t i = 0; i < entries.size() && i < kEntriesShown; ++i)
    out.push_back(entry_line(entries[i]));
  if (entries.size() > kEntriesShown)
    out.push_back(fmt::format(FMT_COMPILE("  ... {} more (rpctrace endpoints lists them all)"),
                              entries.size() - kEntriesShown));
}

std::string handle_text(const epm::ContextHandle& h) {
  return h.is_null() ? std::string("null") : h.uuid.to_string(true);
}

void epm_lines(const analysis::ReportedPdu& p, TextLines& out) {
  if (!p.epm) return;
  const analysis::EpmDecode& d = *p.epm;
  const std::string_view op = dcerpc::operation_name(dcerpc::epm_uuid(), d.opnum);
  if (!d.error.empty() || !d.value) {
    out.push_back(fmt::format(FMT_COMPILE("{}: not decoded: {}"), op, d.error));
    return;
  }
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, epm::EptMapRequest>) {
          std::string line = "ept_map request:";
          if (v.map_tower && v.map_tower->interface)
            line += " " + dcerpc::format_syntax(*v.map_tower->interface);
          if (v.map_tower)
            line += fmt::format(FMT_COMPILE(" {}"),
                                v.map_tower->protseq.empty() ? "?" : v.map_tower->protseq);
          if (v.object && !v.object->is_nil())
            line += fmt::format(FMT_COMPILE(" object {}"), v.object->to_string(true));
          line += fmt::format(FMT_COMPILE(" max_towers {}"), v.max_towers);
          out.push_back(line);
        } else if constexpr (std::is_same_v<T, epm::EptMapResponse>) {
          for (const auto& t : v.towers) {
            std::string iface =
                t.interface ? dcerpc::format_syntax(*t.interface) : std::string("?");
            out.push_back(fmt::format(FMT_COMPILE("ept_map: {} -> {}"), iface, t.string_binding()));
          }
          if (v.status != 0 || v.towers.empty()) {
            out.push_back(fmt::format(FMT_COMPILE("ept_map: {} tower(s), status {}"),
                                      v.towers.size(), dcerpc::format_status(v.status)));
            auto meaning = dcerpc::status_meaning(v.status);
            if (v.status != 0 && !meaning.empty())
              out.push_back(fmt::format(FMT_COMPILE("ept_map: {}"), meaning));
          }
        } else if constexpr (std::is_same_v<T, epm::EptLookupRequest>) {
          std::string line =
              fmt::format(FMT_COMPILE("ept_lookup request: inquiry_type {}"), v.inquiry_type);
          if (v.interface_id) line += " interface " + dcerpc::format_syntax(*v.interface_id);
          if (v.object && !v.object->is_nil()) line += " object " + v.object->to_string(true);
          line += fmt::format(FMT_COMPILE(" max_ents {} entry_handle {}"), v.max_ents,
                              handle_text(v.entry_handle));
          out.push_back(line);
        } else if constexpr (std::is_same_v<T, epm::EptLookupResponse>) {
          entry_lines("ept_lookup", v.entries, out);
          out.push_back(fmt::format(FMT_COMPILE("ept_lookup: entry_handle {}, status {}"),
                                    handle_text(v.entry_handle), dcerpc::format_status(v.status)));
        } else if constexpr (std::is_same_v<T, epm::EptInsertRequest>) {
          entry_lines("ept_insert", v.entries, out);
        } else if constexpr (std::is_same_v<T, epm::EptDeleteRequest>) {
          entry_lines("ept_delete", v.entries, out);
        } else if constexpr (std::is_same_v<T, epm::EptLookupHandleFreeRequest>) {
          out.push_back(fmt::format(FMT_COMPILE("ept_lookup_handle_free: entry_handle {}"),
                                    handle_text(v.entry_handle)));
        } else if constexpr (std::is_same_v<T, epm::EptInqObjectResponse>) {
          out.push_back(fmt::format(FMT_COMPILE("ept_inq_object: {} status {}"),
                                    v.ept_object.to_string(true), dcerpc::format_status(v.status)));
        } else if constexpr (std::is_same_v<T, epm::EptMgmtDeleteRequest>) {
          std::string line = "ept_mgmt_delete request:";
          if (v.object) line += " object " + v.object->to_string(true);
          if (v.tower) line += " " + v.tower->string_binding();
          out.push_back(line);
        } else if constexpr (requires { v.status; }) {
          out.push_back(
              fmt::format(FMT_COMPILE("{}: status {}"), op, dcerpc::format_status(v.status)));
        }
      },
      *d.value);
}

}  // namespace

// Network Monitor's names for the PDU types.
std::string_view display_name(PacketType t) {
  switch (t) {
    case PacketType::request:
      return "Request";
    case PacketType::response:
      return "Response";
    case PacketType::fault:
      return "Fault";
    case PacketType::bind:
      return "Bind";
    case PacketType::bind_ack:
      return "Bind Ack";
    case PacketType::bind_nak:
      return "Bind Nak";
    case PacketType::alter_context:
      return "Alter Context";
    case PacketType::alter_context_resp:
      return "Alter Context Resp";
    case PacketType::auth3:
      return "Auth3";
    case PacketType::shutdown:
      return "Shutdown";
    case PacketType::co_cancel:
      return "Cancel";
    case PacketType::orphaned:
      return "Orphaned";
    case PacketType::rts:
      return "RTS";
    default:
      return dcerpc::to_string(t);
  }
}

namespace {

void bind_text(const dcerpc::PduEvent& e, PduText& t) {
  const dcerpc::CommonHeader& h = e.header;
  const auto& b = std::get<dcerpc::Bind>(e.body);
  std::string uuid = b.contexts.empty() ? std::string("(no context)")
                                        : b.contexts[0].abstract_syntax.uuid.to_string(true);
  if (!b.contexts.empty()) {  // the name beside the UUID: "(EPMv4 v3.0)"
    const auto& a = b.contexts[0].abstract_syntax;
    auto name = dcerpc::interface_name(a.uuid);
    if (!name.empty()) uuid += fmt::format(FMT_COMPILE(" ({} v{}.{})"), name, a.major, a.minor);
  }
  t.summary = fmt::format(
      FMT_COMPILE(
          "MSRPC: c/o RPC {}: UUID {} call 0x{:X} assoc grp 0x{:X} xmit 0x{:X} recv 0x{:X}"),
      h.ptype == PacketType::bind ? "Bind" : "Alter Context", uuid, h.call_id, b.assoc_group_id,
      b.max_xmit_frag, b.max_recv_frag);
  for (const auto& c : b.contexts) {
    std::string ts;
    for (const auto& x : c.transfer_syntaxes)
      ts += (ts.empty() ? "" : ", ") + dcerpc::format_syntax(x);
    t.details.push_back(fmt::format(FMT_COMPILE("context 0x{:X}: {} transfer {}"), c.p_cont_id,
                                    dcerpc::format_syntax(c.abstract_syntax),
                                    ts.empty() ? "(none)" : ts));
  }
}

void bind_ack_text(const dcerpc::PduEvent& e, PduText& t) {
  namespace result = dcerpc::cont_def_result;
  const dcerpc::CommonHeader& h = e.header;
  const auto& a = std::get<dcerpc::BindAck>(e.body);
  auto& d = t.details;
  t.summary = fmt::format(
      FMT_COMPILE("MSRPC: c/o RPC {}: call 0x{:X} assoc grp 0x{:X} xmit 0x{:X} recv 0x{:X}"),
      h.ptype == PacketType::bind_ack ? "Bind Ack" : "Alter Context Resp", h.call_id,
      a.assoc_group_id, a.max_xmit_frag, a.max_recv_frag);
  if (!a.sec_addr.empty()) d.push_back(fmt::format(FMT_COMPILE("sec_addr {}"), a.sec_addr));
  // A rejection beside an accepted context is the normal negotiation (Windows offers NDR and
  // NDR64 as two contexts): advice only when nothing was accepted.
  const bool any_accepted =
      std::any_of(a.results.begin(), a.results.end(),
                  [](const dcerpc::ContextResult& x) { return x.result == result::acceptance; });
  for (std::size_t i = 0; i < a.results.size(); ++i) {
    const auto& r = a.results[i];
    std::string who = i < e.proposed.size()
                          ? fmt::format(FMT_COMPILE("context 0x{:X} {}"), e.proposed[i].p_cont_id,
                                        dcerpc::format_syntax(e.proposed[i].abstract_syntax))
                          : fmt::format(FMT_COMPILE("result {}"), i);
    auto rn = dcerpc::result_name(r.result);
    std::string res =
        rn.empty() ? fmt::format(FMT_COMPILE("result {}"), r.result) : std::string(rn);
    if (r.result == result::acceptance) {
      d.push_back(fmt::format(FMT_COMPILE("{}: {}, transfer {}"), who, res,
                              dcerpc::format_syntax(r.transfer_syntax)));
    } else if (r.result == result::negotiate_ack) {
      d.push_back(fmt::format(FMT_COMPILE("{}: {}, features 0x{:X}"), who, res, r.reason));
    } else {
      auto reason = dcerpc::provider_reason_name(r.reason);
      d.push_back(fmt::format(
          FMT_COMPILE("{}: {} ({})"), who, res,
          reason.empty() ? fmt::format(FMT_COMPILE("reason {}"), r.reason) : std::string(reason)));
      auto meaning = dcerpc::provider_reason_meaning(r.reason);
      if (!any_accepted && !meaning.empty()) d.push_back(fmt::format(FMT_COMPILE("  {}"), meaning));
    }
  }
}

void bind_nak_text(const dcerpc::PduEvent& e, PduText& t) {
  const auto& n = std::get<dcerpc::BindNak>(e.body);
  auto reason = dcerpc::reject_reason_name(n.provider_reject_reason);
  t.summary =
      fmt::format(FMT_COMPILE("MSRPC: c/o RPC Bind Nak: call 0x{:X} reason 0x{:X} ({})"),
                  e.header.call_id, n.provider_reject_reason, reason.empty() ? "unknown" : reason);
  if (auto meaning = dcerpc::reject_reason_meaning(n.provider_reject_reason); !meaning.empty())
    t.details.push_back(std::string(meaning));
  for (auto [major, minor] : n.versions)
    t.details.push_back(fmt::format(FMT_COMPILE("supports version {}.{}"), major, minor));
}

// Requests, responses and faults: the summary, with the interface and operation they belong to.
void call_text(const dcerpc::PduEvent& e, PduText& t) {
  const dcerpc::CommonHeader& h = e.header;
  std::string& s = t.summary;
  std::optional<std::uint16_t> opnum = e.opnum;
  // Formatted straight into the summary (cleared by format_pdu): the hot path of a timeline.
  if (const auto* q = std::get_if<dcerpc::Request>(&e.body)) {
    append_format(
        s,
        FMT_COMPILE("MSRPC: c/o RPC Request: call 0x{:X} opnum 0x{:X} context 0x{:X} hint 0x{:X}"),
        h.call_id, q->opnum, q->p_cont_id, q->alloc_hint);
    opnum = q->opnum;
    if (q->object) t.details.format("object {}", q->object->to_string(true));
  } else if (const auto* r = std::get_if<dcerpc::Response>(&e.body)) {
    append_format(
        s,
        FMT_COMPILE(
            "MSRPC: c/o RPC Response: call 0x{:X} context 0x{:X} hint 0x{:X} cancels 0x{:X}"),
        h.call_id, r->p_cont_id, r->alloc_hint, r->cancel_count);
  } else if (const auto* f = std::get_if<dcerpc::Fault>(&e.body)) {
    fmt::format_to(
        std::back_inserter(s),
        FMT_COMPILE("MSRPC: c/o RPC Fault: call 0x{:X} context 0x{:X} status {} cancels 0x{:X}"),
        h.call_id, f->p_cont_id, dcerpc::format_status(f->status), f->cancel_count);
  }
  append_interface_label(s, "  ", e.interface, opnum, e.interface_inferred);
  if (e.opnum && h.ptype != PacketType::request)
    append_format(s, FMT_COMPILE(" (opnum 0x{:X})"), *e.opnum);
  if (h.ptype != PacketType::fault) s += frag_label(h.pfc_flags);
}

// A DCOM activation answer: the object exporter's string bindings a client connects to next.
void dcom_lines(const analysis::ReportedPdu& p, TextLines& out) {
  if (p.dcom == nullptr) return;
  if (!p.dcom->value) {
    out.push_back(
        fmt::format(FMT_COMPILE("DCOM activation answer not decoded: {}"), p.dcom->error));
    return;
  }
  const dcom::ActivationAnswer& a = *p.dcom->value;
  std::string line = fmt::format(FMT_COMPILE("DCOM {} answer"), a.operation);
  if (a.oxid) line += fmt::format(FMT_COMPILE(": OXID 0x{:016X}"), *a.oxid);
  if (a.activation_hresult)
    line +=
        fmt::format(FMT_COMPILE(", activation {}"),
                    dcerpc::format_return_code(*a.activation_hresult, dcerpc::ReturnType::hresult));
  out.push_back(std::move(line));
  for (const auto& b : a.bindings)
    out.push_back(fmt::format(
        FMT_COMPILE("  string binding: {}:{}[{}]"),
        b.protseq.empty() ? fmt::format(FMT_COMPILE("tower 0x{:02X}"), b.tower_id) : b.protseq,
        b.network_address, b.endpoint));
}

// The details every PDU may have: byte order, the call it answers, fragments, the fault's
// meaning, the verification trailer, the verifier, the endpoint mapper stub.
void common_details(const analysis::ReportedPdu& p, PduText& t) {
  const dcerpc::PduEvent& e = p.event;
  const dcerpc::CommonHeader& h = e.header;
  auto& d = t.details;
  if (e.truncated)
    t.summary += fmt::format(FMT_COMPILE(" [cut short: {} of {} bytes captured]"), e.captured,
                             h.frag_length);
  if (h.packed_drep.integer_order() == common::ByteOrder::big)
    d.push_back("big-endian data representation");
  // Said once per call: on its first response fragment (the one with the latency) or its fault.
  if (e.request_frame && (e.latency_us || h.ptype == PacketType::fault)) {
    std::string& line = d.open();
    append_format(line, FMT_COMPILE("answers request in frame {}"),
                  common::FrameNo{*e.request_frame});
    if (e.latency_us) {
      line += ", ";
      line += common::format_seconds(*e.latency_us);
      line += " s later";
    }
    d.end();
  }
  if (p.return_code) {
    const auto& rc = *p.return_code;
    t.summary += "  returned ";
    t.summary += dcerpc::format_return_code(rc.value, rc.type);
    auto meaning = dcerpc::return_code_text(rc.value, rc.type).meaning;
    if (rc.value != 0 && !meaning.empty()) d.format("returned: {}", meaning);
  }
  if (e.call_complete && e.call_fragments > 1)
    d.push_back(fmt::format(FMT_COMPILE("reassembled from {} fragments, {} stub bytes"),
                            e.call_fragments, e.call_stub_length));
  if (const auto* f = std::get_if<dcerpc::Fault>(&e.body)) {
    auto meaning = dcerpc::status_meaning(f->status);
    if (!meaning.empty()) d.push_back(fmt::format(FMT_COMPILE("fault: {}"), meaning));
  }
  if (p.verification_trailer) {
    std::string cmds;
    for (const auto& c : p.verification_trailer->commands) {
      auto name = dcerpc::verification_command_name(c.command);
      cmds += fmt::format(
          FMT_COMPILE("{}{}"), cmds.empty() ? "" : ", ",
          name.empty() ? fmt::format(FMT_COMPILE("0x{:X}"), c.command) : std::string(name));
    }
    d.push_back(fmt::format(FMT_COMPILE("verification trailer at stub offset {}: {}"),
                            p.verification_trailer->offset, cmds));
  }
  if (e.sec_trailer) d.push_back(auth_line(p));
  if (p.auth) d.push_back(format_auth_value(*p.auth));
  if (p.stub_encrypted) d.push_back("stub encrypted (packet privacy): not decoded");
  epm_lines(p, d);
  dcom_lines(p, d);
}

}  // namespace

PduText format_pdu(const analysis::ReportedPdu& p) {
  PduText t;
  format_pdu(p, t);
  return t;
}

void format_pdu(const analysis::ReportedPdu& p, PduText& t) {
  const dcerpc::PduEvent& e = p.event;
  const dcerpc::CommonHeader& h = e.header;
  t.clear();
  if (e.cl) {
    cl_pdu_text(e, t);
    common_details(p, t);
    return;
  }
  // A body-carrying PDU cut before its fixed fields has only its header to show.
  const bool header_only = std::holds_alternative<dcerpc::NoBody>(e.body);
  switch (h.ptype) {
    case PacketType::bind:
    case PacketType::alter_context:
      if (!header_only) bind_text(e, t);
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
      if (!header_only) bind_ack_text(e, t);
      break;
    case PacketType::bind_nak:
      if (!header_only) bind_nak_text(e, t);
      break;
    case PacketType::request:
    case PacketType::response:
    case PacketType::fault:
      if (!header_only) call_text(e, t);
      break;
    case PacketType::rts:
      rts_pdu_text(p, t);
      break;
    default:
      break;
  }
  if (t.summary.empty())
    t.summary = fmt::format(FMT_COMPILE("MSRPC: c/o RPC {}: call 0x{:X}"), display_name(h.ptype),
                            h.call_id);
  common_details(p, t);
}

}  // namespace rpctrace::report
