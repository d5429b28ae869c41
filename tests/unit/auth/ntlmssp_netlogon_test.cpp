// NTLMSSP (MS-NLMP 2.2.1, 2.2.2.9) and Netlogon (MS-NRPC 2.2.1.3) auth_values.
#include <gtest/gtest.h>

#include "auth_test_util.hpp"
#include "support/ntlmssp_builder.hpp"

namespace rpctrace::authtest {
namespace {

using auth::kAuthNetlogon;
using auth::kAuthNtlmssp;
using auth::Reason;
using testsupport::ByteWriter;
using testsupport::Endian;

constexpr std::uint32_t kUnicode = testsupport::kNtlmNegotiateUnicode;

TEST(Ntlmssp, NegotiateNamesAreOem) {
  auto v = decode_ok(kAuthNtlmssp, testsupport::ntlmssp_negotiate(0xb217, "CORP", "WS01"));
  ASSERT_TRUE(v.token);  // 0xb217 has OEM_DOMAIN_SUPPLIED and OEM_WORKSTATION_SUPPLIED
  EXPECT_EQ(v.token->mechanism, "NTLMSSP");
  EXPECT_EQ(v.token->message, "negotiate");
  EXPECT_EQ(v.token->domain, "CORP");
  EXPECT_EQ(v.token->workstation, "WS01");
  EXPECT_EQ(v.token->flags, 0xb217u);
  EXPECT_FALSE(v.spnego);
}

TEST(Ntlmssp, ChallengeTargetNameOnlyWhenRequested) {
  auto v = decode_ok(kAuthNtlmssp,
                     testsupport::ntlmssp_challenge(kUnicode | testsupport::kNtlmRequestTarget,
                                                    {1, 2, 3, 4, 5, 6, 7, 8}, "RPCTEST"));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->message, "challenge");
  EXPECT_EQ(v.token->domain, "RPCTEST");
  EXPECT_TRUE(v.token->user.empty());
  // Without NTLMSSP_REQUEST_TARGET the field "MUST be ignored" (MS-NLMP 2.2.1.2).
  auto ignored = decode_ok(kAuthNtlmssp, testsupport::ntlmssp_challenge(kUnicode, {}, "RPCTEST"));
  ASSERT_TRUE(ignored.token);
  EXPECT_TRUE(ignored.token->domain.empty());
  // Shorter than its fixed part (through ServerChallenge).
  Bytes cut = testsupport::ntlmssp_challenge(kUnicode, {}, "");
  cut.resize(28);
  EXPECT_EQ(decode_fails(kAuthNtlmssp, cut), Reason::truncated);
}

TEST(Ntlmssp, NegotiateNamesOnlyWhenSupplied) {
  auto v = decode_ok(kAuthNtlmssp, testsupport::ntlmssp_negotiate(0x0207, "CORP", "WS01"));
  ASSERT_TRUE(v.token);
  EXPECT_TRUE(v.token->domain.empty());  // no OEM_DOMAIN/WORKSTATION_SUPPLIED
  EXPECT_TRUE(v.token->workstation.empty());
}

TEST(Ntlmssp, NameOverTheResponsesIsRefused) {
  Bytes nt(24, std::byte{0xab}), lm(24, std::byte{0xcd});
  Bytes m = testsupport::ntlmssp_authenticate(kUnicode, lm, nt, "D", "U", "W");
  // Point the user name (fields at 36) at the LM response (its offset at 16).
  m[40] = m[16];
  m[41] = m[17];
  EXPECT_EQ(decode_fails(kAuthNtlmssp, m), Reason::bad_signature);
}

TEST(Ntlmssp, AuthenticateNamesButNoSecrets) {
  Bytes nt(24, std::byte{0xab}), lm(24, std::byte{0xcd}), key(16, std::byte{0xef});
  auto value = testsupport::ntlmssp_authenticate(kUnicode, lm, nt, "RPCTEST", "Administrator",
                                                 "CLIENT1", key);
  auto v = decode_ok(kAuthNtlmssp, value);
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->message, "authenticate");
  EXPECT_EQ(v.token->domain, "RPCTEST");
  EXPECT_EQ(v.token->user, "Administrator");
  EXPECT_EQ(v.token->workstation, "CLIENT1");
  // Nothing of the responses or the key is kept in any text field.
  for (const std::string* s : {&v.token->domain, &v.token->user, &v.token->workstation,
                               &v.token->realm, &v.token->service})
    EXPECT_EQ(s->find('\xab'), std::string::npos);
}

TEST(Ntlmssp, AuthenticateOemNamesWhenNotUnicode) {
  auto value =
      testsupport::ntlmssp_authenticate(testsupport::kNtlmNegotiateOem, {}, {}, "", "", "");
  // Rewrite the (empty) user field to point at 4 OEM octets appended to the message.
  ByteWriter w(Endian::little);
  w.bytes(value).text("bob!");
  Bytes m = w.take();
  m[36] = std::byte{4};
  m[40] = static_cast<std::byte>(value.size());
  auto v = decode_ok(kAuthNtlmssp, m);
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->user, "bob!");
}

