// Explicit bounds of the SMB layer and of the named-pipe adapter (docs/limits.md).
#pragma once

#include <cstddef>

namespace rpctrace::smb {

struct Limits {
  // Octets of one SMB message kept whole. A message is framed by its session header (NetBIOS,
  // RFC 1002 4.3.1; SMB2 direct TCP, MS-SMB2 2.1), up to 16 MiB. Messages that cannot carry a
  // pipe's bytes (a file read on a disk share) are kept only up to their headers.
  std::size_t max_message_size = 1 << 24;
  // Members of one SMB2 compound chain or one SMB1 AndX chain.
  std::size_t max_chain = 32;
  // Pipes open at once on one connection.
  std::size_t max_pipes = 1024;
  // Requests waiting for their response on one connection (by MessageId, or SMB1 MID).
  std::size_t max_pending = 4096;
  // Tree connects remembered per connection.
  std::size_t max_trees = 256;
};

}  // namespace rpctrace::smb
