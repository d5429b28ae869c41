// What the SMB parsers share: the closed list of ways an SMB message can be malformed, the
// result type, and the recognition of an SMB message by its protocol identifier.
//
// rpctrace is not an SMB dissector: the parsers read only what finding and following named
// pipes needs (MS-SMB2 2.2, MS-CIFS 2.2), each from a byte span, never past its end.
#pragma once

#include <cstdint>
#include <string_view>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/result.hpp"

namespace rpctrace::smb {

using common::Bytes;

enum class Reason : std::uint8_t {
  truncated,            // shorter than its fixed part
  protocol_id,          // not \xFESMB / \xFFSMB / \xFDSMB where one must be
  structure_size,       // an SMB2 StructureSize other than the command's
  offset_out_of_range,  // a buffer's offset and length point outside the message
  next_command,         // an SMB2 NextCommand misaligned, past the data or too short
  chain_too_deep,       // more compound or AndX members than max_chain
  word_count,           // an SMB1 WordCount the command does not allow
  andx_offset,          // an SMB1 AndXOffset that does not move forward inside the message
  name_too_long,        // a path or pipe name past kMaxNameOctets
  count_
};
std::string_view to_string(Reason r);

template <typename T>
using Result = common::ParseResult<T, Reason>;

// Longest pipe, share or account name kept (UTF-8 octets after conversion).
inline constexpr std::size_t kMaxNameOctets = 512;

enum class Protocol : std::uint8_t {
  none,
  smb1,        // \xFFSMB (MS-CIFS 2.2.3.1)
  smb2,        // \xFESMB (MS-SMB2 2.2.1)
  transform,   // \xFDSMB: SMB3 encrypted (MS-SMB2 2.2.41)
  compressed,  // \xFCSMB: SMB3 compressed (MS-SMB2 2.2.42)
};
// The protocol of a message from its first four octets; none when they are no SMB's.
Protocol protocol_of(Bytes message);

}  // namespace rpctrace::smb
