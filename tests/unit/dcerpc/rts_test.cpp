// Tests of src/dcerpc/rts.cpp: RTS bodies (MS-RPCH 2.2.3.5 commands, 2.2.3.6 structure) in both
// byte orders, every malformed path, and the names of the RTS PDUs of 2.2.4. Bodies come from
// tests/support/rts_builder (written from the spec) and, for CONN/A1, from hand-written octets.
#include "rpctrace/dcerpc/rts.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/pdu.hpp"
#include "support/rts_builder.hpp"
#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {

// gtest prints these by name (found by argument-dependent lookup, so outside the anonymous
// namespace).
void PrintTo(RtsPduName n, std::ostream* os) { *os << to_string(n); }
void PrintTo(RtsReason r, std::ostream* os) { *os << to_string(r); }

namespace {

using unittest::to_uuid;
using unittest::view;
namespace ts = testsupport;

constexpr ts::Uuid kVcCookie = ts::Uuid::parse("9a1d4c52-7e03-4f6b-8c21-5b0e6d3f7a10");
constexpr ts::Uuid kChannelCookie = ts::Uuid::parse("3c7f2e81-1b94-4d0a-a6e5-0f28c94b1d22");
constexpr ts::Uuid kGroupCookie = ts::Uuid::parse("51f0c3a9-2d7e-4b86-b04a-c3e9176d5f44");

// The RTS body of a built PDU: everything after the 16-octet common header.
ts::Bytes body_of(const ts::PduBuilder& pdu) {
  const ts::Bytes b = pdu.build();
  return ts::slice(b, kCommonHeaderSize, b.size() - kCommonHeaderSize);
}

common::ByteOrder order_of(ts::Endian e) {
  return e == ts::Endian::little ? common::ByteOrder::little : common::ByteOrder::big;
}

RtsBody parse_ok(const ts::Bytes& body, common::ByteOrder order = common::ByteOrder::little) {
  RtsResult r = parse_rts_body(view(body), order);
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  EXPECT_EQ(r.consumed(), body.size());
  return r.take();
}

RtsReason reason_of(const ts::Bytes& body, const RtsLimits& limits = {}) {
  RtsResult r = parse_rts_body(view(body), common::ByteOrder::little, limits);
  EXPECT_TRUE(r.is_malformed());
  return r.is_malformed() ? r.error().reason : RtsReason::count_;
}

// Flags, NumberOfCommands, then the given command octets, little-endian.
ts::Bytes raw_body(std::uint16_t flags, std::uint16_t count, std::string_view command_hex) {
  ts::ByteWriter w;
  w.u16(flags).u16(count).bytes(ts::hex_bytes(command_hex));
  return w.take();
}

// --- Every command, both byte orders ----------------------------------------------------------
class RtsOrder : public ::testing::TestWithParam<ts::Endian> {};

// MS-RPCH 2.2.3.5.1-2.2.3.5.15: one of each command, with distinct values, in CommandType order.
TEST_P(RtsOrder, DecodesEveryCommandInThePdusByteOrder) {
  ts::RtsCommands c(GetParam());
  c.receive_window_size(0x10000)
      .flow_control_ack({0x68a, 0xfc00, kChannelCookie})
      .connection_timeout(120000)
      .cookie(kVcCookie)
      .channel_lifetime(0x40000000)
      .client_keepalive(300000)
      .version(1)
      .empty()
      .padding(6)
      .negative_ance()
      .ance()
      .client_address(std::array<std::uint8_t, 4>{10, 6, 0, 10})
      .association_group_id(kGroupCookie)
      .destination(ts::ForwardDestination::fd_server)
      .ping_traffic_sent_notify(0x1234);
  const ts::Bytes body = body_of(ts::rts_pdu(ts::kRtsFlagOtherCmd, c));
  const RtsBody b = parse_ok(body, order_of(GetParam()));
  EXPECT_EQ(b.flags, rts_flag::other_cmd);
  EXPECT_EQ(b.number_of_commands, 15);
  ASSERT_EQ(b.commands.size(), 15u);
  for (std::size_t i = 0; i < b.commands.size(); ++i)
    EXPECT_EQ(static_cast<std::size_t>(command_type(b.commands[i])), i);
  EXPECT_EQ(std::get<rts::ReceiveWindowSize>(b.commands[0]).receive_window_size, 0x10000u);
  const auto& ack = std::get<rts::FlowControlAck>(b.commands[1]);
  EXPECT_EQ(ack.bytes_received, 0x68au);
  EXPECT_EQ(ack.available_window, 0xfc00u);
  EXPECT_EQ(ack.channel_cookie, to_uuid(kChannelCookie));
  EXPECT_EQ(std::get<rts::ConnectionTimeout>(b.commands[2]).connection_timeout, 120000u);
  EXPECT_EQ(std::get<rts::Cookie>(b.commands[3]).cookie, to_uuid(kVcCookie));
  EXPECT_EQ(std::get<rts::ChannelLifetime>(b.commands[4]).channel_lifetime, 0x40000000u);
  EXPECT_EQ(std::get<rts::ClientKeepalive>(b.commands[5]).client_keepalive, 300000u);
  EXPECT_EQ(std::get<rts::Version>(b.commands[6]).version, 1u);
  EXPECT_EQ(std::get<rts::Padding>(b.commands[8]).conformance_count, 6u);
  const auto& address = std::get<rts::ClientAddress>(b.commands[11]);
  EXPECT_EQ(address.address_type, 0u);
  EXPECT_EQ(address.client_address.to_string(), "10.6.0.10");
  EXPECT_EQ(std::get<rts::AssociationGroupId>(b.commands[12]).association_group_id,
            to_uuid(kGroupCookie));
  EXPECT_EQ(std::get<rts::Destination>(b.commands[13]).destination, 2u);
  EXPECT_EQ(std::get<rts::PingTrafficSentNotify>(b.commands[14]).ping_traffic_sent, 0x1234u);
}

// MS-RPCH 2.2.3.2.2: AddressType 1, sixteen octets, twelve of padding.
TEST_P(RtsOrder, ClientAddressIpv6) {
  ts::RtsCommands c(GetParam());
  c.client_address(
      std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5});
  const RtsBody b = parse_ok(body_of(ts::rts_pdu(ts::kRtsFlagNone, c)), order_of(GetParam()));
  ASSERT_EQ(b.commands.size(), 1u);
  const auto& a = std::get<rts::ClientAddress>(b.commands[0]);
  EXPECT_EQ(a.address_type, 1u);
  EXPECT_EQ(a.client_address.to_string(), "2001:db8::5");
}

