// Tests of src/epm/tower.cpp: protocol tower decoding (C706 appendix L "Protocol Tower
// Encoding": floor_count then floors of lhs_length, lhs, rhs_length, rhs, all lengths
// little-endian; protocol identifiers from C706 appendix I and MS-RPCE 2.1; ports and IPv4
// addresses big-endian), the protocol sequences derived from the floors, and string_binding().
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/limits.hpp"
#include "support/tower_builder.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::epm {
namespace {

using unittest::to_syntax;
using unittest::view;
namespace ts = testsupport;

constexpr ts::SyntaxId kLsa{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 1, 2};

ts::Bytes le16(std::uint16_t v) { return ts::ByteWriter(ts::Endian::little).u16(v).take(); }

Tower parse_ok(const ts::Bytes& octets) {
  auto r = parse_tower(view(octets));
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  EXPECT_EQ(r.consumed(), octets.size());
  return r.value();
}

Reason malformed_reason(const ts::Bytes& octets) {
  auto r = parse_tower(view(octets));
  EXPECT_TRUE(r.is_malformed());
  return r.is_malformed() ? r.error().reason : Reason::count_;
}

// The first three floors every RPC tower starts with (C706 appendix L.2).
ts::TowerBuilder rpc_floors(const ts::SyntaxId& interface) {
  ts::TowerBuilder b;
  b.interface_floor(interface).transfer_syntax_floor(ts::kNdrSyntax);
  return b;
}

// --- Protocol sequences (C706 appendix I; MS-RPCE 2.1 for ncacn_http and ncalrpc) -------------
TEST(Tower, NcacnIpTcp) {
  const ts::Bytes octets = ts::tcp_ip_tower(kLsa, 49712, {10, 1, 1, 2});
  ASSERT_EQ(octets.size(), 75u);
  const Tower t = parse_ok(octets);
  ASSERT_EQ(t.floors.size(), 5u);
  EXPECT_EQ(t.floors[2].protocol_id, protocol_id::rpc_co);
  EXPECT_EQ(t.floors[3].protocol_id, protocol_id::tcp);
  EXPECT_EQ(t.floors[3].rhs, (std::vector<std::uint8_t>{0xc2, 0x30}));  // big-endian port
  EXPECT_EQ(t.floors[4].rhs, (std::vector<std::uint8_t>{10, 1, 1, 2}));
  EXPECT_EQ(t.interface, to_syntax(kLsa));  // major 1 from the lhs, minor 2 from the rhs
  EXPECT_EQ(t.transfer_syntax, to_syntax(ts::kNdrSyntax));
  EXPECT_EQ(t.protseq, "ncacn_ip_tcp");
  EXPECT_EQ(t.port, 49712);
  ASSERT_TRUE(t.address.has_value());
  EXPECT_EQ(t.address->to_string(), "10.1.1.2");
  EXPECT_EQ(t.string_binding(), "ncacn_ip_tcp:10.1.1.2[49712]");
}

TEST(Tower, NcadgIpUdp) {
  const Tower t =
      parse_ok(rpc_floors(kLsa).rpc_connectionless().udp(1030).ip({192, 168, 0, 1}).build());
  EXPECT_EQ(t.protseq, "ncadg_ip_udp");
  EXPECT_EQ(t.port, 1030);
  EXPECT_EQ(t.string_binding(), "ncadg_ip_udp:192.168.0.1[1030]");
}

TEST(Tower, NcacnNpWithNetbiosHost) {
  const Tower t = parse_ok(rpc_floors(kLsa)
                               .rpc_connection_oriented()
                               .named_pipe("\\PIPE\\lsass")
                               .netbios("\\\\DC01")
                               .build());
  EXPECT_EQ(t.protseq, "ncacn_np");
  EXPECT_EQ(t.endpoint_name, "\\PIPE\\lsass");  // the pipe, not the host
  EXPECT_FALSE(t.port.has_value());
  EXPECT_EQ(t.string_binding(), "ncacn_np:\\\\DC01[\\PIPE\\lsass]");
}

TEST(Tower, NcacnHttp) {
  const Tower t =
      parse_ok(rpc_floors(kLsa).rpc_connection_oriented().http(593).ip({10, 0, 0, 1}).build());
  EXPECT_EQ(t.protseq, "ncacn_http");
  EXPECT_EQ(t.port, 593);
  EXPECT_EQ(t.string_binding(), "ncacn_http:10.0.0.1[593]");
}

TEST(Tower, Ncalrpc) {
  const Tower t = parse_ok(rpc_floors(kLsa).lrpc().local_pipe("OLE7F3A").build());
  ASSERT_EQ(t.floors.size(), 4u);
  EXPECT_EQ(t.protseq, "ncalrpc");
  EXPECT_EQ(t.endpoint_name, "OLE7F3A");
  EXPECT_EQ(t.string_binding(), "ncalrpc:[OLE7F3A]");
}

TEST(Tower, NcacnNbTcp) {
  const Tower t = parse_ok(rpc_floors(kLsa).rpc_connection_oriented().netbios("HOST").build());
  EXPECT_EQ(t.protseq, "ncacn_nb_tcp");
  EXPECT_EQ(t.string_binding(), "ncacn_nb_tcp:HOST");
}

TEST(Tower, UnknownFloorNamesTheFloorIds) {
  ts::TowerFloor odd{ts::Bytes{std::byte{0x42}}, ts::hex_bytes("0102"), std::nullopt, std::nullopt};
  const Tower t =
      parse_ok(rpc_floors(kLsa).rpc_connection_oriented().floor(odd).ip({1, 2, 3, 4}).build());
  EXPECT_EQ(t.floors[3].protocol_id, 0x42);
  EXPECT_EQ(t.floors[3].rhs, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_TRUE(t.protseq.empty());
  EXPECT_EQ(t.address->to_string(), "1.2.3.4");
  EXPECT_EQ(t.string_binding(), "unknown:0x0b(0000).0x42(0102).0x09(01020304)");
}

TEST(Tower, ShortUuidFloorGivesNoInterface) {
  ts::TowerFloor short_uuid{ts::hex_bytes("0d 0102030405060708090a"), le16(0), std::nullopt,
                            std::nullopt};
  const Tower t =
      parse_ok(ts::TowerBuilder{}.floor(short_uuid).transfer_syntax_floor(ts::kNdrSyntax).build());
  EXPECT_FALSE(t.interface.has_value());
  EXPECT_EQ(t.transfer_syntax, to_syntax(ts::kNdrSyntax));
}

// --- floor_count: 0, kMaxFloorsPerTower, one more, 65535, one off the true value ---------------
TEST(Tower, FloorCountBoundaries) {
  const Tower none = parse_ok(ts::TowerBuilder{}.build());
  EXPECT_TRUE(none.floors.empty());
  EXPECT_FALSE(none.interface.has_value());
  EXPECT_EQ(none.string_binding(), "unknown:");

  ts::TowerBuilder many;
  for (std::size_t i = 0; i < kMaxFloorsPerTower; ++i) many.tcp(static_cast<std::uint16_t>(i));
  EXPECT_EQ(parse_ok(many.build()).floors.size(), kMaxFloorsPerTower);
  many.tcp(999);
  auto over = parse_tower(view(many.build()));
  ASSERT_TRUE(over.is_malformed());
  EXPECT_EQ(over.error().reason, Reason::too_many_floors);
  EXPECT_EQ(over.error().offset, 0u);
  EXPECT_EQ(malformed_reason(ts::TowerBuilder{}.tcp(135).floor_count(65535).build()),
            Reason::too_many_floors);

  ts::TowerBuilder five = rpc_floors(kLsa).rpc_connection_oriented().tcp(135).ip({10, 1, 1, 2});
  EXPECT_EQ(malformed_reason(ts::TowerBuilder(five).floor_count(6).build()), Reason::floor_length);
  // One less: the IP floor is left unread (the caller sees consumed < size).
  const ts::Bytes four_of_five = ts::TowerBuilder(five).floor_count(4).build();
  auto r = parse_tower(view(four_of_five));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), four_of_five.size() - 9);  // ip floor: 2 + 1 + 2 + 4
  EXPECT_EQ(r.value().floors.size(), 4u);
  EXPECT_FALSE(r.value().address.has_value());
  EXPECT_TRUE(r.value().protseq.empty());
}

