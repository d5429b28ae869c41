// The "pdu" record of JSON Lines (docs/jsonl.md): the header, the body, the labels from the
// association, the verifier, the verification trailer and the endpoint mapper stub. Field
// names are the specs' (C706, MS-RPCE, C706 appendix O's ept.idl).
#include "jsonl_pdu.hpp"

#include <fmt/format.h>

#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/json_objects.hpp"

namespace rpctrace::report {

namespace {

using dcerpc::PacketType;

// Octets as lowercase hex, two digits each, written into the line (a tower's floors, the
// packed data representation).
template <class Octets>
void hex_str(JsonLine& j, std::string_view key, const Octets& octets) {
  j.raw_str(key, [&](std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::size_t at = out.size();
    out.resize(at + 2 * std::size(octets));
    char* p = out.data() + at;
    for (auto o : octets) {
      const auto v = static_cast<unsigned>(o);
      *p++ = kHex[v >> 4];
      *p++ = kHex[v & 15];
    }
  });
}

void tower(JsonLine& j, const epm::Tower& t) {
  j.begin_object().str("string_binding", t.string_binding());
  if (!t.protseq.empty()) j.str("protseq", t.protseq);
  if (t.interface) syntax_object(j, "interface", *t.interface);
  if (t.transfer_syntax) syntax_object(j, "transfer_syntax", *t.transfer_syntax);
  if (t.port) j.num("port", *t.port);
  if (t.address) j.ip("address", *t.address);
  if (!t.endpoint_name.empty()) j.str("endpoint", t.endpoint_name);
  j.begin_array("floors");
  for (const auto& f : t.floors) {
    j.begin_object().num("protocol_id", f.protocol_id);
    auto name = epm::protocol_id_name(f.protocol_id);
    if (!name.empty()) j.str("protocol", name);
    hex_str(j, "lhs", f.lhs);
    hex_str(j, "rhs", f.rhs);
    j.end_object();
  }
  j.end_array().end_object();
}

void handle(JsonLine& j, std::string_view key, const epm::ContextHandle& h) {
  j.begin_object(key).num("attributes", h.attributes).uuid("uuid", h.uuid).end_object();
}

void status(JsonLine& j, std::uint32_t code) {
  j.num("status", code);
  auto name = dcerpc::status_name(code);
  if (!name.empty()) j.str("status_name", name);
}

void entries(JsonLine& j, const std::vector<epm::EptEntry>& list) {
  j.begin_array("entries");
  for (const auto& e : list) {
    j.begin_object().uuid("object", e.object).str("annotation", e.annotation);
    if (!e.annotation_terminated) j.boolean("annotation_terminated", false);
    if (e.tower) {
      j.begin_array("tower");
      tower(j, *e.tower);
      j.end_array();
    }
    j.end_object();
  }
  j.end_array();
}

// One "epm" object per decoded call direction; field names from C706 appendix O's ept.idl.
void epm(JsonLine& j, const analysis::EpmDecode& d) {
  j.begin_object("epm").str("operation", dcerpc::operation_name(dcerpc::epm_uuid(), d.opnum));
  if (!d.error.empty()) j.str("error", d.error);
  if (d.value) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, epm::EptMapRequest>) {
            if (v.object) j.uuid("object", *v.object);
            if (v.map_tower) {
              j.begin_array("map_tower");
              tower(j, *v.map_tower);
              j.end_array();
            }
            handle(j, "entry_handle", v.entry_handle);
            j.num("max_towers", v.max_towers);
          } else if constexpr (std::is_same_v<T, epm::EptMapResponse>) {
            handle(j, "entry_handle", v.entry_handle);
            j.num("num_towers", v.num_towers);
            j.begin_array("towers");
            for (const auto& t : v.towers) tower(j, t);
            j.end_array();
            status(j, v.status);
          } else if constexpr (std::is_same_v<T, epm::EptLookupRequest>) {
            j.num("inquiry_type", v.inquiry_type);
            if (v.object) j.uuid("object", *v.object);
            if (v.interface_id) syntax_object(j, "interface_id", *v.interface_id);
            j.num("vers_option", v.vers_option);
            handle(j, "entry_handle", v.entry_handle);
            j.num("max_ents", v.max_ents);
          } else if constexpr (std::is_same_v<T, epm::EptLookupResponse>) {
            handle(j, "entry_handle", v.entry_handle);
            j.num("num_ents", v.num_ents);
            entries(j, v.entries);
            status(j, v.status);
          } else if constexpr (std::is_same_v<T, epm::EptInsertRequest>) {
            j.num("num_ents", v.num_ents);
            entries(j, v.entries);
            j.num("replace", v.replace);
          } else if constexpr (std::is_same_v<T, epm::EptDeleteRequest>) {
            j.num("num_ents", v.num_ents);
            entries(j, v.entries);
          } else if constexpr (std::is_same_v<T, epm::EptLookupHandleFreeRequest>) {
            handle(j, "entry_handle", v.entry_handle);
          } else if constexpr (std::is_same_v<T, epm::EptLookupHandleFreeResponse>) {
            handle(j, "entry_handle", v.entry_handle);
            status(j, v.status);
          } else if constexpr (std::is_same_v<T, epm::EptInqObjectResponse>) {
            j.uuid("ept_object", v.ept_object);
            status(j, v.status);
          } else if constexpr (std::is_same_v<T, epm::EptMgmtDeleteRequest>) {
            j.num("object_speced", v.object_speced);
            if (v.object) j.uuid("object", *v.object);
            if (v.tower) {
              j.begin_array("tower");
              tower(j, *v.tower);
              j.end_array();
            }
          } else if constexpr (requires { v.status; }) {  // insert/delete/mgmt_delete responses
            status(j, v.status);
          }
        },
        *d.value);
  }
  j.end_object();
}