// The decoded body agrees with the Flags and NumberOfCommands parse_pdu() reads.
TEST_P(RtsOrder, AgreesWithTheCommonPduParser) {
  ts::PduBuilder b = ts::rts_pdu(ts::kRtsFlagRecycleChannel, ts::RtsCommands(GetParam())
                                                                 .version()
                                                                 .cookie(kVcCookie)
                                                                 .cookie(kChannelCookie)
                                                                 .cookie(kGroupCookie));
  const ts::Bytes pdu = b.build();
  PduResult p = parse_pdu(view(pdu));
  ASSERT_TRUE(p.is_complete());
  const auto& header = p.value().header;
  const Rts& rts = std::get<Rts>(p.value().body);
  RtsResult r =
      parse_rts_body(view(pdu).subspan(kCommonHeaderSize), header.packed_drep.integer_order());
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.value().flags, rts.flags);
  EXPECT_EQ(r.value().number_of_commands, rts.number_of_commands);
  EXPECT_EQ(classify_rts(r.value()),
            (std::vector<RtsPduName>{RtsPduName::in_r1_a1, RtsPduName::in_r2_a1}));
}

INSTANTIATE_TEST_SUITE_P(BothOrders, RtsOrder, unittest::kBothOrders, unittest::order_name);

// MS-RPCH 2.2.4.2 written out octet by octet (little-endian, as 2.2.3.6.1 requires), and the
// same PDU with every integer big-endian: both decode to the same values.
TEST(Rts, ConnA1FromTheSpecLayout) {
  const ts::Bytes le = ts::hex_bytes(
      "0000 0400"                                     // Flags RTS_FLAG_NONE, 4 commands
      "06000000 01000000"                             // Version 1
      "03000000 524c1d9a 037e 6b4f 8c215b0e6d3f7a10"  // Cookie (virtual connection)
      "03000000 812e7f3c 941b 0a4d a6e50f28c94b1d22"  // Cookie (OUT channel)
      "00000000 00000100");                           // ReceiveWindowSize 65536
  const ts::Bytes be = ts::hex_bytes(
      "0000 0004"
      "00000006 00000001"
      "00000003 9a1d4c52 7e03 4f6b 8c215b0e6d3f7a10"
      "00000003 3c7f2e81 1b94 4d0a a6e50f28c94b1d22"
      "00000000 00010000");
  EXPECT_EQ(le, body_of(ts::rts_conn_a1(kVcCookie, kChannelCookie, 0x10000)));
  for (const auto& [bytes, order] :
       {std::pair{le, common::ByteOrder::little}, std::pair{be, common::ByteOrder::big}}) {
    const RtsBody b = parse_ok(bytes, order);
    ASSERT_EQ(b.commands.size(), 4u);
    EXPECT_EQ(std::get<rts::Version>(b.commands[0]).version, 1u);
    EXPECT_EQ(std::get<rts::Cookie>(b.commands[1]).cookie.to_string(),
              "9a1d4c52-7e03-4f6b-8c21-5b0e6d3f7a10");
    EXPECT_EQ(std::get<rts::Cookie>(b.commands[2]).cookie, to_uuid(kChannelCookie));
    EXPECT_EQ(std::get<rts::ReceiveWindowSize>(b.commands[3]).receive_window_size, 0x10000u);
    EXPECT_EQ(classify_rts(b), std::vector<RtsPduName>{RtsPduName::conn_a1});
  }
}

