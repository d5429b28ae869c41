// TLS record layer and ClientHello (RFC 8446 4.1.2, 5.1; RFC 5246 6.2, 7.4.1.2) with the
// server_name (RFC 6066 3) and ALPN (RFC 7301 3.1) extensions. TLS integers are big-endian.
#include "rpctrace/http/tls.hpp"

#include <fmt/format.h>

#include "rpctrace/common/text.hpp"

namespace rpctrace::http {

std::string_view to_string(TlsReason r) {
  switch (r) {
    case TlsReason::not_tls:
      return "not_tls";
    case TlsReason::bad_record_length:
      return "bad_record_length";
    case TlsReason::not_client_hello:
      return "not_client_hello";
    case TlsReason::client_hello_too_long:
      return "client_hello_too_long";
    case TlsReason::unexpected_record:
      return "unexpected_record";
    case TlsReason::client_hello_truncated:
      return "client_hello_truncated";
    case TlsReason::bad_client_hello:
      return "bad_client_hello";
    case TlsReason::bad_extension:
      return "bad_extension";
    case TlsReason::count_:
      break;
  }
  return "unknown";
}

std::string_view describe(TlsReason r) {
  switch (r) {
    case TlsReason::not_tls:
      return "not a TLS record header";
    case TlsReason::bad_record_length:
      return "TLS record length outside what RFC 8446 5.1 allows";
    case TlsReason::not_client_hello:
      return "the first TLS handshake message is not a ClientHello";
    case TlsReason::client_hello_too_long:
      return "ClientHello above the length or record limit";
    case TlsReason::unexpected_record:
      return "another record type among the ClientHello's records";
    case TlsReason::client_hello_truncated:
      return "a ClientHello field runs past the message";
    case TlsReason::bad_client_hello:
      return "a ClientHello vector length RFC 8446 4.1.2 forbids";
    case TlsReason::bad_extension:
      return "a ClientHello extension's lengths do not fit it";
    case TlsReason::count_:
      break;
  }
  return "unknown";
}

std::string_view to_string(TlsContentType t) {
  switch (t) {
    case TlsContentType::change_cipher_spec:
      return "change_cipher_spec";
    case TlsContentType::alert:
      return "alert";
    case TlsContentType::handshake:
      return "handshake";
    case TlsContentType::application_data:
      return "application_data";
  }
  return "unknown";
}

std::string_view tls_handshake_name(std::uint8_t type) {
  switch (type) {
    case tls_handshake::hello_request:
      return "hello_request";
    case tls_handshake::client_hello:
      return "client_hello";
    case tls_handshake::server_hello:
      return "server_hello";
    case tls_handshake::new_session_ticket:
      return "new_session_ticket";
    case tls_handshake::end_of_early_data:
      return "end_of_early_data";
    case tls_handshake::encrypted_extensions:
      return "encrypted_extensions";
    case tls_handshake::certificate:
      return "certificate";
    case tls_handshake::server_key_exchange:
      return "server_key_exchange";
    case tls_handshake::certificate_request:
      return "certificate_request";
    case tls_handshake::server_hello_done:
      return "server_hello_done";
    case tls_handshake::certificate_verify:
      return "certificate_verify";
    case tls_handshake::client_key_exchange:
      return "client_key_exchange";
    case tls_handshake::finished:
      return "finished";
    case tls_handshake::key_update:
      return "key_update";
    case tls_handshake::message_hash:
      return "message_hash";
    default:
      return "unknown";
  }
}

std::string tls_version_name(std::uint16_t version) {
  switch (version) {
    case 0x0300:
      return "SSL 3.0";
    case 0x0301:
      return "TLS 1.0";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      return fmt::format("0x{:04x}", version);
  }
}

namespace {

using CH = ClientHelloResult;

struct RecordHeader {
  std::uint8_t type = 0;
  std::uint16_t version = 0;
  std::uint16_t length = 0;
};

bool is_content_type(std::uint8_t t) { return t >= 20 && t <= 23; }

// The octets seen so far can still start a TLS record (RFC 8446 5.1): a defined content type
// and a 3.x version (SSL 3.0 to TLS 1.3). Checked octet by octet, so that HTTP or DCE/RPC
// octets fail on the first one. SSLv2-compatible hellos (high bit set) are not TLS here.
std::optional<common::Malformed<TlsReason>> check_record_prefix(common::Bytes data,
                                                                std::size_t offset) {
  common::ByteReader r(data.subspan(offset));
  if (r.remaining() >= 1) {
    const std::uint8_t type = r.u8();
    if (!is_content_type(type))
      return common::Malformed<TlsReason>{TlsReason::not_tls, offset,
                                          fmt::format("content type {} not 20-23", type)};
  }
  if (r.remaining() >= 1 && r.u8() != 3)
    return common::Malformed<TlsReason>{TlsReason::not_tls, offset + 1, "record version not 3.x"};
  if (r.remaining() >= 1) {
    const std::uint8_t minor = r.u8();
    if (minor > 4)
      return common::Malformed<TlsReason>{TlsReason::not_tls, offset + 2,
                                          fmt::format("record version 3.{} above TLS 1.3", minor)};
  }
  return std::nullopt;
}

RecordHeader read_record_header(common::ByteReader& r) {
  RecordHeader h;
  h.type = r.u8();
  h.version = r.u16be();
  h.length = r.u16be();
  return h;
}

std::string name_text(common::Bytes b) {
  std::string out;
  // Every octet becomes at most four characters ("\xNN"), so the bound never refuses.
  (void)common::oem_to_text(b, out, b.size() * 4);
  return out;
}

// RFC 6066 3: ServerNameList server_name_list<1..2^16-1>; ServerName { NameType name_type;
// HostName (opaque<1..2^16-1>) when name_type is host_name(0) }. Only host_name is defined, so
// the first other name_type ends the list (its length is unknown).
std::optional<common::Malformed<TlsReason>> read_server_name(common::ByteReader e,
                                                             std::size_t offset, ClientHello& out) {
  const std::uint16_t list_length = e.u16be();
  if (!e.ok() || list_length == 0 || list_length != e.remaining())
    return common::Malformed<TlsReason>{TlsReason::bad_extension, offset,
                                        "server_name list length does not fill the extension"};
  while (e.remaining() > 0) {
    const std::uint8_t name_type = e.u8();
    if (name_type != 0) break;
    const std::uint16_t length = e.u16be();
    common::Bytes host = e.bytes(length);
    if (!e.ok() || length == 0)
      return common::Malformed<TlsReason>{TlsReason::bad_extension, offset,
                                          "server_name host_name runs past the extension"};
    if (!out.server_name) out.server_name = name_text(host);
  }
  return std::nullopt;
}

// RFC 7301 3.1: ProtocolNameList protocol_name_list<2..2^16-1>; ProtocolName opaque<1..2^8-1>.
std::optional<common::Malformed<TlsReason>> read_alpn(common::ByteReader e, std::size_t offset,
                                                      ClientHello& out) {
  const std::uint16_t list_length = e.u16be();
  if (!e.ok() || list_length < 2 || list_length != e.remaining())
    return common::Malformed<TlsReason>{TlsReason::bad_extension, offset,
                                        "ALPN list length does not fill the extension"};
  while (e.remaining() > 0) {
    const std::uint8_t length = e.u8();
    common::Bytes name = e.bytes(length);
    if (!e.ok() || length == 0)
      return common::Malformed<TlsReason>{TlsReason::bad_extension, offset,
                                          "ALPN protocol name runs past the extension"};
    out.alpn.push_back(name_text(name));
  }
  return std::nullopt;
}

// RFC 8446 4.2.1 (ClientHello form): ProtocolVersion versions<2..254>.
std::optional<common::Malformed<TlsReason>> read_supported_versions(common::ByteReader e,
                                                                    std::size_t offset,
                                                                    ClientHello& out) {
  const std::uint8_t length = e.u8();
  if (!e.ok() || length < 2 || length % 2 != 0 || length != e.remaining())
    return common::Malformed<TlsReason>{TlsReason::bad_extension, offset,
                                        "supported_versions length does not fill the extension"};
  while (e.remaining() > 0) out.supported_versions.push_back(e.u16be());
  return std::nullopt;
}

// The ClientHello body (after the 4-octet handshake header), RFC 8446 4.1.2 / RFC 5246
// 7.4.1.2. `base` is the body's offset in the caller's data (for messages split over records,
// the offset of the first record's body: an approximation past its end).
std::optional<common::Malformed<TlsReason>> read_client_hello_body(common::Bytes body,
                                                                   std::size_t base,
                                                                   ClientHello& out) {
  common::ByteReader r(body, common::ByteOrder::big);
  auto truncated = [&](std::string_view field) {
    return common::Malformed<TlsReason>{
        TlsReason::client_hello_truncated, base + r.position(),
        fmt::format("ClientHello {} runs past the message ({} octets)", field, body.size())};
  };
  out.legacy_version = r.u16be();
  r.skip(kTlsRandomSize);
  const std::uint8_t session_id_length = r.u8();
  if (!r.ok()) return truncated("random");
  if (session_id_length > kTlsMaxSessionIdLength)
    return common::Malformed<TlsReason>{
        TlsReason::bad_client_hello, base + r.position() - 1,
        fmt::format("legacy_session_id length {} > {}", session_id_length, kTlsMaxSessionIdLength)};
  r.skip(session_id_length);
  const std::uint16_t cipher_suites_length = r.u16be();
  if (!r.ok()) return truncated("legacy_session_id");
  if (cipher_suites_length < 2 || cipher_suites_length % 2 != 0)
    return common::Malformed<TlsReason>{
        TlsReason::bad_client_hello, base + r.position() - 2,
        fmt::format("cipher_suites length {} not an even number >= 2", cipher_suites_length)};
  r.skip(cipher_suites_length);
  out.cipher_suite_count = cipher_suites_length / 2u;
  const std::uint8_t compression_length = r.u8();
  if (!r.ok()) return truncated("cipher_suites");
  if (compression_length == 0)
    return common::Malformed<TlsReason>{TlsReason::bad_client_hello, base + r.position() - 1,
                                        "legacy_compression_methods is empty"};
  r.skip(compression_length);
  if (!r.ok()) return truncated("legacy_compression_methods");
  // RFC 5246 7.4.1.2: a ClientHello without extensions ends here.
  if (r.remaining() == 0) return std::nullopt;
  const std::uint16_t extensions_length = r.u16be();
  if (!r.ok() || extensions_length > r.remaining()) return truncated("extensions");
  common::ByteReader ext = r.sub(extensions_length);
  if (r.remaining() != 0)
    return common::Malformed<TlsReason>{
        TlsReason::bad_client_hello, base + r.position(),
        fmt::format("{} octets after the extensions", r.remaining())};
  while (ext.remaining() > 0) {
    const std::size_t at = base + r.position() - extensions_length + ext.position();
    const std::uint16_t type = ext.u16be();
    const std::uint16_t length = ext.u16be();
    common::ByteReader data = ext.sub(length);
    if (!ext.ok())
      return common::Malformed<TlsReason>{
          TlsReason::bad_extension, at,
          fmt::format("extension {} runs past the extensions block", type)};
    out.extension_types.push_back(type);
    std::optional<common::Malformed<TlsReason>> error;
    if (type == tls_extension::server_name) {
      error = read_server_name(data, at, out);
    } else if (type == tls_extension::application_layer_protocol_negotiation) {
      error = read_alpn(data, at, out);
    } else if (type == tls_extension::supported_versions) {
      error = read_supported_versions(data, at, out);
    }
    if (error) return error;
  }
  return std::nullopt;
}

}  // namespace

ClientHelloResult parse_client_hello(common::Bytes data, const TlsLimits& limits) {
  ClientHello out;
  std::vector<std::byte> joined;  // only when the message is split over records
  common::Bytes first_fragment;
  std::size_t offset = 0;
  std::size_t message_total = 0;  // 4 + the handshake length, once known
  std::size_t first_body = 0;
  while (true) {
    if (auto bad = check_record_prefix(data, offset)) return CH::from(std::move(*bad));
    if (data.size() - offset < kTlsRecordHeaderSize)
      return CH::need_more(offset + kTlsRecordHeaderSize);
    common::ByteReader r(data.subspan(offset), common::ByteOrder::big);
    const RecordHeader h = read_record_header(r);
    if (h.type != static_cast<std::uint8_t>(TlsContentType::handshake))
      return out.records == 0
                 ? CH::malformed(
                       TlsReason::not_client_hello, offset,
                       fmt::format("first record is {} (type {}), not handshake",
                                   to_string(static_cast<TlsContentType>(h.type)), h.type))
                 : CH::malformed(TlsReason::unexpected_record, offset,
                                 fmt::format("record type {} inside the ClientHello", h.type));
    // RFC 8446 5.1: plaintext fragments are 1 to 2^14 octets (no empty handshake fragments).
    if (h.length == 0 || h.length > kTlsMaxPlaintextLength)
      return CH::malformed(
          TlsReason::bad_record_length, offset + 3,
          fmt::format("handshake record length {} not 1-{}", h.length, kTlsMaxPlaintextLength));
    if (out.records == 0) out.legacy_record_version = h.version;
    if (++out.records > limits.max_client_hello_records)
      return CH::malformed(TlsReason::client_hello_too_long, offset,
                           fmt::format("ClientHello spread over more than {} records",
                                       limits.max_client_hello_records));
    const std::size_t total = offset + kTlsRecordHeaderSize + h.length;
    if (data.size() < total) return CH::need_more(total);
    common::Bytes fragment = r.bytes(h.length);
    if (out.records == 1) {
      first_fragment = fragment;
      first_body = offset + kTlsRecordHeaderSize + kTlsHandshakeHeaderSize;
    } else {
      if (joined.empty()) joined.assign(first_fragment.begin(), first_fragment.end());
      joined.insert(joined.end(), fragment.begin(), fragment.end());
    }
    offset = total;
    const common::Bytes message = joined.empty() ? first_fragment : common::Bytes(joined);
    if (message_total == 0 && message.size() >= kTlsHandshakeHeaderSize) {
      common::ByteReader m(message, common::ByteOrder::big);
      out.handshake_type = m.u8();
      const std::uint32_t length = static_cast<std::uint32_t>(m.u8()) << 16 | m.u16be();
      if (out.handshake_type != tls_handshake::client_hello)
        return CH::malformed(
            TlsReason::not_client_hello, kTlsRecordHeaderSize,
            fmt::format("first handshake message is {} ({})",
                        tls_handshake_name(out.handshake_type), out.handshake_type));
      if (length > limits.max_client_hello_length)
        return CH::malformed(TlsReason::client_hello_too_long, kTlsRecordHeaderSize + 1,
                             fmt::format("ClientHello length {} > limit {}", length,
                                         limits.max_client_hello_length));
      message_total = kTlsHandshakeHeaderSize + length;
    }
    if (message_total != 0 && message.size() >= message_total) {
      if (auto bad = read_client_hello_body(
              message.subspan(kTlsHandshakeHeaderSize, message_total - kTlsHandshakeHeaderSize),
              first_body, out))
        return CH::from(std::move(*bad));
      return CH::complete(std::move(out), offset);
    }
  }
}

RecordStartResult parse_tls_record_start(common::Bytes data) {
  using R = RecordStartResult;
  if (auto bad = check_record_prefix(data, 0)) return R::from(std::move(*bad));
  if (data.size() < kTlsRecordHeaderSize) return R::need_more(kTlsRecordHeaderSize);
  common::ByteReader r(data, common::ByteOrder::big);
  const RecordHeader h = read_record_header(r);
  TlsRecordStart out;
  out.content_type = static_cast<TlsContentType>(h.type);
  out.legacy_record_version = h.version;
  out.length = h.length;
  // RFC 8446 5.1: no record exceeds 2^14 + 256 under TLS 1.3, 2^14 + 2048 under TLS 1.2
  // (RFC 5246 6.2.3); handshake and alert fragments are never empty.
  if (h.length > kTlsMaxRecordLength ||
      (h.length == 0 && out.content_type != TlsContentType::application_data))
    return R::malformed(TlsReason::bad_record_length, 3,
                        fmt::format("{} record length {}", to_string(out.content_type), h.length));
  const std::size_t total = kTlsRecordHeaderSize + h.length;
  if (data.size() < total) return R::need_more(total);
  common::ByteReader fragment = r.sub(h.length);
  if (out.content_type == TlsContentType::handshake) {
    out.handshake_type = fragment.u8();
    if (*out.handshake_type == tls_handshake::client_hello ||
        *out.handshake_type == tls_handshake::server_hello) {
      fragment.skip(3);  // uint24 length
      const std::uint16_t version = fragment.u16be();
      if (fragment.ok()) out.hello_version = version;
    }
  } else if (out.content_type == TlsContentType::alert && h.length == 2) {
    // RFC 8446 6: struct { AlertLevel level; AlertDescription description; } Alert.
    out.alert_level = fragment.u8();
    out.alert_description = fragment.u8();
  }
  return R::complete(std::move(out), total);
}

}  // namespace rpctrace::http
