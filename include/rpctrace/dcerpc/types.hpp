// Values of the connection-oriented DCE/RPC protocol (C706 chapter 12, MS-RPCE 2.2.2,
// MS-RPCH 2.2.3.6 for rts): packet types, flags, the common header and every PDU body,
// as owned value types so they can be kept in events. Field names are the spec's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/uuid.hpp"
#include "rpctrace/dcerpc/rts.hpp"

namespace rpctrace::dcerpc {

using common::Bytes;
using common::Uuid;

// C706 §12.6.4 (and §12.5.1 for the connectionless values); 16 auth3 from MS-RPCE 2.2.2.10,
// 20 rts from MS-RPCH 2.2.3.6.1.
enum class PacketType : std::uint8_t {
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
std::string_view to_string(PacketType t);
// Connection-oriented packet types (the ones valid on a TCP stream).
bool is_connection_oriented(std::uint8_t ptype);

// pfc_flags bits, C706 §12.6.3.1; bit 0x04 is PFC_SUPPORT_HEADER_SIGN in bind/bind_ack
// (MS-RPCE 2.2.2.3) and PFC_PENDING_CANCEL elsewhere.
namespace pfc {
inline constexpr std::uint8_t first_frag = 0x01, last_frag = 0x02, pending_cancel = 0x04,
                              reserved_1 = 0x08, conc_mpx = 0x10, did_not_execute = 0x20,
                              maybe = 0x40, object_uuid = 0x80;
}
// "first_frag|last_frag" etc., names as tshark and C706 give them.
std::string pfc_flags_string(std::uint8_t flags, PacketType t);

// packed_drep, C706 §14.1: octet 0 high nibble integer order (0 big, 1 little endian), low
// nibble character set (0 ASCII, 1 EBCDIC); octet 1 floating point (0 IEEE, 1 VAX, 2 Cray,
// 3 IBM); octets 2-3 reserved.
struct DataRepresentation {
  std::uint8_t octets[4] = {0x10, 0, 0, 0};
  [[nodiscard]] common::ByteOrder integer_order() const {
    return (octets[0] >> 4) == 0 ? common::ByteOrder::big : common::ByteOrder::little;
  }
  [[nodiscard]] std::uint8_t character() const { return octets[0] & 0x0f; }
  [[nodiscard]] std::uint8_t floating_point() const { return octets[1]; }
};

struct CommonHeader {
  std::uint8_t rpc_vers = 5;
  std::uint8_t rpc_vers_minor = 0;
  PacketType ptype = PacketType::request;
  std::uint8_t pfc_flags = 0;
  DataRepresentation packed_drep;
  std::uint16_t frag_length = 0;
  std::uint16_t auth_length = 0;
  std::uint32_t call_id = 0;
};

// p_syntax_id_t: interface UUID and if_version (major in the low 16 bits, minor in the high).
struct SyntaxId {
  Uuid uuid;
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  friend bool operator==(const SyntaxId&, const SyntaxId&) = default;
  friend auto operator<=>(const SyntaxId&, const SyntaxId&) = default;
};

struct ContextElement {  // p_cont_elem_t
  std::uint16_t p_cont_id = 0;
  SyntaxId abstract_syntax;
  std::vector<SyntaxId> transfer_syntaxes;
};

struct Bind {  // bind and alter_context, C706 §12.6.4.3 / §12.6.4.1
  std::uint16_t max_xmit_frag = 0;
  std::uint16_t max_recv_frag = 0;
  std::uint32_t assoc_group_id = 0;
  std::vector<ContextElement> contexts;
};

// p_cont_def_result_t values (C706 §12.6.3.1; negotiate_ack from MS-RPCE 2.2.2.4).
namespace cont_def_result {
inline constexpr std::uint16_t acceptance = 0, user_rejection = 1, provider_rejection = 2,
                               negotiate_ack = 3;
}

struct ContextResult {       // p_result_t
  std::uint16_t result = 0;  // p_cont_def_result_t
  std::uint16_t reason = 0;  // p_provider_reason_t (or the feature bits of negotiate_ack)
  SyntaxId transfer_syntax;
};

struct BindAck {  // bind_ack and alter_context_resp, C706 §12.6.4.4 / §12.6.4.2
  std::uint16_t max_xmit_frag = 0;
  std::uint16_t max_recv_frag = 0;
  std::uint32_t assoc_group_id = 0;
  std::string sec_addr;  // port_spec, without its terminating NUL
  std::vector<ContextResult> results;
};

struct BindNak {  // C706 §12.6.4.5
  std::uint16_t provider_reject_reason = 0;
  std::vector<std::pair<std::uint8_t, std::uint8_t>> versions;  // p_rt_versions_supported_t
};

struct Request {  // C706 §12.6.4.9
  std::uint32_t alloc_hint = 0;
  std::uint16_t p_cont_id = 0;
  std::uint16_t opnum = 0;
  std::optional<Uuid> object;
  std::uint32_t stub_length = 0;
};

struct Response {  // C706 §12.6.4.10
  std::uint32_t alloc_hint = 0;
  std::uint16_t p_cont_id = 0;
  std::uint8_t cancel_count = 0;
  std::uint32_t stub_length = 0;
};

struct Fault {  // C706 §12.6.4.7; MS-RPCE 2.2.2.11 for the status values
  std::uint32_t alloc_hint = 0;
  std::uint16_t p_cont_id = 0;
  std::uint8_t cancel_count = 0;
  std::uint8_t fault_flags = 0;  // MS-RPCE: 0x01 extended error information present
  std::uint32_t status = 0;
  std::uint32_t stub_length = 0;
};

struct Rts {  // MS-RPCH 2.2.3.6.1
  std::uint16_t flags = 0;
  std::uint16_t number_of_commands = 0;
  // The commands (2.2.3.5), when they decode; else why not. The PDU itself stays whole either
  // way: its common header framed it.
  std::vector<RtsCommand> commands;
  std::optional<RtsReason> error;
  std::string error_detail;
};

struct NoBody {};  // auth3, shutdown, co_cancel, orphaned

using Body = std::variant<NoBody, Request, Response, Fault, Bind, BindAck, BindNak, Rts>;

struct SecTrailer {  // auth_verifier_co_t header, C706 §13.2.6.1; MS-RPCE 2.2.2.11
  std::uint8_t auth_type = 0;
  std::uint8_t auth_level = 0;
  std::uint8_t auth_pad_length = 0;
  std::uint8_t auth_reserved = 0;
  std::uint32_t auth_context_id = 0;
};

// A parsed PDU. A View: `stub` points into the bytes given to parse_pdu().
struct PduView {
  CommonHeader header;
  Body body;
  std::optional<SecTrailer> sec_trailer;
  Bytes auth_value;
  Bytes stub;                // request/response/fault stub data (without the auth padding)
  bool truncated = false;    // parse_pdu_prefix(): only the PDU's first octets were captured
  std::size_t captured = 0;  // octets of the PDU parsed
};

// Why a PDU could not be parsed. Closed set; each value is counted.
enum class Reason : std::uint8_t {
  bad_rpc_vers,           // rpc_vers != 5
  bad_rpc_vers_minor,     // rpc_vers_minor not 0 or 1
  bad_ptype,              // not a connection-oriented packet type
  bad_drep,               // packed_drep outside the defined values
  frag_length_too_small,  // frag_length < header + the packet type's fixed part
  auth_length_too_large,  // auth_length + 8 does not fit in the PDU
  body_truncated,         // a field runs past the PDU body
  count_too_large,        // a wire count (contexts, syntaxes, results) exceeds the body
  bad_sec_addr,           // sec_addr length past the body
  count_
};
inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::count_);
std::string_view to_string(Reason r);
std::string_view describe(Reason r);

}  // namespace rpctrace::dcerpc