TEST(Rts, NoCommandsAndTrailingOctets) {
  EXPECT_TRUE(parse_ok(body_of(ts::rts_ping())).commands.empty());
  // 2.2.3.6.1: frag_length covers exactly the commands; octets after the last are not read.
  const ts::Bytes body = raw_body(rts_flag::ping, 0, "deadbeef");
  RtsResult r = parse_rts_body(view(body), common::ByteOrder::little);
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), 4u);
}

TEST(Rts, PaddingOfTheLargestConformanceCount) {
  ts::RtsCommands c;
  c.padding(kRtsMaxConformanceCount);
  const RtsBody b = parse_ok(body_of(ts::rts_pdu(ts::kRtsFlagPing, c)));
  EXPECT_EQ(std::get<rts::Padding>(b.commands[0]).conformance_count, 0xffffu);
}

// --- Malformed: one test per reason -----------------------------------------------------------
TEST(RtsMalformed, BodyTruncated) {
  for (std::size_t n = 0; n < 4; ++n) {
    const ts::Bytes body(n, std::byte{0});
    EXPECT_EQ(reason_of(body), RtsReason::body_truncated) << n;
  }
}

TEST(RtsMalformed, TooManyCommandsWithTheLimitLowered) {
  const ts::Bytes body = raw_body(0, 3, "07000000 0a000000 09000000");
  RtsLimits limits;
  limits.max_commands = 3;
  EXPECT_TRUE(parse_rts_body(view(body), common::ByteOrder::little, limits).is_complete());
  limits.max_commands = 2;
  EXPECT_EQ(reason_of(body, limits), RtsReason::too_many_commands);
}

// A NumberOfCommands that lies: more commands than 4 octets each can fit, caught before looping.
TEST(RtsMalformed, CountLargerThanTheBody) {
  EXPECT_EQ(reason_of(raw_body(0, 3, "07000000 07000000")), RtsReason::count_too_large);
  RtsLimits unlimited;
  unlimited.max_commands = 0xffff;
  EXPECT_EQ(reason_of(raw_body(0, 0xffff, "07000000"), unlimited), RtsReason::count_too_large);
  // Fits four octets each but not the commands' real sizes: a truncated command.
  EXPECT_EQ(reason_of(raw_body(0, 2, "03000000 00000000")), RtsReason::command_truncated);
}

