// SMB2 message layouts from MS-SMB2 2.2.1.2 (sync/async header) and 2.2.3-2.2.32.
#include "support/smb2_builder.hpp"

namespace rpctrace::testsupport {

namespace {

constexpr std::size_t kHeader = 64;

ByteWriter& file_id(ByteWriter& w, Smb2FileId f) { return w.u64(f.persistent).u64(f.volatile_); }

void utf16(ByteWriter& w, const std::string& s) {
  for (char c : s) w.u16(static_cast<unsigned char>(c));
}

Smb2Message message(std::uint16_t command, bool response, std::uint64_t message_id,
                    std::uint64_t session_id = 0, std::uint32_t tree_id = 0) {
  Smb2Message m;
  m.command = command;
  m.flags = response ? kSmb2FlagResponse : 0;
  m.message_id = message_id;
  m.session_id = session_id;
  m.tree_id = tree_id;
  return m;
}

}  // namespace

Bytes Smb2Message::bytes(std::uint32_t next_command) const {
  ByteWriter w;
  w.u8(0xfe).text("SMB").u16(static_cast<std::uint16_t>(kHeader)).u16(1).u32(status);
  w.u16(command).u16(1).u32(flags).u32(next_command).u64(message_id);
  if (flags & kSmb2FlagAsync)
    w.u64(async_id);
  else
    w.u32(0).u32(tree_id);
  w.u64(session_id).zeros(16);
  w.bytes(body);
  return w.take();
}

Smb2Message smb2_negotiate_request(std::uint64_t message_id) {
  Smb2Message m = message(smb2cmd::negotiate, false, message_id);
  ByteWriter w;
  w.u16(36).u16(2).u16(1).u16(0).u32(0).zeros(16).u64(0).u16(0x0202).u16(0x0311);
  m.body = w.take();
  return m;
}

Smb2Message smb2_negotiate_response(std::uint64_t message_id, std::uint16_t dialect) {
  Smb2Message m = message(smb2cmd::negotiate, true, message_id);
  ByteWriter w;
  w.u16(65).u16(1).u16(dialect).u16(0).zeros(16).u32(0);
  w.u32(65536).u32(65536).u32(65536).u64(0).u64(0);
  w.u16(static_cast<std::uint16_t>(kHeader + 64)).u16(0).u32(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_session_setup_request(std::uint64_t message_id, const Bytes& security_blob) {
  Smb2Message m = message(smb2cmd::session_setup, false, message_id);
  ByteWriter w;
  w.u16(25).u8(0).u8(1).u32(0).u32(0);
  w.u16(static_cast<std::uint16_t>(kHeader + 24))
      .u16(static_cast<std::uint16_t>(security_blob.size()));
  w.u64(0).bytes(security_blob);
  if (security_blob.empty()) w.u8(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_session_setup_response(std::uint64_t message_id, std::uint64_t session_id,
                                        std::uint32_t status) {
  Smb2Message m = message(smb2cmd::session_setup, true, message_id, session_id);
  m.status = status;
  ByteWriter w;
  w.u16(9).u16(0).u16(static_cast<std::uint16_t>(kHeader + 8)).u16(0).u8(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_tree_connect_request(std::uint64_t message_id, std::uint64_t session_id,
                                      const std::string& path) {
  Smb2Message m = message(smb2cmd::tree_connect, false, message_id, session_id);
  ByteWriter w;
  w.u16(9).u16(0).u16(static_cast<std::uint16_t>(kHeader + 8));
  w.u16(static_cast<std::uint16_t>(path.size() * 2));
  utf16(w, path);
  m.body = w.take();
  return m;
}

Smb2Message smb2_tree_connect_response(std::uint64_t message_id, std::uint64_t session_id,
                                       std::uint32_t tree_id, std::uint32_t status,
                                       std::uint8_t share_type) {
  if (status != 0)
    return smb2_error_response(smb2cmd::tree_connect, message_id, session_id, tree_id, status);
  Smb2Message m = message(smb2cmd::tree_connect, true, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(16).u8(share_type).u8(0).u32(0).u32(0).u32(0x001f01ff);
  m.body = w.take();
  return m;
}

Smb2Message smb2_create_request(std::uint64_t message_id, std::uint64_t session_id,
                                std::uint32_t tree_id, const std::string& name) {
  Smb2Message m = message(smb2cmd::create, false, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(57).u8(0).u8(0).u32(2).u64(0).u64(0);
  w.u32(0x0012019f).u32(0).u32(7).u32(1).u32(0);  // access, attributes, share, disposition
  w.u16(static_cast<std::uint16_t>(kHeader + 56)).u16(static_cast<std::uint16_t>(name.size() * 2));
  w.u32(0).u32(0);
  utf16(w, name);
  if (name.empty()) w.u8(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_create_response(std::uint64_t message_id, std::uint64_t session_id,
                                 std::uint32_t tree_id, Smb2FileId file, std::uint32_t status) {
  if (status != 0)
    return smb2_error_response(smb2cmd::create, message_id, session_id, tree_id, status);
  Smb2Message m = message(smb2cmd::create, true, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(89).u8(0).u8(0).u32(1).zeros(32).u64(4096).u64(0).u32(0x80).u32(0);
  file_id(w, file).u32(0).u32(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_close_request(std::uint64_t message_id, std::uint64_t session_id,
                               std::uint32_t tree_id, Smb2FileId file) {
  Smb2Message m = message(smb2cmd::close, false, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(24).u16(0).u32(0);
  file_id(w, file);
  m.body = w.take();
  return m;
}

Smb2Message smb2_close_response(std::uint64_t message_id, std::uint64_t session_id,
                                std::uint32_t tree_id) {
  Smb2Message m = message(smb2cmd::close, true, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(60).u16(0).u32(0).zeros(32).u64(0).u64(0).u32(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_write_request(std::uint64_t message_id, std::uint64_t session_id,
                               std::uint32_t tree_id, Smb2FileId file, const Bytes& data) {
  Smb2Message m = message(smb2cmd::write, false, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(49)
      .u16(static_cast<std::uint16_t>(kHeader + 48))
      .u32(static_cast<std::uint32_t>(data.size()));
  w.u64(0);
  file_id(w, file).u32(0).u32(0).u16(0).u16(0).u32(0).bytes(data);
  m.body = w.take();
  return m;
}

Smb2Message smb2_write_response(std::uint64_t message_id, std::uint64_t session_id,
                                std::uint32_t tree_id, std::uint32_t count) {
  Smb2Message m = message(smb2cmd::write, true, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(17).u16(0).u32(count).u32(0).u16(0).u16(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_read_request(std::uint64_t message_id, std::uint64_t session_id,
                              std::uint32_t tree_id, Smb2FileId file, std::uint32_t length) {
  Smb2Message m = message(smb2cmd::read, false, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(49).u8(0).u8(0).u32(length).u64(0);
  file_id(w, file).u32(0).u32(0).u32(0).u16(0).u16(0).u8(0);
  m.body = w.take();
  return m;
}

Smb2Message smb2_read_response(std::uint64_t message_id, std::uint64_t session_id,
                               std::uint32_t tree_id, const Bytes& data, std::uint32_t status) {
  Smb2Message m = message(smb2cmd::read, true, message_id, session_id, tree_id);
  m.status = status;  // STATUS_BUFFER_OVERFLOW (0x80000005): more of the message follows
  ByteWriter w;
  w.u16(17).u8(static_cast<std::uint8_t>(kHeader + 16)).u8(0);
  w.u32(static_cast<std::uint32_t>(data.size())).u32(0).u32(0).bytes(data);
  m.body = w.take();
  return m;
}

Smb2Message smb2_transceive_request(std::uint64_t message_id, std::uint64_t session_id,
                                    std::uint32_t tree_id, Smb2FileId file, const Bytes& data) {
  Smb2Message m = message(smb2cmd::ioctl, false, message_id, session_id, tree_id);
  ByteWriter w;
  w.u16(57).u16(0).u32(kFsctlPipeTransceive);
  file_id(w, file);
  w.u32(static_cast<std::uint32_t>(kHeader + 56)).u32(static_cast<std::uint32_t>(data.size()));
  w.u32(0).u32(0).u32(0).u32(4280).u32(1).u32(0).bytes(data);
  m.body = w.take();
  return m;
}

Smb2Message smb2_transceive_response(std::uint64_t message_id, std::uint64_t session_id,
                                     std::uint32_t tree_id, Smb2FileId file, const Bytes& data,
                                     std::uint32_t status) {
  Smb2Message m = message(smb2cmd::ioctl, true, message_id, session_id, tree_id);
  m.status = status;
  ByteWriter w;
  w.u16(49).u16(0).u32(kFsctlPipeTransceive);
  file_id(w, file);
  const auto at = static_cast<std::uint32_t>(kHeader + 48);
  w.u32(at).u32(0).u32(at).u32(static_cast<std::uint32_t>(data.size())).u32(0).u32(0);
  w.bytes(data);
  m.body = w.take();
  return m;
}

Smb2Message smb2_error_response(std::uint16_t command, std::uint64_t message_id,
                                std::uint64_t session_id, std::uint32_t tree_id,
                                std::uint32_t status) {
  Smb2Message m = message(command, true, message_id, session_id, tree_id);
  m.status = status;
  ByteWriter w;
  w.u16(9).u8(0).u8(0).u32(0).u8(0);
  m.body = w.take();
  return m;
}

Bytes smb2_session(const std::vector<Smb2Message>& chain) {
  Bytes all;
  for (std::size_t i = 0; i < chain.size(); ++i) {
    Bytes one = chain[i].bytes();
    if (i + 1 < chain.size()) {
      one.resize((one.size() + 7) / 8 * 8);
      Bytes again = chain[i].bytes(static_cast<std::uint32_t>(one.size()));
      again.resize(one.size());
      one = std::move(again);
    }
    all.insert(all.end(), one.begin(), one.end());
  }
  ByteWriter w;
  w.u8(0).u8(static_cast<std::uint8_t>(all.size() >> 16));
  w.u16_be(static_cast<std::uint16_t>(all.size() & 0xffff)).bytes(all);
  return w.take();
}

}  // namespace rpctrace::testsupport