// --- lhs/rhs lengths: 0, 65535, one off either side, past the end -----------------------------
TEST(Tower, FloorLengthBoundaries) {
  auto last_floor = [](std::optional<std::uint16_t> lhs_length,
                       std::optional<std::uint16_t> rhs_length) {
    ts::TowerFloor ip{ts::Bytes{std::byte{0x09}}, ts::hex_bytes("0a010102"), lhs_length,
                      rhs_length};
    return rpc_floors(kLsa).rpc_connection_oriented().tcp(135).floor(ip).build();
  };
  EXPECT_EQ(parse_ok(last_floor(std::nullopt, std::nullopt)).address->to_string(), "10.1.1.2");
  for (std::uint16_t bad : {std::uint16_t{0}, std::uint16_t{2}, std::uint16_t{65535}}) {
    EXPECT_EQ(malformed_reason(last_floor(bad, std::nullopt)), Reason::floor_length)
        << "lhs " << bad;
  }
  for (std::uint16_t bad : {std::uint16_t{5}, std::uint16_t{65535}}) {
    EXPECT_EQ(malformed_reason(last_floor(std::nullopt, bad)), Reason::floor_length)
        << "rhs " << bad;
  }
  // rhs one short: three octets are no IPv4 address, and one octet is left over.
  auto r = parse_tower(view(last_floor(std::nullopt, 3)));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.value().floors[4].rhs.size(), 3u);
  EXPECT_FALSE(r.value().address.has_value());
  EXPECT_EQ(r.consumed(), 74u);
  // rhs_length 0: the address octets are left over.
  auto zero = parse_tower(view(last_floor(std::nullopt, 0)));
  ASSERT_TRUE(zero.is_complete());
  EXPECT_TRUE(zero.value().floors[4].rhs.empty());
  EXPECT_FALSE(zero.value().address.has_value());
  EXPECT_EQ(zero.consumed(), 71u);
  // Empty lhs and rhs are well-formed: protocol id 0, nothing else.
  ts::TowerFloor empty{ts::Bytes{}, ts::Bytes{}, std::nullopt, std::nullopt};
  const Tower e = parse_ok(ts::TowerBuilder{}.floor(empty).build());
  ASSERT_EQ(e.floors.size(), 1u);
  EXPECT_EQ(e.floors[0].protocol_id, 0);
  EXPECT_TRUE(e.floors[0].lhs.empty());
  EXPECT_TRUE(e.floors[0].rhs.empty());
  // The offset is where the rhs would start (after its length field).
  auto past = parse_tower(view(last_floor(std::nullopt, 5)));
  EXPECT_EQ(past.error().offset, 71u);
}

