// One SMB connection as one conversation: messages from the session framer, carrier events,
// pipes and the requests waiting for their responses.
#include "smb_connection.hpp"

#include <fmt/format.h>

#include "rpctrace/auth/auth_value.hpp"
#include "rpctrace/common/text.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::transport {

// The account a session setup names: the NTLMSSP AUTHENTICATE's domain and user (or that it
// named none: anonymous), or the Kerberos ticket's service (the client's name is encrypted).
std::string account_of(common::Bytes blob) {
  if (blob.empty()) return {};
  const bool spnego = blob[0] == std::byte{0x60} || blob[0] == std::byte{0xa1};
  auto r = auth::decode_auth_value(spnego ? auth::kAuthSpnego : auth::kAuthNtlmssp, blob);
  if (!r.is_complete() || !r.value().token) return {};
  const auth::Token& t = *r.value().token;
  if (!t.user.empty()) return t.domain.empty() ? t.user : t.domain + "\\" + t.user;
  if (!t.service.empty()) return fmt::format("Kerberos ticket {}@{}", t.service, t.realm);
  // An AUTHENTICATE with no user is an anonymous logon (MS-NLMP 3.2.5.1.2).
  if (t.mechanism == "NTLMSSP" && t.message == "authenticate") return "anonymous (NTLMSSP)";
  return {};
}

// A pipe name as it is known on Windows: SMB2 opens "samr" on IPC$; SMB1 "\samr" or
// "\PIPE\samr".
std::string pipe_name(std::string_view name) {
  while (!name.empty() && (name.front() == '\\' || name.front() == '/')) name.remove_prefix(1);
  if (name.size() >= 5 && (name.substr(0, 5) == "PIPE\\" || name.substr(0, 5) == "pipe\\"))
    name.remove_prefix(5);
  return "\\PIPE\\" + std::string(name);
}

bool ends_with_ipc(std::string_view path) { return common::ends_with_nocase(path, "IPC$"); }

Pipe::Pipe(SmbConnection& c, std::uint32_t ch, dcerpc::Counters& counters,
           const dcerpc::FramerLimits& limits, bool stream_start)
    : connection(c), channel(ch), framer(*this, counters, limits) {
  framer.start(0, stream_start);
  framer.start(1, stream_start);
}

void Pipe::on_pdu(dcerpc::Direction dir, common::Bytes pdu, const dcerpc::FrameRef& at) {
  connection.tracker.pdu(*connection.conversation, channel, dir, pdu, at);
}
void Pipe::on_cut_pdu(dcerpc::Direction dir, common::Bytes partial, const dcerpc::FrameRef& at) {
  connection.tracker.cut_pdu(*connection.conversation, channel, dir, partial, at);
}
void Pipe::on_note(const dcerpc::Note& n) { connection.tracker.note(*connection.conversation, n); }

SmbConnection::SmbConnection(analysis::Tracker& t, analysis::ConversationHandle c, NpCounters& n,
                             dcerpc::Counters& d, const dcerpc::FramerLimits& fl,
                             const smb::Limits& l)
    : tracker(t),
      conversation(std::move(c)),
      counters(n),
      dcerpc_counters(d),
      framer_limits(fl),
      limits(l),
      framer(*this, l.max_message_size) {}