TEST(Ntlmssp, SignatureUnderIntegrity) {
  auto v = decode_ok(kAuthNtlmssp, testsupport::ntlmssp_signature(7));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->message, "signature");
  EXPECT_FALSE(v.token->sequence);  // it may be sealed: never reported
}

TEST(Ntlmssp, MalformedValues) {
  EXPECT_EQ(decode_fails(kAuthNtlmssp, Bytes(16, std::byte{'N'})), Reason::bad_signature);
  EXPECT_EQ(decode_fails(kAuthNtlmssp, Bytes{}), Reason::bad_signature);
  Bytes unknown = testsupport::ntlmssp_negotiate(0, "", "");
  unknown[8] = std::byte{9};
  EXPECT_EQ(decode_fails(kAuthNtlmssp, unknown), Reason::unknown_message);
  // A user name whose BufferOffset points past the message.
  Bytes far = testsupport::ntlmssp_authenticate(kUnicode, {}, {}, "D", "U", "W");
  far[40] = std::byte{0xff};
  far[41] = std::byte{0xff};
  EXPECT_EQ(decode_fails(kAuthNtlmssp, far), Reason::truncated);
  // Cut before NegotiateFlags.
  Bytes cut = testsupport::ntlmssp_authenticate(kUnicode, {}, {}, "D", "U", "W");
  cut.resize(40);
  EXPECT_EQ(decode_fails(kAuthNtlmssp, cut), Reason::truncated);
}

TEST(Ntlmssp, LongNameIsRefusedAndControlCharactersEscaped) {
  std::string long_name(300, 'x');
  auto value = testsupport::ntlmssp_authenticate(kUnicode, {}, {}, "D", long_name, "W");
  EXPECT_EQ(decode_fails(kAuthNtlmssp, value), Reason::too_long);
  auto v = decode_ok(kAuthNtlmssp,
                     testsupport::ntlmssp_authenticate(kUnicode, {}, {}, "D", "a\nb", "W"));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->user, "a\\x0ab");  // a crafted name cannot start a new report line
  // C1 controls, the line separator and a bidi override are escaped too (UTF-16LE units
  // a, U+009B, b, U+2028, c, U+202E, d, appended and pointed at by the user field).
  Bytes name = octets({'a', 0, 0x9b, 0, 'b', 0, 0x28, 0x20, 'c', 0, 0x2e, 0x20, 'd', 0});
  auto base = testsupport::ntlmssp_authenticate(kUnicode, {}, {}, "", "", "");
  ByteWriter w(Endian::little);
  w.bytes(base).bytes(name);
  Bytes m = w.take();
  m[36] = static_cast<std::byte>(name.size());
  m[40] = static_cast<std::byte>(base.size());
  auto c1 = decode_ok(kAuthNtlmssp, m);
  ASSERT_TRUE(c1.token);
  EXPECT_EQ(c1.token->user, "a\\x9bb\\u2028c\\u202ed");
}

TEST(Ntlmssp, Utf16SurrogatesAndOddLength) {
  // U+1F600 as a surrogate pair, then an unpaired high surrogate, then one stray octet.
  Bytes name = octets({0x3d, 0xd8, 0x00, 0xde, 0x3d, 0xd8, 0x41, 0x00, 0x42});
  auto value = testsupport::ntlmssp_authenticate(kUnicode, {}, {}, "", "", "");
  ByteWriter w(Endian::little);
  w.bytes(value).bytes(name);
  Bytes m = w.take();
  m[36] = static_cast<std::byte>(name.size());
  m[40] = static_cast<std::byte>(value.size());
  auto v = decode_ok(kAuthNtlmssp, m);
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->user,
            "\xF0\x9F\x98\x80\xEF\xBF\xBD"
            "A\\x42");
}

// NL_AUTH_MESSAGE with the NetBIOS names and a DNS domain (RFC 1035 labels).
Bytes nl_auth_message(std::uint32_t flags, const Bytes& buffer) {
  ByteWriter w(Endian::little);
  w.u32(0).u32(flags).bytes(buffer);
  return w.take();
}

TEST(Netlogon, NegotiateRequestNames) {
  Bytes buffer = cat({testsupport::text_bytes(std::string_view("CORP\0WS7\0", 9)),
                      octets({4, 'c', 'o', 'r', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0})});
  auto v = decode_ok(kAuthNetlogon, nl_auth_message(0x07, buffer));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->mechanism, "Netlogon");
  EXPECT_EQ(v.token->message, "negotiate request");
  EXPECT_EQ(v.token->domain, "CORP");  // NetBIOS kept; the DNS name only when it is alone
  EXPECT_EQ(v.token->workstation, "WS7");
  auto dns_only =
      decode_ok(kAuthNetlogon, nl_auth_message(0x04, octets({4, 'c', 'o', 'r', 'p', 0})));
  ASSERT_TRUE(dns_only.token);
  EXPECT_EQ(dns_only.token->domain, "corp");
}

