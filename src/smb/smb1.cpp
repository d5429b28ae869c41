// SMB1 header, AndX chains and the pipe commands (MS-CIFS 2.2).
#include "rpctrace/smb/smb1.hpp"

#include <fmt/format.h>

#include "rpctrace/common/text.hpp"

namespace rpctrace::smb::smb1 {

namespace {

using common::ByteReader;

template <typename T>
Result<T> malformed(Reason r, std::size_t offset, std::string detail) {
  return Result<T>::malformed(r, offset, std::move(detail));
}

bool is_andx(std::uint8_t c) {
  switch (c) {
    case 0x24:  // LOCKING_ANDX
    case 0x2d:  // OPEN_ANDX
    case command::read_andx:
    case command::write_andx:
    case command::session_setup_andx:
    case command::logoff_andx:
    case command::tree_connect_andx:
    case command::nt_create_andx:
      return true;
    default:
      return false;
  }
}

// The words of `c` after checking its WordCount is one of `allowed`.
template <typename T>
std::optional<Result<T>> check_words(const Command& c, std::initializer_list<std::size_t> allowed) {
  const std::size_t wc = c.words.size() / 2;
  for (std::size_t a : allowed)
    if (wc == a) return std::nullopt;
  return malformed<T>(Reason::word_count, kHeaderSize,
                      fmt::format("{} WordCount {}", command_name(c.command), wc));
}

// `length` octets at `offset` from the header's start, inside the message.
std::optional<Bytes> at_offset(const Message& m, std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return Bytes{};
  if (offset < kHeaderSize || offset > m.octets.size() || length > m.octets.size() - offset)
    return std::nullopt;
  return m.octets.subspan(offset, length);
}

template <typename T>
Result<T> bad_offset(const Command& c, std::string_view field, std::uint64_t offset,
                     std::uint64_t length, std::size_t size) {
  return malformed<T>(Reason::offset_out_of_range, kHeaderSize,
                      fmt::format("{} {} at offset {} length {} outside the {}-octet message",
                                  command_name(c.command), field, offset, length, size));
}

// A NUL-terminated string of the data bytes from `pos` (UTF-16LE aligned to two octets from
// the header when `unicode`); `pos` moves past its terminator. Fails past kMaxNameOctets.
bool read_string(const Command& c, bool unicode, std::size_t& pos, std::string& out) {
  Bytes b = c.bytes;
  if (unicode && (c.bytes_offset + pos) % 2 != 0) ++pos;
  if (pos > b.size()) pos = b.size();
  std::size_t end = pos;
  const std::size_t unit = unicode ? 2 : 1;
  while (end + unit <= b.size() &&
         !(b[end] == std::byte{0} && (!unicode || b[end + 1] == std::byte{0})))
    end += unit;
  Bytes text = b.subspan(pos, end - pos);
  pos = std::min(b.size(), end + unit);
  return unicode ? common::utf16le_to_text(text, out, kMaxNameOctets)
                 : common::oem_to_text(text, out, kMaxNameOctets);
}

template <typename T>
Result<T> name_too_long(const Command& c) {
  return malformed<T>(
      Reason::name_too_long, kHeaderSize,
      fmt::format("{} name longer than {} octets", command_name(c.command), kMaxNameOctets));
}

}  // namespace

std::string command_name(std::uint8_t c) {
  switch (c) {
    case command::close:
      return "CLOSE";
    case command::write:
      return "WRITE";
    case command::transaction:
      return "TRANSACTION";
    case command::transaction_secondary:
      return "TRANSACTION_SECONDARY";
    case command::read_andx:
      return "READ_ANDX";
    case command::write_andx:
      return "WRITE_ANDX";
    case command::tree_disconnect:
      return "TREE_DISCONNECT";
    case command::negotiate:
      return "NEGOTIATE";
    case command::session_setup_andx:
      return "SESSION_SETUP_ANDX";
    case command::logoff_andx:
      return "LOGOFF_ANDX";
    case command::tree_connect_andx:
      return "TREE_CONNECT_ANDX";
    case command::nt_create_andx:
      return "NT_CREATE_ANDX";
    default:
      return fmt::format("command 0x{:02X}", c);
  }
}

Message parse_message(Bytes data, std::size_t max_chain) {
  Message m;
  m.octets = data;
  if (protocol_of(data) != Protocol::smb1) {
    m.error = common::Malformed<Reason>{Reason::protocol_id, 0, "no \\xFFSMB protocol identifier"};
    return m;
  }
  ByteReader r(data);
  r.skip(4);
  Header& h = m.header;
  h.command = r.u8();
  h.status = r.u32();
  h.flags = r.u8();
  h.flags2 = r.u16();
  const std::uint16_t pid_high = r.u16();
  r.skip(8 + 2);  // SecurityFeatures, Reserved
  h.tid = r.u16();
  h.pid = static_cast<std::uint32_t>(pid_high) << 16 | r.u16();
  h.uid = r.u16();
  h.mid = r.u16();
  if (!r.ok()) {
    m.error = common::Malformed<Reason>{Reason::truncated, 0,
                                        fmt::format("SMB1 header cut at {} octets", data.size())};
    return m;
  }
  std::uint8_t cmd = h.command;
  std::size_t at = kHeaderSize;
  while (true) {
    if (m.commands.size() == max_chain) {
      m.error = common::Malformed<Reason>{
          Reason::chain_too_deep, at, fmt::format("AndX chain longer than {} commands", max_chain)};
      return m;
    }
    ByteReader b(data.subspan(at));
    Command c;
    c.command = cmd;
    const std::uint8_t wc = b.u8();
    c.words = b.bytes(2u * wc);
    const std::uint16_t bc = b.u16();
    c.bytes_offset = at + b.position();
    c.bytes = b.bytes(bc);
    if (!b.ok()) {
      m.error = common::Malformed<Reason>{
          Reason::truncated, at,
          fmt::format("{} WordCount {} ByteCount {} past the {}-octet message", command_name(cmd),
                      wc, bc, data.size())};
      return m;
    }
    m.commands.push_back(c);
    if (!is_andx(cmd) || wc < 2) return m;
    ByteReader w(c.words);
    const std::uint8_t next = w.u8();
    w.skip(1);
    const std::uint16_t next_offset = w.u16();
    if (next == command::no_andx) return m;
    // A chain only moves forward; an offset back or onto itself would loop.
    if (next_offset <= at || next_offset >= data.size()) {
      m.error = common::Malformed<Reason>{
          Reason::andx_offset, at + 3,
          fmt::format("{} AndXOffset {} does not move forward inside the {}-octet message",
                      command_name(cmd), next_offset, data.size())};
      return m;
    }
    cmd = next;
    at = next_offset;
  }
}

Result<NtCreateRequest> parse_nt_create_request(const Message& m, const Command& c) {
  if (auto e = check_words<NtCreateRequest>(c, {24})) return std::move(*e);
  ByteReader w(c.words);
  w.skip(4 + 1);
  const std::uint16_t name_length = w.u16();
  std::size_t pos = 0;
  if (m.header.unicode() && c.bytes_offset % 2 != 0) pos = 1;
  if (name_length > c.bytes.size() || pos > c.bytes.size() - name_length)
    return bad_offset<NtCreateRequest>(c, "FileName", c.bytes_offset + pos, name_length,
                                       m.octets.size());
  Bytes name = c.bytes.subspan(pos, name_length);
  // The length may count the terminator.
  const std::size_t unit = m.header.unicode() ? 2 : 1;
  while (name.size() >= unit && name.back() == std::byte{0} &&
         name[name.size() - unit] == std::byte{0})
    name = name.first(name.size() - unit);
  NtCreateRequest out;
  const bool ok = m.header.unicode() ? common::utf16le_to_text(name, out.name, kMaxNameOctets)
                                     : common::oem_to_text(name, out.name, kMaxNameOctets);
  if (!ok) return name_too_long<NtCreateRequest>(c);
  return Result<NtCreateRequest>::complete(std::move(out), m.octets.size());
}

Result<std::uint16_t> parse_nt_create_response(const Message& m, const Command& c) {
  // 34 words, or 42 (50 by some servers' count) with the extended response (MS-SMB 2.2.4.9.2).
  if (c.words.size() < 2 * 34)
    return malformed<std::uint16_t>(
        Reason::word_count, kHeaderSize,
        fmt::format("NT_CREATE_ANDX response WordCount {}", c.words.size() / 2));
  ByteReader w(c.words);
  w.skip(4 + 1);  // AndX, OplockLevel
  return Result<std::uint16_t>::complete(w.u16(), m.octets.size());
}

Result<std::uint16_t> parse_close_request(const Message& m, const Command& c) {
  if (auto e = check_words<std::uint16_t>(c, {3})) return std::move(*e);
  ByteReader w(c.words);
  return Result<std::uint16_t>::complete(w.u16(), m.octets.size());
}

Result<std::uint16_t> parse_read_request(const Message& m, const Command& c) {
  if (auto e = check_words<std::uint16_t>(c, {10, 12})) return std::move(*e);
  ByteReader w(c.words);
  w.skip(4);
  return Result<std::uint16_t>::complete(w.u16(), m.octets.size());
}

Result<Bytes> parse_read_response(const Message& m, const Command& c) {
  if (auto e = check_words<Bytes>(c, {12})) return std::move(*e);
  ByteReader w(c.words);
  w.skip(4 + 2 + 2 + 2);  // AndX, Available, DataCompactionMode, Reserved1
  const std::uint16_t length = w.u16();
  const std::uint16_t offset = w.u16();
  const std::uint32_t length_high = w.u16();
  const std::uint64_t total = length_high << 16 | length;
  auto data = at_offset(m, offset, total);
  if (!data) return bad_offset<Bytes>(c, "Data", offset, total, m.octets.size());
  return Result<Bytes>::complete(*data, m.octets.size());
}

Result<WriteRequest> parse_write_request(const Message& m, const Command& c) {
  if (auto e = check_words<WriteRequest>(c, {12, 14})) return std::move(*e);
  ByteReader w(c.words);
  WriteRequest out;
  w.skip(4);
  out.fid = w.u16();
  w.skip(4 + 4);  // Offset, Timeout
  out.write_mode = w.u16();
  w.skip(2);  // Remaining
  const std::uint32_t length_high = w.u16();
  const std::uint16_t length = w.u16();
  const std::uint16_t offset = w.u16();
  const std::uint64_t total = length_high << 16 | length;
  auto data = at_offset(m, offset, total);
  if (!data) return bad_offset<WriteRequest>(c, "Data", offset, total, m.octets.size());
  out.data = *data;
  constexpr std::uint16_t kRawStart = kWriteModeRaw | kWriteModeMessageStart;
  if ((out.write_mode & kRawStart) == kRawStart)
    out.data = out.data.subspan(std::min<std::size_t>(2, out.data.size()));
  return Result<WriteRequest>::complete(out, m.octets.size());
}

Result<WriteRequest> parse_core_write_request(const Message& m, const Command& c) {
  if (auto e = check_words<WriteRequest>(c, {5})) return std::move(*e);
  ByteReader w(c.words);
  WriteRequest out;
  out.fid = w.u16();
  // The data: BufferFormat 0x01 (a data block), its length, the octets.
  ByteReader b(c.bytes);
  const std::uint8_t format = b.u8();
  const std::uint16_t length = b.u16();
  out.data = b.bytes(length);
  if (!b.ok() || format != 0x01)
    return bad_offset<WriteRequest>(c, "Data", c.bytes_offset, length, m.octets.size());
  return Result<WriteRequest>::complete(out, m.octets.size());
}

namespace {

// The parameter and data octets a TRANSACTION message points at.
template <typename T>
std::optional<Result<T>> transaction_buffers(const Message& m, const Command& c, Transaction& t,
                                             std::uint16_t param_count, std::uint16_t param_offset,
                                             std::uint16_t data_count, std::uint16_t data_offset) {
  auto params = at_offset(m, param_offset, param_count);
  if (!params) return bad_offset<T>(c, "Parameters", param_offset, param_count, m.octets.size());
  auto data = at_offset(m, data_offset, data_count);
  if (!data) return bad_offset<T>(c, "Data", data_offset, data_count, m.octets.size());
  t.parameters = *params;
  t.data = *data;
  return std::nullopt;
}

std::vector<std::uint16_t> setup_words(ByteReader& w, std::uint8_t count) {
  std::vector<std::uint16_t> out;
  for (std::uint8_t i = 0; i < count && w.remaining() >= 2; ++i) out.push_back(w.u16());
  return out;
}

}  // namespace

Result<Transaction> parse_transaction_request(const Message& m, const Command& c) {
  if (c.words.size() < 2 * 14)
    return malformed<Transaction>(Reason::word_count, kHeaderSize,
                                  fmt::format("TRANSACTION WordCount {}", c.words.size() / 2));
  ByteReader w(c.words);
  Transaction t;
  w.skip(2);  // TotalParameterCount
  t.total_data = w.u16();
  w.skip(2 + 2 + 1 + 1 + 2 + 4 +
         2);  // Max counts, MaxSetupCount, Reserved1, Flags, Timeout, Reserved2
  const std::uint16_t param_count = w.u16();
  const std::uint16_t param_offset = w.u16();
  const std::uint16_t data_count = w.u16();
  const std::uint16_t data_offset = w.u16();
  const std::uint8_t setup_count = w.u8();
  w.skip(1);
  if (c.words.size() != 2 * (14u + setup_count))
    return malformed<Transaction>(Reason::word_count, kHeaderSize,
                                  fmt::format("TRANSACTION WordCount {} with SetupCount {}",
                                              c.words.size() / 2, setup_count));
  t.setup = setup_words(w, setup_count);
  std::size_t pos = 0;
  if (!read_string(c, m.header.unicode(), pos, t.name)) return name_too_long<Transaction>(c);
  if (auto e = transaction_buffers<Transaction>(m, c, t, param_count, param_offset, data_count,
                                                data_offset))
    return std::move(*e);
  return Result<Transaction>::complete(std::move(t), m.octets.size());
}

Result<Transaction> parse_transaction_secondary(const Message& m, const Command& c) {
  if (auto e = check_words<Transaction>(c, {8})) return std::move(*e);
  ByteReader w(c.words);
  Transaction t;
  w.skip(2);
  t.total_data = w.u16();
  const std::uint16_t param_count = w.u16();
  const std::uint16_t param_offset = w.u16();
  w.skip(2);  // ParameterDisplacement
  const std::uint16_t data_count = w.u16();
  const std::uint16_t data_offset = w.u16();
  t.data_displacement = w.u16();
  if (auto e = transaction_buffers<Transaction>(m, c, t, param_count, param_offset, data_count,
                                                data_offset))
    return std::move(*e);
  return Result<Transaction>::complete(std::move(t), m.octets.size());
}

Result<Transaction> parse_transaction_response(const Message& m, const Command& c) {
  if (c.words.size() < 2 * 10)
    return malformed<Transaction>(
        Reason::word_count, kHeaderSize,
        fmt::format("TRANSACTION response WordCount {}", c.words.size() / 2));
  ByteReader w(c.words);
  Transaction t;
  w.skip(2);
  t.total_data = w.u16();
  w.skip(2);  // Reserved1
  const std::uint16_t param_count = w.u16();
  const std::uint16_t param_offset = w.u16();
  w.skip(2);  // ParameterDisplacement
  const std::uint16_t data_count = w.u16();
  const std::uint16_t data_offset = w.u16();
  t.data_displacement = w.u16();
  const std::uint8_t setup_count = w.u8();
  w.skip(1);
  t.setup = setup_words(w, setup_count);
  if (auto e = transaction_buffers<Transaction>(m, c, t, param_count, param_offset, data_count,
                                                data_offset))
    return std::move(*e);
  return Result<Transaction>::complete(std::move(t), m.octets.size());
}

Result<TreeConnectRequest> parse_tree_connect_request(const Message& m, const Command& c) {
  if (auto e = check_words<TreeConnectRequest>(c, {4})) return std::move(*e);
  ByteReader w(c.words);
  w.skip(4 + 2);
  const std::uint16_t password_length = w.u16();
  if (password_length > c.bytes.size())
    return bad_offset<TreeConnectRequest>(c, "Password", c.bytes_offset, password_length,
                                          m.octets.size());
  std::size_t pos = password_length;
  TreeConnectRequest out;
  if (!read_string(c, m.header.unicode(), pos, out.path))
    return name_too_long<TreeConnectRequest>(c);
  return Result<TreeConnectRequest>::complete(std::move(out), m.octets.size());
}

Result<SessionSetupRequest> parse_session_setup_request(const Message& m, const Command& c) {
  if (auto e = check_words<SessionSetupRequest>(c, {10, 12, 13})) return std::move(*e);
  ByteReader w(c.words);
  w.skip(4 + 2 + 2 + 2 + 4);  // AndX, MaxBufferSize, MaxMpxCount, VcNumber, SessionKey
  SessionSetupRequest out;
  const std::size_t wc = c.words.size() / 2;
  std::size_t skip = 0;
  if (wc == 12) {
    const std::uint16_t blob_length = w.u16();
    if (blob_length > c.bytes.size())
      return bad_offset<SessionSetupRequest>(c, "SecurityBlob", c.bytes_offset, blob_length,
                                             m.octets.size());
    out.security_blob = c.bytes.first(blob_length);
    return Result<SessionSetupRequest>::complete(out, m.octets.size());
  }
  if (wc == 13) {
    skip = std::size_t{w.u16()} + w.u16();  // OEMPasswordLen, UnicodePasswordLen
  } else {
    skip = w.u16();  // PasswordLen
  }
  if (skip > c.bytes.size())
    return bad_offset<SessionSetupRequest>(c, "Password", c.bytes_offset, skip, m.octets.size());
  std::size_t pos = skip;
  if (!read_string(c, m.header.unicode(), pos, out.account) ||
      !read_string(c, m.header.unicode(), pos, out.domain))
    return name_too_long<SessionSetupRequest>(c);
  return Result<SessionSetupRequest>::complete(std::move(out), m.octets.size());
}

Result<SessionSetupResponse> parse_session_setup_response(const Message& m, const Command& c) {
  if (auto e = check_words<SessionSetupResponse>(c, {3, 4})) return std::move(*e);
  ByteReader w(c.words);
  w.skip(4);
  SessionSetupResponse out;
  out.action = w.u16();
  if (c.words.size() == 2 * 4) {
    const std::uint16_t blob_length = w.u16();
    if (blob_length > c.bytes.size())
      return bad_offset<SessionSetupResponse>(c, "SecurityBlob", c.bytes_offset, blob_length,
                                              m.octets.size());
    out.security_blob = c.bytes.first(blob_length);
  }
  return Result<SessionSetupResponse>::complete(out, m.octets.size());
}

}  // namespace rpctrace::smb::smb1