TEST(RtsMalformed, UnknownCommandType) {
  for (std::string_view type : {"0f000000", "ffffffff", "00000001"}) {
    const ts::Bytes body = raw_body(0, 1, std::string(type) + "00000000");
    RtsResult r = parse_rts_body(view(body), common::ByteOrder::little);
    ASSERT_TRUE(r.is_malformed());
    EXPECT_EQ(r.error().reason, RtsReason::unknown_command_type) << type;
    EXPECT_EQ(r.error().offset, 4u);
  }
  // The byte order decides: 0e 00 00 00 is PingTrafficSentNotify little-endian only.
  const ts::Bytes ptsn = ts::hex_bytes("0000 0001 0e000000 00000000");
  EXPECT_TRUE(parse_rts_body(view(ptsn), common::ByteOrder::little).is_malformed());
  RtsResult be = parse_rts_body(view(ptsn), common::ByteOrder::big);
  ASSERT_TRUE(be.is_malformed());
  EXPECT_EQ(be.error().reason, RtsReason::unknown_command_type);
  const ts::Bytes le = ts::hex_bytes("0000 0100 0e000000 00000000");
  EXPECT_TRUE(parse_rts_body(view(le), common::ByteOrder::little).is_complete());
}

TEST(RtsMalformed, BadAddressType) {
  const ts::Bytes body = raw_body(0, 1, "0b000000 02000000 0a06000a 000000000000000000000000");
  EXPECT_EQ(reason_of(body), RtsReason::bad_address_type);
}

TEST(RtsMalformed, PaddingConformanceCountAboveTheSpecMaximum) {
  EXPECT_EQ(reason_of(raw_body(rts_flag::ping, 1, "08000000 00000100")),
            RtsReason::padding_too_large);
  // Within the maximum but past the body: truncated.
  EXPECT_EQ(reason_of(raw_body(rts_flag::ping, 1, "08000000 05000000 00000000")),
            RtsReason::command_truncated);
}

// Every strict prefix of a body holding every variable command is malformed, never complete,
// and its reason is one of the three a short body can give.
TEST(RtsMalformed, TruncationSweep) {
  ts::RtsCommands c;
  c.version()
      .flow_control_ack({1, 2, kChannelCookie})
      .padding(3)
      .client_address(std::array<std::uint8_t, 4>{192, 0, 2, 1})
      .client_address(std::array<std::uint8_t, 16>{})
      .association_group_id(kGroupCookie);
  const ts::Bytes body = body_of(ts::rts_pdu(ts::kRtsFlagNone, c));
  ASSERT_TRUE(parse_rts_body(view(body), common::ByteOrder::little).is_complete());
  const std::set<RtsReason> allowed{RtsReason::body_truncated, RtsReason::count_too_large,
                                    RtsReason::command_truncated};
  for (std::size_t n = 0; n < body.size(); ++n) {
    RtsResult r = parse_rts_body(view(body).first(n), common::ByteOrder::little);
    ASSERT_TRUE(r.is_malformed()) << n;
    EXPECT_TRUE(allowed.count(r.error().reason)) << n << " " << to_string(r.error().reason);
    EXPECT_LE(r.error().offset, n);
  }
}

TEST(RtsMalformed, EveryReasonHasANameAndADescription) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRtsReasonCount; ++i) {
    const auto r = static_cast<RtsReason>(i);
    EXPECT_NE(to_string(r), "unknown");
    EXPECT_NE(describe(r), "unknown");
    names.insert(to_string(r));
  }
  EXPECT_EQ(names.size(), kRtsReasonCount);
}

// --- Names -------------------------------------------------------------------------------------
TEST(RtsNames, FlagsAndCommandsByTheSpecsNames) {
  EXPECT_EQ(rts_flags_string(0), "RTS_FLAG_NONE");
  EXPECT_EQ(rts_flags_string(rts_flag::recycle_channel | rts_flag::out_channel),
            "RTS_FLAG_RECYCLE_CHANNEL|RTS_FLAG_OUT_CHANNEL");
  EXPECT_EQ(rts_flags_string(rts_flag::echo | 0x8100), "RTS_FLAG_ECHO|0x8100");
  EXPECT_EQ(to_string(RtsCommandType::negative_ance), "NegativeANCE");
  EXPECT_EQ(to_string(RtsCommandType::ping_traffic_sent_notify), "PingTrafficSentNotify");
  EXPECT_EQ(to_string(static_cast<RtsCommandType>(15)), "unknown");
  EXPECT_EQ(forward_destination_name(3), "FDOutProxy");
  EXPECT_EQ(forward_destination_name(4), "unknown");
}