TEST(Netlogon, CompressionPointersCountFromTheMessage) {
  // OEM domain "CORP", then DNS domain "corp.local" at message offset 13, then a DNS host
  // "ws" followed by a pointer to it.
  Bytes buffer = cat({testsupport::text_bytes(std::string_view("CORP\0", 5)),
                      octets({4, 'c', 'o', 'r', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0}),
                      octets({2, 'w', 's', 0xc0, 13})});
  auto v = decode_ok(kAuthNetlogon, nl_auth_message(0x01 | 0x04 | 0x08, buffer));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->domain, "CORP");
  EXPECT_EQ(v.token->workstation, "ws.corp.local");
}

TEST(Netlogon, BadNamesEnd) {
  // A DNS name that points at itself (offset 8, just after MessageType and Flags): bounded.
  EXPECT_EQ(decode_fails(kAuthNetlogon, nl_auth_message(0x04, octets({0xc0, 0x08}))),
            Reason::truncated);
  // Reserved label types 0x40 and 0x80.
  EXPECT_EQ(decode_fails(kAuthNetlogon, nl_auth_message(0x04, octets({0x41, 'a', 0}))),
            Reason::truncated);
  // Unterminated OEM name.
  EXPECT_EQ(decode_fails(kAuthNetlogon, nl_auth_message(0x01, octets({'A', 'B'}))),
            Reason::truncated);
  // A name past kMaxNameOctets: labels of 63 octets.
  Bytes labels;
  for (int i = 0; i < 5; ++i) {
    labels.push_back(std::byte{63});
    labels.insert(labels.end(), 63, std::byte{'x'});
  }
  labels.push_back(std::byte{0});
  EXPECT_EQ(decode_fails(kAuthNetlogon, nl_auth_message(0x04, labels)), Reason::too_long);
}

TEST(Netlogon, SignatureAlgorithms) {
  ByteWriter w(Endian::little);
  w.u16(0x0013).u16(0x001a).u16(0xffff).u16(0).zeros(48);  // 8 + 8 + 32 + 8 (confounder)
  Bytes sig = w.take();
  Bytes short_sig(sig.begin(), sig.begin() + 48);  // sealed, but no confounder
  EXPECT_EQ(decode_fails(kAuthNetlogon, short_sig), Reason::truncated);
  auto v = decode_ok(kAuthNetlogon, sig);
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->message, "signature");
  EXPECT_EQ(v.token->signature_algorithm, 0x0013);
  EXPECT_EQ(v.token->seal_algorithm, 0x001a);
  EXPECT_EQ(auth::netlogon_algorithm_name(0x0013), "HMAC-SHA256");
  EXPECT_EQ(auth::netlogon_algorithm_name(0x001a), "AES-128");
  EXPECT_EQ(decode_fails(kAuthNetlogon, octets({7, 0, 0, 0, 0, 0, 0, 0})), Reason::unknown_message);
}

TEST(AuthValue, UnsupportedTypeIsCountedNotGuessed) {
  EXPECT_EQ(decode_fails(0, octets({1, 2, 3})), Reason::unsupported_type);
  EXPECT_EQ(decode_fails(0xfe, octets({1})), Reason::unsupported_type);
  // 0xFF, RPC_C_AUTHN_DEFAULT, is NTLMSSP (MS-RPCE 2.2.1.1.7).
  auto v = decode_ok(0xff, testsupport::ntlmssp_signature(1));
  ASSERT_TRUE(v.token);
  EXPECT_EQ(v.token->mechanism, "NTLMSSP");
}

// Every prefix of every valid value: complete or malformed, never a read past the end (the
// sanitizer build checks the reads).
TEST(AuthValue, EveryPrefixIsSafe) {
  Bytes key(16, std::byte{1});
  std::vector<std::pair<std::uint8_t, Bytes>> values = {
      {kAuthNtlmssp, testsupport::ntlmssp_negotiate(0xb217, "CORP", "WS01")},
      {kAuthNtlmssp, testsupport::ntlmssp_challenge(kUnicode, {}, "T")},
      {kAuthNtlmssp, testsupport::ntlmssp_authenticate(kUnicode, key, key, "D", "U", "W", key)},
      {kAuthNetlogon,
       nl_auth_message(0x07, cat({testsupport::text_bytes(std::string_view("A\0B\0", 4)),
                                  octets({1, 'c', 0})}))},
  };
  for (const auto& [type, value] : values)
    for (std::size_t n = 0; n <= value.size(); ++n) {
      Bytes prefix(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(n));
      auto r = auth::decode_auth_value(type, prefix);
      EXPECT_TRUE(r.is_complete() || r.is_malformed());
    }
}

}  // namespace
}  // namespace rpctrace::authtest
