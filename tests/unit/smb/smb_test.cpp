// The SMB parsers on hand-built messages: well-formed ones, and each way a message can lie.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rpctrace/smb/smb1.hpp"
#include "rpctrace/smb/smb2.hpp"

namespace rpctrace::smb {
namespace {

using Octets = std::vector<std::byte>;

// n little-endian octets of v; octets past the eighth are zero (a shift by 64 is undefined).
void put(Octets& o, std::uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i)
    o.push_back(i < 8 ? static_cast<std::byte>((v >> (8 * i)) & 0xff) : std::byte{0});
}
void set(Octets& o, std::size_t at, std::uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; ++i) o[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}
void utf16(Octets& o, const std::string& s) {
  for (char c : s) put(o, static_cast<unsigned char>(c), 2);
}

// An SMB2 header (MS-SMB2 2.2.1.2) for `command`, sync, with `next` as NextCommand.
Octets smb2_header(std::uint16_t command, bool response, std::uint32_t next = 0,
                   std::uint64_t message_id = 7) {
  Octets o = {std::byte{0xfe}, std::byte{'S'}, std::byte{'M'}, std::byte{'B'}};
  put(o, 64, 2);  // StructureSize
  put(o, 0, 2);   // CreditCharge
  put(o, 0, 4);   // Status
  put(o, command, 2);
  put(o, 1, 2);  // Credits
  put(o, response ? smb2::flags::server_to_redir : 0, 4);
  put(o, next, 4);
  put(o, message_id, 8);
  put(o, 0, 4);       // Reserved
  put(o, 0x11, 4);    // TreeId
  put(o, 0x2222, 8);  // SessionId
  put(o, 0, 16);      // Signature
  return o;
}

// A CREATE request of `name` (MS-SMB2 2.2.13).
Octets create_request(const std::string& name) {
  Octets o = smb2_header(smb2::command::create, false);
  put(o, 57, 2);
  put(o, 0, 1 + 1 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 4);
  put(o, 64 + 56, 2);          // NameOffset
  put(o, name.size() * 2, 2);  // NameLength
  put(o, 0, 4 + 4);            // CreateContexts
  utf16(o, name);
  return o;
}

smb2::Message only(const Octets& o) {
  auto chain = smb2::split_chain(o, 32);
  EXPECT_EQ(chain.messages.size(), 1u);
  EXPECT_FALSE(chain.error);
  return chain.messages.at(0);
}

TEST(Smb2, CreateRequestGivesThePipeName) {
  Octets o = create_request("samr");
  auto r = smb2::parse_create_request(only(o));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.value().name, "samr");
  EXPECT_EQ(only(o).header.tree_id, 0x11u);
  EXPECT_EQ(only(o).header.session_id, 0x2222u);
  EXPECT_FALSE(only(o).header.response());
}

TEST(Smb2, ANameOffsetPastTheMessageIsMalformed) {
  Octets o = create_request("samr");
  set(o, 64 + 44, 4000, 2);  // NameOffset
  auto r = smb2::parse_create_request(only(o));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, Reason::offset_out_of_range);
}

TEST(Smb2, ANamePastKMaxNameOctetsIsMalformed) {
  auto r = smb2::parse_create_request(only(create_request(std::string(kMaxNameOctets + 1, 'a'))));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, Reason::name_too_long);
  EXPECT_TRUE(smb2::parse_create_request(only(create_request(std::string(kMaxNameOctets, 'a'))))
                  .is_complete());
}

TEST(Smb2, ALyingStructureSizeIsMalformed) {
  Octets o = create_request("samr");
  set(o, 64, 56, 2);
  auto r = smb2::parse_create_request(only(o));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, Reason::structure_size);
}

TEST(Smb2, ACompoundChainSplitsAtNextCommand) {
  Octets first = create_request("lsarpc");
  while (first.size() % 8) first.push_back(std::byte{0});
  set(first, 20, first.size(), 4);
  Octets second = smb2_header(smb2::command::close, false, 0, 8);
  put(second, 24, 2);
  put(second, 0, 2 + 4 + 16);
  Octets all = first;
  all.insert(all.end(), second.begin(), second.end());
  auto chain = smb2::split_chain(all, 32);
  ASSERT_EQ(chain.messages.size(), 2u);
  EXPECT_FALSE(chain.error);
  EXPECT_EQ(chain.messages[1].header.command, smb2::command::close);
  EXPECT_EQ(chain.messages[1].header.message_id, 8u);
  EXPECT_TRUE(smb2::parse_close_request(chain.messages[1]).is_complete());
}

TEST(Smb2, ANextCommandIntoTheHeaderOrPastTheDataStopsTheChain) {
  for (std::uint32_t next : {32u, 0x7fff8u, 12u}) {
    Octets o = create_request("samr");
    set(o, 20, next, 4);
    auto chain = smb2::split_chain(o, 32);
    ASSERT_TRUE(chain.error) << next;
    EXPECT_EQ(chain.error->reason, Reason::next_command) << next;
    EXPECT_EQ(chain.messages.size(), 1u) << next;  // what came before still decodes
  }
}

TEST(Smb2, AChainLongerThanTheLimitIsMalformed) {
  Octets all;
  for (unsigned i = 0; i < 4; ++i) {
    Octets m = smb2_header(smb2::command::close, false, i < 3 ? 64 + 24 + 8 : 0, i);
    put(m, 24, 2);
    put(m, 0, 2 + 4 + 16 + 8);  // body and padding to 8
    all.insert(all.end(), m.begin(), m.end());
  }
  auto chain = smb2::split_chain(all, 2);
  ASSERT_TRUE(chain.error);
  EXPECT_EQ(chain.error->reason, Reason::chain_too_deep);
  EXPECT_EQ(chain.messages.size(), 2u);
}

