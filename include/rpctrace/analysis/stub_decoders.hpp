// The decoders the analysis runs on a PDU's payload: the auth verifier (src/auth) and the
// endpoint mapper's stubs (src/epm), with the verification trailer Windows appends to
// requests (MS-RPCE 2.2.2.13). Each takes the payload views of AssociationObserver::on_pdu()
// and returns owned values; they count what they decode or cannot.
#pragma once

#include <optional>

#include "rpctrace/analysis/model.hpp"

namespace rpctrace::analysis {

// Packet privacy seals the stub of requests, responses and faults (MS-RPCE 3.3.1.5.2); the
// header, the sec_trailer and the verifier's framing stay readable.
bool stub_sealed(const dcerpc::PduEvent& e);

// The auth_value of a PDU with a verifier; nullopt when it has none or the capture cut it.
std::optional<AuthDecode> decode_auth(const dcerpc::PduEvent& e, common::Bytes auth_value,
                                      Counters& counters);

struct EpmStub {
  EpmDecode decode;
  std::optional<dcerpc::VerificationTrailer> verification_trailer;
};
// The stub of an endpoint mapper call direction that the PDU completed; nullopt when the PDU
// completes none, is not on the endpoint mapper or is sealed. `stub`: the call's kept stub.
std::optional<EpmStub> decode_epm(const dcerpc::PduEvent& e, std::optional<common::Bytes> stub,
                                  bool sealed, Counters& counters);
// The DCOM activation answer the PDU completed (dcom::is_activation_answer); nullopt for any
// other PDU, or a sealed one. Counted in dcom_errors when it does not decode.
std::optional<DcomDecode> decode_dcom(const dcerpc::PduEvent& e, std::optional<common::Bytes> stub,
                                      bool sealed, Counters& counters);
// Its string bindings that name a port, as towers of an ept_map answer, so the conversations
// to those ports link to it as to an ept_map answer (EpmLinks): the IP-address bindings, or
// when there are none the first host-name one (address unset: the answering server).
epm::EptMapResponse activation_towers(const dcom::ActivationAnswer& a);

// One endpoint mapper stub of operation `opnum` in the transfer syntax `transfer_syntax` (NDR,
// NDR64, or unknown: both are tried). Not counted.
EpmStub decode_epm_stub(std::uint16_t opnum, bool request, common::Bytes stub,
                        common::ByteOrder order,
                        const std::optional<dcerpc::SyntaxId>& transfer_syntax);

}  // namespace rpctrace::analysis