// Whole messages where pipe bytes may be; only the headers of a file read or write on a disk
// share, whose data can be megabytes.
std::size_t SmbConnection::keep(std::uint8_t, common::Bytes head, std::uint32_t length) {
  common::ByteReader r(head);
  switch (smb::protocol_of(head)) {
    case smb::Protocol::smb2: {
      r.skip(12);
      const std::uint16_t command = r.u16();
      r.skip(2);
      const std::uint32_t flags = r.u32();
      r.skip(4 + 8 + 4);
      const std::uint32_t tree = r.u32();
      const std::uint64_t session = r.u64();
      const bool response = (flags & smb::smb2::flags::server_to_redir) != 0;
      const bool data = (command == smb::smb2::command::read && response) ||
                        (command == smb::smb2::command::write && !response);
      if (r.ok() && data && !(flags & smb::smb2::flags::async_command) && !pipe_tree(session, tree))
        return head.size();
      return length;
    }
    case smb::Protocol::smb1: {
      r.skip(4);
      const std::uint8_t command = r.u8();
      r.skip(4);
      const std::uint8_t flags = r.u8();
      r.skip(2 + 2 + 8 + 2);
      const std::uint16_t tid = r.u16();
      r.skip(2);
      const std::uint16_t uid = r.u16();
      const bool response = (flags & smb::smb1::kFlagsReply) != 0;
      const bool data = (command == smb::smb1::command::read_andx && response) ||
                        (command == smb::smb1::command::write_andx && !response);
      if (r.ok() && data && !pipe_tree(uid, tid)) return head.size();
      return length;
    }
    default:
      return length;
  }
}

void SmbConnection::on_message(std::uint8_t dir, common::Bytes kept, std::uint32_t length, bool cut,
                               const dcerpc::FrameRef& at) {
  if (cut) {
    ++counters.cut_messages;
    analysis::ReportedNote n;
    n.kind = analysis::NoteKind::smb_cut;
    n.detail = fmt::format("SMB message of {} octets cut by a gap: not decoded", length);
    tracker.note(*conversation, std::move(n));
    // A pipe's bytes in it are lost: its framer must look for the next PDU.
    for (auto& [file, pipe] : pipes) pipe->framer.gap(dir, 0, at);
    return;
  }
  // keep() asked for all of it but the limit kept less: a pipe's bytes past the limit are lost.
  if (length > limits.max_message_size && kept.size() >= limits.max_message_size) {
    ++counters.messages_over_limit;
    analysis::ReportedNote n;
    n.kind = analysis::NoteKind::smb_cut;
    n.detail = fmt::format("SMB message of {} octets, over max_message_size ({}): not decoded",
                           length, limits.max_message_size);
    tracker.note(*conversation, std::move(n));
    for (auto& [file, pipe] : pipes) pipe->framer.gap(dir, 0, at);
    return;
  }
  switch (smb::protocol_of(kept)) {
    case smb::Protocol::smb2:
      smb2(dir, kept, at);
      return;
    case smb::Protocol::smb1:
      smb1(dir, kept, at);
      return;
    case smb::Protocol::transform:
    case smb::Protocol::compressed: {
      const bool encrypted = smb::protocol_of(kept) == smb::Protocol::transform;
      ++(encrypted ? counters.encrypted_messages : counters.compressed_messages);
      if (!encrypted_said) {
        encrypted_said = true;
        event(analysis::CarrierEventKind::encrypted,
              encrypted ? "SMB3 encrypted" : "SMB3 compressed",
              encrypted ? "pipe traffic not visible" : "not decompressed: pipe traffic not visible",
              nullptr, 0, at, nullptr, true);  // may hide pipes: the conversation is shown
      }
      return;
    }
    case smb::Protocol::none:
      malformed(
          {smb::Reason::protocol_id, 0, "a session message without an SMB protocol identifier"},
          "SMB message", at);
      return;
  }
}

void SmbConnection::on_session_packet(std::uint8_t, std::uint8_t type, const dcerpc::FrameRef& at) {
  // The NetBIOS session request and its answers on 139 (RFC 1002 4.3.2); keep-alives say nothing.
  if (type == nbss::kKeepAlive) return;
  const char* text = type == nbss::kSessionRequest     ? "session request"
                     : type == nbss::kPositiveResponse ? "positive session response"
                     : type == nbss::kNegativeResponse ? "negative session response"
                                                       : "retarget session response";
  event(analysis::CarrierEventKind::negotiate, "NetBIOS", text, nullptr,
        type == nbss::kNegativeResponse ? 1u : 0u, at);
}

