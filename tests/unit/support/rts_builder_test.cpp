// Tests for tests/support/rts_builder.hpp. Expected octets are written out by hand from MS-RPCH
// §2.2.3.5 (commands), §2.2.3.6.1 (RTS header) and §2.2.4 (named PDUs), not taken from a capture.
#include "support/rts_builder.hpp"

#include <gtest/gtest.h>

namespace rpctrace::testsupport {
namespace {

constexpr Uuid kCookieA = Uuid::parse("00112233-4455-6677-8899-aabbccddeeff");
constexpr Uuid kCookieB = Uuid::parse("10203040-5060-7080-90a0-b0c0d0e0f001");

TEST(RtsBuilder, ConnA1IsSeventySixOctets) {
  const Bytes pdu = rts_conn_a1(kCookieA, kCookieB, 0x10000).build();
  EXPECT_EQ(pdu, hex_bytes("05001403 10000000 4c00 0000 00000000"  // common header, call_id 0
                           "0000 0400"                             // Flags none, 4 commands
                           "06000000 01000000"                     // Version 1
                           "03000000 33221100 5544 7766 8899aabbccddeeff"  // Cookie
                           "03000000 40302010 6050 8070 90a0b0c0d0e0f001"  // Cookie
                           "00000000 00000100"));                          // ReceiveWindowSize
}

TEST(RtsBuilder, ConnA3AndC2) {
  EXPECT_EQ(rts_conn_a3(120000).build(),
            hex_bytes("05001403 10000000 1c00 0000 00000000 0000 0100 02000000 c0d40100"));
  EXPECT_EQ(rts_conn_c2(0x10000, 120000).build(),
            hex_bytes("05001403 10000000 2c00 0000 00000000 0000 0300"
                      "06000000 01000000 00000000 00000100 02000000 c0d40100"));
  EXPECT_EQ(rts_conn_c1(0x10000, 120000).build(), rts_conn_c2(0x10000, 120000).build());
}

TEST(RtsBuilder, ConnB1CarriesLifetimeKeepaliveAndAssociationGroup) {
  const Bytes pdu = rts_conn_b1(kCookieA, kCookieB, 0x40000000, 300000, kCookieA).build();
  ASSERT_EQ(pdu.size(), 104u);
  EXPECT_EQ(slice(pdu, 16, 4), hex_bytes("0000 0600"));
  EXPECT_EQ(slice(pdu, 68, 36), hex_bytes("04000000 00000040 05000000 e0930400"
                                          "0c000000 33221100 5544 7766 8899aabbccddeeff"));
}

TEST(RtsBuilder, ConnA2AndB2SetTheirChannelFlag) {
  const Bytes a2 = rts_conn_a2(kCookieA, kCookieB, 0x40000000, 0x10000).build();
  EXPECT_EQ(slice(a2, 16, 4), hex_bytes("1000 0500"));
  EXPECT_EQ(a2.size(), 20u + 8 + 20 + 20 + 8 + 8);
  const Bytes b2 =
      rts_conn_b2(kCookieA, kCookieB, 0x10000, 120000, kCookieA, {10, 6, 0, 10}).build();
  EXPECT_EQ(slice(b2, 16, 4), hex_bytes("0800 0700"));
  // ClientAddress: type, IPv4 type 0, the four octets, 12 octets of padding.
  EXPECT_EQ(slice(b2, b2.size() - 24, 24),
            hex_bytes("0b000000 00000000 0a06000a 000000000000000000000000"));
}

TEST(RtsBuilder, FlowControlAckPingAndEcho) {
  EXPECT_EQ(rts_flow_control_ack(FlowControlAcknowledgment{0x68a, 0x10000, kCookieB}).build(),
            hex_bytes("05001403 10000000 3000 0000 00000000 0200 0100"
                      "01000000 8a060000 00000100 40302010 6050 8070 90a0b0c0d0e0f001"));
  EXPECT_EQ(rts_ping().build(), hex_bytes("05001403 10000000 1400 0000 00000000 0100 0000"));
  EXPECT_EQ(rts_echo().build(), hex_bytes("05001403 10000000 1400 0000 00000000 4000 0000"));
}

TEST(RtsBuilder, EveryOtherCommandLayout) {
  RtsCommands c;
  c.channel_lifetime(1)
      .client_keepalive(2)
      .empty()
      .padding(3)
      .negative_ance()
      .ance()
      .client_address(
          std::array<std::uint8_t, 16>{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
      .destination(ForwardDestination::fd_out_proxy)
      .ping_traffic_sent_notify(0x1234)
      .raw(0x99, hex_bytes("abcd"));
  EXPECT_EQ(c.count(), 10);
  EXPECT_EQ(c.bytes(), hex_bytes("04000000 01000000"
                                 "05000000 02000000"
                                 "07000000"
                                 "08000000 03000000 000000"
                                 "09000000"
                                 "0a000000"
                                 "0b000000 01000000 fd000000000000000000000000000001"
                                 "000000000000000000000000"
                                 "0d000000 03000000"
                                 "0e000000 34120000"
                                 "99000000 abcd"));
}

TEST(RtsBuilder, BigEndianCommandsGetBigEndianDrep) {
  RtsCommands c(Endian::big);
  c.version().cookie(kCookieA);
  EXPECT_EQ(rts_pdu(kRtsFlagOtherCmd, c).build(),
            hex_bytes("05001403 00000000 0030 0000 00000000 0002 0002"
                      "00000006 00000001 00000003 00112233 4455 6677 8899aabbccddeeff"));
}

TEST(RtsBuilder, HeaderFieldsCanBeCorrupted) {
  const Bytes pdu = rts_conn_a3(1).number_of_commands(2).frag_length(20).build();
  EXPECT_EQ(slice(pdu, 8, 2), hex_bytes("1400"));
  EXPECT_EQ(slice(pdu, 18, 2), hex_bytes("0200"));
  EXPECT_EQ(pdu.size(), 28u);  // the command is still there
}

}  // namespace
}  // namespace rpctrace::testsupport
