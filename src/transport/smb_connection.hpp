// Internal to the ncacn_np adapter: one SMB connection (a TCP connection on 445 or 139) as one
// conversation. Its session framer cuts SMB messages; the SMB2 and SMB1 handlers follow
// sessions, trees and pipes; each pipe's bytes go through a DCE/RPC stream framer of its own
// into a channel of the conversation.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/dcerpc/framer.hpp"
#include "rpctrace/smb/limits.hpp"
#include "rpctrace/smb/smb1.hpp"
#include "rpctrace/smb/smb2.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "rpctrace/transport/ncacn_np.hpp"
#include "smb_session_framer.hpp"

namespace rpctrace::transport {

// NTSTATUS values the adapter acts on (MS-ERREF 2.3.1).
namespace ntstatus {
inline constexpr std::uint32_t success = 0x00000000;
inline constexpr std::uint32_t pending = 0x00000103;
inline constexpr std::uint32_t buffer_overflow = 0x80000005;  // more of the message waits
inline constexpr std::uint32_t more_processing_required = 0xc0000016;
inline constexpr std::uint32_t pipe_empty = 0xc00000d9;
}  // namespace ntstatus

// A file handle: an SMB2 FileId, or an SMB1 FID with its TID.
struct FileKey {
  std::uint64_t a = 0, b = 0;  // SMB2: FileId persistent, volatile; SMB1: FID, TID
  bool smb1 = false;
  auto operator<=>(const FileKey& o) const = default;
};

class SmbConnection;

// One pipe: a channel of the conversation, and the framer of its two byte streams.
class Pipe : public dcerpc::FramerSink {
 public:
  Pipe(SmbConnection& c, std::uint32_t channel, dcerpc::Counters& counters,
       const dcerpc::FramerLimits& limits, bool stream_start);
  void on_pdu(dcerpc::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) override;
  void on_cut_pdu(dcerpc::Direction dir, common::Bytes partial,
                  const dcerpc::FrameRef& at) override;
  void on_note(const dcerpc::Note& n) override;

  SmbConnection& connection;
  std::uint32_t channel;
  std::uint64_t session = 0;  // where it was opened
  std::uint32_t tree = 0;
  dcerpc::StreamFramer framer;
};

class SmbConnection : public tcp::ConnectionState, public SessionFramerSink {
 public:
  SmbConnection(analysis::Tracker& t, analysis::ConversationHandle c, NpCounters& counters,
                dcerpc::Counters& dcerpc_counters, const dcerpc::FramerLimits& framer_limits,
                const smb::Limits& limits);

  // SessionFramerSink
  std::size_t keep(std::uint8_t dir, common::Bytes head, std::uint32_t length) override;
  void on_message(std::uint8_t dir, common::Bytes kept, std::uint32_t length, bool cut,
                  const dcerpc::FrameRef& at) override;
  void on_session_packet(std::uint8_t dir, std::uint8_t type, const dcerpc::FrameRef& at) override;
  void on_skipped(std::uint8_t dir, std::uint64_t bytes, std::string_view reason,
                  const dcerpc::FrameRef& at) override;

  // A request waiting for its response.
  struct Pending {
    std::uint16_t command = 0;  // SMB2 command, or SMB1 command
    FileKey file;
    std::string text;  // a tree connect's path, a create's name, a session setup's account
    std::uint64_t session = 0;
    std::uint32_t tree = 0;
    dcerpc::FrameRef at;
  };
  struct Tree {
    std::string path;
    bool ipc = false;
  };

  // The handlers (smb2_pipes.cpp, smb1_pipes.cpp).
  void smb2(std::uint8_t dir, common::Bytes message, const dcerpc::FrameRef& at);
  void smb1(std::uint8_t dir, common::Bytes message, const dcerpc::FrameRef& at);

  void smb2_request(std::uint8_t dir, const smb::smb2::Message& m, const dcerpc::FrameRef& at);
  void smb2_response(std::uint8_t dir, const smb::smb2::Message& m, const dcerpc::FrameRef& at);
  void smb2_pipe_response(std::uint8_t dir, const smb::smb2::Message& m, const Pending& req,
                          const dcerpc::FrameRef& at);
  // A related compound member's FileId all ones names the file of the chain's CREATE, not yet
  // answered (MS-SMB2 3.2.4.1.4): a provisional key {all ones, the CREATE's MessageId} until
  // the answer gives the real one.
  FileKey smb2_file(const smb::smb2::FileId& f, const smb::smb2::Header& h) const;
  // Bytes for the provisional file: the pipe the CREATE names, opened now.
  Pipe* related_pipe(const FileKey& file);
  // The CREATE's answer came: the early pipe under the provisional key gets the real one.
  // Returns whether there was one (then it is the pipe under `real`).
  bool related_answered(const FileKey& provisional, const FileKey* real, std::string handle);
  static bool provisional(const FileKey& f) { return f.a == ~std::uint64_t{0}; }

