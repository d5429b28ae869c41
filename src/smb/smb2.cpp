// SMB2 header, compound chains and the bodies of the pipe commands (MS-SMB2 2.2).
#include "rpctrace/smb/smb2.hpp"

#include <fmt/format.h>

#include "rpctrace/common/text.hpp"

namespace rpctrace::smb::smb2 {

namespace {

using common::ByteReader;

template <typename T>
Result<T> malformed(Reason r, std::size_t offset, std::string detail) {
  return Result<T>::malformed(r, offset, std::move(detail));
}

// The body's reader after checking its StructureSize (MS-SMB2 2.2: the fixed part's size,
// plus one when a variable buffer follows). Fails with the reason set in `error`.
struct Body {
  ByteReader r;
  std::optional<common::Malformed<Reason>> error;
};
Body body(const Message& m, std::uint16_t structure_size) {
  Body b{ByteReader(m.octets.subspan(std::min(kHeaderSize, m.octets.size()))), std::nullopt};
  const std::uint16_t got = b.r.u16();
  if (!b.r.ok()) {
    b.error =
        common::Malformed<Reason>{Reason::truncated, kHeaderSize,
                                  fmt::format("{} body missing", command_name(m.header.command))};
  } else if (got != structure_size) {
    b.error =
        common::Malformed<Reason>{Reason::structure_size, kHeaderSize,
                                  fmt::format("{} StructureSize {} != {}",
                                              command_name(m.header.command), got, structure_size)};
  }
  return b;
}

// A buffer given by offset (from the header's start) and length.
std::optional<Bytes> buffer(const Message& m, std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return Bytes{};
  if (offset < kHeaderSize || offset > m.octets.size() || length > m.octets.size() - offset)
    return std::nullopt;
  return m.octets.subspan(offset, length);
}

template <typename T>
Result<T> bad_buffer(const Message& m, std::string_view field, std::uint64_t offset,
                     std::uint64_t length) {
  return malformed<T>(
      Reason::offset_out_of_range, kHeaderSize,
      fmt::format("{} {} at offset {} length {} outside the {}-octet message",
                  command_name(m.header.command), field, offset, length, m.octets.size()));
}

FileId read_file_id(ByteReader& r) {
  FileId f;
  f.persistent = r.u64();
  f.volatile_id = r.u64();
  return f;
}

template <typename T>
Result<T> truncated(const Message& m) {
  return malformed<T>(Reason::truncated, kHeaderSize,
                      fmt::format("{} body cut short", command_name(m.header.command)));
}

Result<std::string> utf16_name(const Message& m, Bytes octets, std::string_view field) {
  std::string out;
  if (!common::utf16le_to_text(octets, out, kMaxNameOctets))
    return malformed<std::string>(
        Reason::name_too_long, kHeaderSize,
        fmt::format("{} {} longer than {} octets", command_name(m.header.command), field,
                    kMaxNameOctets));
  return Result<std::string>::complete(std::move(out), octets.size());
}

Header read_header(ByteReader& r) {
  Header h;
  r.skip(4);  // ProtocolId
  r.skip(2);  // StructureSize, checked by the caller
  h.credit_charge = r.u16();
  h.status = r.u32();
  h.command = r.u16();
  h.credits = r.u16();
  h.flags = r.u32();
  h.next_command = r.u32();
  h.message_id = r.u64();
  if (h.flags & flags::async_command) {
    h.async_id = r.u64();
  } else {
    r.skip(4);  // Reserved (ProcessId)
    h.tree_id = r.u32();
  }
  h.session_id = r.u64();
  r.skip(16);  // Signature
  return h;
}

}  // namespace

std::string command_name(std::uint16_t c) {
  static constexpr std::string_view kNames[] = {
      "NEGOTIATE",     "SESSION_SETUP", "LOGOFF",   "TREE_CONNECT", "TREE_DISCONNECT",
      "CREATE",        "CLOSE",         "FLUSH",    "READ",         "WRITE",
      "LOCK",          "IOCTL",         "CANCEL",   "ECHO",         "QUERY_DIRECTORY",
      "CHANGE_NOTIFY", "QUERY_INFO",    "SET_INFO", "OPLOCK_BREAK"};
  if (c < std::size(kNames)) return std::string(kNames[c]);
  return fmt::format("command 0x{:X}", c);
}

Chain split_chain(Bytes data, std::size_t max_chain) {
  Chain out;
  std::size_t at = 0;
  while (true) {
    Bytes rest = data.subspan(at);
    if (protocol_of(rest) != Protocol::smb2) {
      out.error = common::Malformed<Reason>{
          Reason::protocol_id, at,
          at == 0 ? "no \\xFESMB protocol identifier"
                  : fmt::format("compound member at offset {} has no \\xFESMB identifier", at)};
      return out;
    }
    ByteReader r(rest);
    r.skip(4);
    const std::uint16_t structure_size = r.u16();
    ByteReader hr(rest);
    Header h = read_header(hr);
    if (!hr.ok()) {
      out.error = common::Malformed<Reason>{
          Reason::truncated, at, fmt::format("SMB2 header cut at {} octets", rest.size())};
      return out;
    }
    if (structure_size != kHeaderSize) {
      out.error = common::Malformed<Reason>{
          Reason::structure_size, at + 4,
          fmt::format("SMB2 header StructureSize {} != 64", structure_size)};
      return out;
    }
    if (out.messages.size() == max_chain) {
      out.error = common::Malformed<Reason>{
          Reason::chain_too_deep, at,
          fmt::format("compound chain longer than {} members", max_chain)};
      return out;
    }
    const std::uint32_t next = h.next_command;
    if (next == 0) {
      out.messages.push_back({h, rest});
      return out;
    }
    // Each member starts 8-aligned after a whole header (MS-SMB2 3.2.4.1.4); a NextCommand that
    // points inside the header or past the data would loop or read a neighbour.
    if (next < kHeaderSize || next % 8 != 0 || next >= rest.size()) {
      out.messages.push_back({h, rest.first(std::min<std::size_t>(next, rest.size()))});
      out.error = common::Malformed<Reason>{
          Reason::next_command, at + 20,
          fmt::format("NextCommand {} in a {}-octet remainder (must be 8-aligned, at least 64, "
                      "inside the message)",
                      next, rest.size())};
      return out;
    }
    out.messages.push_back({h, rest.first(next)});
    at += next;
  }
}

Result<TransformHeader> parse_transform_header(Bytes data) {
  if (protocol_of(data) != Protocol::transform)
    return malformed<TransformHeader>(Reason::protocol_id, 0, "no \\xFDSMB identifier");
  ByteReader r(data);
  r.skip(4 + 16 + 16);  // ProtocolId, Signature, Nonce
  TransformHeader t;
  t.original_size = r.u32();
  r.skip(2 + 2);  // Reserved, Flags/EncryptionAlgorithm
  t.session_id = r.u64();
  if (!r.ok())
    return malformed<TransformHeader>(Reason::truncated, 0, "TRANSFORM_HEADER cut short");
  return Result<TransformHeader>::complete(t, r.position());
}

bool is_error_response(const Message& m) {
  ByteReader r(m.octets.subspan(std::min(kHeaderSize, m.octets.size())));
  return r.u16() == 9 && r.ok();
}

Result<NegotiateResponse> parse_negotiate_response(const Message& m) {
  Body b = body(m, 65);
  if (b.error) return Result<NegotiateResponse>::from(*b.error);
  NegotiateResponse out;
  b.r.skip(2);  // SecurityMode
  out.dialect = b.r.u16();
  if (!b.r.ok()) return truncated<NegotiateResponse>(m);
  return Result<NegotiateResponse>::complete(out, m.octets.size());
}

Result<SessionSetupRequest> parse_session_setup_request(const Message& m) {
  Body b = body(m, 25);
  if (b.error) return Result<SessionSetupRequest>::from(*b.error);
  b.r.skip(1 + 1 + 4 + 4);  // Flags, SecurityMode, Capabilities, Channel
  const std::uint16_t offset = b.r.u16();
  const std::uint16_t length = b.r.u16();
  if (!b.r.ok()) return truncated<SessionSetupRequest>(m);
  auto blob = buffer(m, offset, length);
  if (!blob) return bad_buffer<SessionSetupRequest>(m, "SecurityBuffer", offset, length);
  return Result<SessionSetupRequest>::complete({*blob}, m.octets.size());
}

Result<SessionSetupResponse> parse_session_setup_response(const Message& m) {
  Body b = body(m, 9);
  if (b.error) return Result<SessionSetupResponse>::from(*b.error);
  SessionSetupResponse out;
  out.session_flags = b.r.u16();
  const std::uint16_t offset = b.r.u16();
  const std::uint16_t length = b.r.u16();
  if (!b.r.ok()) return truncated<SessionSetupResponse>(m);
  auto blob = buffer(m, offset, length);
  if (!blob) return bad_buffer<SessionSetupResponse>(m, "SecurityBuffer", offset, length);
  out.security_blob = *blob;
  return Result<SessionSetupResponse>::complete(out, m.octets.size());
}

Result<TreeConnectRequest> parse_tree_connect_request(const Message& m) {
  Body b = body(m, 9);
  if (b.error) return Result<TreeConnectRequest>::from(*b.error);
  b.r.skip(2);  // Flags
  const std::uint16_t offset = b.r.u16();
  const std::uint16_t length = b.r.u16();
  if (!b.r.ok()) return truncated<TreeConnectRequest>(m);
  auto path = buffer(m, offset, length);
  if (!path) return bad_buffer<TreeConnectRequest>(m, "Path", offset, length);
  auto text = utf16_name(m, *path, "Path");
  if (!text.is_complete()) return Result<TreeConnectRequest>::from(text.error());
  return Result<TreeConnectRequest>::complete({text.take()}, m.octets.size());
}

Result<TreeConnectResponse> parse_tree_connect_response(const Message& m) {
  Body b = body(m, 16);
  if (b.error) return Result<TreeConnectResponse>::from(*b.error);
  TreeConnectResponse out;
  out.share_type = b.r.u8();
  if (!b.r.ok()) return truncated<TreeConnectResponse>(m);
  return Result<TreeConnectResponse>::complete(out, m.octets.size());
}

Result<CreateRequest> parse_create_request(const Message& m) {
  Body b = body(m, 57);
  if (b.error) return Result<CreateRequest>::from(*b.error);
  // SecurityFlags, RequestedOplockLevel, ImpersonationLevel, SmbCreateFlags, Reserved,
  // DesiredAccess, FileAttributes, ShareAccess, CreateDisposition, CreateOptions.
  b.r.skip(1 + 1 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 4);
  const std::uint16_t offset = b.r.u16();
  const std::uint16_t length = b.r.u16();
  if (!b.r.ok()) return truncated<CreateRequest>(m);
  auto name = buffer(m, offset, length);
  if (!name) return bad_buffer<CreateRequest>(m, "Name", offset, length);
  auto text = utf16_name(m, *name, "Name");
  if (!text.is_complete()) return Result<CreateRequest>::from(text.error());
  return Result<CreateRequest>::complete({text.take()}, m.octets.size());
}

Result<CreateResponse> parse_create_response(const Message& m) {
  Body b = body(m, 89);
  if (b.error) return Result<CreateResponse>::from(*b.error);
  CreateResponse out;
  b.r.skip(1 + 1);  // OplockLevel, Flags
  out.create_action = b.r.u32();
  b.r.skip(8 * 6 + 4 + 4);  // four times, AllocationSize, EndofFile, FileAttributes, Reserved2
  out.file_id = read_file_id(b.r);
  if (!b.r.ok()) return truncated<CreateResponse>(m);
  return Result<CreateResponse>::complete(out, m.octets.size());
}

Result<FileId> parse_close_request(const Message& m) {
  Body b = body(m, 24);
  if (b.error) return Result<FileId>::from(*b.error);
  b.r.skip(2 + 4);  // Flags, Reserved
  FileId f = read_file_id(b.r);
  if (!b.r.ok()) return truncated<FileId>(m);
  return Result<FileId>::complete(f, m.octets.size());
}

Result<ReadRequest> parse_read_request(const Message& m) {
  Body b = body(m, 49);
  if (b.error) return Result<ReadRequest>::from(*b.error);
  ReadRequest out;
  b.r.skip(1 + 1);  // Padding, Flags
  out.length = b.r.u32();
  b.r.skip(8);  // Offset
  out.file_id = read_file_id(b.r);
  if (!b.r.ok()) return truncated<ReadRequest>(m);
  return Result<ReadRequest>::complete(out, m.octets.size());
}

Result<ReadResponse> parse_read_response(const Message& m) {
  Body b = body(m, 17);
  if (b.error) return Result<ReadResponse>::from(*b.error);
  ReadResponse out;
  const std::uint8_t offset = b.r.u8();
  b.r.skip(1);  // Reserved
  const std::uint32_t length = b.r.u32();
  out.data_remaining = b.r.u32();
  if (!b.r.ok()) return truncated<ReadResponse>(m);
  auto data = buffer(m, offset, length);
  if (!data) return bad_buffer<ReadResponse>(m, "Buffer", offset, length);
  out.data = *data;
  return Result<ReadResponse>::complete(out, m.octets.size());
}

Result<WriteRequest> parse_write_request(const Message& m) {
  Body b = body(m, 49);
  if (b.error) return Result<WriteRequest>::from(*b.error);
  WriteRequest out;
  const std::uint16_t offset = b.r.u16();
  out.length = b.r.u32();
  b.r.skip(8);  // Offset
  out.file_id = read_file_id(b.r);
  if (!b.r.ok()) return truncated<WriteRequest>(m);
  auto data = buffer(m, offset, out.length);
  if (!data) return bad_buffer<WriteRequest>(m, "Buffer", offset, out.length);
  out.data = *data;
  return Result<WriteRequest>::complete(out, m.octets.size());
}

Result<IoctlRequest> parse_ioctl_request(const Message& m) {
  Body b = body(m, 57);
  if (b.error) return Result<IoctlRequest>::from(*b.error);
  IoctlRequest out;
  b.r.skip(2);  // Reserved
  out.ctl_code = b.r.u32();
  out.file_id = read_file_id(b.r);
  const std::uint32_t offset = b.r.u32();
  const std::uint32_t length = b.r.u32();
  if (!b.r.ok()) return truncated<IoctlRequest>(m);
  auto input = buffer(m, offset, length);
  if (!input) return bad_buffer<IoctlRequest>(m, "Input", offset, length);
  out.input = *input;
  return Result<IoctlRequest>::complete(out, m.octets.size());
}

Result<IoctlResponse> parse_ioctl_response(const Message& m) {
  Body b = body(m, 49);
  if (b.error) return Result<IoctlResponse>::from(*b.error);
  IoctlResponse out;
  b.r.skip(2);  // Reserved
  out.ctl_code = b.r.u32();
  out.file_id = read_file_id(b.r);
  b.r.skip(4 + 4);  // InputOffset, InputCount
  const std::uint32_t offset = b.r.u32();
  const std::uint32_t length = b.r.u32();
  if (!b.r.ok()) return truncated<IoctlResponse>(m);
  auto output = buffer(m, offset, length);
  if (!output) return bad_buffer<IoctlResponse>(m, "Output", offset, length);
  out.output = *output;
  return Result<IoctlResponse>::complete(out, m.octets.size());
}

}  // namespace rpctrace::smb::smb2
