// PduBuilder: DCE/RPC connection-oriented PDUs (C706 chapter 12; MS-RPCE §2.2.2) for tests.
//
// Setters carry the spec's field names. frag_length, auth_length, alloc_hint, auth_pad_length,
// n_context_elem and n_results are computed unless set explicitly, so a test can corrupt any
// one of them. packed_drep decides the integer order of every multi-byte field and of the
// first three UUID fields (C706 §14.2.5); 0x10 = little-endian, 0x00 = big-endian.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/bytes.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

// C706 §12.6.3.1 PTYPE values, plus auth3 (MS-RPCE §2.2.2.10) and rts (MS-RPCH §2.2.3.6.1).
enum class Ptype : std::uint8_t {
  request = 0,
  ping = 1,
  response = 2,
  fault = 3,
  working = 4,
  nocall = 5,
  reject = 6,
  ack = 7,
  cl_cancel = 8,
  fack = 9,
  cancel_ack = 10,
  bind = 11,
  bind_ack = 12,
  bind_nak = 13,
  alter_context = 14,
  alter_context_resp = 15,
  auth3 = 16,
  shutdown = 17,
  co_cancel = 18,
  orphaned = 19,
  rts = 20,
};

// pfc_flags bits, C706 §12.6.3.1 (MS-RPCE §2.2.2.3 names 0x04 PFC_SUPPORT_HEADER_SIGN in
// bind/bind_ack/alter_context).
inline constexpr std::uint8_t kPfcFirstFrag = 0x01;
inline constexpr std::uint8_t kPfcLastFrag = 0x02;
inline constexpr std::uint8_t kPfcPendingCancel = 0x04;
inline constexpr std::uint8_t kPfcSupportHeaderSign = 0x04;
inline constexpr std::uint8_t kPfcReserved1 = 0x08;
inline constexpr std::uint8_t kPfcConcMpx = 0x10;
inline constexpr std::uint8_t kPfcDidNotExecute = 0x20;
inline constexpr std::uint8_t kPfcMaybe = 0x40;
inline constexpr std::uint8_t kPfcObjectUuid = 0x80;

inline constexpr std::array<std::uint8_t, 4> kDrepLittleEndian{0x10, 0, 0, 0};
inline constexpr std::array<std::uint8_t, 4> kDrepBigEndian{0x00, 0, 0, 0};

// auth_type (MS-RPCE §2.2.1.1.7) and auth_level (§2.2.1.1.8) values.
inline constexpr std::uint8_t kAuthTypeNone = 0;
inline constexpr std::uint8_t kAuthTypeGssNegotiate = 9;
inline constexpr std::uint8_t kAuthTypeWinnt = 10;  // NTLMSSP
inline constexpr std::uint8_t kAuthTypeGssKerberos = 16;
inline constexpr std::uint8_t kAuthTypeNetlogon = 68;
inline constexpr std::uint8_t kAuthLevelConnect = 2;
inline constexpr std::uint8_t kAuthLevelPktIntegrity = 5;
inline constexpr std::uint8_t kAuthLevelPktPrivacy = 6;

// p_cont_def_result_t (C706 §12.6.3.1) plus negotiate_ack (MS-RPCE §2.2.2.4).
inline constexpr std::uint16_t kResultAcceptance = 0;
inline constexpr std::uint16_t kResultUserRejection = 1;
inline constexpr std::uint16_t kResultProviderRejection = 2;
inline constexpr std::uint16_t kResultNegotiateAck = 3;
inline constexpr std::uint16_t kReasonNotSpecified = 0;
inline constexpr std::uint16_t kReasonAbstractSyntaxNotSupported = 1;
inline constexpr std::uint16_t kReasonProposedTransferSyntaxesNotSupported = 2;

// p_cont_elem_t: one presentation context of a bind / alter_context.
struct ContextElement {
  std::uint16_t p_cont_id = 0;
  SyntaxId abstract_syntax;
  std::vector<SyntaxId> transfer_syntaxes{kNdrSyntax};
};

// p_result_t: one entry of a bind_ack / alter_context_resp result list.
struct ContextResult {
  std::uint16_t result = kResultAcceptance;
  std::uint16_t reason = kReasonNotSpecified;
  SyntaxId transfer_syntax = kNdrSyntax;  // all zero for a rejection on the wire
};

// sec_trailer (C706 §13.2.6.1, MS-RPCE §2.2.2.11) + auth_value. The body is padded with
// zeros so the trailer starts at a multiple of `alignment` from the PDU start.
struct AuthVerifier {
  std::uint8_t auth_type = kAuthTypeWinnt;
  std::uint8_t auth_level = kAuthLevelPktIntegrity;
  std::uint8_t auth_reserved = 0;
  std::uint32_t auth_context_id = 0;
  Bytes auth_value;
  std::size_t alignment = 4;                    // 4, 8 or 16
  std::optional<std::uint8_t> auth_pad_length;  // override the field, not the padding
};

// An AuthVerifier without spelling out every member (aggregate init of a subset trips
// -Wmissing-field-initializers).
AuthVerifier make_auth_verifier(Bytes auth_value, std::size_t alignment = 4,
                                std::uint8_t auth_type = kAuthTypeWinnt,
                                std::uint8_t auth_level = kAuthLevelPktIntegrity);

class PduBuilder {
 public:
  explicit PduBuilder(Ptype ptype);

