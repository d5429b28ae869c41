// The first octets of a TLS connection (RPC over HTTPS, MS-RPCH 2.1.2.1): the record layer
// (RFC 8446 5.1, RFC 5246 6.2), the first handshake message (RFC 8446 4), and from the client's
// ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) the names a capture shows in clear: the
// server_name host_name (RFC 6066 3) and the ALPN protocols (RFC 7301 3.1).
//
// parse_client_hello(): the client's first octets. complete (consumed = the octets of the
//   records that carried the ClientHello) once the whole ClientHello is there, even when it is
//   split over several handshake records; need_more (the total octets needed so far) while
//   records are incomplete, bounded by TlsLimits; malformed as soon as the octets cannot be a
//   TLS ClientHello: a first octet that is no TLS content type fails at once.
// parse_tls_record_start(): either direction's first record, whole (at most 5 + 2^14 + 2048
//   octets, else need_more): its content type and version, and for a handshake record the
//   first message's type (with the hello's legacy_version), for an alert its level and
//   description. Enough to say "TLS" for a server's direction (ServerHello or alert).
// Names in the results are owned strings; octets outside printable ASCII come out as \xNN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/result.hpp"

namespace rpctrace::http {

// --- Spec facts ---
// RFC 8446 5.1 (RFC 5246 6.2.1): type, legacy_record_version, length.
inline constexpr std::size_t kTlsRecordHeaderSize = 5;
// RFC 8446 5.1: a TLSPlaintext fragment (a ClientHello's) MUST NOT exceed 2^14 octets.
inline constexpr std::size_t kTlsMaxPlaintextLength = 16384;
// RFC 5246 6.2.3: a TLSCiphertext fragment MUST NOT exceed 2^14 + 2048 (TLS 1.3 allows less).
inline constexpr std::size_t kTlsMaxRecordLength = 16384 + 2048;
// RFC 8446 4: msg_type, uint24 length.
inline constexpr std::size_t kTlsHandshakeHeaderSize = 4;
inline constexpr std::size_t kTlsRandomSize = 32;          // RFC 8446 4.1.2
inline constexpr std::size_t kTlsMaxSessionIdLength = 32;  // legacy_session_id<0..32>

// --- Resource policy ---
struct TlsLimits {
  // A ClientHello's length. Today's (with post-quantum key shares) are under 2 KiB; the field
  // allows 2^24 - 1.
  std::size_t max_client_hello_length = 65536;
  // Handshake records a ClientHello may be split over (RFC 8446 5.1 allows any number).
  std::size_t max_client_hello_records = 16;
};

// Why the octets are not (or not a well-formed) TLS start. Closed set; each value is counted.
enum class TlsReason : std::uint8_t {
  not_tls,                 // first octet no TLS content type, or a record version not 3.x
  bad_record_length,       // record longer than RFC 8446 5.1 allows, or an empty handshake record
  not_client_hello,        // the client's first record or handshake message is something else
  client_hello_too_long,   // above TlsLimits (length or records)
  unexpected_record,       // another content type among the ClientHello's records
  client_hello_truncated,  // a ClientHello field runs past the message
  bad_client_hello,        // a vector length RFC 8446 4.1.2 forbids, octets after extensions
  bad_extension,           // an extension's own lengths do not fit it (SNI, ALPN, versions)
  count_
};
inline constexpr std::size_t kTlsReasonCount = static_cast<std::size_t>(TlsReason::count_);
std::string_view to_string(TlsReason r);
std::string_view describe(TlsReason r);

// ContentType, RFC 8446 5.1.
enum class TlsContentType : std::uint8_t {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
};
std::string_view to_string(TlsContentType t);

// HandshakeType, RFC 8446 4 with RFC 5246 7.4's TLS 1.2 messages.
namespace tls_handshake {
inline constexpr std::uint8_t hello_request = 0, client_hello = 1, server_hello = 2,
                              new_session_ticket = 4, end_of_early_data = 5,
                              encrypted_extensions = 8, certificate = 11, server_key_exchange = 12,
                              certificate_request = 13, server_hello_done = 14,
                              certificate_verify = 15, client_key_exchange = 16, finished = 20,
                              key_update = 24, message_hash = 254;
}
std::string_view tls_handshake_name(std::uint8_t type);  // "client_hello"; "unknown"

// ExtensionType values read from a ClientHello (RFC 6066 3, RFC 7301 3.1, RFC 8446 4.2).
namespace tls_extension {
inline constexpr std::uint16_t server_name = 0, application_layer_protocol_negotiation = 16,
                               supported_versions = 43;
}

// "TLS 1.2" for 0x0303, "SSL 3.0" for 0x0300, "0x7f1c" for others.
std::string tls_version_name(std::uint16_t version);

struct ClientHello {
  std::uint16_t legacy_record_version = 0;  // of the first record (0x0301 is common)
  std::uint8_t handshake_type = tls_handshake::client_hello;
  std::uint16_t legacy_version = 0;  // client_version of RFC 5246; 0x0303 under TLS 1.3
  std::size_t cipher_suite_count = 0;
  std::vector<std::uint16_t> extension_types;     // in order
  std::optional<std::string> server_name;         // the first host_name (RFC 6066 3)
  std::vector<std::string> alpn;                  // protocol names in order (RFC 7301 3.1)
  std::vector<std::uint16_t> supported_versions;  // RFC 8446 4.2.1, GREASE values included
  std::size_t records = 0;                        // handshake records it was split over
};
using ClientHelloResult = common::ParseResult<ClientHello, TlsReason>;
ClientHelloResult parse_client_hello(common::Bytes data, const TlsLimits& limits = {});

struct TlsRecordStart {
  TlsContentType content_type = TlsContentType::handshake;
  std::uint16_t legacy_record_version = 0;
  std::uint16_t length = 0;  // of the fragment
  // A handshake record: its first message's type; for a ClientHello or ServerHello also its
  // legacy_version, when the record holds it.
  std::optional<std::uint8_t> handshake_type;
  std::optional<std::uint16_t> hello_version;
  // A plaintext alert (RFC 8446 6): AlertLevel (1 warning, 2 fatal) and AlertDescription.
  std::optional<std::uint8_t> alert_level;
  std::optional<std::uint8_t> alert_description;
};
using RecordStartResult = common::ParseResult<TlsRecordStart, TlsReason>;
RecordStartResult parse_tls_record_start(common::Bytes data);

}  // namespace rpctrace::http
