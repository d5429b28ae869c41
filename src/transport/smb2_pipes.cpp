// SMB2/SMB3 (MS-SMB2): what the named-pipe adapter follows. Requests are remembered by
// MessageId until their final response (an async STATUS_PENDING answer is interim, MS-SMB2
// 3.3.4.2); a READ response carries no FileId, so its pipe is its request's.
#include <fmt/format.h>

#include "smb_connection.hpp"

namespace rpctrace::transport {

namespace {

namespace cmd = smb::smb2::command;
using smb::smb2::Message;

FileKey key_of(const smb::smb2::FileId& f) { return {f.persistent, f.volatile_id}; }

std::string handle_of(const smb::smb2::FileId& f) {
  return fmt::format("{:x}:{:x}", f.persistent, f.volatile_id);
}

std::string command_text(std::uint16_t command) {
  return "SMB2 " + smb::smb2::command_name(command);
}

std::string dialect_text(std::uint16_t d) {
  switch (d) {
    case 0x0202:
      return "SMB 2.0.2";
    case 0x0210:
      return "SMB 2.1";
    case 0x0300:
      return "SMB 3.0";
    case 0x0302:
      return "SMB 3.0.2";
    case 0x0311:
      return "SMB 3.1.1";
    case 0x02ff:
      return "SMB2 wildcard (SMB2 negotiation follows)";
    default:
      return fmt::format("SMB2 dialect 0x{:04x}", d);
  }
}

}  // namespace

void SmbConnection::smb2(std::uint8_t dir, common::Bytes message, const dcerpc::FrameRef& at) {
  auto chain = smb::smb2::split_chain(message, limits.max_chain);
  chain_create.reset();
  for (const Message& m : chain.messages) {
    ++counters.smb2_messages;
    const auto& h = m.header;
    if (!h.response()) {
      smb2_request(dir, m, at);
    } else if (!(h.async() && h.status == ntstatus::pending)) {  // an interim answer
      smb2_response(dir, m, at);
    }
  }
  if (chain.error) malformed(*chain.error, "SMB2 message", at);
}

void SmbConnection::smb2_request(std::uint8_t dir, const Message& m, const dcerpc::FrameRef& at) {
  const auto& h = m.header;
  Pending p;
  p.command = h.command;
  p.session = h.session_id;
  p.tree = h.tree_id;
  p.at = at;
  switch (h.command) {
    case cmd::negotiate:
      event(analysis::CarrierEventKind::negotiate, command_text(h.command), {}, nullptr, 0, at);
      break;
    case cmd::logoff:
      event(analysis::CarrierEventKind::logoff, command_text(h.command), account(h.session_id),
            nullptr, 0, at);
      break;
    case cmd::tree_disconnect: {
      auto it = trees.find(tree_key(h.session_id, h.tree_id));
      if (it == trees.end() || !it->second.ipc) return;
      event(analysis::CarrierEventKind::tree_disconnect, command_text(h.command), it->second.path,
            nullptr, 0, at);
      break;
    }
    case cmd::session_setup: {
      auto r = smb::smb2::parse_session_setup_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 SESSION_SETUP request", at);
      p.text = account_of(r.value().security_blob);
      event(analysis::CarrierEventKind::session_setup, command_text(h.command), p.text, nullptr, 0,
            at);
      break;
    }
    case cmd::tree_connect: {
      auto r = smb::smb2::parse_tree_connect_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 TREE_CONNECT request", at);
      p.text = r.value().path;
      event(analysis::CarrierEventKind::tree_connect, command_text(h.command), p.text, nullptr, 0,
            at, nullptr, ends_with_ipc(p.text));
      break;
    }
    case cmd::create: {
      if (!ipc_tree(h.session_id, h.tree_id)) return;  // a file on a disk share
      auto r = smb::smb2::parse_create_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 CREATE request", at);
      p.text = pipe_name(r.value().name);
      p.file = {~std::uint64_t{0}, h.message_id};
      chain_create = p.file;
      event(analysis::CarrierEventKind::open, command_text(h.command), p.text, nullptr, 0, at,
            nullptr, true);
      break;
    }
    case cmd::close: {
      auto r = smb::smb2::parse_close_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 CLOSE request", at);
      p.file = smb2_file(r.value(), h);
      Pipe* pipe = find_pipe(p.file);
      if (pipe == nullptr) return;
      pipe_event(analysis::CarrierEventKind::close, command_text(h.command), nullptr, 0, at, *pipe);
      break;
    }
    case cmd::write: {
      auto r = smb::smb2::parse_write_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 WRITE request", at);
      p.file = smb2_file(r.value().file_id, h);
      Pipe* pipe = provisional(p.file)
                       ? related_pipe(p.file)
                       : unnamed_pipe(p.file, r.value().data, h.session_id, h.tree_id);
      if (pipe == nullptr) return;
      pipe->framer.data(dir, r.value().data, at, true);
      break;
    }
    case cmd::read: {
      auto r = smb::smb2::parse_read_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 READ request", at);
      p.file = smb2_file(r.value().file_id, h);
      if (provisional(p.file)) related_pipe(p.file);
      if (find_pipe(p.file) == nullptr && !ipc_tree(h.session_id, h.tree_id)) return;
      break;
    }
    case cmd::ioctl: {
      auto r = smb::smb2::parse_ioctl_request(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 IOCTL request", at);
      if (r.value().ctl_code != smb::smb2::kFsctlPipeTransceive) return;
      p.file = smb2_file(r.value().file_id, h);
      Pipe* pipe = provisional(p.file)
                       ? related_pipe(p.file)
                       : unnamed_pipe(p.file, r.value().input, h.session_id, h.tree_id);
      if (pipe == nullptr) return;
      pipe->framer.data(dir, r.value().input, at, true);
      break;
    }
    default:
      return;
  }
  remember(h.message_id, std::move(p));
}

void SmbConnection::smb2_response(std::uint8_t dir, const Message& m, const dcerpc::FrameRef& at) {
  const auto& h = m.header;
  auto req = take(h.message_id);
  if (!req) {
    if (h.command == cmd::read || h.command == cmd::ioctl) ++counters.responses_unmatched;
    return;
  }
  const std::uint32_t status = h.status;
  const bool ok = status == ntstatus::success;
  const std::string command = command_text(h.command);
  switch (req->command) {
    case cmd::negotiate: {
      auto r = smb::smb2::parse_negotiate_response(m);
      if (ok && r.is_complete()) dialect = dialect_text(r.value().dialect);
      event(analysis::CarrierEventKind::negotiate, command, dialect, &*req, status, at);
      break;
    }
    case cmd::session_setup:
      if (ok) sessions[h.session_id] = req->text;
      event(analysis::CarrierEventKind::session_setup, command, req->text, &*req, status, at);
      break;
    case cmd::logoff:
      event(analysis::CarrierEventKind::logoff, command, account(h.session_id), &*req, status, at);
      break;
    case cmd::tree_connect: {
      auto r = smb::smb2::parse_tree_connect_response(m);
      const bool ipc =
          (ok && r.is_complete() && r.value().share_type == smb::smb2::kShareTypePipe) ||
          ends_with_ipc(req->text);
      if (ok && trees.size() < limits.max_trees)
        trees[tree_key(h.session_id, h.tree_id)] = {req->text, ipc};
      event(analysis::CarrierEventKind::tree_connect, command, req->text, &*req, status, at,
            nullptr, ipc);
      break;
    }
    case cmd::tree_disconnect:
      tree_disconnected(command, *req, status, at);
      break;
    case cmd::create: {
      if (!ok) {
        related_answered(req->file, nullptr, {});
        create_answered(command, *req, status, at, nullptr, {});
        break;
      }
      auto r = smb::smb2::parse_create_response(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 CREATE response", at);
      const FileKey file = key_of(r.value().file_id);
      const bool early = related_answered(req->file, &file, handle_of(r.value().file_id));
      create_answered(command, *req, status, at, &file, handle_of(r.value().file_id), early);
      break;
    }
    case cmd::close:
      close_answered(command, *req, status, at);
      break;
    case cmd::read:
    case cmd::ioctl:
    case cmd::write:
      smb2_pipe_response(dir, m, *req, at);
      break;
    default:
      break;
  }
}

// The answer to a pipe's WRITE, READ or transceive: its bytes to the pipe's framer, or the
// error that refused them.
void SmbConnection::smb2_pipe_response(std::uint8_t dir, const Message& m, const Pending& req,
                                       const dcerpc::FrameRef& at) {
  const std::uint32_t status = m.header.status;
  const bool data = status == ntstatus::success || status == ntstatus::buffer_overflow;
  Pipe* pipe = find_pipe(req.file);
  if (data && req.command != cmd::write) {
    common::Bytes bytes;
    if (req.command == cmd::read) {
      auto r = smb::smb2::parse_read_response(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 READ response", at);
      bytes = r.value().data;
    } else {
      auto r = smb::smb2::parse_ioctl_response(m);
      if (!r.is_complete()) return malformed(r.error(), "SMB2 IOCTL response", at);
      bytes = r.value().output;
    }
    if (pipe == nullptr) pipe = unnamed_pipe(req.file, bytes, req.session, req.tree);
    if (pipe != nullptr) pipe->framer.data(dir, bytes, at, true);
    return;
  }
  if (data || status == ntstatus::pipe_empty || pipe == nullptr) return;
  pipe_event(analysis::CarrierEventKind::refused, command_text(m.header.command), &req, status, at,
             *pipe);
}

FileKey SmbConnection::smb2_file(const smb::smb2::FileId& f, const smb::smb2::Header& h) const {
  if (f.is_previous() && h.related() && chain_create) return *chain_create;
  return key_of(f);
}

Pipe* SmbConnection::related_pipe(const FileKey& file) {
  if (Pipe* p = find_pipe(file)) return p;
  auto it = pending.find(file.b);
  if (it == pending.end() || it->second.command != cmd::create) return nullptr;
  return open_pipe(file, it->second.text, it->second, {}, true);
}

bool SmbConnection::related_answered(const FileKey& provisional_key, const FileKey* real,
                                     std::string handle) {
  if (!provisional(provisional_key)) return false;
  auto it = pipes.find(provisional_key);
  const bool early = it != pipes.end();
  if (it != pipes.end() && real != nullptr) {
    std::unique_ptr<Pipe> pipe = std::move(it->second);
    pipes.erase(it);
    tracker.set_channel_handle(*conversation, pipe->channel, std::move(handle));
    auto& slot = pipes[*real];
    if (slot) tracker.close_channel(*conversation, slot->channel);  // a FileId reused unclosed
    slot = std::move(pipe);
  } else if (it != pipes.end()) {
    close_pipe(provisional_key);  // refused: what was written to it went nowhere
  }
  for (auto& [id, p] : pending)
    if (p.file == provisional_key) p.file = real != nullptr ? *real : FileKey{};
  return early && real != nullptr;
}

}  // namespace rpctrace::transport
