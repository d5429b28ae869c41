// Tests for tests/support/cl_builder.hpp. Expected octets are written out by hand from C706
// §12.5's connectionless header and body layouts (not taken from any capture).
#include "support/cl_builder.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace rpctrace::testsupport {
namespace {

constexpr Uuid kActivity = Uuid::parse("01020304-0506-0708-090a-0b0c0d0e0f10");

ClPduBuilder sample_request() {
  ClPduBuilder b(Ptype::request);
  b.flags1(kClIdempotent | kClFrag)
      .serial(0x0102)
      .interface_id(kEpmInterface)
      .act_id(kActivity)
      .server_boot(0x11223344)
      .seqnum(5)
      .opnum(3)
      .fragnum(2)
      .stub(hex_bytes("aabbcc"));
  return b;
}

TEST(ClPduBuilder, RequestHeaderLittleEndianOctetForOctet) {
  EXPECT_EQ(sample_request().build(), hex_bytes("04 00 24 00 100000 01"
                                                "00000000 0000 0000 0000000000000000"
                                                "0883afe1 1f5d c911 91a408002b14a0fa"
                                                "04030201 0605 0807 090a0b0c0d0e0f10"
                                                "44332211 03000000 05000000"
                                                "0300 ffff ffff 0300 0200 00 02"
                                                "aabbcc"));
}

TEST(ClPduBuilder, RequestHeaderBigEndianSwapsIntegersAndUuidFields) {
  EXPECT_EQ(sample_request().big_endian().build(), hex_bytes("04 00 24 00 000000 01"
                                                             "00000000 0000 0000 0000000000000000"
                                                             "e1af8308 5d1f 11c9 91a408002b14a0fa"
                                                             "01020304 0506 0708 090a0b0c0d0e0f10"
                                                             "11223344 00000003 00000005"
                                                             "0003 ffff ffff 0003 0002 00 02"
                                                             "aabbcc"));
}

TEST(ClPduBuilder, InterfaceVersionHasTheMajorInTheLow16Bits) {
  const SyntaxId v21{kEpmInterface.uuid, 2, 1};
  const Bytes pdu = ClPduBuilder(Ptype::ping).interface_id(v21).build();
  EXPECT_EQ(slice(pdu, 60, 4), hex_bytes("02000100"));
  EXPECT_EQ(slice(ClPduBuilder(Ptype::ping).interface_id(v21).big_endian().build(), 60, 4),
            hex_bytes("00010002"));
}

TEST(ClPduBuilder, HeaderOnlyPdusHaveLengthZero) {
  for (Ptype t : {Ptype::ping, Ptype::working, Ptype::ack, Ptype::nocall}) {
    const Bytes pdu = ClPduBuilder(t).build();
    ASSERT_EQ(pdu.size(), kClHeaderSize);
    EXPECT_EQ(pdu[1], std::byte{static_cast<std::uint8_t>(t)});
    EXPECT_EQ(slice(pdu, 74, 2), hex_bytes("0000"));
    EXPECT_EQ(slice(pdu, 70, 4), hex_bytes("ffff ffff"));  // no hints by default
  }
}

TEST(ClPduBuilder, FaultAndRejectCarryAStatusInDrepOrder) {
  const Bytes fault = ClPduBuilder(Ptype::fault).status(kNcaOpRngError).build();
  EXPECT_EQ(slice(fault, 74, 2), hex_bytes("0400"));
  EXPECT_EQ(slice(fault, 80, 4), hex_bytes("0200011c"));
  const Bytes reject = ClPduBuilder(Ptype::reject).status(kNcaUnkIf).big_endian().build();
  EXPECT_EQ(slice(reject, 74, 2), hex_bytes("0004"));
  EXPECT_EQ(slice(reject, 80, 4), hex_bytes("1c010003"));
}

TEST(ClPduBuilder, FackBodyWithSelectiveAcks) {
  const FackBody body = make_fack_body(8, 1464, 1464, 1, {0x1, 0xff});
  const Bytes le = ClPduBuilder(Ptype::fack).fragnum(1).fack(body).build();
  EXPECT_EQ(slice(le, 74, 4), hex_bytes("1800 0100"));  // len 24, fragnum 1
  EXPECT_EQ(slice(le, 80, 24),
            hex_bytes("01 00 0800 b8050000 b8050000 0100 0200 01000000 ff000000"));
  const Bytes be = ClPduBuilder(Ptype::fack).fack(body).big_endian().build();
  EXPECT_EQ(slice(be, 80, 24),
            hex_bytes("01 00 0008 000005b8 000005b8 0001 0002 00000001 000000ff"));
}

TEST(ClPduBuilder, FackSelackLenCanLie) {
  FackBody body = make_fack_body(8, 1464, 1464, 0);
  body.selack_len = 3;
  const Bytes pdu = ClPduBuilder(Ptype::fack).fack(body).build();
  ASSERT_EQ(pdu.size(), kClHeaderSize + 16);
  EXPECT_EQ(slice(pdu, 94, 2), hex_bytes("0300"));
}

TEST(ClPduBuilder, NocallCarriesAFackBodyOnlyWhenGiven) {
  EXPECT_EQ(ClPduBuilder(Ptype::nocall).build().size(), kClHeaderSize);
  const Bytes pdu =
      ClPduBuilder(Ptype::nocall).fragnum(0xffff).fack(make_fack_body(8, 1464, 1464, 0)).build();
  EXPECT_EQ(slice(pdu, 74, 4), hex_bytes("1000 ffff"));
  EXPECT_EQ(slice(pdu, 80, 16), hex_bytes("01 00 0800 b8050000 b8050000 0000 0000"));
}

TEST(ClPduBuilder, CancelAndCancelAckBodies) {
  const Bytes cancel = ClPduBuilder(Ptype::cl_cancel).cancel(7).build();
  EXPECT_EQ(slice(cancel, 74, 2), hex_bytes("0800"));
  EXPECT_EQ(slice(cancel, 80, 8), hex_bytes("00000000 07000000"));
  const Bytes ack = ClPduBuilder(Ptype::cancel_ack).cancel_ack(7, true).big_endian().build();
  EXPECT_EQ(slice(ack, 74, 2), hex_bytes("0009"));
  EXPECT_EQ(slice(ack, 80, 9), hex_bytes("00000000 00000007 01"));
}

TEST(ClPduBuilder, LenOverrideAndRawBody) {
  const Bytes pdu = ClPduBuilder(Ptype::response).stub(hex_bytes("0102")).len(0x1234).build();
  ASSERT_EQ(pdu.size(), kClHeaderSize + 2);
  EXPECT_EQ(slice(pdu, 74, 2), hex_bytes("3412"));
  const Bytes raw = ClPduBuilder(Ptype::working).body(hex_bytes("dead")).build();
  EXPECT_EQ(slice(raw, 74, 2), hex_bytes("0200"));
  EXPECT_EQ(slice(raw, 80, 2), hex_bytes("dead"));
}

TEST(ClFragment, SetsFragFlagsFragnumsAndSerials) {
  ClPduBuilder proto(Ptype::request);
  proto.flags1(kClIdempotent | kClNoFack | kClLastFrag).serial(5).seqnum(9);
  const Bytes stub = hex_bytes("0102030405060708 090a0b0c0d0e0f10 11");
  const std::vector<std::size_t> sizes{8, 8, 1};
  const std::vector<ClPduBuilder> frags = cl_fragment(proto, stub, sizes);
  ASSERT_EQ(frags.size(), 3u);
  const std::uint8_t want_flags[] = {0x2c, 0x2c, 0x2e};
  for (std::size_t i = 0; i < frags.size(); ++i) {
    const Bytes pdu = frags[i].build();
    EXPECT_EQ(pdu[2], std::byte{want_flags[i]}) << i;
    EXPECT_EQ(std::to_integer<std::size_t>(pdu[76]), i) << i;      // fragnum, little-endian
    EXPECT_EQ(std::to_integer<std::size_t>(pdu[79]), 5 + i) << i;  // serial_lo
    EXPECT_EQ(slice(pdu, 64, 4), hex_bytes("09000000")) << i;
    EXPECT_EQ(slice(pdu, 80, sizes[i]), slice(stub, i * 8, sizes[i])) << i;
  }
}

TEST(ClFragment, RejectsBadPieces) {
  const ClPduBuilder proto(Ptype::request);
  const Bytes stub(10, std::byte{0});
  const std::vector<std::size_t> short_sum{4, 4};
  const std::vector<std::size_t> one{10};
  EXPECT_THROW(cl_fragment(proto, stub, short_sum), std::invalid_argument);
  EXPECT_THROW(cl_fragment(proto, stub, one), std::invalid_argument);
}

}  // namespace
}  // namespace rpctrace::testsupport
