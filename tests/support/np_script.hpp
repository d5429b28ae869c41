// NpScript: an SMB2 client and server on a TcpScript reaching named pipes the way Windows does
// (MS-SMB2 3.2.4: NEGOTIATE, SESSION_SETUP in two NTLMSSP legs, TREE_CONNECT to IPC$, CREATE of
// the pipe), then carrying DCE/RPC PDUs through WRITE/READ or IOCTL FSCTL_PIPE_TRANSCEIVE.
// Message ids count up by themselves; each step is a request and its response.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/smb2_builder.hpp"
#include "support/tcp_script.hpp"

namespace rpctrace::testsupport {

class NpScript {
 public:
  explicit NpScript(TcpScript& tcp) : tcp_(tcp) {}

  // NEGOTIATE (SMB 3.1.1), SESSION_SETUP (NTLMSSP NEGOTIATE -> MORE_PROCESSING_REQUIRED,
  // AUTHENTICATE of domain\user -> `status`), then, when it succeeded, TREE_CONNECT to IPC$.
  void logon(const std::string& domain, const std::string& user, std::uint32_t status = 0);
  // TREE_CONNECT to `share` answered with `status`.
  void tree_connect(const std::string& share, std::uint32_t status = 0);
  // CREATE of the pipe; the file id it answered (a fresh one per pipe).
  Smb2FileId create(const std::string& pipe, std::uint32_t status = 0);
  // A PDU written (WRITE) and the answer read (READ).
  void write_read(Smb2FileId f, const Bytes& request, const Bytes& response);
  // A PDU and its answer in one IOCTL FSCTL_PIPE_TRANSCEIVE.
  void transceive(Smb2FileId f, const Bytes& request, const Bytes& response);
  void close(Smb2FileId f);
  // Any request chain and its response chain, each one session message.
  void exchange(const std::vector<Smb2Message>& requests,
                const std::vector<Smb2Message>& responses);
  std::uint64_t next_message_id() { return message_id_++; }

  std::uint64_t session = 0x0000100000000041;
  std::uint32_t tree = 1;

 private:
  TcpScript& tcp_;
  std::uint64_t message_id_ = 0;
  std::uint64_t next_file_ = 1;
};

}  // namespace rpctrace::testsupport