// --- Classification (MS-RPCH 2.2.4) -------------------------------------------------------------
std::vector<RtsPduName> names_of(const ts::PduBuilder& pdu, const RtsVantage& where = {}) {
  return classify_rts(parse_ok(body_of(pdu)), where);
}

using V = std::vector<RtsPduName>;
constexpr RtsVantage kClientToOutProxy{RtsParty::client, RtsParty::outbound_proxy, RtsChannel::out};

// Every step of connection establishment (3.2.1.5.3.1), seen where the spec sends it.
TEST(RtsClassify, EveryConnStep) {
  const auto out_client = rts_vantage(RtsLeg::client_proxy, RtsChannel::out, true);
  const auto out_proxy = rts_vantage(RtsLeg::client_proxy, RtsChannel::out, false);
  const auto in_client = rts_vantage(RtsLeg::client_proxy, RtsChannel::in, true);
  const auto out_to_server = rts_vantage(RtsLeg::proxy_server, RtsChannel::out, true);
  const auto out_from_server = rts_vantage(RtsLeg::proxy_server, RtsChannel::out, false);
  const auto in_to_server = rts_vantage(RtsLeg::proxy_server, RtsChannel::in, true);
  const auto in_from_server = rts_vantage(RtsLeg::proxy_server, RtsChannel::in, false);
  const auto a1 = ts::rts_conn_a1(kVcCookie, kChannelCookie, 0x10000);
  const auto a2 = ts::rts_conn_a2(kVcCookie, kChannelCookie, 0x40000000, 0x10000);
  const auto b1 = ts::rts_conn_b1(kVcCookie, kChannelCookie, 0x40000000, 300000, kGroupCookie);
  const auto b2 =
      ts::rts_conn_b2(kVcCookie, kChannelCookie, 0x10000, 120000, kGroupCookie, {10, 6, 0, 10});
  const auto b3 =
      ts::rts_pdu(ts::kRtsFlagNone, ts::RtsCommands().receive_window_size(0x10000).version());
  EXPECT_EQ(names_of(a1), V{RtsPduName::conn_a1});
  EXPECT_EQ(names_of(a1, out_client), V{RtsPduName::conn_a1});
  EXPECT_EQ(names_of(a2, out_to_server), V{RtsPduName::conn_a2});
  EXPECT_EQ(names_of(ts::rts_conn_a3(120000), out_proxy), V{RtsPduName::conn_a3});
  EXPECT_EQ(names_of(b1, in_client), V{RtsPduName::conn_b1});
  EXPECT_EQ(names_of(b2, in_to_server), V{RtsPduName::conn_b2});
  EXPECT_EQ(names_of(b3, in_from_server), V{RtsPduName::conn_b3});
  // C1 and C2 share one layout (2.2.4.8, 2.2.4.9): only where it was seen tells them apart.
  const auto c = ts::rts_conn_c2(0x10000, 120000);
  EXPECT_EQ(names_of(c), (V{RtsPduName::conn_c1, RtsPduName::conn_c2}));
  EXPECT_EQ(names_of(c, out_from_server), V{RtsPduName::conn_c1});
  EXPECT_EQ(names_of(c, out_proxy), V{RtsPduName::conn_c2});
  // Seen where no CONN PDU of that layout goes: nothing.
  EXPECT_TRUE(names_of(a1, in_client).empty());
  EXPECT_TRUE(names_of(c, in_client).empty());
}

