// Kerberos (RFC 4120/4121, GSS framing RFC 2743 3.1) and SPNEGO (RFC 4178) auth_values,
// built by hand as DER.
#include <gtest/gtest.h>

#include "auth_test_util.hpp"
#include "support/ntlmssp_builder.hpp"

namespace rpctrace::authtest {
namespace {

using auth::kAuthKerberos;
using auth::kAuthSpnego;
using auth::Reason;

// Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }
Bytes ticket(std::string_view realm, std::initializer_list<std::string_view> sname) {
  return der(0x61, seq({ctx(0, integer(5)), ctx(1, general_string(realm)), ctx(2, principal(sname)),
                        ctx(3, seq({ctx(0, integer(18))}))}));
}

// AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno, msg-type, ap-options, ticket, authenticator }
Bytes ap_req() {
  return der(
      0x6e,
      seq({ctx(0, integer(5)), ctx(1, integer(14)), ctx(2, der(0x03, octets({0, 0x20, 0, 0, 0}))),
           ctx(3, ticket("RPCTEST.LAN", {"host", "rpcdc.rpctest.lan"})),
           ctx(4, seq({ctx(0, integer(18)), ctx(2, der(0x04, octets({0xde, 0xad})))}))}));
}

// GSS InitialContextToken around a Kerberos message with its TOK_ID.
Bytes gss_krb5(const Bytes& oid, std::initializer_list<unsigned> tok_id, const Bytes& message) {
  return der(0x60, cat({der(0x06, oid), octets(tok_id), message}));
}

TEST(Kerberos, ApReqInGssFramingGivesRealmAndService) {
  auto v = decode_ok(kAuthKerberos, gss_krb5(kOidKrb5, {1, 0}, ap_req()));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->mechanism, "Kerberos");
  EXPECT_EQ(v.token->message, "AP-REQ");
  EXPECT_EQ(v.token->realm, "RPCTEST.LAN");
  EXPECT_EQ(v.token->service, "host/rpcdc.rpctest.lan");
}

TEST(Kerberos, DceStyleBareApRepAndKrbError) {
  auto rep = decode_ok(kAuthKerberos, der(0x6f, seq({ctx(0, integer(5)), ctx(1, integer(15))})));
  ASSERT_TRUE(rep.token);
  EXPECT_EQ(rep.token->message, "AP-REP");
  Bytes err =
      der(0x7e, seq({ctx(0, integer(5)), ctx(1, integer(30)), ctx(6, integer(41)),
                     ctx(9, general_string("RPCTEST.LAN")), ctx(10, principal({"host", "dc"}))}));
  auto e = decode_ok(kAuthKerberos, gss_krb5(kOidKrb5, {3, 0}, err));
  ASSERT_TRUE(e.token);
  EXPECT_EQ(e.token->message, "KRB-ERROR");
  EXPECT_EQ(e.token->error_code, 41);
  EXPECT_EQ(auth::krb_error_name(41), "KRB_AP_ERR_MODIFIED");
  EXPECT_EQ(e.token->service, "host/dc");
}

TEST(Kerberos, PerMessageTokens) {
  // RFC 4121 Wrap, sealed (flags 0x02), sequence number 0x0102030405060708.
  Bytes wrap = octets({0x05, 0x04, 0x02, 0xff, 0, 0x10, 0, 0x1c, 1, 2, 3, 4, 5, 6, 7, 8});
  auto w = decode_ok(kAuthKerberos, cat({wrap, Bytes(60, std::byte{0x55})}));
  ASSERT_TRUE(w.token);
  EXPECT_EQ(w.token->message, "Wrap (sealed)");
  EXPECT_EQ(w.token->sequence, 0x0102030405060708u);
  Bytes mic = octets({0x04, 0x04, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 9});
  auto m = decode_ok(kAuthKerberos, cat({mic, Bytes(12, std::byte{0})}));
  ASSERT_TRUE(m.token);
  EXPECT_EQ(m.token->message, "MIC");
  EXPECT_EQ(m.token->sequence, 9u);
  // RFC 1964 Wrap inside the GSS framing: its sequence number is encrypted, so none.
  auto old = decode_ok(kAuthKerberos, gss_krb5(kOidKrb5, {2, 1}, Bytes(30, std::byte{0})));
  ASSERT_TRUE(old.token);
  EXPECT_EQ(old.token->message, "Wrap (RFC 1964)");
  EXPECT_FALSE(old.token->sequence);
}

TEST(Kerberos, UserToUserTgtRequest) {
  Bytes tgt_req = seq({ctx(0, integer(5)), ctx(1, integer(16)),
                       ctx(2, principal({"Administrator"})), ctx(3, general_string("CORP"))});
  auto v = decode_ok(kAuthKerberos, gss_krb5(kOidKrb5U2U, {4, 0}, tgt_req));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->message, "TGT-REQ");
  EXPECT_EQ(v.token->realm, "CORP");
  EXPECT_EQ(v.token->service, "Administrator");
  Bytes tgt_rep = seq({ctx(0, integer(5)), ctx(1, integer(17)),
                       ctx(2, ticket("CORP.LOCAL", {"krbtgt", "CORP.LOCAL"}))});
  auto r = decode_ok(kAuthKerberos, gss_krb5(kOidKrb5U2U, {4, 1}, tgt_rep));
  ASSERT_TRUE(r.token);
  EXPECT_EQ(r.token->message, "TGT-REP");
  EXPECT_EQ(r.token->service, "krbtgt/CORP.LOCAL");
}