TEST(Smb2, ReadResponseDataIsFoundByItsOffset) {
  Octets o = smb2_header(smb2::command::read, true);
  put(o, 17, 2);
  put(o, 64 + 16, 1);  // DataOffset
  put(o, 0, 1);
  put(o, 4, 4);  // DataLength
  put(o, 0, 4 + 4);
  put(o, 0x04030205, 4);
  auto r = smb2::parse_read_response(only(o));
  ASSERT_TRUE(r.is_complete());
  ASSERT_EQ(r.value().data.size(), 4u);
  EXPECT_EQ(r.value().data[0], std::byte{5});
  set(o, 64 + 4, 5, 4);  // a DataLength one past the end
  EXPECT_EQ(smb2::parse_read_response(only(o)).error().reason, Reason::offset_out_of_range);
}

TEST(SmbProtocol, IsTakenFromTheFirstFourOctets) {
  Octets o = create_request("x");
  EXPECT_EQ(protocol_of(o), Protocol::smb2);
  o[0] = std::byte{0xfd};
  EXPECT_EQ(protocol_of(o), Protocol::transform);
  o[0] = std::byte{0xff};
  EXPECT_EQ(protocol_of(o), Protocol::smb1);
  o[1] = std::byte{'X'};
  EXPECT_EQ(protocol_of(o), Protocol::none);
}

// An SMB1 header (MS-CIFS 2.2.3.1), ASCII strings.
Octets smb1_header(std::uint8_t command) {
  Octets o = {std::byte{0xff}, std::byte{'S'}, std::byte{'M'}, std::byte{'B'}};
  put(o, command, 1);
  put(o, 0, 4);       // Status
  put(o, 0x18, 1);    // Flags
  put(o, 0x4001, 2);  // Flags2: NT status, long names
  put(o, 0, 2 + 8 + 2);
  put(o, 0x800, 2);   // TID
  put(o, 0x1234, 2);  // PIDLow
  put(o, 0x100, 2);   // UID
  put(o, 0x42, 2);    // MID
  return o;
}

// WRITE_ANDX of `data` to FID 0x4000 with `mode`, then `next` chained at `next_offset`.
Octets write_andx(const Octets& data, std::uint16_t mode, std::uint8_t next = 0xff,
                  std::uint16_t next_offset = 0) {
  Octets o = smb1_header(smb1::command::write_andx);
  put(o, 12, 1);  // WordCount
  put(o, next, 1);
  put(o, 0, 1);
  put(o, next_offset, 2);
  put(o, 0x4000, 2);  // FID
  put(o, 0, 4 + 4);   // Offset, Timeout
  put(o, mode, 2);
  put(o, data.size(), 2);          // Remaining
  put(o, 0, 2);                    // DataLengthHigh
  put(o, data.size(), 2);          // DataLength
  put(o, 32 + 1 + 24 + 2 + 1, 2);  // DataOffset: after ByteCount and a pad octet
  put(o, data.size() + 1, 2);      // ByteCount
  put(o, 0, 1);
  o.insert(o.end(), data.begin(), data.end());
  return o;
}

TEST(Smb1, WriteAndxCarriesItsDataAndARawMessageStartDropsTheLength) {
  Octets data = {std::byte{5}, std::byte{0}, std::byte{11}, std::byte{3}};
  const Octets octets = write_andx(data, smb1::kWriteModeMessageStart);  // the message views it
  auto m = smb1::parse_message(octets, 32);
  ASSERT_FALSE(m.error);
  ASSERT_EQ(m.commands.size(), 1u);
  auto r = smb1::parse_write_request(m, m.commands[0]);
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.value().fid, 0x4000);
  EXPECT_EQ(r.value().data.size(), 4u);
  EXPECT_EQ(m.header.mid, 0x42);
  const Octets raw_octets = write_andx(data, smb1::kWriteModeMessageStart | smb1::kWriteModeRaw);
  auto raw = smb1::parse_message(raw_octets, 32);
  auto rr = smb1::parse_write_request(raw, raw.commands[0]);
  ASSERT_TRUE(rr.is_complete());
  EXPECT_EQ(rr.value().data.size(), 2u);
}

TEST(Smb1, AnAndxOffsetThatDoesNotMoveForwardIsMalformed) {
  Octets data = {std::byte{5}, std::byte{0}};
  for (std::uint16_t offset : {std::uint16_t{32}, std::uint16_t{10}, std::uint16_t{9000}}) {
    const Octets octets = write_andx(data, 0, smb1::command::close, offset);
    auto m = smb1::parse_message(octets, 32);
    ASSERT_TRUE(m.error) << offset;
    EXPECT_EQ(m.error->reason, Reason::andx_offset) << offset;
    EXPECT_EQ(m.commands.size(), 1u) << offset;  // the first command still decodes
  }
}

TEST(Smb1, AWordCountPastTheMessageIsTruncated) {
  Octets o = smb1_header(smb1::command::close);
  put(o, 200, 1);
  auto m = smb1::parse_message(o, 32);
  ASSERT_TRUE(m.error);
  EXPECT_EQ(m.error->reason, Reason::truncated);
  EXPECT_TRUE(m.commands.empty());
}

TEST(Smb1, AWriteDataOffsetOutsideTheMessageIsMalformed) {
  Octets data = {std::byte{5}, std::byte{0}};
  Octets o = write_andx(data, 0);
  set(o, 32 + 1 + 22, 60000, 2);  // DataOffset
  auto m = smb1::parse_message(o, 32);
  auto r = smb1::parse_write_request(m, m.commands.at(0));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, Reason::offset_out_of_range);
}

}  // namespace
}  // namespace rpctrace::smb