// IN channel recycling: R1 and R2 start with the same PDU (3.2.1.5.3.3), and no vantage
// separates them; the set stays ambiguous.
TEST(RtsClassify, InChannelRecyclingStaysAmbiguousWhereTheSpecIs) {
  const auto in_client = rts_vantage(RtsLeg::client_proxy, RtsChannel::in, true);
  const auto a1 = ts::rts_pdu(
      ts::kRtsFlagRecycleChannel,
      ts::RtsCommands().version().cookie(kVcCookie).cookie(kChannelCookie).cookie(kGroupCookie));
  EXPECT_EQ(names_of(a1, in_client), (V{RtsPduName::in_r1_a1, RtsPduName::in_r2_a1}));
  const auto cookie = ts::rts_pdu(ts::kRtsFlagNone, ts::RtsCommands().cookie(kChannelCookie));
  EXPECT_EQ(names_of(cookie), (V{RtsPduName::in_r1_a5, RtsPduName::in_r1_a6, RtsPduName::in_r2_a2,
                                 RtsPduName::in_r2_a5, RtsPduName::out_r2_a4}));
  EXPECT_EQ(names_of(cookie, in_client), (V{RtsPduName::in_r1_a5, RtsPduName::in_r2_a5}));
  EXPECT_EQ(names_of(cookie, rts_vantage(RtsLeg::proxy_server, RtsChannel::out, true)),
            V{RtsPduName::out_r2_a4});
  const auto a2 = ts::rts_pdu(ts::kRtsFlagInChannel | ts::kRtsFlagRecycleChannel,
                              ts::RtsCommands()
                                  .version()
                                  .cookie(kVcCookie)
                                  .cookie(kChannelCookie)
                                  .cookie(kGroupCookie)
                                  .receive_window_size(0x10000)
                                  .connection_timeout(120000));
  EXPECT_EQ(names_of(a2), V{RtsPduName::in_r1_a2});
  const auto b1 = ts::rts_pdu(ts::kRtsFlagNone, ts::RtsCommands().empty());
  EXPECT_EQ(names_of(b1), V{RtsPduName::in_r1_b1});
}

TEST(RtsClassify, OutChannelRecycling) {
  const auto dest = ts::rts_pdu(ts::kRtsFlagRecycleChannel,
                                ts::RtsCommands().destination(ts::ForwardDestination::fd_client));
  EXPECT_EQ(names_of(dest), (V{RtsPduName::out_r1_a1, RtsPduName::out_r1_a2, RtsPduName::out_r2_a1,
                               RtsPduName::out_r2_a2}));
  EXPECT_EQ(names_of(dest, rts_vantage(RtsLeg::client_proxy, RtsChannel::out, false)),
            (V{RtsPduName::out_r1_a2, RtsPduName::out_r2_a2}));
  // 3.2.4.5.6: OUT_R1/A3 and OUT_R2/A3 have the same format.
  const auto a3 = ts::rts_pdu(ts::kRtsFlagRecycleChannel, ts::RtsCommands()
                                                              .version()
                                                              .cookie(kVcCookie)
                                                              .cookie(kChannelCookie)
                                                              .cookie(kGroupCookie)
                                                              .receive_window_size(0x10000));
  EXPECT_EQ(names_of(a3, kClientToOutProxy), (V{RtsPduName::out_r1_a3, RtsPduName::out_r2_a3}));
  // OUT_R1/A7 (two commands) and OUT_R2/A7 (three) differ; A8 of both sequences do not.
  const auto a7 = [](bool with_version) {
    ts::RtsCommands c;
    c.destination(ts::ForwardDestination::fd_server).cookie(kChannelCookie);
    if (with_version) c.version();
    return ts::rts_pdu(ts::kRtsFlagOutChannel, c);
  };
  const auto in_client = rts_vantage(RtsLeg::client_proxy, RtsChannel::in, true);
  EXPECT_EQ(names_of(a7(false), in_client), V{RtsPduName::out_r1_a7});
  EXPECT_EQ(names_of(a7(true), in_client), V{RtsPduName::out_r2_a7});
  EXPECT_EQ(names_of(a7(false), rts_vantage(RtsLeg::proxy_server, RtsChannel::in, true)),
            (V{RtsPduName::out_r1_a8, RtsPduName::out_r2_a8}));
  // ANCE alone: four PDUs, told apart by who sends it to whom (except A9 and B1).
  const auto ance = ts::rts_pdu(ts::kRtsFlagNone, ts::RtsCommands().ance());
  EXPECT_EQ(names_of(ance, kClientToOutProxy), V{RtsPduName::out_r1_a11});
  EXPECT_EQ(names_of(ance, rts_vantage(RtsLeg::client_proxy, RtsChannel::out, false)),
            V{RtsPduName::out_r1_a10});
  EXPECT_EQ(names_of(ance, rts_vantage(RtsLeg::proxy_server, RtsChannel::out, false)),
            (V{RtsPduName::out_r1_a9, RtsPduName::out_r2_b1}));
  EXPECT_EQ(names_of(ts::rts_pdu(ts::kRtsFlagEof, ts::RtsCommands().ance())),
            V{RtsPduName::out_r2_b3});
  EXPECT_EQ(names_of(ts::rts_pdu(ts::kRtsFlagNone, ts::RtsCommands().negative_ance())),
            V{RtsPduName::out_r2_b2});
  // 2.2.4.45: OUT_R2/C1 carries Empty or Padding.
  EXPECT_EQ(names_of(ts::rts_pdu(ts::kRtsFlagPing, ts::RtsCommands().empty())),
            V{RtsPduName::out_r2_c1});
  EXPECT_EQ(names_of(ts::rts_pdu(ts::kRtsFlagPing, ts::RtsCommands().padding(4))),
            V{RtsPduName::out_r2_c1});
}