// Messages of a KDC on port 88 (RFC 4120 5.4.1, 5.4.2, 5.9.1).
TEST(KdcMessage, RequestsNameTheServiceAskedForRepliesTheTicketsErrorsTheirCode) {
  // KDC-REQ { pvno [1], msg-type [2], req-body [4] KDC-REQ-BODY { kdc-options [0], realm [2],
  // sname [3] } }
  const Bytes body =
      seq({ctx(0, der(0x03, octets({0, 0x40, 0x81, 0, 0}))), ctx(2, general_string("RPCTEST.LAN")),
           ctx(3, principal({"host", "rpcdc.rpctest.lan"}))});
  const Bytes tgs_req = der(0x6c, seq({ctx(1, integer(5)), ctx(2, integer(12)), ctx(4, body)}));
  auto r = auth::decode_kdc_message(tgs_req);
  ASSERT_TRUE(r.is_complete()) << r.error().detail;
  auto t = r.take();
  EXPECT_EQ(t.message, "TGS-REQ");
  EXPECT_EQ(t.realm, "RPCTEST.LAN");
  EXPECT_EQ(t.service, "host/rpcdc.rpctest.lan");
  // KDC-REP { pvno [0], msg-type [1], crealm [3], cname [4], ticket [5], enc-part [6] }
  const Bytes as_rep = der(
      0x6b,
      seq({ctx(0, integer(5)), ctx(1, integer(11)), ctx(3, general_string("RPCTEST.LAN")),
           ctx(4, principal({"alice"})), ctx(5, ticket("RPCTEST.LAN", {"krbtgt", "RPCTEST.LAN"})),
           ctx(6, seq({ctx(0, integer(18))}))}));
  auto rep = auth::decode_kdc_message(as_rep);
  ASSERT_TRUE(rep.is_complete());
  t = rep.take();
  EXPECT_EQ(t.message, "AS-REP");
  EXPECT_EQ(t.service, "krbtgt/RPCTEST.LAN");
  const Bytes krb_error =
      der(0x7e, seq({ctx(0, integer(5)), ctx(1, integer(30)), ctx(6, integer(50)),
                     ctx(9, general_string("RPCTEST.LAN")), ctx(10, principal({"krbtgt", "X"}))}));
  auto err = auth::decode_kdc_message(krb_error);
  ASSERT_TRUE(err.is_complete());
  t = err.take();
  EXPECT_EQ(t.message, "KRB-ERROR");
  EXPECT_EQ(t.error_code, 50);
  EXPECT_EQ(auth::krb_error_name(50), "KRB_AP_ERR_INAPP_CKSUM");
  // Not a KDC message, and a request without its body.
  EXPECT_TRUE(auth::decode_kdc_message(testsupport::text_bytes("not kerberos")).is_malformed());
  EXPECT_TRUE(auth::decode_kdc_message(der(0x6a, seq({ctx(1, integer(5))}))).is_malformed());
  // Cut at every length: malformed, never a read past the end.
  for (std::size_t n = 0; n < tgs_req.size(); ++n)
    EXPECT_FALSE(auth::decode_kdc_message(
                     Bytes(tgs_req.begin(), tgs_req.begin() + static_cast<std::ptrdiff_t>(n)))
                     .is_complete())
        << n;
}