  // Common header, C706 §12.6.3.1.
  PduBuilder& rpc_vers(std::uint8_t v);
  PduBuilder& rpc_vers_minor(std::uint8_t v);
  PduBuilder& ptype(std::uint8_t v);      // any value, for tests of unknown PTYPEs
  PduBuilder& pfc_flags(std::uint8_t v);  // replaces all flags (default first | last)
  PduBuilder& packed_drep(std::array<std::uint8_t, 4> v);
  PduBuilder& little_endian() { return packed_drep(kDrepLittleEndian); }
  PduBuilder& big_endian() { return packed_drep(kDrepBigEndian); }
  PduBuilder& frag_length(std::uint16_t v);
  PduBuilder& auth_length(std::uint16_t v);
  PduBuilder& call_id(std::uint32_t v);

  // request / response / fault, C706 §12.6.4.9, §12.6.4.10, §12.6.4.7.
  PduBuilder& alloc_hint(std::uint32_t v);  // default: the stub's size
  PduBuilder& p_cont_id(std::uint16_t v);
  PduBuilder& opnum(std::uint16_t v);
  PduBuilder& object(const Uuid& v);  // request only; also sets PFC_OBJECT_UUID
  PduBuilder& cancel_count(std::uint8_t v);
  PduBuilder& status(std::uint32_t v);
  PduBuilder& stub(std::span<const std::byte> v);

  // bind / alter_context (§12.6.4.3, §12.6.4.1); max_* also for the acks.
  PduBuilder& max_xmit_frag(std::uint16_t v);
  PduBuilder& max_recv_frag(std::uint16_t v);
  PduBuilder& assoc_group_id(std::uint32_t v);
  PduBuilder& context(ContextElement v);
  PduBuilder& n_context_elem(std::uint8_t v);

  // bind_ack / alter_context_resp (§12.6.4.4, §12.6.4.2).
  PduBuilder& sec_addr(std::string_view v);  // "" = length 0, no octets
  PduBuilder& result(ContextResult v);
  PduBuilder& n_results(std::uint8_t v);

  // bind_nak (§12.6.4.5).
  PduBuilder& provider_reject_reason(std::uint16_t v);
  PduBuilder& protocol_version(std::uint8_t major, std::uint8_t minor);

  // rts (MS-RPCH §2.2.3.6.1): flags, number_of_commands, then the commands as given.
  PduBuilder& rts_flags(std::uint16_t v);
  PduBuilder& number_of_commands(std::uint16_t v);
  PduBuilder& rts_commands(std::span<const std::byte> v);

  PduBuilder& auth(AuthVerifier v);
  // Replaces the PTYPE-specific body with these octets.
  PduBuilder& body(std::span<const std::byte> v);

  [[nodiscard]] Bytes build() const;

 private:
  friend std::vector<PduBuilder> fragment(const PduBuilder&, std::span<const std::byte>,
                                          std::span<const std::size_t>);
  [[nodiscard]] Endian order() const;
  [[nodiscard]] Bytes build_body() const;

  std::uint8_t rpc_vers_ = 5;
  std::uint8_t rpc_vers_minor_ = 0;
  std::uint8_t ptype_;
  std::uint8_t pfc_flags_ = kPfcFirstFrag | kPfcLastFrag;
  std::array<std::uint8_t, 4> packed_drep_ = kDrepLittleEndian;
  std::optional<std::uint16_t> frag_length_;
  std::optional<std::uint16_t> auth_length_;
  std::uint32_t call_id_ = 1;

  std::optional<std::uint32_t> alloc_hint_;
  std::uint16_t p_cont_id_ = 0;
  std::uint16_t opnum_ = 0;
  std::optional<Uuid> object_;
  std::uint8_t cancel_count_ = 0;
  std::uint32_t status_ = 0;
  Bytes stub_;

  std::uint16_t max_xmit_frag_ = 0x16d0;
  std::uint16_t max_recv_frag_ = 0x16d0;
  std::uint32_t assoc_group_id_ = 0;
  std::vector<ContextElement> contexts_;
  std::optional<std::uint8_t> n_context_elem_;

  std::string sec_addr_;
  std::vector<ContextResult> results_;
  std::optional<std::uint8_t> n_results_;

  std::uint16_t provider_reject_reason_ = 0;
  std::vector<std::pair<std::uint8_t, std::uint8_t>> versions_;

  std::uint16_t rts_flags_ = 0;
  std::uint16_t number_of_commands_ = 0;
  Bytes rts_commands_;

  std::optional<AuthVerifier> auth_;
  std::optional<Bytes> body_;
};

// Splits `stub` over request or response PDUs shaped like `prototype`, one per piece size
// (the sizes must add up to stub.size()). pfc_first_frag goes on the first, pfc_last_frag on
// the last, other flags are kept. alloc_hint, unless the prototype sets it, is the stub
// octets from that fragment on. Throws std::invalid_argument on bad sizes.
std::vector<PduBuilder> fragment(const PduBuilder& prototype, std::span<const std::byte> stub,
                                 std::span<const std::size_t> piece_sizes);
// `count` pieces as equal as possible (the first ones one octet longer).
std::vector<PduBuilder> fragment(const PduBuilder& prototype, std::span<const std::byte> stub,
                                 std::size_t count);
// The PDUs' bytes, back to back.
Bytes build_all(std::span<const PduBuilder> pdus);

}  // namespace rpctrace::testsupport
