// Tests of src/http/tls.cpp: ClientHellos built by hand from RFC 8446 4.1.2 / RFC 5246 7.4.1.2
// (record layer RFC 8446 5.1, server_name RFC 6066 3, ALPN RFC 7301 3.1, supported_versions
// RFC 8446 4.2.1), split over records and segments, every malformed path; and the first record
// of a server's direction (ServerHello, alert).
#include "rpctrace/http/tls.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "support/bytes.hpp"

namespace rpctrace::http {

void PrintTo(TlsReason r, std::ostream* os) { *os << to_string(r); }

namespace {

namespace ts = testsupport;

common::Bytes view(const ts::Bytes& b) { return common::Bytes(b.data(), b.size()); }

// One extension: ExtensionType, opaque extension_data<0..2^16-1>.
ts::Bytes ext(std::uint16_t type, const ts::Bytes& data) {
  ts::ByteWriter w(ts::Endian::big);
  w.u16(type).u16(static_cast<std::uint16_t>(data.size())).bytes(data);
  return w.take();
}

// RFC 6066 3: a ServerNameList of host_name entries.
ts::Bytes sni(std::initializer_list<std::string_view> hosts) {
  ts::ByteWriter list(ts::Endian::big);
  for (std::string_view h : hosts) list.u8(0).u16(static_cast<std::uint16_t>(h.size())).text(h);
  ts::ByteWriter w(ts::Endian::big);
  w.u16(static_cast<std::uint16_t>(list.size())).bytes(list.view());
  return ext(0, w.take());
}

// RFC 7301 3.1: a ProtocolNameList.
ts::Bytes alpn(std::initializer_list<std::string_view> names) {
  ts::ByteWriter list(ts::Endian::big);
  for (std::string_view n : names) list.u8(static_cast<std::uint8_t>(n.size())).text(n);
  ts::ByteWriter w(ts::Endian::big);
  w.u16(static_cast<std::uint16_t>(list.size())).bytes(list.view());
  return ext(16, w.take());
}

// RFC 8446 4.2.1, ClientHello form.
ts::Bytes versions(std::initializer_list<std::uint16_t> vs) {
  ts::ByteWriter w(ts::Endian::big);
  w.u8(static_cast<std::uint8_t>(vs.size() * 2));
  for (std::uint16_t v : vs) w.u16(v);
  return ext(43, w.take());
}

struct Hello {
  std::uint16_t legacy_version = 0x0303;
  std::size_t session_id_length = 32;
  std::vector<std::uint16_t> cipher_suites{0x1301, 0x1302, 0xc02f};
  std::size_t compression_methods = 1;
  std::optional<ts::Bytes> extensions =
      ts::concat({sni({"mail.contoso.com"}), ext(10, ts::hex_bytes("0004 001d 0017")),
                  alpn({"h2", "http/1.1"}), versions({0x0304, 0x0303})});
};

// The ClientHello message: msg_type 1, uint24 length, the body.
ts::Bytes client_hello(const Hello& h) {
  ts::ByteWriter b(ts::Endian::big);
  b.u16(h.legacy_version).bytes(ts::SplitMix64(7).bytes(32));
  b.u8(static_cast<std::uint8_t>(h.session_id_length)).zeros(h.session_id_length);
  b.u16(static_cast<std::uint16_t>(h.cipher_suites.size() * 2));
  for (std::uint16_t s : h.cipher_suites) b.u16(s);
  b.u8(static_cast<std::uint8_t>(h.compression_methods)).zeros(h.compression_methods);
  if (h.extensions) b.u16(static_cast<std::uint16_t>(h.extensions->size())).bytes(*h.extensions);
  ts::ByteWriter m(ts::Endian::big);
  m.u8(1).u8(static_cast<std::uint8_t>(b.size() >> 16)).u16(static_cast<std::uint16_t>(b.size()));
  m.bytes(b.view());
  return m.take();
}

// `payload` in records of `content_type`, at most `chunk` octets each.
ts::Bytes records(const ts::Bytes& payload, std::size_t chunk = 16384,
                  std::uint8_t content_type = 22, std::uint16_t version = 0x0301) {
  ts::ByteWriter w(ts::Endian::big);
  for (std::size_t at = 0; at < payload.size(); at += chunk) {
    const ts::Bytes part = ts::slice(payload, at, chunk);
    w.u8(content_type).u16(version).u16(static_cast<std::uint16_t>(part.size())).bytes(part);
  }
  return w.take();
}

ClientHello hello_ok(const ts::Bytes& data) {
  ClientHelloResult r = parse_client_hello(view(data));
  EXPECT_TRUE(r.is_complete()) << (r.is_malformed() ? r.error().detail : "need more");
  if (!r.is_complete()) return {};
  EXPECT_EQ(r.consumed(), data.size());
  return r.take();
}

TlsReason reason_of(const ts::Bytes& data, const TlsLimits& limits = {}) {
  ClientHelloResult r = parse_client_hello(view(data), limits);
  EXPECT_TRUE(r.is_malformed());
  return r.is_malformed() ? r.error().reason : TlsReason::count_;
}

TEST(TlsClientHello, ServerNameAlpnAndVersions) {
  const ClientHello h = hello_ok(records(client_hello(Hello{})));
  EXPECT_EQ(h.legacy_record_version, 0x0301);
  EXPECT_EQ(h.handshake_type, tls_handshake::client_hello);
  EXPECT_EQ(h.legacy_version, 0x0303);
  EXPECT_EQ(h.cipher_suite_count, 3u);
  EXPECT_EQ(h.server_name, "mail.contoso.com");
  EXPECT_EQ(h.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(h.supported_versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
  EXPECT_EQ(h.extension_types, (std::vector<std::uint16_t>{0, 10, 16, 43}));
  EXPECT_EQ(h.records, 1u);
}

// RFC 5246 7.4.1.2: a TLS 1.2 ClientHello may end after its compression methods.
TEST(TlsClientHello, WithoutExtensions) {
  Hello hello;
  hello.extensions.reset();
  hello.session_id_length = 0;
  const ClientHello h = hello_ok(records(client_hello(hello)));
  EXPECT_EQ(h.server_name, std::nullopt);
  EXPECT_TRUE(h.alpn.empty());
  EXPECT_TRUE(h.extension_types.empty());
  // An empty extensions block is fine too.
  hello.extensions = ts::Bytes{};
  EXPECT_TRUE(hello_ok(records(client_hello(hello))).extension_types.empty());
}

// RFC 6066 3: the first host_name counts; octets outside printable ASCII come out escaped.
TEST(TlsClientHello, ServerNameFirstHostEscaped) {
  Hello hello;
  hello.extensions = sni({"a\x01.example", "b.example"});
  EXPECT_EQ(hello_ok(records(client_hello(hello))).server_name, "a\\x01.example");
  // An unknown NameType ends the list: its length cannot be known.
  hello.extensions = ext(0, ts::hex_bytes("0008 05 0001 41 00 0001 42"));
  EXPECT_EQ(hello_ok(records(client_hello(hello))).server_name, std::nullopt);
}

// RFC 8446 5.1: a handshake message may span records; here one record per 100 octets.
TEST(TlsClientHello, SplitOverRecords) {
  const ts::Bytes data = records(client_hello(Hello{}), 100);
  const ClientHello h = hello_ok(data);
  EXPECT_GT(h.records, 1u);
  EXPECT_EQ(h.server_name, "mail.contoso.com");
  // Even the handshake header split: 3 octets, then the rest.
  const ts::Bytes message = client_hello(Hello{});
  const ts::Bytes split = ts::concat(
      {records(ts::slice(message, 0, 3)), records(ts::slice(message, 3, message.size()))});
  EXPECT_EQ(hello_ok(split).alpn.size(), 2u);
  // Octets after the ClientHello's last record are not consumed.
  ts::Bytes more = records(client_hello(Hello{}));
  const std::size_t size = more.size();
  more.push_back(std::byte{0x17});
  ClientHelloResult r = parse_client_hello(view(more));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), size);
}

// Each strict prefix (TCP segments arriving) asks for more, never more than the whole needs.
TEST(TlsClientHello, EveryPrefixNeedsMore) {
  for (std::size_t chunk : {std::size_t{16384}, std::size_t{64}}) {
    const ts::Bytes data = records(client_hello(Hello{}), chunk);
    for (std::size_t n = 0; n < data.size(); ++n) {
      ClientHelloResult r = parse_client_hello(view(data).first(n));
      ASSERT_TRUE(r.is_need_more()) << n;
      EXPECT_GT(r.needed(), n);
      EXPECT_LE(r.needed(), data.size());
    }
  }
}

TEST(TlsMalformed, NotTlsFailsOnTheFirstOctets) {
  for (std::string_view s : {"G", "RPC_IN_DATA", "\x05\x00", "\x16\x02", "\x16\x03\x05", "\x18"}) {
    const ts::Bytes b = ts::text_bytes(s);
    EXPECT_EQ(reason_of(b), TlsReason::not_tls) << s;
    RecordStartResult r = parse_tls_record_start(view(b));
    ASSERT_TRUE(r.is_malformed());
    EXPECT_EQ(r.error().reason, TlsReason::not_tls);
  }
}

TEST(TlsMalformed, BadRecordLength) {
  EXPECT_EQ(reason_of(ts::hex_bytes("16 0301 0000")), TlsReason::bad_record_length);
  EXPECT_EQ(reason_of(ts::hex_bytes("16 0301 4001")), TlsReason::bad_record_length);
  // 2^14 itself is allowed: it waits for the fragment.
  EXPECT_TRUE(parse_client_hello(view(ts::hex_bytes("16 0301 4000 01"))).is_need_more());
}

TEST(TlsMalformed, NotClientHello) {
  EXPECT_EQ(reason_of(ts::hex_bytes("15 0303 0002 02 28")), TlsReason::not_client_hello);
  EXPECT_EQ(reason_of(records(ts::hex_bytes("02 000002 0303"))), TlsReason::not_client_hello);
}

TEST(TlsMalformed, UnexpectedRecordAmongTheClientHellos) {
  const ts::Bytes message = client_hello(Hello{});
  const ts::Bytes data =
      ts::concat({records(ts::slice(message, 0, 50)), records(ts::hex_bytes("01"), 1, 20),
                  records(ts::slice(message, 50, message.size()))});
  EXPECT_EQ(reason_of(data), TlsReason::unexpected_record);
}

// Both limits, lowered: the ClientHello's length and its number of records.
TEST(TlsMalformed, ClientHelloTooLong) {
  const ts::Bytes message = client_hello(Hello{});
  TlsLimits limits;
  limits.max_client_hello_length = message.size() - 4;
  EXPECT_TRUE(parse_client_hello(view(records(message)), limits).is_complete());
  limits.max_client_hello_length = message.size() - 5;
  EXPECT_EQ(reason_of(records(message), limits), TlsReason::client_hello_too_long);
  TlsLimits few;
  const ts::Bytes split = records(message, 100);
  few.max_client_hello_records = (message.size() + 99) / 100;
  EXPECT_TRUE(parse_client_hello(view(split), few).is_complete());
  few.max_client_hello_records -= 1;
  EXPECT_EQ(reason_of(split, few), TlsReason::client_hello_too_long);
}

// The handshake length is shorter than the fields it should hold.
TEST(TlsMalformed, ClientHelloTruncated) {
  const ts::Bytes message = client_hello(Hello{});
  for (std::size_t keep : {std::size_t{10}, std::size_t{40}, std::size_t{68}, std::size_t{74}}) {
    ts::Bytes cut = ts::slice(message, 0, 4 + keep);
    cut[1] = std::byte{0};
    cut[2] = std::byte{static_cast<std::uint8_t>(keep >> 8)};
    cut[3] = std::byte{static_cast<std::uint8_t>(keep)};
    EXPECT_EQ(reason_of(records(cut)), TlsReason::client_hello_truncated) << keep;
  }
}

TEST(TlsMalformed, BadClientHello) {
  Hello session;
  session.session_id_length = 33;
  EXPECT_EQ(reason_of(records(client_hello(session))), TlsReason::bad_client_hello);
  Hello no_suites;
  no_suites.cipher_suites.clear();
  EXPECT_EQ(reason_of(records(client_hello(no_suites))), TlsReason::bad_client_hello);
  Hello no_compression;
  no_compression.compression_methods = 0;
  EXPECT_EQ(reason_of(records(client_hello(no_compression))), TlsReason::bad_client_hello);
  // An odd cipher_suites length: patch the u16 at offset 4 + 2 + 32 + 1 + 32.
  ts::Bytes odd = client_hello(Hello{});
  odd[4 + 2 + 32 + 1 + 32 + 1] = std::byte{5};
  EXPECT_EQ(reason_of(records(odd)), TlsReason::bad_client_hello);
  // Octets after the extensions block, inside the message.
  ts::Bytes tail = client_hello(Hello{});
  tail.push_back(std::byte{0});
  tail[3] = std::byte{static_cast<std::uint8_t>(static_cast<std::uint8_t>(tail[3]) + 1)};
  EXPECT_EQ(reason_of(records(tail)), TlsReason::bad_client_hello);
}

TEST(TlsMalformed, BadExtension) {
  for (const ts::Bytes& e : {ext(0, ts::hex_bytes("0005 00 0002 41")),  // list length lies
                             ext(0, ts::hex_bytes("0003 00 0000")),     // empty host_name
                             ext(0, ts::hex_bytes("0004 00 0005 41")),  // host_name past the list
                             ext(0, ts::Bytes{}),                       // no list
                             ext(16, ts::hex_bytes("0001 00")),         // ALPN list < 2
                             ext(16, ts::hex_bytes("0003 05 6832")),    // name past the list
                             ext(16, ts::hex_bytes("0002 00 00")),      // empty name
                             ext(43, ts::hex_bytes("03 0304 03")),      // odd versions
                             ext(43, ts::hex_bytes("04 0304"))}) {  // versions past the extension
    Hello hello;
    hello.extensions = e;
    EXPECT_EQ(reason_of(records(client_hello(hello))), TlsReason::bad_extension);
  }
  // An extension whose length runs past the extensions block.
  Hello past;
  past.extensions = ts::hex_bytes("0000 0010 0001");
  EXPECT_EQ(reason_of(records(client_hello(past))), TlsReason::bad_extension);
}

TEST(TlsMalformed, EveryReasonHasANameAndADescription) {
  for (std::size_t i = 0; i < kTlsReasonCount; ++i) {
    EXPECT_NE(to_string(static_cast<TlsReason>(i)), "unknown");
    EXPECT_NE(describe(static_cast<TlsReason>(i)), "unknown");
  }
}

// --- The server's direction ---------------------------------------------------------------------
TEST(TlsRecordStart, ServerHelloAlertAndOthers) {
  // A ServerHello (RFC 8446 4.1.3) in a TLS 1.2 record, followed by more records.
  const ts::Bytes server_hello =
      ts::concat({records(ts::concat({ts::hex_bytes("02 000026 0303"), ts::Bytes(32),
                                      ts::hex_bytes("00 c02f 00")}),
                          16384, 22, 0x0303),
                  ts::hex_bytes("16 0303 0004 0e000000")});
  RecordStartResult r = parse_tls_record_start(view(server_hello));
  ASSERT_TRUE(r.is_complete());
  EXPECT_EQ(r.consumed(), 5u + 4 + 38);
  EXPECT_EQ(r.value().content_type, TlsContentType::handshake);
  EXPECT_EQ(r.value().legacy_record_version, 0x0303);
  EXPECT_EQ(r.value().handshake_type, tls_handshake::server_hello);
  EXPECT_EQ(r.value().hello_version, 0x0303);
  // RFC 8446 6: fatal handshake_failure.
  RecordStartResult alert = parse_tls_record_start(view(ts::hex_bytes("15 0303 0002 02 28")));
  ASSERT_TRUE(alert.is_complete());
  EXPECT_EQ(alert.value().alert_level, 2);
  EXPECT_EQ(alert.value().alert_description, 40);
  EXPECT_EQ(alert.value().handshake_type, std::nullopt);
  // The client's direction reads the same way.
  RecordStartResult ch = parse_tls_record_start(view(records(client_hello(Hello{}))));
  ASSERT_TRUE(ch.is_complete());
  EXPECT_EQ(ch.value().handshake_type, tls_handshake::client_hello);
  EXPECT_EQ(ch.value().hello_version, 0x0303);
  // Zero-length application data is allowed; change_cipher_spec has no handshake type.
  EXPECT_TRUE(parse_tls_record_start(view(ts::hex_bytes("17 0303 0000"))).is_complete());
  RecordStartResult ccs = parse_tls_record_start(view(ts::hex_bytes("14 0303 0001 01")));
  ASSERT_TRUE(ccs.is_complete());
  EXPECT_EQ(ccs.value().content_type, TlsContentType::change_cipher_spec);
}

TEST(TlsRecordStart, WaitsForTheWholeRecordWithinItsBound) {
  const ts::Bytes alert = ts::hex_bytes("15 0303 0002 02 28");
  for (std::size_t n = 0; n < alert.size(); ++n) {
    RecordStartResult r = parse_tls_record_start(view(alert).first(n));
    ASSERT_TRUE(r.is_need_more()) << n;
    EXPECT_EQ(r.needed(), n < 5 ? 5u : 7u);
  }
  // 2^14 + 2048 is the longest record; one more is refused before waiting for it.
  EXPECT_TRUE(parse_tls_record_start(view(ts::hex_bytes("17 0303 4800"))).is_need_more());
  RecordStartResult r = parse_tls_record_start(view(ts::hex_bytes("17 0303 4801")));
  ASSERT_TRUE(r.is_malformed());
  EXPECT_EQ(r.error().reason, TlsReason::bad_record_length);
  EXPECT_TRUE(parse_tls_record_start(view(ts::hex_bytes("16 0303 0000"))).is_malformed());
}

TEST(TlsNames, VersionsAndHandshakeTypes) {
  EXPECT_EQ(tls_version_name(0x0303), "TLS 1.2");
  EXPECT_EQ(tls_version_name(0x0300), "SSL 3.0");
  EXPECT_EQ(tls_version_name(0x7f1c), "0x7f1c");
  EXPECT_EQ(tls_handshake_name(tls_handshake::server_hello_done), "server_hello_done");
  EXPECT_EQ(tls_handshake_name(99), "unknown");
  EXPECT_EQ(to_string(TlsContentType::alert), "alert");
}

}  // namespace
}  // namespace rpctrace::http
