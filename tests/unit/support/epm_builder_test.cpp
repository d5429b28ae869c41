// Tests for tests/support/epm_builder.hpp: the ept_map stub sizes KB159298's alloc hints imply
// (0x84 and 0x80) and the NDR layout in both byte orders.
#include "support/epm_builder.hpp"

#include <gtest/gtest.h>

#include "support/tower_builder.hpp"

namespace rpctrace::testsupport {
namespace {

constexpr SyntaxId kMta{Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe"), 1, 0};

TEST(EptMapRequest, Kb159298SizeAndLayout) {
  EptMapRequest r;
  r.map_tower = tcp_ip_tower(kMta, 0, {0, 0, 0, 0});
  const Bytes stub = build_ept_map_request(r);
  ASSERT_EQ(stub.size(), 0x84u);  // 20 + 4 + 4 + 4 + 75 = 107, pad 108, + 20 + 4
  EXPECT_EQ(slice(stub, 0, 4), hex_bytes("01000000"));     // object referent
  EXPECT_EQ(slice(stub, 4, 16), Bytes(16, std::byte{0}));  // nil UUID
  EXPECT_EQ(slice(stub, 20, 12), hex_bytes("02000000 4b000000 4b000000"));
  EXPECT_EQ(slice(stub, 32, 75), *r.map_tower);
  EXPECT_EQ(stub[107], std::byte{0});                        // pad
  EXPECT_EQ(slice(stub, 108, 20), Bytes(20, std::byte{0}));  // entry_handle
  EXPECT_EQ(slice(stub, 128, 4), hex_bytes("01000000"));     // max_towers
}

TEST(EptMapRequest, NullPointersAndBigEndian) {
  EptMapRequest r;
  r.object.reset();
  r.max_towers = 4;
  const Bytes stub = build_ept_map_request(r, Endian::big);
  EXPECT_EQ(stub, hex_bytes("00000000 00000000" + std::string(40, '0') + "00000004"));
}

TEST(EptMapResponse, Kb159298SizeAndLayout) {
  EptMapResponse r;
  r.towers.push_back(tcp_ip_tower(kMta, 4764, {10, 1, 1, 2}));
  const Bytes stub = build_ept_map_response(r);
  ASSERT_EQ(stub.size(), 0x80u);  // 20 + 4 + 12 + 4 + 4 + 4 + 75 = 123, pad 124, + 4
  EXPECT_EQ(slice(stub, 20, 24),
            hex_bytes("01000000 01000000 00000000 01000000 03000000 4b000000"));
  EXPECT_EQ(slice(stub, 48, 75), r.towers[0]);
  EXPECT_EQ(slice(stub, 124, 4), hex_bytes("00000000"));  // status
}

TEST(EptMapResponse, SeveralTowersEachPaddedAndBigEndianStatus) {
  EptMapResponse r;
  r.towers = {TowerBuilder{}.tcp(1).build(), TowerBuilder{}.udp(2).build()};  // 9 octets each
  r.status = 0x16c9a0d6;  // EPT_S_NOT_REGISTERED
  r.max_count = 4;
  const Bytes stub = build_ept_map_response(r, Endian::big);
  ASSERT_EQ(stub.size(), 20u + 4 + 12 + 8 + 2 * (8 + 12) + 4);
  EXPECT_EQ(slice(stub, 20, 24),
            hex_bytes("00000002 00000004 00000000 00000002 00000003 00000004"));
  EXPECT_EQ(slice(stub, 44, 8), hex_bytes("00000009 00000009"));
  EXPECT_EQ(slice(stub, stub.size() - 4, 4), hex_bytes("16c9a0d6"));
}

}  // namespace
}  // namespace rpctrace::testsupport
