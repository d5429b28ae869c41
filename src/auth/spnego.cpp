// SPNEGO (RFC 4178 4.2; MS-SPNG 2.2): the negotiation tokens with their mechanism list and
// state, and the inner mechanism token. The first token comes in the GSS-API framing; later
// ones are bare negTokenResp (or negTokenInit) structures. Once negotiated, per-message
// verifiers are the chosen mechanism's own tokens.
#include <fmt/format.h>

#include "detail.hpp"

namespace rpctrace::auth::detail {

namespace {

AuthResult malformed(Reason why, std::string detail) {
  return AuthResult::malformed(why, 0, std::move(detail));
}

std::string mech_label(Bytes oid_content) {
  std::string oid = oid_to_string(oid_content);
  auto name = mechanism_name(oid);
  return name.empty() ? oid : std::string(name);
}

// The mechToken / responseToken: an OCTET STRING holding the inner mechanism's token.
void inner_token(const Tlv& field, AuthValue& out) {
  Der d(field.content);
  Tlv octets;
  if (!d.next_if(kDerOctetString, octets)) {
    out.inner_error = "mechanism token not an OCTET STRING";
    return;
  }
  TokenResult t = decode_any_token(octets.content);
  if (t.is_complete())
    out.token = t.take();
  else
    out.inner_error = fmt::format("{}: {}", to_string(t.error().reason), t.error().detail);
}

// negTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] }
// (MS-SPNG's NegTokenInit2 puts negHints at [3] and the MIC at [4].)
bool neg_token_init(Bytes content, AuthValue& out) {
  Spnego& s = out.spnego.emplace();
  s.message = "negTokenInit";
  Bytes body;
  if (!der_sequence(content, body)) return false;
  Der d(body);
  Tlv f;
  if (d.next_if(context_tag(0), f)) {
    Bytes types;
    if (!der_sequence(f.content, types)) return false;
    Der list(types);
    while (!list.at_end()) {
      Tlv oid;
      if (!list.next_if(kDerOid, oid)) return false;
      if (s.mech_types.size() < kMaxMechTypes) s.mech_types.push_back(mech_label(oid.content));
    }
  }
  (void)d.next_if(context_tag(1), f);
  if (d.next_if(context_tag(2), f)) inner_token(f, out);
  if (d.next_if(context_tag(3), f))  // mechListMIC, or NegTokenInit2's negHints
    s.mech_list_mic = !f.content.empty() && f.content[0] == std::byte{kDerOctetString};
  if (d.next_if(context_tag(4), f)) s.mech_list_mic = true;
  return d.ok();
}

// negTokenResp ::= SEQUENCE { negState [0], supportedMech [1], responseToken [2],
//                             mechListMIC [3] }
bool neg_token_resp(Bytes content, AuthValue& out) {
  Spnego& s = out.spnego.emplace();
  s.message = "negTokenResp";
  Bytes body;
  if (!der_sequence(content, body)) return false;
  Der d(body);
  Tlv f;
  if (d.next_if(context_tag(0), f)) {
    Der e(f.content);
    Tlv state;
    if (!e.next_if(kDerEnumerated, state) || state.content.size() != 1) return false;
    s.neg_state = std::to_integer<std::uint8_t>(state.content[0]);
  }
  if (d.next_if(context_tag(1), f)) {
    Der o(f.content);
    Tlv oid;
    if (!o.next_if(kDerOid, oid)) return false;
    s.supported_mech = mech_label(oid.content);
  }
  if (d.next_if(context_tag(2), f)) inner_token(f, out);
  if (d.next_if(context_tag(3), f)) s.mech_list_mic = true;
  return d.ok();
}

}  // namespace

AuthResult decode_spnego(Bytes value) {
  AuthValue out;
  Bytes token = value;
  GssFraming g;
  if (gss_framing(value, g)) {
    if (mechanism_name(g.mech_oid) != "SPNEGO") {
      // A bare mechanism token under auth_type 9 (some stacks skip the negotiation).
      TokenResult t = decode_any_token(value);
      if (!t.is_complete()) return AuthResult::from(t.error());
      out.token = t.take();
      return AuthResult::complete(std::move(out), value.size());
    }
    token = g.inner;
  }
  Der d(token);
  Tlv choice;
  if (d.next_if(context_tag(0), choice)) {
    if (!neg_token_init(choice.content, out)) return malformed(Reason::bad_der, "negTokenInit");
  } else if (d.next_if(context_tag(1), choice)) {
    if (!neg_token_resp(choice.content, out)) return malformed(Reason::bad_der, "negTokenResp");
  } else {
    // After the negotiation the verifier is the chosen mechanism's per-message token.
    TokenResult t = decode_any_token(value);
    if (!t.is_complete()) return AuthResult::from(t.error());
    out.token = t.take();
  }
  return AuthResult::complete(std::move(out), value.size());
}

}  // namespace rpctrace::auth::detail