TEST(Kerberos, MalformedValues) {
  Bytes good = gss_krb5(kOidKrb5, {1, 0}, ap_req());
  Bytes long_length = good;
  long_length[1] = std::byte{0x7f};  // outer length past the value
  EXPECT_EQ(decode_fails(kAuthKerberos, long_length), Reason::bad_der);
  EXPECT_EQ(decode_fails(kAuthKerberos, gss_krb5(kOidNtlm, {1, 0}, ap_req())),
            Reason::bad_signature);
  EXPECT_EQ(decode_fails(kAuthKerberos, gss_krb5(kOidKrb5, {9, 9}, ap_req())),
            Reason::unknown_message);
  EXPECT_EQ(decode_fails(kAuthKerberos, octets({0x80})), Reason::bad_der);
  EXPECT_EQ(decode_fails(kAuthKerberos, octets({0x05, 0x04, 0x02})), Reason::truncated);
  // Indefinite length (0x80), which DER forbids, and a 5-octet length.
  EXPECT_EQ(decode_fails(kAuthKerberos, octets({0x6f, 0x80, 0, 0})), Reason::bad_der);
  EXPECT_EQ(decode_fails(kAuthKerberos, octets({0x6f, 0x85, 0, 0, 0, 0, 1, 0})), Reason::bad_der);
  for (std::size_t n = 0; n <= good.size(); ++n) {
    Bytes prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = auth::decode_auth_value(kAuthKerberos, prefix);
    EXPECT_EQ(r.is_complete(), n == good.size()) << n;
  }
}

// negTokenInit inside the GSS framing, with mechTypes and an NTLMSSP NEGOTIATE.
Bytes spnego_init(const Bytes& mech_token) {
  Bytes types = seq({der(0x06, kOidMsKrb5), der(0x06, kOidKrb5), der(0x06, kOidNtlm)});
  Bytes init = ctx(0, seq({ctx(0, types), ctx(2, der(0x04, mech_token))}));
  return der(0x60, cat({der(0x06, kOidSpnego), init}));
}

TEST(Spnego, NegTokenInitWithInnerNtlmssp) {
  auto v =
      decode_ok(kAuthSpnego, spnego_init(testsupport::ntlmssp_negotiate(0xe208b297, "CORP", "WS")));
  ASSERT_TRUE(v.spnego);
  EXPECT_EQ(v.spnego->message, "negTokenInit");
  EXPECT_EQ(v.spnego->mech_types, (std::vector<std::string>{"MS Kerberos", "Kerberos", "NTLMSSP"}));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->mechanism, "NTLMSSP");
  EXPECT_EQ(v.token->message, "negotiate");
  EXPECT_EQ(v.token->domain, "CORP");
}

TEST(Spnego, NegTokenRespWithStateAndMechanism) {
  Bytes resp = ctx(1, seq({ctx(0, der(0x0a, octets({1}))), ctx(1, der(0x06, kOidNtlm)),
                           ctx(2, der(0x04, testsupport::ntlmssp_challenge(1, {}, "CORP")))}));
  auto v = decode_ok(kAuthSpnego, resp);
  ASSERT_TRUE(v.spnego);
  EXPECT_EQ(v.spnego->message, "negTokenResp");
  EXPECT_EQ(v.spnego->neg_state, 1);
  EXPECT_EQ(auth::neg_state_name(1), "accept-incomplete");
  EXPECT_EQ(v.spnego->supported_mech, "NTLMSSP");
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->message, "challenge");
  // accept-completed with a mechListMIC and no token.
  auto done =
      decode_ok(kAuthSpnego,
                ctx(1, seq({ctx(0, der(0x0a, octets({0}))), ctx(3, der(0x04, octets({1, 2})))})));
  ASSERT_TRUE(done.spnego);
  EXPECT_TRUE(done.spnego->mech_list_mic);
  EXPECT_FALSE(done.token);
}

