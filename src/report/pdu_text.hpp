// Text lines for one PDU in the shape of Network Monitor's summaries quoted by KB159298
// ("MSRPC: c/o RPC Bind: UUID ... call 0x54004E assoc grp 0x0 xmit 0x16D0 recv 0x16D0"),
// plus indented detail lines.
#pragma once

#include <string>
#include <vector>

#include "rpctrace/analysis/model.hpp"

namespace rpctrace::report {

// The summary line (without frame number) and the detail lines.
struct PduText {
  std::string summary;
  std::vector<std::string> details;
};
PduText format_pdu(const analysis::ReportedPdu& p);
// "EPMv4 v3.0 ept_map", with " (inferred from ept_map: bind not captured)" when inferred.
std::string interface_label(const std::optional<dcerpc::SyntaxId>& i,
                            std::optional<std::uint16_t> opnum, bool inferred);
// " [first fragment]" ...; empty for a PDU that is a whole call direction.
std::string frag_label(std::uint8_t pfc_flags);
// The summary and header details of a connectionless PDU (pdu_text_cl.cpp).
void cl_pdu_text(const dcerpc::PduEvent& e, PduText& t);
// An RTS PDU's summary ("MSRPC: c/o RPC RTS CONN/C1 or CONN/C2: ...") and details
// (pdu_text_rts.cpp).
void rts_pdu_text(const analysis::ReportedPdu& p, PduText& t);
// A carrier's step ("SMB2 TREE_CONNECT response: 0x0 (success), \\dc\IPC$") and the name
// a pipe is shown by (carrier_text.cpp).
PduText format_event(const analysis::CarrierEvent& e);
std::string channel_label(const analysis::ChannelFacts& c);
// "auth_value: NTLMSSP authenticate domain D user U workstation W ..." (auth_text.cpp).
std::string format_auth_value(const analysis::AuthDecode& d);

}  // namespace rpctrace::report
