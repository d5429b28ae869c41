// Tests for tests/support/pdu_builder.hpp. Expected octets are written out by hand from C706
// chapter 12's PDU layouts (not taken from any capture).
#include "support/pdu_builder.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rpctrace::testsupport {
namespace {

constexpr SyntaxId kEpm = kEpmInterface;

PduBuilder kb_bind() {
  PduBuilder b(Ptype::bind);
  b.call_id(0x54004e).context(ContextElement{0, kEpm, {kNdrSyntax}});
  return b;
}

TEST(PduBuilder, BindLittleEndianOctetForOctet) {
  EXPECT_EQ(kb_bind().build(), hex_bytes("05000b03 10000000 4800 0000 4e005400"
                                         "d016 d016 00000000"
                                         "01 00 0000"
                                         "0000 01 00"
                                         "0883afe1 1f5d c911 91a408002b14a0fa 03000000"
                                         "045d888a eb1c c911 9fe808002b104860 02000000"));
}

TEST(PduBuilder, BindBigEndianSwapsIntegersAndUuidFields) {
  EXPECT_EQ(kb_bind().big_endian().build(),
            hex_bytes("05000b03 00000000 0048 0000 0054004e"
                      "16d0 16d0 00000000"
                      "01 00 0000"
                      "0000 01 00"
                      "e1af8308 5d1f 11c9 91a408002b14a0fa 00000003"
                      "8a885d04 1ceb 11c9 9fe808002b104860 00000002"));
}

TEST(PduBuilder, BindAckSecAddrIsPaddedToFourFromThePduStart) {
  const Bytes ack = PduBuilder(Ptype::bind_ack)
                        .call_id(0x54004e)
                        .assoc_group_id(0x33cfa)
                        .sec_addr("135")
                        .result(ContextResult{})
                        .build();
  EXPECT_EQ(ack, hex_bytes("05000c03 10000000 3c00 0000 4e005400"
                           "d016 d016 fa3c0300"
                           "0400 31333500 0000"
                           "01 00 0000"
                           "0000 0000 045d888a eb1c c911 9fe808002b104860 02000000"));
  // "4764": 2 + 5 = 7 octets, 24 + 7 = 31, padded to 32: still 60 in all.
  EXPECT_EQ(PduBuilder(Ptype::bind_ack).sec_addr("4764").result(ContextResult{}).build().size(),
            60u);
  // Empty: length 0, 26 padded to 28.
  EXPECT_EQ(PduBuilder(Ptype::bind_ack).sec_addr("").result(ContextResult{}).build().size(), 56u);
}

TEST(PduBuilder, RequestWithObjectUuidSetsTheFlag) {
  const Bytes stub = hex_bytes("aabbcc");
  const Bytes pdu = PduBuilder(Ptype::request)
                        .call_id(1)
                        .p_cont_id(2)
                        .opnum(3)
                        .object(kEpm.uuid)
                        .stub(stub)
                        .build();
  ASSERT_EQ(pdu.size(), 24u + 16 + 3);
  EXPECT_EQ(pdu[3], std::byte{0x83});
  EXPECT_EQ(slice(pdu, 16, 8), hex_bytes("03000000 0200 0300"));  // alloc_hint = stub size
  EXPECT_EQ(slice(pdu, 24, 4), hex_bytes("0883afe1"));
  EXPECT_EQ(slice(pdu, 40, 3), stub);
}

TEST(PduBuilder, ResponseAndFaultLayouts) {
  EXPECT_EQ(PduBuilder(Ptype::response).call_id(1).cancel_count(1).stub(hex_bytes("ee")).build(),
            hex_bytes("05000203 10000000 1900 0000 01000000 01000000 0000 01 00 ee"));
  EXPECT_EQ(PduBuilder(Ptype::fault).call_id(1).status(0x1c010003).build(),
            hex_bytes("05000303 10000000 2000 0000 01000000 00000000 0000 00 00"
                      "0300011c 00000000"));
}

TEST(PduBuilder, LengthsAreComputedUnlessOverridden) {
  const Bytes normal = kb_bind().build();
  EXPECT_EQ(slice(normal, 8, 4), hex_bytes("4800 0000"));
  const Bytes corrupt = kb_bind().frag_length(0xffff).auth_length(9).rpc_vers(4).build();
  EXPECT_EQ(corrupt.size(), 72u);
  EXPECT_EQ(slice(corrupt, 8, 4), hex_bytes("ffff 0900"));
  EXPECT_EQ(corrupt[0], std::byte{4});
}

TEST(PduBuilder, AuthVerifierPadsToTheChosenAlignment) {
  for (const std::size_t alignment : {std::size_t{4}, std::size_t{8}, std::size_t{16}}) {
    const Bytes pdu = PduBuilder(Ptype::request)
                          .stub(Bytes(286, std::byte{1}))
                          .auth(make_auth_verifier(Bytes(16, std::byte{2}), alignment))
                          .build();
    const std::size_t pad = padding_for(24 + 286, alignment);
    ASSERT_EQ(pdu.size(), 24 + 286 + pad + 8 + 16) << alignment;
    EXPECT_EQ(std::to_integer<std::size_t>(pdu[24 + 286 + pad + 2]), pad);  // auth_pad_length
    EXPECT_EQ(slice(pdu, 10, 2), hex_bytes("1000"));                        // auth_length 16
    EXPECT_EQ(slice(pdu, 24 + 286 + pad, 2), hex_bytes("0a05"));            // NTLMSSP, integrity
  }
}

TEST(PduBuilder, Auth3IsHeaderPadTrailerValue) {
  const Bytes pdu =
      PduBuilder(Ptype::auth3).auth(make_auth_verifier(Bytes(178, std::byte{3}))).build();
  EXPECT_EQ(pdu.size(), 206u);
  EXPECT_EQ(slice(pdu, 16, 12), hex_bytes("00000000 0a050000 00000000"));
}

TEST(PduBuilder, BindNakShutdownAndRts) {
  EXPECT_EQ(PduBuilder(Ptype::bind_nak).provider_reject_reason(4).protocol_version(5, 0).build(),
            hex_bytes("05000d03 10000000 1500 0000 01000000 0400 01 0500"));
  EXPECT_EQ(PduBuilder(Ptype::shutdown).build().size(), 16u);
  EXPECT_EQ(PduBuilder(Ptype::orphaned).build()[2], std::byte{19});
  const Bytes rts = PduBuilder(Ptype::rts)
                        .pfc_flags(kPfcFirstFrag | kPfcLastFrag)
                        .call_id(0)
                        .rts_flags(0x0001)
                        .number_of_commands(1)
                        .rts_commands(hex_bytes("02000000 00000000"))
                        .build();
  EXPECT_EQ(rts, hex_bytes("05001403 10000000 1c00 0000 00000000 0100 0100 02000000 00000000"));
}

TEST(PduBuilder, UnknownPtypeAndRawBody) {
  const Bytes pdu = PduBuilder(Ptype::request).ptype(21).body(hex_bytes("0102")).build();
  EXPECT_EQ(pdu[2], std::byte{21});
  EXPECT_EQ(pdu.size(), 18u);
}

TEST(Fragment, FlagsAllocHintsAndStubPieces) {
  const Bytes stub = SplitMix64(5).bytes(132);
  PduBuilder prototype(Ptype::request);
  prototype.call_id(2).opnum(3).pfc_flags(kPfcFirstFrag | kPfcLastFrag | kPfcObjectUuid);
  const std::vector<PduBuilder> pieces = fragment(prototype, stub, std::size_t{3});
  ASSERT_EQ(pieces.size(), 3u);
  std::vector<Bytes> built;
  for (const PduBuilder& p : pieces) built.push_back(p.build());
  EXPECT_EQ(built[0][3], std::byte{kPfcFirstFrag | kPfcObjectUuid});
  EXPECT_EQ(built[1][3], std::byte{kPfcObjectUuid});
  EXPECT_EQ(built[2][3], std::byte{kPfcLastFrag | kPfcObjectUuid});
  EXPECT_EQ(slice(built[0], 16, 4), hex_bytes("84000000"));  // 132 left
  EXPECT_EQ(slice(built[1], 16, 4), hex_bytes("58000000"));  // 88 left
  EXPECT_EQ(slice(built[2], 16, 4), hex_bytes("2c000000"));  // 44 left
  EXPECT_EQ(build_all(pieces).size(), 3 * (24u + 44));       // the flag alone adds no UUID
}

TEST(Fragment, ExplicitSizesMustCoverTheStub) {
  const Bytes stub = SplitMix64(6).bytes(10);
  const std::vector<std::size_t> sizes{3, 7};
  EXPECT_EQ(fragment(PduBuilder(Ptype::response), stub, sizes).size(), 2u);
  const std::vector<std::size_t> short_sizes{3, 6};
  EXPECT_THROW(fragment(PduBuilder(Ptype::response), stub, short_sizes), std::invalid_argument);
}

TEST(Uuid, ParsesAndPrints) {
  EXPECT_EQ(kEpm.uuid.to_string(), "e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  EXPECT_EQ(Uuid::parse("E1AF8308-5D1F-11C9-91A4-08002B14A0FA"), kEpm.uuid);
  EXPECT_THROW(Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0f"), std::invalid_argument);
  EXPECT_THROW(Uuid::parse("e1af8308-5d1f-11c9-91a4x08002b14a0fa"), std::invalid_argument);
}

}  // namespace
}  // namespace rpctrace::testsupport