// The decoded auth_value inside "sec_trailer" (docs/jsonl.md): names and state only.
void auth_token(JsonLine& j, const auth::Token& t) {
  j.str("mechanism", t.mechanism).str("message", t.message);
  if (!t.domain.empty())
    j.str(t.mechanism == "NTLMSSP" && t.message == "challenge" ? "target" : "domain", t.domain);
  if (!t.user.empty()) j.str("user", t.user);
  if (!t.workstation.empty())
    j.str(t.mechanism == "Netlogon" ? "computer" : "workstation", t.workstation);
  if (!t.realm.empty()) j.str("realm", t.realm);
  if (!t.service.empty()) j.str("service", t.service);
  if (t.error_code) {
    j.inum("error_code", *t.error_code);
    auto name = auth::krb_error_name(*t.error_code);
    if (!name.empty()) j.str("error_name", name);
  }
  if (t.signature_algorithm) {
    j.num("signature_algorithm", *t.signature_algorithm);
    j.num("seal_algorithm", t.seal_algorithm.value_or(0));
  }
  if (t.sequence) j.num("sequence", *t.sequence);
  if (t.flags) j.num("flags", *t.flags);
}

void auth_value(JsonLine& j, const analysis::AuthDecode& d) {
  if (!d.value) {
    j.str("auth_value_error", d.error);
    return;
  }
  j.begin_object("auth_value");
  if (const auto& s = d.value->spnego) {
    j.begin_object("spnego").str("message", s->message);
    if (s->neg_state) {
      j.num("neg_state", *s->neg_state);
      auto name = auth::neg_state_name(*s->neg_state);
      if (!name.empty()) j.str("neg_state_name", name);
    }
    if (!s->mech_types.empty()) {
      j.begin_array("mech_types");
      for (const auto& m : s->mech_types) j.element(m);
      j.end_array();
    }
    if (!s->supported_mech.empty()) j.str("supported_mech", s->supported_mech);
    if (s->mech_list_mic) j.boolean("mech_list_mic", true);
    j.end_object();
  }
  if (d.value->token) auth_token(j, *d.value->token);
  if (!d.value->inner_error.empty()) j.str("inner_error", d.value->inner_error);
  j.end_object();
}

