// Tests for tests/support/tower_builder.hpp; expected octets from C706 appendix L's encoding.
#include "support/tower_builder.hpp"

#include <gtest/gtest.h>

namespace rpctrace::testsupport {
namespace {

constexpr SyntaxId kMta{Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe"), 1, 0};

TEST(TowerBuilder, TcpIpTowerIs75OctetsWithFixedByteOrders) {
  const Bytes t = tcp_ip_tower(kMta, 4764, {10, 1, 1, 2});
  ASSERT_EQ(t.size(), 75u);
  EXPECT_EQ(t, hex_bytes("0500"                                                        // 5 floors
                         "1300 0d 30e88e9e 5944 ce11 979b00aa005ffebe 0100 0200 0000"  // interface
                         "1300 0d 045d888a eb1c c911 9fe808002b104860 0200 0200 0000"  // NDR 2.0
                         "0100 0b 0200 0000"                                           // RPC CO
                         "0100 07 0200 129c"                                           // TCP 4764
                         "0100 09 0400 0a010102"));                                    // IP
}

TEST(TowerBuilder, StringFloorsAreNulTerminated) {
  const Bytes t = TowerBuilder{}.named_pipe("\\PIPE\\lsass").netbios("HOST").build();
  EXPECT_EQ(t, hex_bytes("0200"
                         "0100 0f 0c00 5c504950455c6c7361737300"
                         "0100 11 0500 484f535400"));
}

TEST(TowerBuilder, OtherProtocolFloors) {
  const Bytes t =
      TowerBuilder{}.udp(135).http(593).rpc_connectionless(0).lrpc(0).local_pipe("x").build();
  EXPECT_EQ(t, hex_bytes("0500"
                         "0100 08 0200 0087"
                         "0100 1f 0200 0251"
                         "0100 0a 0200 0000"
                         "0100 0c 0200 0000"
                         "0100 10 0200 7800"));
}

TEST(TowerBuilder, LengthsAndCountCanBeCorrupted) {
  TowerFloor f;
  f.lhs = hex_bytes("07");
  f.rhs = hex_bytes("0087");
  f.rhs_length = 0x200;
  const Bytes t = TowerBuilder{}.floor(f).floor_count(9).build();
  EXPECT_EQ(t, hex_bytes("0900 0100 07 0002 0087"));
}

}  // namespace
}  // namespace rpctrace::testsupport
