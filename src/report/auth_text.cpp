// One line for a decoded auth_value in the text report: the mechanism, the message, and the
// names and state it carries. Never a hash, key or checksum (the decoder keeps none).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pdu_text.hpp"

namespace rpctrace::report {

namespace {

void append_token(const auth::Token& t, std::string& out) {
  fmt::format_to(std::back_inserter(out), "{} {}", t.mechanism, t.message);
  bool ntlm_challenge = t.mechanism == "NTLMSSP" && t.message == "challenge";
  bool netlogon = t.mechanism == "Netlogon";
  if (!t.domain.empty())
    fmt::format_to(std::back_inserter(out), " {} {}", ntlm_challenge ? "target" : "domain",
                   t.domain);
  if (!t.user.empty()) fmt::format_to(std::back_inserter(out), " user {}", t.user);
  if (!t.workstation.empty())
    fmt::format_to(std::back_inserter(out), " {} {}", netlogon ? "computer" : "workstation",
                   t.workstation);
  if (!t.realm.empty()) fmt::format_to(std::back_inserter(out), " realm {}", t.realm);
  if (!t.service.empty()) fmt::format_to(std::back_inserter(out), " service {}", t.service);
  if (t.error_code) {
    auto name = auth::krb_error_name(*t.error_code);
    fmt::format_to(std::back_inserter(out), " error {}{}{}{}", *t.error_code,
                   name.empty() ? "" : " (", name, name.empty() ? "" : ")");
  }
  if (t.signature_algorithm) {
    auto sign = auth::netlogon_algorithm_name(*t.signature_algorithm);
    auto seal = auth::netlogon_algorithm_name(t.seal_algorithm.value_or(0));
    fmt::format_to(std::back_inserter(out), " sign {} seal {}",
                   sign.empty() ? fmt::format("0x{:04X}", *t.signature_algorithm) : sign,
                   seal.empty() ? fmt::format("0x{:04X}", t.seal_algorithm.value_or(0)) : seal);
  }
  if (t.sequence) fmt::format_to(std::back_inserter(out), " seq {}", *t.sequence);
  if (t.flags && t.mechanism != "Kerberos")
    fmt::format_to(std::back_inserter(out), " flags 0x{:08X}", *t.flags);
}

}  // namespace

std::string format_auth_value(const analysis::AuthDecode& d) {
  if (!d.value) return "auth_value not decoded: " + d.error;
  const auth::AuthValue& v = *d.value;
  std::string out = "auth_value: ";
  if (v.spnego) {
    const auth::Spnego& s = *v.spnego;
    out += fmt::format("SPNEGO {}", s.message);
    if (s.neg_state) {
      auto name = auth::neg_state_name(*s.neg_state);
      out += name.empty() ? fmt::format(" negState {}", *s.neg_state) : " " + std::string(name);
    }
    if (!s.mech_types.empty()) out += fmt::format(" mechs [{}]", fmt::join(s.mech_types, ", "));
    if (!s.supported_mech.empty()) out += " supportedMech " + s.supported_mech;
    if (s.mech_list_mic) out += " mechListMIC";
    if (v.token || !v.inner_error.empty()) out += "; ";
  }
  if (v.token) append_token(*v.token, out);
  if (!v.inner_error.empty()) out += "inner token not decoded: " + v.inner_error;
  return out;
}

}  // namespace rpctrace::report
