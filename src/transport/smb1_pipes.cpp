// SMB1 (MS-CIFS, MS-SMB): what the named-pipe adapter follows. Requests are remembered by
// command, PID and MID (MS-CIFS 3.2.5.1: a response carries its request's); a pipe is its FID
// on its TID. Pipe bytes travel in WRITE_ANDX and READ_ANDX, and in TRANSACTION requests on
// \PIPE\ (TransactNmPipe, WriteNmPipe, ReadNmPipe: MS-CIFS 2.2.5), which TRANSACTION_SECONDARY
// requests may continue.
#include <fmt/format.h>

#include "smb_connection.hpp"

namespace rpctrace::transport {

namespace {

namespace cmd = smb::smb1::command;
using smb::smb1::Command;
using smb::smb1::Message;

// Apart from SMB2's MessageIds by the top bit; the command keeps the members of one AndX
// chain apart (they share the MID).
std::uint64_t request_key(const smb::smb1::Header& h, std::uint8_t command) {
  return 1ull << 63 | static_cast<std::uint64_t>(command) << 48 |
         static_cast<std::uint64_t>(h.pid) << 16 | h.mid;
}

FileKey file_key(std::uint32_t tid, std::uint16_t fid) { return {fid, tid, true}; }

std::string command_text(std::uint8_t command) {
  return "SMB1 " + smb::smb1::command_name(command);
}

bool pipe_transaction(const smb::smb1::Transaction& t) {
  if (t.setup.size() < 2) return false;
  const std::uint16_t sub = t.setup[0];
  return sub == smb::smb1::kTransactNmPipe || sub == smb::smb1::kWriteNmPipe ||
         sub == smb::smb1::kRawWriteNmPipe || sub == smb::smb1::kReadNmPipe;
}

}  // namespace

void SmbConnection::smb1(std::uint8_t dir, common::Bytes message, const dcerpc::FrameRef& at) {
  Message m = smb::smb1::parse_message(message, limits.max_chain);
  ++counters.smb1_messages;
  for (const Command& c : m.commands) {
    if (m.header.reply())
      smb1_response(dir, m, c, at);
    else
      smb1_request(dir, m, c, at);
  }
  if (m.error) malformed(*m.error, "SMB1 message", at);
}

void SmbConnection::smb1_request(std::uint8_t dir, const Message& m, const Command& c,
                                 const dcerpc::FrameRef& at) {
  const auto& h = m.header;
  Pending p;
  p.command = c.command;
  p.session = h.uid;
  p.tree = h.tid;
  p.at = at;
  const std::string command = command_text(c.command);
  switch (c.command) {
    case cmd::negotiate:
      event(analysis::CarrierEventKind::negotiate, command, {}, nullptr, 0, at);
      // A client may offer SMB2 in an SMB1 NEGOTIATE; an SMB2 response with MessageId 0
      // answers it (MS-SMB2 3.3.5.3).
      remember(0, Pending{smb::smb2::command::negotiate, {}, {}, 0, 0, at});
      break;
    case cmd::session_setup_andx: {
      auto r = smb::smb1::parse_session_setup_request(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 SESSION_SETUP_ANDX request", at);
      const auto& v = r.value();
      p.text = !v.security_blob.empty() ? account_of(v.security_blob)
               : v.domain.empty()       ? v.account
                                        : v.domain + "\\" + v.account;
      event(analysis::CarrierEventKind::session_setup, command, p.text, nullptr, 0, at);
      break;
    }
    case cmd::logoff_andx:
      event(analysis::CarrierEventKind::logoff, command, account(h.uid), nullptr, 0, at);
      break;
    case cmd::tree_connect_andx: {
      auto r = smb::smb1::parse_tree_connect_request(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 TREE_CONNECT_ANDX request", at);
      p.text = r.value().path;
      event(analysis::CarrierEventKind::tree_connect, command, p.text, nullptr, 0, at, nullptr,
            ends_with_ipc(p.text));
      break;
    }
    case cmd::tree_disconnect: {
      auto it = trees.find(tree_key(h.uid, h.tid));
      if (it == trees.end() || !it->second.ipc) return;
      event(analysis::CarrierEventKind::tree_disconnect, command, it->second.path, nullptr, 0, at);
      break;
    }
    case cmd::nt_create_andx: {
      if (!ipc_tree(h.uid, h.tid)) return;
      auto r = smb::smb1::parse_nt_create_request(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 NT_CREATE_ANDX request", at);
      p.text = pipe_name(r.value().name);
      event(analysis::CarrierEventKind::open, command, p.text, nullptr, 0, at, nullptr, true);
      break;
    }
    case cmd::close: {
      auto r = smb::smb1::parse_close_request(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 CLOSE request", at);
      p.file = file_key(h.tid, r.value());
      Pipe* pipe = find_pipe(p.file);
      if (pipe == nullptr) return;
      pipe_event(analysis::CarrierEventKind::close, command, nullptr, 0, at, *pipe);
      break;
    }
    case cmd::write:
    case cmd::write_andx: {
      auto r = c.command == cmd::write ? smb::smb1::parse_core_write_request(m, c)
                                       : smb::smb1::parse_write_request(m, c);
      if (!r.is_complete()) return malformed(r.error(), command + " request", at);
      p.file = file_key(h.tid, r.value().fid);
      Pipe* pipe = unnamed_pipe(p.file, r.value().data, h.uid, h.tid);
      if (pipe == nullptr) return;
      pipe->framer.data(dir, r.value().data, at, true);
      break;
    }
    case cmd::read_andx: {
      auto r = smb::smb1::parse_read_request(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 READ_ANDX request", at);
      p.file = file_key(h.tid, r.value());
      if (find_pipe(p.file) == nullptr && !ipc_tree(h.uid, h.tid)) return;
      break;
    }
    case cmd::transaction:
    case cmd::transaction_secondary:
      return smb1_transaction_request(dir, m, c, at);
    default:
      return;
  }
  remember(request_key(h, c.command), std::move(p));
}

// A TRANSACTION on a pipe writes its data to the pipe (TransactNmPipe also reads the answer);
// a TRANSACTION_SECONDARY carries more of a request's data, found by its MID.
void SmbConnection::smb1_transaction_request(std::uint8_t dir, const Message& m, const Command& c,
                                             const dcerpc::FrameRef& at) {
  const auto& h = m.header;
  const bool secondary = c.command == cmd::transaction_secondary;
  auto r = secondary ? smb::smb1::parse_transaction_secondary(m, c)
                     : smb::smb1::parse_transaction_request(m, c);
  if (!r.is_complete())
    return malformed(r.error(),
                     secondary ? "SMB1 TRANSACTION_SECONDARY request" : "SMB1 TRANSACTION request",
                     at);
  const auto& t = r.value();
  const std::uint64_t key = request_key(h, cmd::transaction);
  Pending p;
  if (secondary) {
    auto it = pending.find(key);
    if (it == pending.end()) return;
    p = it->second;
  } else {
    if (!pipe_transaction(t)) return;
    p.command = cmd::transaction;
    p.session = h.uid;
    p.tree = h.tid;
    p.at = at;
    p.file = file_key(h.tid, t.setup[1]);
  }
  if (!t.data.empty()) {
    Pipe* pipe = unnamed_pipe(p.file, t.data, h.uid, h.tid);
    if (pipe != nullptr) pipe->framer.data(dir, t.data, at, true);
  }
  if (!secondary) remember(key, std::move(p));
}

void SmbConnection::smb1_response(std::uint8_t dir, const Message& m, const Command& c,
                                  const dcerpc::FrameRef& at) {
  const auto& h = m.header;
  const std::uint64_t key = request_key(h, c.command);
  auto req = take(key);
  if (!req) {
    if (c.command == cmd::read_andx || c.command == cmd::transaction)
      ++counters.responses_unmatched;
    return;
  }
  // An NTSTATUS when Flags2 says so; else an SMB error class and code (MS-CIFS 2.2.3.1), which
  // is shown as it is and is never success either.
  const std::uint32_t status = h.status;
  const bool ok = status == ntstatus::success;
  const std::string command = command_text(c.command);
  switch (c.command) {
    case cmd::negotiate:
      take(0);  // no SMB2 answer then
      if (ok) dialect = "NT LM 0.12";
      event(analysis::CarrierEventKind::negotiate, command, ok ? dialect : std::string{}, &*req,
            status, at);
      break;
    case cmd::session_setup_andx:
      if (ok) sessions[h.uid] = req->text;
      event(analysis::CarrierEventKind::session_setup, command, req->text, &*req, status, at);
      break;
    case cmd::logoff_andx:
      event(analysis::CarrierEventKind::logoff, command, account(h.uid), &*req, status, at);
      break;
    case cmd::tree_connect_andx: {
      const bool ipc = ends_with_ipc(req->text);
      if (ok && trees.size() < limits.max_trees) trees[tree_key(h.uid, h.tid)] = {req->text, ipc};
      event(analysis::CarrierEventKind::tree_connect, command, req->text, &*req, status, at,
            nullptr, ipc);
      break;
    }
    case cmd::tree_disconnect:
      tree_disconnected(command, *req, status, at);
      break;
    case cmd::nt_create_andx: {
      if (!ok) {
        create_answered(command, *req, status, at, nullptr, {});
        break;
      }
      auto r = smb::smb1::parse_nt_create_response(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 NT_CREATE_ANDX response", at);
      const FileKey file = file_key(req->tree, r.value());
      create_answered(command, *req, status, at, &file, fmt::format("0x{:04x}", r.value()));
      break;
    }
    case cmd::close:
      close_answered(command, *req, status, at);
      break;
    case cmd::read_andx:
    case cmd::write:
    case cmd::write_andx:
    case cmd::transaction:
      smb1_pipe_response(dir, m, c, *req, at);
      break;
    default:
      break;
  }
}

void SmbConnection::smb1_pipe_response(std::uint8_t dir, const Message& m, const Command& c,
                                       const Pending& req, const dcerpc::FrameRef& at) {
  const std::uint32_t status = m.header.status;
  const bool data = status == ntstatus::success || status == ntstatus::buffer_overflow;
  Pipe* pipe = find_pipe(req.file);
  if (data && c.command != cmd::write_andx && c.command != cmd::write) {
    common::Bytes bytes;
    if (c.command == cmd::read_andx) {
      auto r = smb::smb1::parse_read_response(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 READ_ANDX response", at);
      bytes = r.value();
    } else {
      auto r = smb::smb1::parse_transaction_response(m, c);
      if (!r.is_complete()) return malformed(r.error(), "SMB1 TRANSACTION response", at);
      bytes = r.value().data;
      // A response in parts (MS-CIFS 3.3.4.1.2): the next part answers the same request.
      if (std::size_t{r.value().data_displacement} + bytes.size() < r.value().total_data)
        remember(request_key(m.header, c.command), req);
    }
    if (pipe == nullptr) pipe = unnamed_pipe(req.file, bytes, req.session, req.tree);
    if (pipe != nullptr) pipe->framer.data(dir, bytes, at, true);
    return;
  }
  if (data || status == ntstatus::pipe_empty || pipe == nullptr) return;
  pipe_event(analysis::CarrierEventKind::refused, command_text(c.command), &req, status, at, *pipe);
}

}  // namespace rpctrace::transport