// --- Truncation sweep: every strict prefix is malformed (the tower_length said more) ----------
TEST(Tower, EveryStrictPrefixIsMalformed) {
  const ts::Bytes octets = ts::tcp_ip_tower(kLsa, 135, {10, 1, 1, 2});
  for (std::size_t n = 0; n < octets.size(); ++n) {
    auto r = parse_tower(view(octets).first(n));
    ASSERT_TRUE(r.is_malformed()) << n;
    EXPECT_EQ(r.error().reason, n < 2 ? Reason::truncated : Reason::floor_length) << n;
  }
}

TEST(Tower, ProtocolIdAndReasonNames) {
  EXPECT_EQ(protocol_id_name(protocol_id::tcp), "TCP");
  EXPECT_EQ(protocol_id_name(protocol_id::rpc_co), "RPC connection-oriented");
  EXPECT_EQ(protocol_id_name(protocol_id::http), "HTTP");
  EXPECT_EQ(protocol_id_name(0x42), "");
  for (std::size_t i = 0; i < static_cast<std::size_t>(Reason::count_); ++i)
    EXPECT_NE(to_string(static_cast<Reason>(i)), "?") << i;
  EXPECT_EQ(to_string(Reason::count_mismatch), "count_mismatch");
}

}  // namespace
}  // namespace rpctrace::epm
