// Names of the model's closed enums, and the analysis counters' rows.
#include "rpctrace/analysis/model.hpp"

#include <iterator>

namespace rpctrace::analysis {

std::string_view to_string(Protseq p) {
  switch (p) {
    case Protseq::ncacn_ip_tcp:
      return "ncacn_ip_tcp";
    case Protseq::ncadg_ip_udp:
      return "ncadg_ip_udp";
    case Protseq::ncacn_http:
      return "ncacn_http";
    case Protseq::ncacn_np:
      return "ncacn_np";
  }
  return "unknown";
}

std::string_view to_string(CarrierEventKind k) {
  switch (k) {
    case CarrierEventKind::negotiate:
      return "negotiate";
    case CarrierEventKind::session_setup:
      return "session_setup";
    case CarrierEventKind::logoff:
      return "logoff";
    case CarrierEventKind::tree_connect:
      return "tree_connect";
    case CarrierEventKind::tree_disconnect:
      return "tree_disconnect";
    case CarrierEventKind::open:
      return "open";
    case CarrierEventKind::close:
      return "close";
    case CarrierEventKind::encrypted:
      return "encrypted";
    case CarrierEventKind::refused:
      return "refused";
    case CarrierEventKind::http_request:
      return "http_request";
    case CarrierEventKind::http_response:
      return "http_response";
    case CarrierEventKind::tls_client_hello:
      return "tls_client_hello";
  }
  return "unknown";
}

namespace {
struct NoteName {
  std::string_view name, layer;
};
constexpr NoteName kNotes[] = {
    {"gap", "tcp"},
    {"snaplen", "tcp"},
    {"retransmission", "tcp"},
    {"partial_retransmission", "tcp"},
    {"out_of_order", "tcp"},
    {"overlap_conflict", "tcp"},
    {"syn_retransmission", "tcp"},
    {"buffer_full", "tcp"},
    {"after_close", "tcp"},
    {"malformed_smb", "smb"},
    {"smb_cut", "smb"},
    {"not_smb", "smb"},
    {"malformed_pdu", "dcerpc"},
    {"lost_sync", "dcerpc"},
    {"resynchronised", "dcerpc"},
    {"picked_up", "dcerpc"},
    {"partial_pdu_lost", "dcerpc"},
    {"not_dcerpc", "dcerpc"},
    {"ncacn_http", "dcerpc"},
    {"limit", "dcerpc"},
    {"epm_interface_mismatch", "report"},
};
static_assert(std::size(kNotes) == static_cast<std::size_t>(NoteKind::count_));
}  // namespace

std::string_view to_string(NoteKind k) {
  auto i = static_cast<std::size_t>(k);
  return i < std::size(kNotes) ? kNotes[i].name : "unknown";
}

std::string_view layer_of(NoteKind k) {
  auto i = static_cast<std::size_t>(k);
  return i < std::size(kNotes) ? kNotes[i].layer : "unknown";
}

NoteKind from_dcerpc(dcerpc::NoteKind k) {
  static_assert(static_cast<std::size_t>(NoteKind::limit) -
                        static_cast<std::size_t>(NoteKind::malformed_pdu) + 1 ==
                    dcerpc::kNoteKindCount,
                "the DCE/RPC note kinds are listed in dcerpc::NoteKind's order");
  return static_cast<NoteKind>(static_cast<std::size_t>(NoteKind::malformed_pdu) +
                               static_cast<std::size_t>(k));
}

std::string_view to_string(EndReason r) {
  switch (r) {
    case EndReason::capture_end:
      return "capture_end";
    case EndReason::closed:
      return "closed";
    case EndReason::port_reused:
      return "port_reused";
    case EndReason::evicted_idle:
      return "evicted_idle";
    case EndReason::evicted_limit:
      return "evicted_limit";
    case EndReason::joined:
      return "joined";
  }
  return "unknown";
}

std::optional<std::uint16_t> opnum_of(const dcerpc::PduEvent& e) {
  if (const auto* q = std::get_if<dcerpc::Request>(&e.body)) return q->opnum;
  if (e.header.ptype == dcerpc::PacketType::response || e.header.ptype == dcerpc::PacketType::fault)
    return e.opnum;
  return std::nullopt;
}

std::optional<ReturnCode> return_code_of(const std::optional<dcerpc::SyntaxId>& interface,
                                         std::uint16_t opnum,
                                         const std::optional<std::array<std::byte, 4>>& tail,
                                         const dcerpc::DataRepresentation& drep) {
  if (!interface || !tail) return std::nullopt;
  const dcerpc::ReturnType type = dcerpc::operation_returns(interface->uuid, opnum);
  if (!dcerpc::is_status(type)) return std::nullopt;
  return ReturnCode{common::ByteReader(*tail, drep.integer_order()).u32(), type};
}

std::uint64_t Statistics::counter(std::string_view key) const {
  for (const auto& row : not_decoded)
    if (row.key == key) return row.value;
  return 0;
}

void append_counter_rows(const Counters& c, common::CounterRows& rows) {
  rows.push_back({"epm_errors", "EPM stubs that did not decode", c.epm_errors});
  rows.push_back({"dcom_errors", "DCOM activation answers that did not decode", c.dcom_errors});
  // Keys are stable names for log tools: auth_ + the decoder's reason, in its enum order.
  static_assert(auth::kReasonCount == 6, "one row per auth::Reason");
  static constexpr common::CounterRow kAuth[auth::kReasonCount] = {
      {"auth_truncated", "auth_values cut short or pointing past their end", 0},
      {"auth_bad_signature", "auth_values not in their auth_type's format", 0},
      {"auth_unknown_message", "auth_values with an unknown message type", 0},
      {"auth_bad_der", "Kerberos/SPNEGO auth_values with malformed ASN.1", 0},
      {"auth_too_long", "auth_values with a name past 256 octets", 0},
      {"auth_unsupported_type", "auth_values of an auth_type without a decoder", 0},
  };
  for (std::size_t i = 0; i < auth::kReasonCount; ++i)
    rows.push_back({kAuth[i].key, kAuth[i].label, c.auth_errors[i]});
  rows.push_back(
      {"stubs_encrypted", "stubs sealed by packet privacy (not decoded)", c.stubs_encrypted});
  rows.push_back({"tls_connections",
                  "TCP connections encrypted by TLS: RPC over HTTPS inside cannot be decoded "
                  "(--all shows each ClientHello's server_name)",
                  c.tls_connections});
}

}  // namespace rpctrace::analysis
