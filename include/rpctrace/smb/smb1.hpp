// SMB1 messages (MS-CIFS 2.2, MS-SMB 2.2), as far as following named pipes needs: the header,
// AndX chains, and the commands that open, carry and close a pipe. Offsets in the words
// (AndXOffset, DataOffset, ParameterOffset) count from the start of the header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/smb/types.hpp"

namespace rpctrace::smb::smb1 {

inline constexpr std::size_t kHeaderSize = 32;

// Commands (MS-CIFS 2.2.2.1).
namespace command {
inline constexpr std::uint8_t close = 0x04;
inline constexpr std::uint8_t write = 0x0b;
inline constexpr std::uint8_t transaction = 0x25;
inline constexpr std::uint8_t transaction_secondary = 0x26;
inline constexpr std::uint8_t read_andx = 0x2e;
inline constexpr std::uint8_t write_andx = 0x2f;
inline constexpr std::uint8_t tree_disconnect = 0x71;
inline constexpr std::uint8_t negotiate = 0x72;
inline constexpr std::uint8_t session_setup_andx = 0x73;
inline constexpr std::uint8_t logoff_andx = 0x74;
inline constexpr std::uint8_t tree_connect_andx = 0x75;
inline constexpr std::uint8_t nt_create_andx = 0xa2;
inline constexpr std::uint8_t no_andx = 0xff;  // AndXCommand: the chain ends
}  // namespace command
// "NT_CREATE_ANDX", "TRANSACTION", ... or "command 0x1F".
std::string command_name(std::uint8_t command);

inline constexpr std::uint8_t kFlagsReply = 0x80;         // Flags (MS-CIFS 2.2.3.1)
inline constexpr std::uint16_t kFlags2Unicode = 0x8000;   // Flags2: strings are UTF-16LE
inline constexpr std::uint16_t kFlags2NtStatus = 0x4000;  // Flags2: Status is an NTSTATUS
// TRANSACTION subcommands on a pipe, Setup[0] (MS-CIFS 2.2.5).
inline constexpr std::uint16_t kTransactNmPipe = 0x0026;
inline constexpr std::uint16_t kRawWriteNmPipe = 0x0031;
inline constexpr std::uint16_t kReadNmPipe = 0x0036;
inline constexpr std::uint16_t kWriteNmPipe = 0x0037;
// WRITE_ANDX WriteMode (MS-CIFS 2.2.4.43.1): RAW_MODE with MSG_START means the data begins
// with the message's two-octet length.
inline constexpr std::uint16_t kWriteModeRaw = 0x0004;
inline constexpr std::uint16_t kWriteModeMessageStart = 0x0008;

struct Header {
  std::uint8_t command = 0;
  std::uint32_t status = 0;
  std::uint8_t flags = 0;
  std::uint16_t flags2 = 0;
  std::uint16_t tid = 0;
  std::uint32_t pid = 0;  // PIDHigh << 16 | PIDLow
  std::uint16_t uid = 0;
  std::uint16_t mid = 0;
  [[nodiscard]] bool reply() const { return (flags & kFlagsReply) != 0; }
  [[nodiscard]] bool unicode() const { return (flags2 & kFlags2Unicode) != 0; }
};

// One command of a message: its parameter words and data bytes.
struct Command {
  std::uint8_t command = 0;
  Bytes words;
  Bytes bytes;
  std::size_t bytes_offset = 0;  // of `bytes`, from the header's start (string alignment)
};

// A message: the header, its commands in AndX order as far as they are well formed, and why
// the rest was not read.
struct Message {
  Header header;
  Bytes octets;  // the whole message, header included
  std::vector<Command> commands;
  std::optional<common::Malformed<Reason>> error;
};
Message parse_message(Bytes data, std::size_t max_chain);

// The commands' parameters. `m` gives the header (string form) and the octets that offsets
// point into.
struct NtCreateRequest {
  std::string name;  // "\samr" or "samr" on IPC$
};
Result<NtCreateRequest> parse_nt_create_request(const Message& m, const Command& c);
Result<std::uint16_t> parse_nt_create_response(const Message& m, const Command& c);  // the FID

Result<std::uint16_t> parse_close_request(const Message& m, const Command& c);  // the FID

Result<std::uint16_t> parse_read_request(const Message& m, const Command& c);  // the FID
Result<Bytes> parse_read_response(const Message& m, const Command& c);         // the data

struct WriteRequest {
  std::uint16_t fid = 0;
  std::uint16_t write_mode = 0;
  Bytes data;  // without the two-octet message length of a raw message-start write
};
Result<WriteRequest> parse_write_request(const Message& m, const Command& c);
// SMB_COM_WRITE (MS-CIFS 2.2.4.12.1), the core dialect's write that some clients still send.
Result<WriteRequest> parse_core_write_request(const Message& m, const Command& c);

// TRANSACTION request (MS-CIFS 2.2.4.33.1) or response (2.2.4.33.2): the setup words, and the
// parameter and data octets this message carries (a part of the totals when it is split).
struct Transaction {
  std::string name;  // requests: "\PIPE\"
  std::vector<std::uint16_t> setup;
  Bytes parameters, data;
  std::uint16_t total_data = 0;
  std::uint16_t data_displacement = 0;  // responses and secondary requests
};
Result<Transaction> parse_transaction_request(const Message& m, const Command& c);
Result<Transaction> parse_transaction_secondary(const Message& m, const Command& c);
Result<Transaction> parse_transaction_response(const Message& m, const Command& c);

struct TreeConnectRequest {
  std::string path;  // \\server\IPC$
};
Result<TreeConnectRequest> parse_tree_connect_request(const Message& m, const Command& c);

struct SessionSetupRequest {
  Bytes security_blob;          // extended security (WordCount 12)
  std::string account, domain;  // NT LM 0.12 without extended security (WordCount 13)
};
Result<SessionSetupRequest> parse_session_setup_request(const Message& m, const Command& c);
struct SessionSetupResponse {
  std::uint16_t action = 0;  // 1: logged on as guest
  Bytes security_blob;
};
Result<SessionSetupResponse> parse_session_setup_response(const Message& m, const Command& c);

}  // namespace rpctrace::smb::smb1
