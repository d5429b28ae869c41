// Kerberos as an RPC security provider (RFC 4120 messages inside the RFC 1964 / RFC 4121
// GSS-API tokens; MS-KILE 3.4.5 for the DCE style, where the AP-REP legs come without the
// GSS framing). From an AP-REQ only the ticket's realm and service principal are read, both
// in clear; everything encrypted is skipped.
#include <fmt/format.h>

#include <array>
#include <optional>

#include "detail.hpp"

namespace rpctrace::auth::detail {

namespace {

// RFC 4120 5.5.1, 5.5.2, 5.9.1: the APPLICATION tags of the messages.
constexpr std::uint8_t kApReq = 0x6e;
constexpr std::uint8_t kApRep = 0x6f;
constexpr std::uint8_t kKrbError = 0x7e;
constexpr std::uint8_t kTicket = 0x61;
// User-to-user (draft-swift-win2k-krb-user2user): TGT-REQ (msg-type 16) and TGT-REP (17).
// In the GSS tokens (TOK_ID 04 00 / 04 01) they are a bare SEQUENCE; a bare message tagged
// [APPLICATION 16] / [APPLICATION 17] is accepted as well.
constexpr std::uint8_t kTgtReq = 0x70;
constexpr std::uint8_t kTgtRep = 0x71;

TokenResult malformed(Reason why, std::string detail) {
  return TokenResult::malformed(why, 0, std::move(detail));
}

// Fields of a SEQUENCE of context-tagged members, by tag number (RFC 4120 uses [0]..[12]).
struct Fields {
  std::array<Tlv, 13> at{};
  std::array<bool, 13> has{};
};
bool sequence_fields(Bytes message_content, Fields& f) {
  Bytes body;
  if (!der_sequence(message_content, body)) return false;
  Der d(body);
  while (!d.at_end()) {
    Tlv t = d.next();
    if (!d.ok()) return false;
    unsigned n = t.tag - 0xa0u;
    if (t.tag < 0xa0 || n >= f.at.size()) continue;  // extensions: skipped
    f.at[n] = t;
    f.has[n] = true;
  }
  return true;
}

// The names below fail with a reason: bad_der when the ASN.1 is wrong, too_long past
// kMaxNameOctets. KerberosString is UTF-8 (MS-KILE 3.1.5.7).
using NameError = std::optional<Reason>;

NameError general_string(const Tlv& t, std::string& out) {
  Der d(t.content);
  Tlv s;
  if (!d.next_if(kDerGeneralString, s)) return Reason::bad_der;
  if (!utf8_to_text(s.content, out)) return Reason::too_long;
  return std::nullopt;
}

// PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString }
NameError principal_name(const Tlv& t, std::string& out) {
  Bytes body;
  Tlv type, strings;
  if (!der_sequence(t.content, body)) return Reason::bad_der;
  Der fields(body);
  (void)fields.next_if(context_tag(0), type);
  if (!fields.next_if(context_tag(1), strings)) return Reason::bad_der;
  Bytes list;
  if (!der_sequence(strings.content, list)) return Reason::bad_der;
  Der items(list);
  out.clear();
  while (items.ok() && !items.at_end()) {
    Tlv s;
    std::string part;
    if (!items.next_if(kDerGeneralString, s)) return Reason::bad_der;
    if (!utf8_to_text(s.content, part)) return Reason::too_long;
    if (!out.empty()) out += '/';
    out += part;
    if (out.size() > kMaxNameOctets) return Reason::too_long;
  }
  return std::nullopt;
}

// The realm and principal fields of a message, when present.
TokenResult names(const Fields& f, unsigned realm_field, unsigned principal_field, Token t,
                  const char* what) {
  NameError e;
  if (f.has[realm_field]) e = general_string(f.at[realm_field], t.realm);
  if (!e && f.has[principal_field]) e = principal_name(f.at[principal_field], t.service);
  if (e) return malformed(*e, fmt::format("{} realm or principal name", what));
  return TokenResult::complete(std::move(t), 0);
}

// Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }
TokenResult ticket_names(const Tlv& field, Token t) {
  Der td(field.content);
  Tlv ticket;
  Fields tf;
  if (!td.next_if(kTicket, ticket) || !sequence_fields(ticket.content, tf))
    return malformed(Reason::bad_der, "AP-REQ ticket not a Ticket");
  return names(tf, 1, 2, std::move(t), "ticket");
}

// AP-REQ ::= SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3], authenticator [4] }
TokenResult ap_req(Bytes content, Token t) {
  t.message = "AP-REQ";
  Fields f;
  if (!sequence_fields(content, f) || !f.has[3])
    return malformed(Reason::bad_der, "AP-REQ without a ticket");
  return ticket_names(f.at[3], std::move(t));
}

// TGT-REQ ::= SEQUENCE { pvno [0], msg-type [1], server-name [2] OPTIONAL, realm [3] OPTIONAL }
// TGT-REP ::= SEQUENCE { pvno [0], msg-type [1], ticket [2] }
TokenResult tgt_message(Bytes content, bool request, Token t) {
  t.message = request ? "TGT-REQ" : "TGT-REP";
  Fields f;
  if (!sequence_fields(content, f)) return malformed(Reason::bad_der, "TGT message not a SEQUENCE");
  if (!request) {
    if (!f.has[2]) return malformed(Reason::bad_der, "TGT-REP without a ticket");
    return ticket_names(f.at[2], std::move(t));
  }
  return names(f, 3, 2, std::move(t), "TGT-REQ");
}

TokenResult krb_error(Bytes content, Token t) {
  t.message = "KRB-ERROR";
  Fields f;
  if (!sequence_fields(content, f)) return malformed(Reason::bad_der, "KRB-ERROR not a SEQUENCE");
  std::int32_t code = 0;
  Der cd(f.at[6].content);
  Tlv i;
  if (!f.has[6] || !cd.next_if(kDerInteger, i) || !der_int32(i.content, code))
    return malformed(Reason::bad_der, "KRB-ERROR without error-code");
  t.error_code = code;
  return names(f, 9, 10, std::move(t), "KRB-ERROR");
}

// A bare RFC 4120 message (the DCE style's AP-REP, or a token after its TOK_ID).
TokenResult krb_message(Bytes value, Token t) {
  Der d(value);
  Tlv m = d.next();
  if (!d.ok()) return malformed(Reason::bad_der, "Kerberos message not DER");
  switch (m.tag) {
    case kApReq:
      return ap_req(m.content, std::move(t));
    case kApRep:  // enc-part only: nothing in clear but the type
      t.message = "AP-REP";
      return TokenResult::complete(std::move(t), 0);
    case kKrbError:
      return krb_error(m.content, std::move(t));
    case kTgtReq:
    case kTgtRep:
      return tgt_message(m.content, m.tag == kTgtReq, std::move(t));
    default:
      return malformed(Reason::unknown_message, fmt::format("ASN.1 tag 0x{:02x}", m.tag));
  }
}

// RFC 4121 4.2.6: MIC (04 04) and Wrap (05 04) tokens, without GSS framing, with the
// sequence number in clear at octet 8. The filler octets must be 0xFF (MIC: octets 3..7;
// Wrap: octet 3), and a MIC is never sealed: anything else is not such a token.
TokenResult cfx_token(Bytes value, Token t) {
  common::ByteReader r(value, common::ByteOrder::big);
  std::uint16_t tok_id = r.u16();
  std::uint8_t flags = r.u8();
  const bool mic = tok_id == 0x0404;
  bool filler_ok = r.u8() == 0xff;
  for (int i = 0; i < 4; ++i) {
    std::uint8_t b = r.u8();  // MIC: filler; Wrap: EC and RRC
    if (mic) filler_ok = filler_ok && b == 0xff;
  }
  std::uint64_t seq = r.u64();
  if (!r.ok()) return malformed(Reason::truncated, "RFC 4121 token shorter than 16 octets");
  if (!filler_ok || (mic && (flags & 0x02)))
    return malformed(Reason::bad_signature, "RFC 4121 token header: filler not 0xFF");
  t.message = mic ? "MIC" : (flags & 0x02) ? "Wrap (sealed)" : "Wrap";
  t.sequence = seq;
  t.flags = flags;
  return TokenResult::complete(std::move(t), value.size());
}

// RFC 4120 5.4.1 KDC-REQ ::= SEQUENCE { pvno [1], msg-type [2], padata [3], req-body [4] },
// KDC-REQ-BODY ::= SEQUENCE { kdc-options [0], cname [1], realm [2], sname [3], ... }: the
// service asked for and its realm.
TokenResult kdc_req(Bytes content, Token t) {
  Fields f, body;
  if (!sequence_fields(content, f) || !f.has[4] || !sequence_fields(f.at[4].content, body))
    return malformed(Reason::bad_der, fmt::format("{} without req-body", t.message));
  return names(body, 2, 3, std::move(t), "KDC-REQ-BODY");
}

// RFC 4120 5.4.2 KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2], crealm [3],
// cname [4], ticket [5], enc-part [6] }: the ticket's realm and service.
TokenResult kdc_rep(Bytes content, Token t) {
  Fields f;
  if (!sequence_fields(content, f) || !f.has[5])
    return malformed(Reason::bad_der, fmt::format("{} without ticket", t.message));
  return ticket_names(f.at[5], std::move(t));
}

}  // namespace

TokenResult decode_kdc_message(Bytes value) {
  // RFC 4120 5.4.1, 5.4.2, 5.9.1: [APPLICATION 10] AS-REQ ... [APPLICATION 30] KRB-ERROR.
  constexpr std::uint8_t kAsReq = 0x6a, kAsRep = 0x6b, kTgsReq = 0x6c, kTgsRep = 0x6d;
  Token t;
  t.mechanism = "Kerberos";
  Der d(value);
  Tlv m = d.next();
  if (!d.ok()) return malformed(Reason::bad_der, "KDC message not DER");
  TokenResult r = malformed(Reason::unknown_message, fmt::format("ASN.1 tag 0x{:02x}", m.tag));
  switch (m.tag) {
    case kAsReq:
    case kTgsReq:
      t.message = m.tag == kAsReq ? "AS-REQ" : "TGS-REQ";
      r = kdc_req(m.content, std::move(t));
      break;
    case kAsRep:
    case kTgsRep:
      t.message = m.tag == kAsRep ? "AS-REP" : "TGS-REP";
      r = kdc_rep(m.content, std::move(t));
      break;
    case kKrbError:
      r = krb_error(m.content, std::move(t));
      break;
    default:
      break;
  }
  if (r.is_complete()) return TokenResult::complete(r.take(), value.size());
  return r;
}

TokenResult decode_kerberos(Bytes value) {
  Token t;
  t.mechanism = "Kerberos";
  if (value.size() >= 2) {
    auto b0 = std::to_integer<unsigned>(value[0]), b1 = std::to_integer<unsigned>(value[1]);
    if ((b0 == 0x04 || b0 == 0x05) && b1 == 0x04) return cfx_token(value, std::move(t));
  }
  GssFraming g;
  if (!gss_framing(value, g)) {
    TokenResult r = krb_message(value, std::move(t));
    if (r.is_complete()) return TokenResult::complete(r.take(), value.size());
    return r;
  }
  if (mechanism_name(g.mech_oid).find("Kerberos") == std::string_view::npos)
    return malformed(Reason::bad_signature, fmt::format("GSS-API mechanism {}", g.mech_oid));
  // RFC 1964 1.1 / RFC 4121 4.1: a two-octet TOK_ID precedes the message.
  common::ByteReader r(g.inner, common::ByteOrder::big);
  std::uint16_t tok_id = r.u16();
  if (!r.ok()) return malformed(Reason::truncated, "no TOK_ID");
  switch (tok_id) {
    case 0x0100:  // KRB_AP_REQ
    case 0x0200:  // KRB_AP_REP
    case 0x0300:  // KRB_ERROR
    {
      TokenResult m = krb_message(r.rest(), std::move(t));
      if (m.is_complete()) return TokenResult::complete(m.take(), value.size());
      return m;
    }
    case 0x0400:  // KERB_TGT_REQUEST / KERB_TGT_REPLY (user-to-user): a bare SEQUENCE
    case 0x0401: {
      TokenResult m = tgt_message(r.rest(), tok_id == 0x0400, std::move(t));
      if (m.is_complete()) return TokenResult::complete(m.take(), value.size());
      return m;
    }
    case 0x0101:  // RFC 1964 MIC: its sequence number is encrypted
      t.message = "MIC (RFC 1964)";
      return TokenResult::complete(std::move(t), value.size());
    case 0x0201:  // RFC 1964 Wrap
      t.message = "Wrap (RFC 1964)";
      return TokenResult::complete(std::move(t), value.size());
    default:
      return malformed(Reason::unknown_message, fmt::format("TOK_ID 0x{:04x}", tok_id));
  }
}

}  // namespace rpctrace::auth::detail
