// Text lines for one PDU in the shape of Network Monitor's summaries quoted by KB159298
// ("MSRPC: c/o RPC Bind: UUID ... call 0x54004E assoc grp 0x0 xmit 0x16D0 recv 0x16D0"),
// plus indented detail lines.
#pragma once

#include <string>
#include <vector>

#include "rpctrace/report/model.hpp"

namespace rpctrace::report {

// The summary line (without frame number) and the detail lines.
struct PduText {
  std::string summary;
  std::vector<std::string> details;
};
PduText format_pdu(const ReportedPdu& p);
// "auth_value: NTLMSSP authenticate domain D user U workstation W ..." (auth_text.cpp).
std::string format_auth_value(const AuthDecode& d);
// "E1AF8308-5D1F-11C9-91A4-08002B14A0FA v3.0 (EPMv4)"
std::string format_syntax(const dcerpc::SyntaxId& s, bool with_name = true);
std::string format_status(std::uint32_t status);
// Microseconds as seconds with six decimals: "0.001234", "-0.000010".
std::string format_seconds(std::int64_t us);

}  // namespace rpctrace::report