  void smb1_request(std::uint8_t dir, const smb::smb1::Message& m, const smb::smb1::Command& c,
                    const dcerpc::FrameRef& at);
  void smb1_transaction_request(std::uint8_t dir, const smb::smb1::Message& m,
                                const smb::smb1::Command& c, const dcerpc::FrameRef& at);
  void smb1_response(std::uint8_t dir, const smb::smb1::Message& m, const smb::smb1::Command& c,
                     const dcerpc::FrameRef& at);
  void smb1_pipe_response(std::uint8_t dir, const smb::smb1::Message& m,
                          const smb::smb1::Command& c, const Pending& req,
                          const dcerpc::FrameRef& at);

  // Shared by both: events, pipes, pending requests, malformed messages.
  // A response's status, latency and session account.
  void answer(analysis::CarrierEvent& e, const Pending& request, std::uint32_t status,
              const dcerpc::FrameRef& at) const;
  void event(analysis::CarrierEventKind kind, std::string command, std::string text,
             const Pending* request, std::uint32_t status, const dcerpc::FrameRef& at,
             analysis::ChannelPtr channel = nullptr, bool of_interest = false);
  Pipe* open_pipe(const FileKey& file, std::string name, const Pending& request, std::string handle,
                  bool stream_start);
  Pipe* find_pipe(const FileKey& file);
  static std::string handle_text(const FileKey& file);
  // Bytes for a file the capture did not see opened: a pipe when they begin a DCE/RPC PDU.
  Pipe* unnamed_pipe(const FileKey& file, common::Bytes data, std::uint64_t session,
                     std::uint32_t tree);
  void close_pipe(const FileKey& file);
  // The answers both dialects handle alike: a create's (the pipe opened when `file` is set)
  // and a close's (the pipe closed).
  // `opened`: the pipe was opened early, by a related compound member (smb2_file()).
  void create_answered(std::string command, const Pending& req, std::uint32_t status,
                       const dcerpc::FrameRef& at, const FileKey* file, std::string handle,
                       bool opened = false);
  void close_answered(std::string command, const Pending& req, std::uint32_t status,
                      const dcerpc::FrameRef& at);
  void tree_disconnected(std::string command, const Pending& req, std::uint32_t status,
                         const dcerpc::FrameRef& at);
  // An event naming a pipe (its close, a refused read or write).
  void pipe_event(analysis::CarrierEventKind kind, std::string command, const Pending* req,
                  std::uint32_t status, const dcerpc::FrameRef& at, const Pipe& pipe);
  void remember(std::uint64_t key, Pending p);
  std::optional<Pending> take(std::uint64_t key);
  void malformed(const common::Malformed<smb::Reason>& m, std::string_view what,
                 const dcerpc::FrameRef& at);
  [[nodiscard]] bool ipc_tree(std::uint64_t session, std::uint32_t tree) const;
  // A tree whose data may be a pipe's: IPC$, an unknown tree, or one a pipe was opened on.
  [[nodiscard]] bool pipe_tree(std::uint64_t session, std::uint32_t tree) const;
  [[nodiscard]] std::string account(std::uint64_t session) const;
  static std::uint64_t tree_key(std::uint64_t session, std::uint32_t tree) {
    return session * 0x100000001ull ^ tree;
  }

  analysis::Tracker& tracker;
  analysis::ConversationHandle conversation;
  NpCounters& counters;
  dcerpc::Counters& dcerpc_counters;
  const dcerpc::FramerLimits& framer_limits;
  const smb::Limits& limits;
  SessionFramer framer;
  bool started[2] = {false, false};
  analysis::CarrierTotals totals;
  std::string dialect;
  bool encrypted_said = false;
  std::map<std::uint64_t, std::string> sessions;  // session id -> account
  std::unordered_map<std::uint64_t, Tree> trees;  // tree_key() -> tree
  std::unordered_map<std::uint64_t, Pending> pending;
  std::map<FileKey, std::unique_ptr<Pipe>> pipes;
  std::optional<FileKey> chain_create;  // the current compound chain's CREATE, provisional key
};

// The account a session setup's security blob names: an NTLMSSP AUTHENTICATE's domain and
// user, or the service of a Kerberos ticket (whose client name is encrypted); empty otherwise.
std::string account_of(common::Bytes blob);
// "\PIPE\samr" from what a create names: "samr" (SMB2), "\samr" or "\PIPE\samr" (SMB1).
std::string pipe_name(std::string_view name);
// A tree connect's path names the IPC$ share.
bool ends_with_ipc(std::string_view path);

// The interface a well-known pipe serves (MS-RPCE 2.1.1.2 and each interface's spec), for
// channels whose bind was not captured; nullopt for pipes that serve several.
std::optional<dcerpc::SyntaxId> pipe_interface(std::string_view pipe_name);

}  // namespace rpctrace::transport
