// Tests of src/dcerpc/verification_trailer.cpp: the verification trailer at the end of a
// request stub (MS-RPCE 2.2.2.13: an 8-octet signature, 4-aligned in the stub, then commands
// SEC_VT_COMMAND_BITMASK_1 (1), PCONTEXT (2), HEADER2 (3), the last one flagged END 0x4000,
// MUST_PROCESS 0x8000; integers in the PDU's byte order).
#include "rpctrace/dcerpc/verification_trailer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::pattern;
using unittest::view;
namespace ts = testsupport;

// MS-RPCE 2.2.2.13.1 rpc_sec_verification_trailer.signature.
const ts::Bytes kSignature = ts::hex_bytes("8a e3 13 71 02 f4 36 71");

struct Command {
  std::uint16_t command;
  ts::Bytes value;
};

// NDR data of `ndr_size` octets, padded to 4, the signature, then the commands.
ts::Bytes stub_with_trailer(ts::Endian e, std::size_t ndr_size, const std::vector<Command>& cmds,
                            bool align = true) {
  ts::ByteWriter w(e);
  w.bytes(pattern(ndr_size));
  if (align) w.align(4);
  w.bytes(kSignature);
  for (const Command& c : cmds)
    w.u16(c.command).u16(static_cast<std::uint16_t>(c.value.size())).bytes(c.value);
  return w.take();
}

ts::Bytes bitmask_1(ts::Endian e) {
  return ts::ByteWriter(e).u32(1).take();
}  // client header signing
ts::Bytes pcontext(ts::Endian e) {  // interface id + transfer syntax, MS-RPCE 2.2.2.13.4
  ts::ByteWriter w(e);
  ts::kEpmInterface.write(w);
  ts::kNdrSyntax.write(w);
  return w.take();
}

class TrailerOrder : public ::testing::TestWithParam<ts::Endian> {};

TEST_P(TrailerOrder, PresentWithBitmaskAndPcontext) {
  const ts::Endian e = GetParam();
  const ts::Bytes stub = stub_with_trailer(e, 21, {{0x0001, bitmask_1(e)}, {0x4002, pcontext(e)}});
  auto t = find_verification_trailer(view(stub), unittest::to_order(e));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->offset, 24u);
  ASSERT_EQ(t->commands.size(), 2u);
  EXPECT_EQ(t->commands[0].command, 1);
  EXPECT_EQ(t->commands[0].length, 4);
  EXPECT_FALSE(t->commands[0].must_process);
  EXPECT_EQ(t->commands[1].command, 2);
  EXPECT_EQ(t->commands[1].length, 40);
}

TEST_P(TrailerOrder, MustProcessBitAndHeader2) {
  const ts::Endian e = GetParam();
  const ts::Bytes stub = stub_with_trailer(e, 8, {{0x8002, pcontext(e)}, {0xc003, pattern(28)}});
  auto t = find_verification_trailer(view(stub), unittest::to_order(e));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->offset, 8u);
  ASSERT_EQ(t->commands.size(), 2u);
  EXPECT_TRUE(t->commands[0].must_process);
  EXPECT_EQ(t->commands[1].command, 3);
  EXPECT_TRUE(t->commands[1].must_process);
  EXPECT_EQ(t->commands[1].length, 28);
}

TEST_P(TrailerOrder, ReadInTheWrongByteOrderItIsNotFound) {
  const ts::Endian e = GetParam();
  const ts::Bytes stub = stub_with_trailer(e, 12, {{0x4002, pcontext(e)}});
  const auto wrong = e == ts::Endian::little ? common::ByteOrder::big : common::ByteOrder::little;
  EXPECT_FALSE(find_verification_trailer(view(stub), wrong).has_value());
}

INSTANTIATE_TEST_SUITE_P(Drep, TrailerOrder, unittest::kBothOrders, unittest::order_name);

TEST(VerificationTrailer, Absent) {
  EXPECT_FALSE(find_verification_trailer(view(pattern(100)), common::ByteOrder::little));
  EXPECT_FALSE(find_verification_trailer(Bytes{}, common::ByteOrder::little));
  EXPECT_FALSE(find_verification_trailer(view(kSignature), common::ByteOrder::little));
}

TEST(VerificationTrailer, SignatureNotFollowedByValidCommands) {
  const ts::Endian e = ts::Endian::little;
  const auto le = common::ByteOrder::little;
  // Signature and nothing after it.
  EXPECT_FALSE(find_verification_trailer(view(stub_with_trailer(e, 16, {})), le));
  // A command whose length runs past the stub.
  ts::Bytes past = stub_with_trailer(e, 16, {{0x4002, pcontext(e)}});
  past.resize(past.size() - 1);
  EXPECT_FALSE(find_verification_trailer(view(past), le));
  // The last command lacks the END flag.
  EXPECT_FALSE(
      find_verification_trailer(view(stub_with_trailer(e, 16, {{0x0002, pcontext(e)}})), le));
  // Octets after the END command.
  ts::Bytes after = stub_with_trailer(e, 16, {{0x4001, bitmask_1(e)}});
  after.insert(after.end(), 4, std::byte{0});
  EXPECT_FALSE(find_verification_trailer(view(after), le));
  // A command header cut in half.
  ts::Bytes half = stub_with_trailer(e, 16, {});
  half.push_back(std::byte{0x02});
  half.push_back(std::byte{0x40});
  EXPECT_FALSE(find_verification_trailer(view(half), le));
}

TEST(VerificationTrailer, SignatureMustBeFourAligned) {
  const ts::Endian e = ts::Endian::little;
  const ts::Bytes unaligned = stub_with_trailer(e, 21, {{0x4001, bitmask_1(e)}}, false);
  EXPECT_FALSE(find_verification_trailer(view(unaligned), common::ByteOrder::little));
}

TEST(VerificationTrailer, SkipsAFalseSignatureBeforeTheRealOne) {
  const ts::Endian e = ts::Endian::little;
  // NDR data that happens to contain the signature (followed by junk), then the real trailer.
  ts::Bytes ndr = ts::concat({pattern(4), kSignature, pattern(12)});
  ts::Bytes stub =
      ts::concat({ndr, kSignature, ts::ByteWriter(e).u16(0x4001).u16(4).u32(1).take()});
  auto t = find_verification_trailer(view(stub), common::ByteOrder::little);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->offset, 24u);
}

TEST(VerificationTrailer, FoundAtTheEndOfALongStub) {
  const ts::Endian e = ts::Endian::little;
  const ts::Bytes stub =
      stub_with_trailer(e, 4000, {{0x0001, bitmask_1(e)}, {0x4002, pcontext(e)}});
  auto t = find_verification_trailer(view(stub), common::ByteOrder::little);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->offset, 4000u);
}

TEST(VerificationTrailer, CommandNames) {
  EXPECT_EQ(verification_command_name(1), "bitmask_1");
  EXPECT_EQ(verification_command_name(2), "pcontext");
  EXPECT_EQ(verification_command_name(3), "header2");
  EXPECT_EQ(verification_command_name(0), "");
  EXPECT_EQ(verification_command_name(4), "");
}

}  // namespace
}  // namespace rpctrace::dcerpc
