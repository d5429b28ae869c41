// auth_value dispatch by auth_type, and the names of the values reports show.
#include "rpctrace/auth/auth_value.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "detail.hpp"

namespace rpctrace::auth {

namespace detail {

TokenResult decode_any_token(Bytes value) {
  static constexpr char kNtlm[] = "NTLMSSP";
  bool ntlm_message = value.size() >= 8 &&
                      std::equal(kNtlm, kNtlm + 8, value.begin(),
                                 [](char a, std::byte b) { return a == std::to_integer<char>(b); });
  // An NTLMSSP signature is 16 octets starting with Version 1 (01 00 00 00); no Kerberos
  // token starts that way (RFC 4121 tokens start 04 04 / 05 04, framed ones 0x60).
  bool ntlm_signature = value.size() == 16 && value[0] == std::byte{1} &&
                        value[1] == std::byte{0} && value[2] == std::byte{0} &&
                        value[3] == std::byte{0};
  if (ntlm_message || ntlm_signature) return decode_ntlmssp(value);
  return decode_kerberos(value);
}

}  // namespace detail

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::truncated:
      return "truncated";
    case Reason::bad_signature:
      return "bad_signature";
    case Reason::unknown_message:
      return "unknown_message";
    case Reason::bad_der:
      return "bad_der";
    case Reason::too_long:
      return "too_long";
    case Reason::unsupported_type:
      return "unsupported_type";
    case Reason::count_:
      break;
  }
  return "?";
}

common::ParseResult<Token, Reason> decode_kdc_message(Bytes message) {
  return detail::decode_kdc_message(message);
}

AuthResult decode_auth_value(std::uint8_t auth_type, Bytes value) {
  auto wrap = [&](detail::TokenResult t) {
    if (!t.is_complete()) return AuthResult::from(t.error());
    AuthValue v;
    v.token = t.take();
    return AuthResult::complete(std::move(v), value.size());
  };
  switch (auth_type) {
    case kAuthNtlmssp:
    case kAuthDefault:  // RPC_C_AUTHN_DEFAULT: "same as RPC_C_AUTHN_WINNT" (MS-RPCE 2.2.1.1.7)
      return wrap(detail::decode_ntlmssp(value));
    case kAuthKerberos:
      return wrap(detail::decode_kerberos(value));
    case kAuthNetlogon:
      return wrap(detail::decode_netlogon(value));
    case kAuthSpnego:
      return detail::decode_spnego(value);
    default:
      return AuthResult::malformed(Reason::unsupported_type, 0,
                                   fmt::format("no decoder for auth_type {}", auth_type));
  }
}

std::string_view neg_state_name(std::uint8_t state) {
  switch (state) {  // RFC 4178 4.2.2
    case 0:
      return "accept-completed";
    case 1:
      return "accept-incomplete";
    case 2:
      return "reject";
    case 3:
      return "request-mic";
    default:
      return {};
  }
}

std::string_view krb_error_name(std::int32_t code) {
  switch (code) {  // RFC 4120 7.5.9: the codes a failed RPC bind or a KDC shows
    case 1:
      return "KDC_ERR_NAME_EXP";
    case 2:
      return "KDC_ERR_SERVICE_EXP";
    case 6:
      return "KDC_ERR_C_PRINCIPAL_UNKNOWN";
    case 7:
      return "KDC_ERR_S_PRINCIPAL_UNKNOWN";
    case 8:
      return "KDC_ERR_PRINCIPAL_NOT_UNIQUE";
    case 12:
      return "KDC_ERR_POLICY";
    case 13:
      return "KDC_ERR_BADOPTION";
    case 14:
      return "KDC_ERR_ETYPE_NOSUPP";
    case 15:
      return "KDC_ERR_SUMTYPE_NOSUPP";
    case 16:
      return "KDC_ERR_PADATA_TYPE_NOSUPP";
    case 18:
      return "KDC_ERR_CLIENT_REVOKED";
    case 23:
      return "KDC_ERR_KEY_EXPIRED";
    case 24:
      return "KDC_ERR_PREAUTH_FAILED";
    case 25:
      return "KDC_ERR_PREAUTH_REQUIRED";
    case 29:
      return "KDC_ERR_SVC_UNAVAILABLE";
    case 31:
      return "KRB_AP_ERR_BAD_INTEGRITY";
    case 32:
      return "KRB_AP_ERR_TKT_EXPIRED";
    case 33:
      return "KRB_AP_ERR_TKT_NYV";
    case 34:
      return "KRB_AP_ERR_REPEAT";
    case 35:
      return "KRB_AP_ERR_NOT_US";
    case 36:
      return "KRB_AP_ERR_BADMATCH";
    case 37:
      return "KRB_AP_ERR_SKEW";
    case 41:
      return "KRB_AP_ERR_MODIFIED";
    case 44:
      return "KRB_AP_ERR_BADKEYVER";
    case 50:
      return "KRB_AP_ERR_INAPP_CKSUM";
    case 52:
      return "KRB_ERR_RESPONSE_TOO_BIG";
    case 60:
      return "KRB_ERR_GENERIC";
    case 68:
      return "KDC_ERR_WRONG_REALM";
    default:
      return {};
  }
}

std::string_view netlogon_algorithm_name(std::uint16_t algorithm) {
  switch (algorithm) {  // MS-NRPC 2.2.1.3.2 and 2.2.1.3.3
    case 0x0077:
      return "HMAC-MD5";
    case 0x0013:
      return "HMAC-SHA256";
    case 0x007a:
      return "RC4";
    case 0x001a:
      return "AES-128";
    case 0xffff:
      return "none";
    default:
      return {};
  }
}

}  // namespace rpctrace::auth