void body(JsonLine& j, const dcerpc::PduEvent& e) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, dcerpc::Bind>) {
          j.num("max_xmit_frag", b.max_xmit_frag).num("max_recv_frag", b.max_recv_frag);
          j.num("assoc_group_id", b.assoc_group_id).num("n_context_elem", b.contexts.size());
          j.begin_array("p_cont_elem");
          for (const auto& c : b.contexts) {
            j.begin_object()
                .num("p_cont_id", c.p_cont_id)
                .num("n_transfer_syn", c.transfer_syntaxes.size());
            syntax_object(j, "abstract_syntax", c.abstract_syntax);
            j.begin_array("transfer_syntaxes");
            for (const auto& t : c.transfer_syntaxes) syntax_object(j, {}, t);
            j.end_array().end_object();
          }
          j.end_array();
        } else if constexpr (std::is_same_v<T, dcerpc::BindAck>) {
          j.num("max_xmit_frag", b.max_xmit_frag).num("max_recv_frag", b.max_recv_frag);
          j.num("assoc_group_id", b.assoc_group_id)
              .str("sec_addr", b.sec_addr)
              .num("n_results", b.results.size());
          j.begin_array("p_results");
          for (std::size_t i = 0; i < b.results.size(); ++i) {
            const auto& r = b.results[i];
            j.begin_object();
            if (i < e.proposed.size()) {
              j.num("p_cont_id", e.proposed[i].p_cont_id);
              syntax_object(j, "abstract_syntax", e.proposed[i].abstract_syntax);
            }
            j.num("result", r.result).str("result_name", dcerpc::result_name(r.result));
            j.num("reason", r.reason);
            if (r.result == 1 || r.result == 2)
              j.str("reason_name", dcerpc::provider_reason_name(r.reason));
            syntax_object(j, "transfer_syntax", r.transfer_syntax);
            j.end_object();
          }
          j.end_array();
        } else if constexpr (std::is_same_v<T, dcerpc::BindNak>) {
          j.num("provider_reject_reason", b.provider_reject_reason);
          j.str("provider_reject_reason_name",
                dcerpc::reject_reason_name(b.provider_reject_reason));
          j.begin_array("versions");
          for (auto [major, minor] : b.versions) j.element(fmt::format("{}.{}", major, minor));
          j.end_array();
        } else if constexpr (std::is_same_v<T, dcerpc::Request>) {
          j.num("alloc_hint", b.alloc_hint).num("p_cont_id", b.p_cont_id).num("opnum", b.opnum);
          if (b.object) j.str("object", b.object->to_string());
          j.num("stub_length", b.stub_length);
        } else if constexpr (std::is_same_v<T, dcerpc::Response>) {
          j.num("alloc_hint", b.alloc_hint)
              .num("p_cont_id", b.p_cont_id)
              .num("cancel_count", b.cancel_count);
          j.num("stub_length", b.stub_length);
        } else if constexpr (std::is_same_v<T, dcerpc::Fault>) {
          j.num("alloc_hint", b.alloc_hint)
              .num("p_cont_id", b.p_cont_id)
              .num("cancel_count", b.cancel_count);
          j.num("status", b.status);
          auto name = dcerpc::status_name(b.status);
          if (!name.empty()) j.str("status_name", name);
        } else if constexpr (std::is_same_v<T, dcerpc::Rts>) {
          j.num("rts_flags", b.flags).num("number_of_commands", b.number_of_commands);
        }
      },
      e.body);
}

// An RTS PDU's names (MS-RPCH 2.2.4) and commands (2.2.3.5), fields named as in the spec.
void rts_fields(JsonLine& j, const analysis::ReportedPdu& p, const dcerpc::Rts& r) {
  using namespace dcerpc::rts;
  j.str("rts_flags_names", dcerpc::rts_flags_string(r.flags));
  if (p.rts_channel) j.str("rts_channel", dcerpc::to_string(*p.rts_channel));
  if (r.error) {
    j.str("rts_error", dcerpc::to_string(*r.error)).str("rts_error_detail", r.error_detail);
    return;
  }
  j.begin_array("rts_names");
  for (auto n : p.rts_names) j.element(dcerpc::to_string(n));
  j.end_array().begin_array("rts_commands");
  for (const auto& c : r.commands) {
    j.begin_object().str("command", dcerpc::to_string(dcerpc::command_type(c)));
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, ReceiveWindowSize>)
            j.num("ReceiveWindowSize", v.receive_window_size);
          else if constexpr (std::is_same_v<T, FlowControlAck>)
            j.num("BytesReceived", v.bytes_received)
                .num("AvailableWindow", v.available_window)
                .uuid("ChannelCookie", v.channel_cookie);
          else if constexpr (std::is_same_v<T, ConnectionTimeout>)
            j.num("ConnectionTimeout", v.connection_timeout);
          else if constexpr (std::is_same_v<T, Cookie>)
            j.uuid("Cookie", v.cookie);
          else if constexpr (std::is_same_v<T, ChannelLifetime>)
            j.num("ChannelLifetime", v.channel_lifetime);
          else if constexpr (std::is_same_v<T, ClientKeepalive>)
            j.num("ClientKeepalive", v.client_keepalive);
          else if constexpr (std::is_same_v<T, Version>)
            j.num("Version", v.version);
          else if constexpr (std::is_same_v<T, Padding>)
            j.num("ConformanceCount", v.conformance_count);
          else if constexpr (std::is_same_v<T, ClientAddress>)
            j.num("AddressType", v.address_type).ip("ClientAddress", v.client_address);
          else if constexpr (std::is_same_v<T, AssociationGroupId>)
            j.uuid("AssociationGroupId", v.association_group_id);
          else if constexpr (std::is_same_v<T, Destination>)
            j.num("Destination", v.destination)
                .str("destination_name", dcerpc::forward_destination_name(v.destination));
          else if constexpr (std::is_same_v<T, PingTrafficSentNotify>)
            j.num("PingTrafficSent", v.ping_traffic_sent);
        },
        c);
    j.end_object();
  }
  j.end_array();
}

