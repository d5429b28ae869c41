// The auth_value of a DCE/RPC PDU (the octets after the sec_trailer, MS-RPCE 2.2.2.11), decoded
// by the security provider named in auth_type (MS-RPCE 2.2.1.1.7):
//   10 NTLMSSP (MS-NLMP 2.2.1): NEGOTIATE / CHALLENGE / AUTHENTICATE, or a message signature;
//   16 Kerberos (RFC 4120, RFC 4121, MS-KILE): AP-REQ / AP-REP / KRB-ERROR, or a per-message
//      token (MIC, Wrap);
//    9 SPNEGO (RFC 4178, MS-SPNG): negTokenInit / negTokenResp with the mechanism list, and the
//      inner mechanism token decoded as above;
//   68 Netlogon secure channel (MS-NRPC 2.2.1.3): NL_AUTH_MESSAGE or NL_AUTH_SIGNATURE.
//
// Only identities and protocol state come out: names, message types, flags, mechanisms,
// sequence numbers. Hashes, challenge responses, session keys, checksums and ticket cipher text
// are never copied out of the input, so no report can print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/result.hpp"

namespace rpctrace::auth {

using common::Bytes;

// Security providers with a decoder (auth_type values, MS-RPCE 2.2.1.1.7).
inline constexpr std::uint8_t kAuthSpnego = 9;
inline constexpr std::uint8_t kAuthNtlmssp = 10;
inline constexpr std::uint8_t kAuthKerberos = 16;
inline constexpr std::uint8_t kAuthNetlogon = 68;
inline constexpr std::uint8_t kAuthDefault = 0xff;  // RPC_C_AUTHN_DEFAULT, NTLMSSP

// A mechanism token: NTLMSSP, Kerberos or Netlogon, on its own or inside SPNEGO.
struct Token {
  std::string_view mechanism;  // "NTLMSSP", "Kerberos", "Netlogon"
  std::string_view message;    // "negotiate", "authenticate", "AP-REQ", "signature", ...
  // NTLMSSP NEGOTIATE (when supplied) and AUTHENTICATE; Netlogon NL_AUTH_MESSAGE (domain and
  // computer); NTLMSSP CHALLENGE's TargetName goes in `domain`.
  std::string domain;
  std::string user;
  std::string workstation;
  // NTLMSSP NegotiateFlags; Netlogon NL_AUTH_MESSAGE or NL_AUTH_SIGNATURE Flags; RFC 4121
  // token Flags (SentByAcceptor 1, Sealed 2, AcceptorSubkey 4). Its meaning is the mechanism's.
  std::optional<std::uint32_t> flags;
  // Kerberos: the ticket's realm and service principal (in clear in an AP-REQ), and a
  // KRB-ERROR's error-code.
  std::string realm;
  std::string service;
  std::optional<std::int32_t> error_code;
  // Per-message tokens: the sequence number where it is in clear (Kerberos RFC 4121 tokens;
  // an NTLMSSP signature's may be sealed, so it is not reported); Netlogon's algorithms.
  std::optional<std::uint64_t> sequence;
  std::optional<std::uint16_t> signature_algorithm;
  std::optional<std::uint16_t> seal_algorithm;
};

// SPNEGO's own negotiation (RFC 4178 4.2).
struct Spnego {
  std::string_view message;               // "negTokenInit" or "negTokenResp"
  std::vector<std::string> mech_types;    // negTokenInit mechTypes, by name or dotted OID
  std::optional<std::uint8_t> neg_state;  // negTokenResp: 0 accept-completed ... 3
  std::string supported_mech;             // negTokenResp supportedMech
  bool mech_list_mic = false;             // mechListMIC present
};

struct AuthValue {
  std::optional<Spnego> spnego;  // auth_type 9
  std::optional<Token> token;    // the mechanism token (inside SPNEGO when spnego is set)
  // Set when only the outer SPNEGO layer could be read: why the inner token was not decoded.
  std::string inner_error;
};

// Why an auth_value could not be decoded. Closed set; each value is counted.
enum class Reason : std::uint8_t {
  truncated,         // a field or a buffer runs past the auth_value
  bad_signature,     // not "NTLMSSP\0", not a GSS-API token, not a known Netlogon layout
  unknown_message,   // a message type this decoder does not know
  bad_der,           // ASN.1 DER not well formed (tag, length), or a required field missing
  too_long,          // a name past kMaxNameOctets
  unsupported_type,  // an auth_type with no decoder (none, or a vendor's)
  count_
};
inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::count_);
std::string_view to_string(Reason r);

using AuthResult = common::ParseResult<AuthValue, Reason>;

// Decodes one auth_value. `auth_type` chooses the decoder; `Bytes` is exactly the auth_value
// (auth_length octets). Never reads outside it.
AuthResult decode_auth_value(std::uint8_t auth_type, Bytes value);

// One message to or from a KDC on port 88 (RFC 4120 7.2.1 UDP, 7.2.2 TCP without its length
// prefix): AS-REQ, TGS-REQ (the realm and service asked for), AS-REP, TGS-REP (the ticket's),
// KRB-ERROR (error-code, realm, sname). `message` is exactly the message's octets.
common::ParseResult<Token, Reason> decode_kdc_message(Bytes message);

// Names for the numbers above, for reports: SPNEGO negState, Netlogon algorithms, and the
// Kerberos error codes (RFC 4120 7.5.9) a failed bind shows.
std::string_view neg_state_name(std::uint8_t state);
std::string_view krb_error_name(std::int32_t code);
std::string_view netlogon_algorithm_name(std::uint16_t algorithm);

// Explicit limits (docs/limits.md).
// Longest name kept (domain, user, workstation, realm, principal): NetBIOS names are 15
// characters and DNS names 255; 256 octets of UTF-8 leaves room for either.
inline constexpr std::size_t kMaxNameOctets = 256;
// SPNEGO mechTypes kept: Windows offers 4 (MS KRB5, KRB5, NEGOEX, NTLMSSP).
inline constexpr std::size_t kMaxMechTypes = 8;

}  // namespace rpctrace::auth