TEST(RtsClassify, PdusOutsideTheSequences) {
  EXPECT_EQ(names_of(ts::rts_ping()), V{RtsPduName::ping});
  EXPECT_EQ(names_of(ts::rts_echo()), V{RtsPduName::echo});
  EXPECT_TRUE(names_of(ts::rts_echo(), kClientToOutProxy).empty());  // proxies send echoes
  EXPECT_EQ(names_of(ts::rts_flow_control_ack({1, 2, kChannelCookie}), kClientToOutProxy),
            V{RtsPduName::flow_control_ack});
  EXPECT_EQ(
      names_of(ts::rts_pdu(ts::kRtsFlagOtherCmd, ts::RtsCommands()
                                                     .destination(ts::ForwardDestination::fd_client)
                                                     .flow_control_ack({1, 2, kChannelCookie}))),
      V{RtsPduName::flow_control_ack_with_destination});
  EXPECT_EQ(names_of(ts::rts_pdu(ts::kRtsFlagOtherCmd, ts::RtsCommands().client_keepalive(0))),
            V{RtsPduName::keep_alive});
  EXPECT_EQ(
      names_of(ts::rts_pdu(ts::kRtsFlagOtherCmd, ts::RtsCommands().ping_traffic_sent_notify(9))),
      V{RtsPduName::ping_traffic_sent_notify});
  // A layout 2.2.4 does not name.
  EXPECT_TRUE(names_of(ts::rts_pdu(ts::kRtsFlagEcho, ts::RtsCommands().ance())).empty());
}

// The table itself: one spec per name, in section order, each found by its own layout from
// each hop it is sent on, and described.
TEST(RtsClassify, TableNamesItsOwnLayouts) {
  const auto specs = rts_pdu_specs();
  ASSERT_EQ(specs.size(), kRtsPduNameCount);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const RtsPduSpec& s = specs[i];
    EXPECT_EQ(static_cast<std::size_t>(s.name), i);
    EXPECT_EQ(s.section, "2.2.4." + std::to_string(i + 2));
    EXPECT_FALSE(s.description.empty());
    EXPECT_NE(to_string(s.name), "unknown");
    const auto found = classify_rts(s.flags, s.commands);
    EXPECT_NE(std::find(found.begin(), found.end(), s.name), found.end()) << to_string(s.name);
    for (const RtsHop& h : s.hops) {
      const auto there = classify_rts(s.flags, s.commands, {h.sender, h.receiver, h.channel});
      EXPECT_NE(std::find(there.begin(), there.end(), s.name), there.end()) << to_string(s.name);
    }
  }
  EXPECT_EQ(to_string(RtsPduName::conn_a1), "CONN/A1");
  EXPECT_EQ(to_string(RtsPduName::out_r1_a10), "OUT_R1/A10");
  EXPECT_EQ(to_string(RtsPduName::keep_alive), "Keep-Alive");
}

TEST(RtsClassify, VantageOfEachLeg) {
  const RtsVantage v = rts_vantage(RtsLeg::proxy_server, RtsChannel::in, false);
  EXPECT_EQ(v.sender, RtsParty::server);
  EXPECT_EQ(v.receiver, RtsParty::inbound_proxy);
  EXPECT_EQ(v.channel, RtsChannel::in);
  const RtsVantage w = rts_vantage(RtsLeg::client_proxy, RtsChannel::out, true);
  EXPECT_EQ(w.sender, RtsParty::client);
  EXPECT_EQ(w.receiver, RtsParty::outbound_proxy);
  EXPECT_EQ(to_string(RtsParty::inbound_proxy), "inbound proxy");
  EXPECT_EQ(to_string(RtsChannel::out), "OUT");
}

}  // namespace
}  // namespace rpctrace::dcerpc