void SmbConnection::on_skipped(std::uint8_t, std::uint64_t bytes, std::string_view reason,
                               const dcerpc::FrameRef&) {
  counters.not_smb_bytes += bytes;
  analysis::ReportedNote n;
  n.kind = analysis::NoteKind::not_smb;
  n.detail = fmt::format("{} octets skipped: {}", bytes, reason);
  tracker.note(*conversation, std::move(n));
}

void SmbConnection::answer(analysis::CarrierEvent& e, const Pending& request, std::uint32_t status,
                           const dcerpc::FrameRef& at) const {
  e.response = true;
  e.account = account(request.session);
  e.status = status;
  e.request_frame = request.at.frame;
  e.latency_us = at.ts.micros() - request.at.ts.micros();
}

void SmbConnection::event(analysis::CarrierEventKind kind, std::string command, std::string text,
                          const Pending* request, std::uint32_t status, const dcerpc::FrameRef& at,
                          analysis::ChannelPtr channel, bool of_interest) {
  analysis::CarrierEvent e;
  e.kind = kind;
  e.command = std::move(command);
  e.text = std::move(text);
  e.channel = std::move(channel);
  if (request != nullptr) answer(e, *request, status, at);
  tracker.event(*conversation, std::move(e), of_interest);
}

Pipe* SmbConnection::open_pipe(const FileKey& file, std::string name, const Pending& request,
                               std::string handle, bool stream_start) {
  if (pipes.size() >= limits.max_pipes) {
    ++counters.pipes_over_limit;
    return nullptr;
  }
  analysis::ChannelOpen o;
  o.inferred_interface = pipe_interface(name);
  o.facts.name = std::move(name);
  o.facts.session = request.session;
  o.facts.tree = request.tree;
  o.facts.handle = std::move(handle);
  o.facts.account = account(request.session);
  o.facts.dialect = dialect;
  o.stream_start = stream_start;
  const std::uint32_t id = tracker.open_channel(*conversation, std::move(o));
  ++counters.pipes_opened;
  auto& slot = pipes[file];
  if (slot) tracker.close_channel(*conversation, slot->channel);  // a FileId reused unclosed
  slot = std::make_unique<Pipe>(*this, id, dcerpc_counters, framer_limits, stream_start);
  slot->session = request.session;
  slot->tree = request.tree;
  return slot.get();
}

// Formatted only when a pipe is opened: an SMB1 FID, or an SMB2 FileId's persistent and
// volatile parts.
std::string SmbConnection::handle_text(const FileKey& file) {
  if (file.smb1) return fmt::format("0x{:04x}", file.a);
  return fmt::format("{:x}:{:x}", file.a, file.b);
}

Pipe* SmbConnection::find_pipe(const FileKey& file) {
  auto it = pipes.find(file);
  return it == pipes.end() ? nullptr : it->second.get();
}

Pipe* SmbConnection::unnamed_pipe(const FileKey& file, common::Bytes data, std::uint64_t session,
                                  std::uint32_t tree) {
  if (Pipe* p = find_pipe(file)) return p;
  // A pipe whose open the capture missed shows itself by a PDU header (version 5.0, C706
  // 12.6.3.1). On a share that is not IPC$ (a pipe opened there by name, as exploits do) only
  // a whole PDU counts: its frag_length must be exactly the octets written.
  if (data.size() < 16 || data[0] != std::byte{5} || data[1] != std::byte{0}) return nullptr;
  if (trees.contains(tree_key(session, tree)) && !ipc_tree(session, tree)) {
    const bool little = (std::to_integer<unsigned>(data[4]) & 0x10) != 0;
    const unsigned lo = std::to_integer<unsigned>(data[little ? 8 : 9]);
    const unsigned hi = std::to_integer<unsigned>(data[little ? 9 : 8]);
    if ((hi << 8 | lo) != data.size()) return nullptr;
  }
  Pending p;
  p.session = session;
  p.tree = tree;
  ++counters.pipes_unnamed;
  return open_pipe(file, "", p, handle_text(file), false);
}