TEST(Spnego, PerMessageTokenOfTheNegotiatedMechanism) {
  auto ntlm = decode_ok(kAuthSpnego, testsupport::ntlmssp_signature(3));
  EXPECT_FALSE(ntlm.spnego);
  ASSERT_TRUE(ntlm.token);
  EXPECT_EQ(ntlm.token->message, "signature");
  Bytes wrap = octets({0x05, 0x04, 0x06, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  auto krb = decode_ok(kAuthSpnego, wrap);
  ASSERT_TRUE(krb.token);
  EXPECT_EQ(krb.token->mechanism, "Kerberos");
  EXPECT_EQ(krb.token->message, "Wrap (sealed)");
}

TEST(Spnego, InnerTokenErrorKeepsTheOuterLayer) {
  auto v = decode_ok(kAuthSpnego, spnego_init(octets({0x42, 0x42})));
  ASSERT_TRUE(v.spnego);
  EXPECT_FALSE(v.token);
  EXPECT_FALSE(v.inner_error.empty());
  Bytes good = spnego_init(testsupport::ntlmssp_negotiate(1, "", ""));
  for (std::size_t n = 0; n < good.size(); ++n) {
    Bytes prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = auth::decode_auth_value(kAuthSpnego, prefix);
    EXPECT_TRUE(r.is_complete() || r.is_malformed());
  }
}

}  // namespace
}  // namespace rpctrace::authtest

namespace rpctrace::authtest {
namespace {

TEST(Kerberos, NamesAreUtf8AndLongOnesSayTooLong) {
  // "RPCTÉST" in UTF-8 is kept as UTF-8, not escaped octet by octet.
  Bytes t = der(0x61, seq({ctx(0, integer(5)),
                           ctx(1, der(0x1b, octets({'R', 'P', 'C', 'T', 0xc3, 0x89, 'S', 'T'}))),
                           ctx(2, principal({"host", "dc"})), ctx(3, seq({ctx(0, integer(18))}))}));
  Bytes req = der(0x6e, seq({ctx(0, integer(5)), ctx(1, integer(14)), ctx(3, t)}));
  auto v = decode_ok(auth::kAuthKerberos, req);
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->realm, "RPCT\xC3\x89ST");
  // A 271-octet service principal: too_long, not bad_der.
  std::string host(253, 'h');
  Bytes long_t = der(0x61, seq({ctx(0, integer(5)), ctx(1, general_string("R")),
                                ctx(2, principal({"RestrictedKrbHost", host})),
                                ctx(3, seq({ctx(0, integer(18))}))}));
  Bytes long_req = der(0x6e, seq({ctx(0, integer(5)), ctx(1, integer(14)), ctx(3, long_t)}));
  EXPECT_EQ(decode_fails(auth::kAuthKerberos, long_req), auth::Reason::too_long);
}

TEST(Kerberos, Rfc4121FillerIsChecked) {
  // A MIC whose filler is not 0xFF, and a sealed MIC: not RFC 4121 tokens.
  Bytes bad = octets({0x04, 0x04, 0x00, 0xff, 0xff, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(decode_fails(auth::kAuthKerberos, bad), auth::Reason::bad_signature);
  Bytes sealed_mic =
      octets({0x04, 0x04, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(decode_fails(auth::kAuthKerberos, sealed_mic), auth::Reason::bad_signature);
  Bytes wrap_bad = octets({0x05, 0x04, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(decode_fails(auth::kAuthKerberos, wrap_bad), auth::Reason::bad_signature);
}

}  // namespace
}  // namespace rpctrace::authtest