// The connectionless header and bodies (C706 §12.5.1, §12.5.3), field names the spec's.
void cl_object(JsonLine& j, const dcerpc::ClFacts& c) {
  const dcerpc::ClHeader& h = c.header;
  j.begin_object("cl")
      .num("flags1", h.flags1)
      .str("flags1_names", dcerpc::cl_flags1_string(h.flags1));
  j.num("flags2", h.flags2).str("flags2_names", dcerpc::cl_flags2_string(h.flags2));
  j.num("serial", h.serial()).uuid("object", h.object).uuid("if_id", h.if_id);
  j.num("if_vers", h.if_vers).uuid("act_id", h.act_id).num("server_boot", h.server_boot);
  j.num("seqnum", h.seqnum).num("opnum", h.opnum).num("ihint", h.ihint).num("ahint", h.ahint);
  j.num("len", h.len).num("fragnum", h.fragnum).num("auth_proto", h.auth_proto);
  if (c.auth_verifier_length) j.num("auth_verifier_length", c.auth_verifier_length);
  if (c.duplicate) j.boolean("duplicate", true);
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, dcerpc::ClFack>) {
          j.begin_object("fack").num("vers", b.vers).num("window_size", b.window_size);
          j.num("max_tsdu", b.max_tsdu).num("max_frag_size", b.max_frag_size);
          j.num("serial_num", b.serial_num).num("selack_len", b.selack_len);
          j.begin_array("selack");
          for (auto w : b.selack) j.element(w);
          j.end_array().end_object();
        } else if constexpr (std::is_same_v<T, dcerpc::ClStatus>) {
          status(j, b.status);
        } else if constexpr (std::is_same_v<T, dcerpc::ClCancel>) {
          j.num("cancel_vers", b.vers).num("cancel_id", b.cancel_id);
        } else if constexpr (std::is_same_v<T, dcerpc::ClCancelAck>) {
          j.num("cancel_vers", b.vers).num("cancel_id", b.cancel_id);
          j.boolean("server_is_accepting", b.server_is_accepting);
        }
      },
      c.body);
  j.end_object();
}

}  // namespace

void file_and_frame(JsonLine& j, std::uint64_t frame) {
  const common::FrameNames& names = common::frame_names();
  if (!names.multiple() || names.unnamed(frame)) return;
  const auto n = names.name(frame);
  j.str("file", names.file_name(n.file)).num("file_frame", n.local);
}

