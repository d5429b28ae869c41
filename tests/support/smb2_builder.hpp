// Smb2Builder: SMB2 messages (MS-SMB2 2.2) for tests — what a client and a server exchange
// to reach a named pipe and carry DCE/RPC through it. Each message is built whole (64-octet
// sync header, body with its StructureSize, buffers at the offsets the spec gives); session()
// frames one or more (a compound chain, NextCommand set, 8-octet aligned) in the 4-octet
// session header of direct TCP (MS-SMB2 2.1). Fields are plain members so a test can lie.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/bytes.hpp"

namespace rpctrace::testsupport {

namespace smb2cmd {
inline constexpr std::uint16_t negotiate = 0x0000, session_setup = 0x0001, logoff = 0x0002,
                               tree_connect = 0x0003, tree_disconnect = 0x0004, create = 0x0005,
                               close = 0x0006, read = 0x0008, write = 0x0009, ioctl = 0x000B;
}  // namespace smb2cmd

inline constexpr std::uint32_t kSmb2FlagResponse = 0x1, kSmb2FlagAsync = 0x2,
                               kSmb2FlagRelated = 0x4;
inline constexpr std::uint32_t kFsctlPipeTransceive = 0x0011C017;
inline constexpr std::uint32_t kStatusPending = 0x00000103;

struct Smb2FileId {
  std::uint64_t persistent = 0, volatile_ = 0;
};
inline constexpr Smb2FileId kRelatedFileId{~0ULL, ~0ULL};  // MS-SMB2 3.2.4.1.4

// One SMB2 message: header fields and the body after it.
struct Smb2Message {
  std::uint16_t command = 0;
  std::uint32_t status = 0;
  std::uint32_t flags = 0;
  std::uint64_t message_id = 0;
  std::uint32_t tree_id = 0;
  std::uint64_t session_id = 0;
  std::uint64_t async_id = 0;  // with kSmb2FlagAsync
  Bytes body;
  [[nodiscard]] Bytes bytes(std::uint32_t next_command = 0) const;
};

// Requests and responses of the commands a named pipe needs. `m` carries the ids.
Smb2Message smb2_negotiate_request(std::uint64_t message_id);
Smb2Message smb2_negotiate_response(std::uint64_t message_id, std::uint16_t dialect);
Smb2Message smb2_session_setup_request(std::uint64_t message_id, const Bytes& security_blob);
Smb2Message smb2_session_setup_response(std::uint64_t message_id, std::uint64_t session_id,
                                        std::uint32_t status);
Smb2Message smb2_tree_connect_request(std::uint64_t message_id, std::uint64_t session_id,
                                      const std::string& path);
// share_type 2: pipe (IPC$), 1: disk.
Smb2Message smb2_tree_connect_response(std::uint64_t message_id, std::uint64_t session_id,
                                       std::uint32_t tree_id, std::uint32_t status,
                                       std::uint8_t share_type = 2);
Smb2Message smb2_create_request(std::uint64_t message_id, std::uint64_t session_id,
                                std::uint32_t tree_id, const std::string& name);
Smb2Message smb2_create_response(std::uint64_t message_id, std::uint64_t session_id,
                                 std::uint32_t tree_id, Smb2FileId file, std::uint32_t status = 0);
Smb2Message smb2_close_request(std::uint64_t message_id, std::uint64_t session_id,
                               std::uint32_t tree_id, Smb2FileId file);
Smb2Message smb2_close_response(std::uint64_t message_id, std::uint64_t session_id,
                                std::uint32_t tree_id);
Smb2Message smb2_write_request(std::uint64_t message_id, std::uint64_t session_id,
                               std::uint32_t tree_id, Smb2FileId file, const Bytes& data);
Smb2Message smb2_write_response(std::uint64_t message_id, std::uint64_t session_id,
                                std::uint32_t tree_id, std::uint32_t count);
Smb2Message smb2_read_request(std::uint64_t message_id, std::uint64_t session_id,
                              std::uint32_t tree_id, Smb2FileId file, std::uint32_t length);
Smb2Message smb2_read_response(std::uint64_t message_id, std::uint64_t session_id,
                               std::uint32_t tree_id, const Bytes& data, std::uint32_t status = 0);
Smb2Message smb2_transceive_request(std::uint64_t message_id, std::uint64_t session_id,
                                    std::uint32_t tree_id, Smb2FileId file, const Bytes& data);
Smb2Message smb2_transceive_response(std::uint64_t message_id, std::uint64_t session_id,
                                     std::uint32_t tree_id, Smb2FileId file, const Bytes& data,
                                     std::uint32_t status = 0);
// An error response (MS-SMB2 2.2.2): any command refused with `status`, or STATUS_PENDING's
// interim answer (with kSmb2FlagAsync and an async id).
Smb2Message smb2_error_response(std::uint16_t command, std::uint64_t message_id,
                                std::uint64_t session_id, std::uint32_t tree_id,
                                std::uint32_t status);

// The messages as one direct-TCP session message (a compound chain when more than one).
Bytes smb2_session(const std::vector<Smb2Message>& chain);

}  // namespace rpctrace::testsupport
