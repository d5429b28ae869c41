// SMB2 and SMB3 messages (MS-SMB2 2.2), as far as following named pipes needs: the header,
// compound chains, and the bodies of the commands that open, carry and close a pipe. Buffer
// offsets in a body count from the start of its own header (MS-SMB2 2.2.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/smb/types.hpp"

namespace rpctrace::smb::smb2 {

inline constexpr std::size_t kHeaderSize = 64;

// Commands (MS-SMB2 2.2.1.2).
namespace command {
inline constexpr std::uint16_t negotiate = 0x0000;
inline constexpr std::uint16_t session_setup = 0x0001;
inline constexpr std::uint16_t logoff = 0x0002;
inline constexpr std::uint16_t tree_connect = 0x0003;
inline constexpr std::uint16_t tree_disconnect = 0x0004;
inline constexpr std::uint16_t create = 0x0005;
inline constexpr std::uint16_t close = 0x0006;
inline constexpr std::uint16_t read = 0x0008;
inline constexpr std::uint16_t write = 0x0009;
inline constexpr std::uint16_t ioctl = 0x000b;
inline constexpr std::uint16_t cancel = 0x000c;
inline constexpr std::uint16_t oplock_break = 0x0012;
}  // namespace command
// "CREATE", "READ", ... or "command 0x1F".
std::string command_name(std::uint16_t command);

// Header Flags (MS-SMB2 2.2.1.2).
namespace flags {
inline constexpr std::uint32_t server_to_redir = 0x00000001;
inline constexpr std::uint32_t async_command = 0x00000002;
inline constexpr std::uint32_t related_operations = 0x00000004;
inline constexpr std::uint32_t signed_message = 0x00000008;
}  // namespace flags

// FSCTL_PIPE_TRANSCEIVE (MS-FSCC 2.3.49): write a message to a pipe and read the answer.
inline constexpr std::uint32_t kFsctlPipeTransceive = 0x0011c017;
// TREE_CONNECT response ShareType (MS-SMB2 2.2.10).
inline constexpr std::uint8_t kShareTypeDisk = 0x01;
inline constexpr std::uint8_t kShareTypePipe = 0x02;
inline constexpr std::uint8_t kShareTypePrint = 0x03;
// SESSION_SETUP response SessionFlags (MS-SMB2 2.2.6).
inline constexpr std::uint16_t kSessionFlagIsGuest = 0x0001;
inline constexpr std::uint16_t kSessionFlagIsNull = 0x0002;
inline constexpr std::uint16_t kSessionFlagEncryptData = 0x0004;

// SMB2_FILEID (MS-SMB2 2.2.14.1). All ones in a related compound member means "the file
// the previous member opened" (MS-SMB2 3.2.4.1.4).
struct FileId {
  std::uint64_t persistent = 0;
  std::uint64_t volatile_id = 0;
  bool operator==(const FileId&) const = default;
  [[nodiscard]] bool is_previous() const {
    return persistent == ~std::uint64_t{0} && volatile_id == ~std::uint64_t{0};
  }
};

struct Header {
  std::uint16_t credit_charge = 0;
  std::uint32_t status = 0;  // responses; ChannelSequence in SMB 3.x requests
  std::uint16_t command = 0;
  std::uint16_t credits = 0;
  std::uint32_t flags = 0;
  std::uint32_t next_command = 0;
  std::uint64_t message_id = 0;
  std::uint64_t async_id = 0;  // flags async_command
  std::uint32_t tree_id = 0;   // otherwise
  std::uint64_t session_id = 0;

  [[nodiscard]] bool response() const { return (flags & flags::server_to_redir) != 0; }
  [[nodiscard]] bool async() const { return (flags & flags::async_command) != 0; }
  [[nodiscard]] bool related() const { return (flags & flags::related_operations) != 0; }
};

// One member of a compound chain: its header and its octets (header included) up to the next
// member or the end.
struct Message {
  Header header;
  Bytes octets;
};

// The members of a chain, in order, as far as they are well formed; `error` says why the rest
// was not read (a NextCommand past the data, misaligned, or a chain past max_chain).
struct Chain {
  std::vector<Message> messages;
  std::optional<common::Malformed<Reason>> error;
};
Chain split_chain(Bytes data, std::size_t max_chain);

// SMB2 TRANSFORM_HEADER (MS-SMB2 2.2.41): an encrypted message.
struct TransformHeader {
  std::uint32_t original_size = 0;
  std::uint64_t session_id = 0;
};
Result<TransformHeader> parse_transform_header(Bytes data);

// The bodies. Each checks its StructureSize and that its buffers lie inside the message.
struct NegotiateResponse {
  std::uint16_t dialect = 0;  // 0x0202, 0x0210, 0x0300, 0x0302, 0x0311, 0x02FF (wildcard)
};
Result<NegotiateResponse> parse_negotiate_response(const Message& m);

struct SessionSetupRequest {
  Bytes security_blob;  // SPNEGO, or a raw NTLMSSP/Kerberos token
};
Result<SessionSetupRequest> parse_session_setup_request(const Message& m);
struct SessionSetupResponse {
  std::uint16_t session_flags = 0;
  Bytes security_blob;
};
Result<SessionSetupResponse> parse_session_setup_response(const Message& m);

struct TreeConnectRequest {
  std::string path;  // \\server\share
};
Result<TreeConnectRequest> parse_tree_connect_request(const Message& m);
struct TreeConnectResponse {
  std::uint8_t share_type = 0;
};
Result<TreeConnectResponse> parse_tree_connect_response(const Message& m);

struct CreateRequest {
  std::string name;  // relative to the share: "samr", "lsarpc" on IPC$
};
Result<CreateRequest> parse_create_request(const Message& m);
struct CreateResponse {
  FileId file_id;
  std::uint32_t create_action = 0;
};
Result<CreateResponse> parse_create_response(const Message& m);

Result<FileId> parse_close_request(const Message& m);

struct ReadRequest {
  FileId file_id;
  std::uint32_t length = 0;
};
Result<ReadRequest> parse_read_request(const Message& m);
struct ReadResponse {
  Bytes data;
  std::uint32_t data_remaining = 0;
};
Result<ReadResponse> parse_read_response(const Message& m);

struct WriteRequest {
  FileId file_id;
  Bytes data;
  std::uint32_t length = 0;  // as the request says (data may be shorter when the capture cut it)
};
Result<WriteRequest> parse_write_request(const Message& m);

struct IoctlRequest {
  std::uint32_t ctl_code = 0;
  FileId file_id;
  Bytes input;
};
Result<IoctlRequest> parse_ioctl_request(const Message& m);
struct IoctlResponse {
  std::uint32_t ctl_code = 0;
  FileId file_id;
  Bytes output;
};
Result<IoctlResponse> parse_ioctl_response(const Message& m);

// An ERROR response (MS-SMB2 2.2.2): StructureSize 9, whatever the command.
[[nodiscard]] bool is_error_response(const Message& m);

}  // namespace rpctrace::smb::smb2
