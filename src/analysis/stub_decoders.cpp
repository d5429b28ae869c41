// Stub and verifier decoding for the analysis: which PDUs get which decoder, and what is
// counted when a decode fails.
#include "rpctrace/analysis/stub_decoders.hpp"

#include <fmt/format.h>

#include <vector>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

using dcerpc::PacketType;

bool stub_sealed(const dcerpc::PduEvent& e) {
  auto t = e.header.ptype;
  // A connectionless PDU's level is in its sec_trailer_cl (MS-RPCE 2.2.3.4).
  const bool privacy = e.cl ? e.cl->auth_level == dcerpc::auth_level::pkt_privacy
                            : e.sec_trailer && e.header.auth_length > 0 &&
                                  e.sec_trailer->auth_level == dcerpc::auth_level::pkt_privacy;
  return privacy &&
         (t == PacketType::request || t == PacketType::response || t == PacketType::fault);
}

std::optional<AuthDecode> decode_auth(const dcerpc::PduEvent& e, common::Bytes auth_value,
                                      Counters& counters) {
  // A PDU cut by the capture has no whole verifier to decode.
  if (!e.sec_trailer || auth_value.empty() || e.truncated) return std::nullopt;
  AuthDecode d;
  auto r = auth::decode_auth_value(e.sec_trailer->auth_type, auth_value);
  if (r.is_complete()) {
    d.value = r.take();
    ++counters.auth_decoded;
  } else {
    d.error = fmt::format("{}: {}", auth::to_string(r.error().reason), r.error().detail);
    ++counters.auth_errors[static_cast<std::size_t>(r.error().reason)];
  }
  return d;
}

EpmStub decode_epm_stub(std::uint16_t opnum, bool request, common::Bytes stub,
                        common::ByteOrder order,
                        const std::optional<dcerpc::SyntaxId>& transfer_syntax) {
  EpmStub out;
  out.decode.opnum = opnum;
  // Windows appends a verification trailer to request stubs (MS-RPCE 2.2.2.13): decode what
  // precedes it.
  if (request)
    if (auto vt = dcerpc::find_verification_trailer(stub, order)) {
      stub = stub.first(vt->offset);
      out.verification_trailer = std::move(vt);
    }
  // The stub is in the context's transfer syntax; without the bind_ack (capture started late)
  // try NDR, then NDR64.
  std::vector<epm::Syntax> syntaxes{epm::Syntax::ndr, epm::Syntax::ndr64};
  auto chosen = transfer_syntax ? dcerpc::transfer_syntax_of(*transfer_syntax)
                                : dcerpc::TransferSyntax::other;
  if (chosen == dcerpc::TransferSyntax::ndr64)
    syntaxes = {epm::Syntax::ndr64};
  else if (chosen == dcerpc::TransferSyntax::ndr)
    syntaxes = {epm::Syntax::ndr};
  const std::string_view op_name = dcerpc::operation_name(dcerpc::epm_uuid(), opnum);
  const char* direction = request ? "request" : "response";
  EpmDecode& d = out.decode;
  for (epm::Syntax syntax : syntaxes) {
    auto r = epm::decode_epm_stub(opnum, request, stub, order, syntax);
    if (r.is_complete() && r.consumed() == stub.size()) {
      d.value = r.take();
      d.error.clear();
      break;
    }
    d.error = r.is_complete() ? fmt::format("{} {}: {} octets left after the stub", op_name,
                                            direction, stub.size() - r.consumed())
                              : fmt::format("{} {}: {} at stub offset {}: {}", op_name, direction,
                                            epm::to_string(r.error().reason), r.error().offset,
                                            r.error().detail);
  }
  return out;
}

std::optional<DcomDecode> decode_dcom(const dcerpc::PduEvent& e, std::optional<common::Bytes> stub,
                                      bool sealed, Counters& counters) {
  if (!e.call_complete || !e.interface || e.header.ptype != PacketType::response || !e.opnum ||
      sealed || !dcom::is_activation_answer(e.interface->uuid, *e.opnum))
    return {};
  DcomDecode d;
  if (!stub) {
    d.error = e.call_stub_incomplete  ? "stub incomplete in the capture"
              : e.call_stub_truncated ? "stub larger than max_stub_bytes"
                                      : "stub not kept";
  } else {
    auto r = dcom::decode_activation_answer(e.interface->uuid, *e.opnum, *stub,
                                            e.header.packed_drep.integer_order());
    if (r.is_complete())
      d.value = r.take();
    else
      d.error = fmt::format("{} at stub offset {}: {}", dcom::to_string(r.error().reason),
                            r.error().offset, r.error().detail);
  }
  if (!d.error.empty()) ++counters.dcom_errors;
  return d;
}

epm::EptMapResponse activation_towers(const dcom::ActivationAnswer& a) {
  epm::EptMapResponse out;
  auto tower = [](const dcom::StringBinding& b, std::optional<common::IpAddress> address) {
    epm::Tower t;
    t.protseq = b.protseq;
    t.port = b.port;
    t.address = address;
    return t;
  };
  for (const auto& b : a.bindings)
    if (b.port)
      if (auto address = common::IpAddress::parse(b.network_address))
        out.towers.push_back(tower(b, address));
  if (out.towers.empty())
    for (const auto& b : a.bindings)
      if (b.port) {
        out.towers.push_back(tower(b, std::nullopt));
        break;
      }
  out.num_towers = static_cast<std::uint32_t>(out.towers.size());
  return out;
}

std::optional<EpmStub> decode_epm(const dcerpc::PduEvent& e, std::optional<common::Bytes> stub,
                                  bool sealed, Counters& counters) {
  if (!e.call_complete || !e.interface || e.interface->uuid != dcerpc::epm_uuid()) return {};
  if (sealed) return {};
  std::uint16_t opnum = 0;
  if (const auto* q = std::get_if<dcerpc::Request>(&e.body))
    opnum = q->opnum;
  else if (e.header.ptype == PacketType::response && e.opnum)
    opnum = *e.opnum;
  else
    return {};
  if (opnum > epm::opnum::ept_mgmt_delete) return {};  // not an ept.idl operation
  const bool request = e.header.ptype == PacketType::request;
  EpmStub out;
  if (!stub) {
    out.decode.opnum = opnum;
    out.decode.error = e.call_stub_incomplete  ? "stub incomplete in the capture"
                       : e.call_stub_truncated ? "stub larger than max_stub_bytes"
                                               : "stub not kept";
  } else {
    out = decode_epm_stub(opnum, request, *stub, e.header.packed_drep.integer_order(),
                          e.transfer_syntax);
  }
  if (out.decode.error.empty()) {
    ++counters.epm_decoded;
    if (request) ++counters.epm_requests_decoded;
  } else {
    ++counters.epm_errors;
  }
  return out;
}

}  // namespace rpctrace::analysis