void SmbConnection::close_pipe(const FileKey& file) {
  auto it = pipes.find(file);
  if (it == pipes.end()) return;
  it->second->framer.finish(tracker.here(*conversation));
  tracker.close_channel(*conversation, it->second->channel);
  pipes.erase(it);
}

void SmbConnection::create_answered(std::string command, const Pending& req, std::uint32_t status,
                                    const dcerpc::FrameRef& at, const FileKey* file,
                                    std::string handle, bool opened) {
  analysis::ChannelPtr channel;
  if (file != nullptr)
    if (Pipe* pipe = opened ? find_pipe(*file) : open_pipe(*file, req.text, req, handle, true))
      channel = tracker.channel(*conversation, pipe->channel);
  analysis::CarrierEvent e;
  e.kind = analysis::CarrierEventKind::open;
  e.command = std::move(command);
  e.text = req.text;
  e.interface = pipe_interface(req.text);
  e.channel = std::move(channel);
  answer(e, req, status, at);
  tracker.event(*conversation, std::move(e), true);
}

void SmbConnection::close_answered(std::string command, const Pending& req, std::uint32_t status,
                                   const dcerpc::FrameRef& at) {
  Pipe* pipe = find_pipe(req.file);
  if (pipe == nullptr) return;
  analysis::ChannelPtr channel = tracker.channel(*conversation, pipe->channel);
  close_pipe(req.file);
  event(analysis::CarrierEventKind::close, std::move(command),
        channel ? channel->name : std::string{}, &req, status, at, channel);
}

void SmbConnection::tree_disconnected(std::string command, const Pending& req, std::uint32_t status,
                                      const dcerpc::FrameRef& at) {
  auto it = trees.find(tree_key(req.session, req.tree));
  if (it == trees.end()) return;
  event(analysis::CarrierEventKind::tree_disconnect, std::move(command), it->second.path, &req,
        status, at);
  trees.erase(it);
}

void SmbConnection::pipe_event(analysis::CarrierEventKind kind, std::string command,
                               const Pending* req, std::uint32_t status, const dcerpc::FrameRef& at,
                               const Pipe& pipe) {
  analysis::ChannelPtr channel = tracker.channel(*conversation, pipe.channel);
  event(kind, std::move(command), channel ? channel->name : std::string{}, req, status, at,
        channel);
}

void SmbConnection::remember(std::uint64_t key, Pending p) {
  if (pending.size() >= limits.max_pending && !pending.contains(key)) {
    counters.requests_dropped += pending.size();
    pending.clear();
  }
  pending[key] = std::move(p);
}

std::optional<SmbConnection::Pending> SmbConnection::take(std::uint64_t key) {
  auto it = pending.find(key);
  if (it == pending.end()) return std::nullopt;
  Pending p = std::move(it->second);
  pending.erase(it);
  return p;
}

void SmbConnection::malformed(const common::Malformed<smb::Reason>& m, std::string_view what,
                              const dcerpc::FrameRef&) {
  ++counters.malformed[static_cast<std::size_t>(m.reason)];
  analysis::ReportedNote n;
  n.kind = analysis::NoteKind::malformed_smb;
  n.detail =
      fmt::format("{}: {} at offset {}: {}", what, smb::to_string(m.reason), m.offset, m.detail);
  tracker.note(*conversation, std::move(n));
}

bool SmbConnection::ipc_tree(std::uint64_t session, std::uint32_t tree) const {
  auto it = trees.find(tree_key(session, tree));
  return it == trees.end() || it->second.ipc;
}

bool SmbConnection::pipe_tree(std::uint64_t session, std::uint32_t tree) const {
  if (ipc_tree(session, tree)) return true;
  for (const auto& [file, pipe] : pipes)
    if (pipe->session == session && pipe->tree == tree) return true;
  return false;
}

std::string SmbConnection::account(std::uint64_t session) const {
  auto it = sessions.find(session);
  return it == sessions.end() ? std::string{} : it->second;
}

}  // namespace rpctrace::transport
