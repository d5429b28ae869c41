// NTLMSSP messages (see ntlmssp_builder.hpp). All integers little-endian (MS-NLMP §2.2).
#include "support/ntlmssp_builder.hpp"

#include <utility>
#include <vector>

namespace rpctrace::testsupport {
namespace {

constexpr std::string_view kSignature{"NTLMSSP\0", 8};

// ASCII to UTF-16LE: the names used in test captures are plain ASCII.
Bytes utf16le(std::string_view s) {
  ByteWriter w(Endian::little);
  for (char c : s) w.u16(static_cast<std::uint16_t>(static_cast<unsigned char>(c)));
  return w.take();
}

// Writes a field's (Len, MaxLen, BufferOffset) and remembers where its payload goes.
class Payload {
 public:
  explicit Payload(std::size_t fixed_length) : offset_(fixed_length) {}
  void field(ByteWriter& w, Bytes data) {
    w.u16(static_cast<std::uint16_t>(data.size()))
        .u16(static_cast<std::uint16_t>(data.size()))
        .u32(static_cast<std::uint32_t>(offset_));
    offset_ += data.size();
    parts_.push_back(std::move(data));
  }
  void append_to(ByteWriter& w) const {
    for (const Bytes& p : parts_) w.bytes(p);
  }

 private:
  std::size_t offset_;
  std::vector<Bytes> parts_;
};

}  // namespace

Bytes ntlmssp_negotiate(std::uint32_t flags, std::string_view domain,
                        std::string_view workstation) {
  ByteWriter w(Endian::little);
  Payload payload(32);
  w.text(kSignature).u32(1).u32(flags);
  payload.field(w, text_bytes(domain));
  payload.field(w, text_bytes(workstation));
  payload.append_to(w);
  return w.take();
}

Bytes ntlmssp_challenge(std::uint32_t flags, std::array<std::uint8_t, 8> server_challenge,
                        std::string_view target_name) {
  ByteWriter w(Endian::little);
  Payload payload(40);
  w.text(kSignature).u32(2);
  payload.field(w, utf16le(target_name));
  w.u32(flags);
  for (std::uint8_t b : server_challenge) w.u8(b);
  w.zeros(8);  // Reserved (the old "context" field)
  payload.append_to(w);
  return w.take();
}

Bytes ntlmssp_authenticate(std::uint32_t flags, std::span<const std::byte> lm_response,
                           std::span<const std::byte> nt_response, std::string_view domain,
                           std::string_view user, std::string_view workstation,
                           std::span<const std::byte> session_key) {
  ByteWriter w(Endian::little);
  Payload payload(64);  // payloads in the fields' order; MS-NLMP allows any
  w.text(kSignature).u32(3);
  payload.field(w, Bytes(lm_response.begin(), lm_response.end()));
  payload.field(w, Bytes(nt_response.begin(), nt_response.end()));
  payload.field(w, utf16le(domain));
  payload.field(w, utf16le(user));
  payload.field(w, utf16le(workstation));
  payload.field(w, Bytes(session_key.begin(), session_key.end()));
  w.u32(flags);
  payload.append_to(w);
  return w.take();
}

Bytes ntlmssp_signature(std::uint32_t seq_num, std::uint32_t checksum) {
  return ByteWriter(Endian::little).u32(1).u32(0).u32(checksum).u32(seq_num).take();
}

}  // namespace rpctrace::testsupport
