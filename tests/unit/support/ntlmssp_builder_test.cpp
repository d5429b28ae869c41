// Tests for tests/support/ntlmssp_builder.hpp: sizes and field offsets (MS-NLMP §2.2.1).
#include "support/ntlmssp_builder.hpp"

#include <gtest/gtest.h>

namespace rpctrace::testsupport {
namespace {

TEST(Ntlmssp, NegotiateIs32PlusOemStrings) {
  const Bytes m = ntlmssp_negotiate(kNtlmNegotiateOem, "DOMAIN", "HOST");
  ASSERT_EQ(m.size(), 42u);
  EXPECT_EQ(slice(m, 0, 12), hex_bytes("4e544c4d53535000 01000000"));
  EXPECT_EQ(slice(m, 16, 16), hex_bytes("0600 0600 20000000 0400 0400 26000000"));
  EXPECT_EQ(slice(m, 32, 10), text_bytes("DOMAINHOST"));
}

TEST(Ntlmssp, ChallengeWithoutTargetInfoIs40) {
  const Bytes m = ntlmssp_challenge(kNtlmNegotiateNtlm, {1, 2, 3, 4, 5, 6, 7, 8});
  ASSERT_EQ(m.size(), 40u);
  EXPECT_EQ(slice(m, 8, 16), hex_bytes("02000000 0000 0000 28000000 00020000"));
  EXPECT_EQ(slice(m, 24, 8), hex_bytes("0102030405060708"));
}

TEST(Ntlmssp, AuthenticateOffsetsFollowTheFields) {
  const Bytes lm(24, std::byte{1});
  const Bytes nt(24, std::byte{2});
  const Bytes m = ntlmssp_authenticate(kNtlmNegotiateUnicode, lm, nt, "D", "U", "W");
  ASSERT_EQ(m.size(), 64u + 48 + 6);
  EXPECT_EQ(slice(m, 12, 8), hex_bytes("1800 1800 40000000"));  // LM at 64
  EXPECT_EQ(slice(m, 20, 8), hex_bytes("1800 1800 58000000"));  // NT at 88
  EXPECT_EQ(slice(m, 28, 8), hex_bytes("0200 0200 70000000"));  // domain at 112
  EXPECT_EQ(slice(m, 52, 8), hex_bytes("0000 0000 76000000"));  // no session key
  EXPECT_EQ(slice(m, 112, 6), hex_bytes("4400 5500 5700"));
}

TEST(Ntlmssp, SignatureIsVersionOneAnd16Octets) {
  EXPECT_EQ(ntlmssp_signature(3), hex_bytes("01000000 00000000 00000000 03000000"));
}

}  // namespace
}  // namespace rpctrace::testsupport