void write_pdu_record(JsonLine& j, const analysis::FrameRecord& f, const analysis::ReportedPdu& p,
                      common::TimestampFormatter& timestamps) {
  const auto& e = p.event;
  const auto& h = e.header;
  j.begin_object().str("type", "pdu");
  // A PDU carries its own frame and direction: a PDU the capture cut short is reported when
  // the gap is found, from the frame that carried its last captured bytes.
  bool same_dir = e.dir == f.dir;
  const common::Endpoint& src = same_dir ? f.src : f.dst;
  const common::Endpoint& dst = same_dir ? f.dst : f.src;
  j.num("frame", e.at.frame);
  file_and_frame(j, e.at.frame);
  j.raw_str("ts", [&](std::string& out) { timestamps.append(out, e.at.ts); });
  j.num("conversation", f.conversation);
  j.ip("src", src.address).num("src_port", src.port);
  j.ip("dst", dst.address).num("dst_port", dst.port);
  if (p.channel || f.protseq != analysis::Protseq::ncacn_ip_tcp)
    j.str("protseq", analysis::to_string(f.protseq));
  if (p.channel) channel_object(j, "pipe", *p.channel);
  if (f.http_channel) j.str("http_channel", dcerpc::to_string(*f.http_channel));
  j.str("ptype", dcerpc::to_string(h.ptype)).num("ptype_value", static_cast<unsigned>(h.ptype));
  j.num("rpc_vers", h.rpc_vers).num("rpc_vers_minor", h.rpc_vers_minor);
  j.num("pfc_flags", h.pfc_flags)
      .str("pfc_flags_names", dcerpc::pfc_flags_string(h.pfc_flags, h.ptype));
  hex_str(j, "packed_drep", h.packed_drep.octets);
  j.str("integer_order",
        h.packed_drep.integer_order() == common::ByteOrder::little ? "little" : "big");
  j.num("frag_length", h.frag_length).num("auth_length", h.auth_length).num("call_id", h.call_id);
  body(j, e);
  if (const auto* r = std::get_if<dcerpc::Rts>(&e.body)) rts_fields(j, p, *r);
  if (e.cl) cl_object(j, *e.cl);
  if (e.opnum && h.ptype != PacketType::request) j.num("opnum", *e.opnum);
  if (e.interface) {
    syntax_object(j, "interface", *e.interface);
    if (e.interface_inferred) j.boolean("interface_inferred", true);
    std::optional<std::uint16_t> op = e.opnum;
    if (const auto* q = std::get_if<dcerpc::Request>(&e.body)) op = q->opnum;
    if (op) {
      auto name = dcerpc::operation_name(e.interface->uuid, *op);
      if (!name.empty()) j.str("operation", name);
    }
  }
  if (e.request_frame) j.num("request_frame", *e.request_frame);
  if (e.latency_us) j.inum("latency_us", *e.latency_us);
  if (e.truncated) j.boolean("truncated", true).num("captured_length", e.captured);
  if (e.call_complete) {
    j.boolean("call_complete", true).num("call_fragments", e.call_fragments);
    j.num("call_stub_length", e.call_stub_length);
  }
  if (p.return_code) {
    const auto& rc = *p.return_code;
    const dcerpc::StatusText text = dcerpc::return_code_text(rc.value, rc.type);
    j.begin_object("return_code").num("value", rc.value).str("kind", dcerpc::to_string(rc.type));
    if (!text.name.empty()) j.str("name", text.name).str("meaning", text.meaning);
    j.boolean("failure", dcerpc::is_failure(rc.value, rc.type)).end_object();
  }
  if (e.sec_trailer) {
    const auto& t = *e.sec_trailer;
    j.begin_object("sec_trailer")
        .num("auth_type", t.auth_type)
        .str("auth_type_name", dcerpc::auth_type_name(t.auth_type));
    j.num("auth_level", t.auth_level).str("auth_level_name", dcerpc::auth_level_name(t.auth_level));
    j.num("auth_pad_length", t.auth_pad_length).num("auth_context_id", t.auth_context_id);
    if (p.auth) auth_value(j, *p.auth);
    j.end_object();
  }
  if (p.stub_encrypted) j.boolean("stub_encrypted", true);
  if (p.verification_trailer) {
    j.begin_object("verification_trailer").num("offset", p.verification_trailer->offset);
    j.begin_array("commands");
    for (const auto& c : p.verification_trailer->commands) {
      auto name = dcerpc::verification_command_name(c.command);
      j.begin_object().num("command", c.command);
      if (!name.empty()) j.str("name", name);
      j.boolean("must_process", c.must_process).num("length", c.length).end_object();
    }
    j.end_array().end_object();
  }
  if (p.epm) epm(j, *p.epm);
  if (p.dcom) {
    j.begin_object("dcom");
    if (p.dcom->value) {
      const dcom::ActivationAnswer& a = *p.dcom->value;
      j.str("operation", a.operation);
      if (a.oxid) j.num("oxid", *a.oxid);
      if (a.hresult) j.num("hresult", *a.hresult);
      if (a.activation_hresult) j.num("activation_hresult", *a.activation_hresult);
      j.begin_array("bindings");
      for (const auto& b : a.bindings) {
        j.begin_object().num("tower_id", b.tower_id);
        if (!b.protseq.empty()) j.str("protseq", b.protseq);
        j.str("network_address", b.network_address).str("endpoint", b.endpoint);
        if (b.port) j.num("port", *b.port);
        j.end_object();
      }
      j.end_array();
    } else {
      j.str("error", p.dcom->error);
    }
    j.end_object();
  }
  j.end_object();
}

}  // namespace rpctrace::report
