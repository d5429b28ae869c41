// Connectionless PDUs in the timeline (C706 §12.5): the summary in the shape of the
// connection-oriented ones ("MSRPC: c/l RPC Request: seq 0x1 opnum 0x3 frag 0 len 76 ..."),
// and a detail line with the header fields a reader needs to follow an activity.
#include <fmt/format.h>

#include "pdu_text.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::report {

namespace {

using dcerpc::PacketType;

std::string_view cl_name(PacketType t) {
  switch (t) {
    case PacketType::request:
      return "Request";
    case PacketType::ping:
      return "Ping";
    case PacketType::response:
      return "Response";
    case PacketType::fault:
      return "Fault";
    case PacketType::working:
      return "Working";
    case PacketType::nocall:
      return "Nocall";
    case PacketType::reject:
      return "Reject";
    case PacketType::ack:
      return "Ack";
    case PacketType::cl_cancel:
      return "Cancel";
    case PacketType::fack:
      return "Fack";
    case PacketType::cancel_ack:
      return "Cancel Ack";
    default:
      return dcerpc::to_string(t);
  }
}

std::string fack_text(const dcerpc::ClFack& f) {
  std::string s = fmt::format(" window {} max_tsdu {} max_frag {} serial {}", f.window_size,
                              f.max_tsdu, f.max_frag_size, f.serial_num);
  if (!f.selack.empty()) {
    s += " selack";
    for (auto w : f.selack) s += fmt::format(" 0x{:08X}", w);
  }
  return s;
}

}  // namespace

void cl_pdu_text(const dcerpc::PduEvent& e, PduText& t) {
  const dcerpc::ClFacts& c = *e.cl;
  const dcerpc::ClHeader& h = c.header;
  std::string& s = t.summary;
  s = fmt::format("MSRPC: c/l RPC {}: seq 0x{:X}", cl_name(h.ptype), h.seqnum);
  std::optional<std::uint16_t> opnum = e.opnum;
  switch (h.ptype) {
    case PacketType::request:
      s += fmt::format(" opnum 0x{:X} frag {} len {}", h.opnum, h.fragnum, h.len);
      opnum = h.opnum;
      break;
    case PacketType::response:
      s += fmt::format(" frag {} len {}", h.fragnum, h.len);
      break;
    case PacketType::fault:
    case PacketType::reject:
      if (const auto* st = std::get_if<dcerpc::ClStatus>(&c.body)) {
        s += " status " + dcerpc::format_status(st->status);
        auto meaning = dcerpc::status_meaning(st->status);
        // A fault's meaning is said by the common details; a reject's here.
        if (h.ptype == PacketType::reject && !meaning.empty())
          t.details.push_back(fmt::format("reject: {}", meaning));
      }
      break;
    case PacketType::fack:
    case PacketType::nocall:
      if (const auto* f = std::get_if<dcerpc::ClFack>(&c.body))
        s += fmt::format(" frag {}{}", h.fragnum, fack_text(*f));
      break;
    case PacketType::cl_cancel:
      if (const auto* x = std::get_if<dcerpc::ClCancel>(&c.body))
        s += fmt::format(" cancel_id {}", x->cancel_id);
      break;
    case PacketType::cancel_ack:
      if (const auto* x = std::get_if<dcerpc::ClCancelAck>(&c.body))
        s += fmt::format(" cancel_id {} {}", x->cancel_id,
                         x->server_is_accepting ? "accepting cancels" : "not accepting cancels");
      break;
    default:
      break;
  }
  std::string label = interface_label(e.interface, opnum, false);
  if (!label.empty()) s += "  " + label;
  if (e.opnum && h.ptype != PacketType::request) s += fmt::format(" (opnum 0x{:X})", *e.opnum);
  if (h.ptype == PacketType::request || h.ptype == PacketType::response)
    s += frag_label(e.header.pfc_flags);
  if (c.duplicate) s += " [retransmission]";

  std::string d = fmt::format("activity {} serial {}", h.act_id.to_string(true), h.serial());
  auto f1 = dcerpc::cl_flags1_string(h.flags1);
  if (!f1.empty()) d += " flags1 " + f1;
  if (h.flags2 != 0) d += " flags2 " + dcerpc::cl_flags2_string(h.flags2);
  if (h.server_boot != 0) d += fmt::format(" server_boot 0x{:X}", h.server_boot);
  if (!h.object.is_nil()) d += " object " + h.object.to_string(true);
  t.details.push_back(std::move(d));
  if (h.auth_proto != 0)
    t.details.push_back(fmt::format("auth_proto {} ({}), verifier {} octets", h.auth_proto,
                                    dcerpc::auth_type_name(h.auth_proto).empty()
                                        ? std::string_view("unknown")
                                        : dcerpc::auth_type_name(h.auth_proto),
                                    c.auth_verifier_length));
}

}  // namespace rpctrace::report
