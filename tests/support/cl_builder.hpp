// ClPduBuilder: connectionless DCE/RPC PDUs (ncadg_*, RPC version 4) for tests: C706 chapter
// 12, §12.5 "Connectionless RPC PDUs"; MS-RPCE §3.2 for Windows' behaviour.
//
// The header is 80 octets (C706 §12.5, the header's IDL and its field descriptions):
//   0 rpc_vers (4)  1 ptype  2 flags1  3 flags2  4 drep[3]  7 serial_hi
//   8 object (UUID)  24 if_id (UUID)  40 act_id (UUID)
//   56 server_boot u32  60 if_vers u32  64 seqnum u32  68 opnum u16  70 ihint u16  72 ahint u16
//   74 len u16  76 fragnum u16  78 auth_proto  79 serial_lo
// drep[0]'s high nibble decides the integer order of every multi-byte field, of the UUIDs'
// first three fields and of the body (0x10 little-endian, 0x00 big-endian; §14.2.5).
//
// Bodies (§12.5.3), each in the drep's order:
//   request, response: stub octets
//   fault, reject: status u32
//   fack (and nocall, optionally): vers u8, pad1 u8, window_size u16, max_tsdu u32,
//     max_frag_size u32, serial_num u16, selack_len u16, selack u32 * selack_len (§12.5.3.4)
//   cancel_ack: vers u32, cancel_id u32, server_is_accepting (NDR boolean, 1 octet: MS-RPCE
//     §3.2.2.5.11 takes 9 octets as the shortest valid body) (§12.5.3.2)
//   cl_cancel: vers u32, cancel_id u32 (§12.5.3.3)
//   ping, working, ack, nocall without a fack body: none
// len is computed unless set explicitly, so a test can corrupt it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "support/bytes.hpp"
#include "support/pdu_builder.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

inline constexpr std::uint8_t kClRpcVers = 4;
inline constexpr std::size_t kClHeaderSize = 80;

// flags1, C706 §12.5 (0x01 and 0x80 are reserved for implementations; DCE's runtime uses
// 0x80 as "blast outs").
inline constexpr std::uint8_t kClReserved01 = 0x01;
inline constexpr std::uint8_t kClLastFrag = 0x02;
inline constexpr std::uint8_t kClFrag = 0x04;
inline constexpr std::uint8_t kClNoFack = 0x08;
inline constexpr std::uint8_t kClMaybe = 0x10;
inline constexpr std::uint8_t kClIdempotent = 0x20;
inline constexpr std::uint8_t kClBroadcast = 0x40;
inline constexpr std::uint8_t kClReserved80 = 0x80;
// flags2, C706 §12.5: only cancel_pending is defined.
inline constexpr std::uint8_t kClCancelPending = 0x02;

inline constexpr std::array<std::uint8_t, 3> kClDrepLittleEndian{0x10, 0, 0};
inline constexpr std::array<std::uint8_t, 3> kClDrepBigEndian{0x00, 0, 0};

// "No hint" for ihint and ahint: a client's first packet to a server (C706 §12.5); the server
// fills in its own values, and the client sends them back in later packets.
inline constexpr std::uint16_t kClNoHint = 0xffff;

// Reject and fault status codes, C706 appendix E.
inline constexpr std::uint32_t kNcaOpRngError = 0x1c010002;   // nca_s_op_rng_error
inline constexpr std::uint32_t kNcaUnkIf = 0x1c010003;        // nca_s_unk_if
inline constexpr std::uint32_t kNcaFaultCancel = 0x1c00000d;  // nca_s_fault_cancel

// The fack body (C706 §12.5.3.4). DCE's runtime sends body version 1.
struct FackBody {
  std::uint8_t vers = 1;
  std::uint8_t pad1 = 0;
  std::uint16_t window_size = 0;
  std::uint32_t max_tsdu = 0;
  std::uint32_t max_frag_size = 0;
  std::uint16_t serial_num = 0;
  std::vector<std::uint32_t> selack;
  std::optional<std::uint16_t> selack_len;  // override; default selack.size()
};

// A FackBody without spelling out every member (aggregate init of a subset trips
// -Wmissing-field-initializers).
FackBody make_fack_body(std::uint16_t window_size, std::uint32_t max_tsdu,
                        std::uint32_t max_frag_size, std::uint16_t serial_num,
                        std::vector<std::uint32_t> selack = {});

class ClPduBuilder {
 public:
  explicit ClPduBuilder(Ptype ptype);

  // Header, C706 §12.5.
  ClPduBuilder& rpc_vers(std::uint8_t v);
  ClPduBuilder& ptype(std::uint8_t v);  // any value, for tests of unknown PTYPEs
  ClPduBuilder& flags1(std::uint8_t v);
  ClPduBuilder& flags2(std::uint8_t v);
  ClPduBuilder& drep(std::array<std::uint8_t, 3> v);
  ClPduBuilder& little_endian() { return drep(kClDrepLittleEndian); }
  ClPduBuilder& big_endian() { return drep(kClDrepBigEndian); }
  ClPduBuilder& serial_hi(std::uint8_t v);
  ClPduBuilder& serial_lo(std::uint8_t v);
  ClPduBuilder& serial(std::uint16_t v);  // serial_hi = v >> 8, serial_lo = v & 0xff
  ClPduBuilder& object(const Uuid& v);
  ClPduBuilder& if_id(const Uuid& v);
  ClPduBuilder& if_vers(std::uint32_t v);
  // if_id = id.uuid, if_vers = major | minor << 16 (the major version in the low 16 bits).
  ClPduBuilder& interface_id(const SyntaxId& id);
  ClPduBuilder& act_id(const Uuid& v);
  ClPduBuilder& server_boot(std::uint32_t v);
  ClPduBuilder& seqnum(std::uint32_t v);
  ClPduBuilder& opnum(std::uint16_t v);
  ClPduBuilder& ihint(std::uint16_t v);
  ClPduBuilder& ahint(std::uint16_t v);
  ClPduBuilder& len(std::uint16_t v);  // override the body length field only
  ClPduBuilder& fragnum(std::uint16_t v);
  ClPduBuilder& auth_proto(std::uint8_t v);

  // Bodies.
  ClPduBuilder& stub(std::span<const std::byte> v);                       // request, response
  ClPduBuilder& status(std::uint32_t v);                                  // fault, reject
  ClPduBuilder& fack(FackBody v);                                         // fack, nocall
  ClPduBuilder& cancel(std::uint32_t cancel_id, std::uint32_t vers = 0);  // cl_cancel
  ClPduBuilder& cancel_ack(std::uint32_t cancel_id, bool server_is_accepting,
                           std::uint32_t vers = 0);  // cancel_ack
  // Replaces the PTYPE-specific body with these octets.
  ClPduBuilder& body(std::span<const std::byte> v);

  [[nodiscard]] std::uint8_t flags1_value() const { return flags1_; }
  [[nodiscard]] std::uint16_t serial_value() const;
  [[nodiscard]] Bytes build() const;

 private:
  [[nodiscard]] Endian order() const;
  [[nodiscard]] Bytes build_body() const;

  std::uint8_t rpc_vers_ = kClRpcVers;
  std::uint8_t ptype_;
  std::uint8_t flags1_ = 0;
  std::uint8_t flags2_ = 0;
  std::array<std::uint8_t, 3> drep_ = kClDrepLittleEndian;
  std::uint8_t serial_hi_ = 0;
  Uuid object_;
  Uuid if_id_;
  Uuid act_id_;
  std::uint32_t server_boot_ = 0;
  std::uint32_t if_vers_ = 0;
  std::uint32_t seqnum_ = 0;
  std::uint16_t opnum_ = 0;
  std::uint16_t ihint_ = kClNoHint;
  std::uint16_t ahint_ = kClNoHint;
  std::optional<std::uint16_t> len_;
  std::uint16_t fragnum_ = 0;
  std::uint8_t auth_proto_ = 0;
  std::uint8_t serial_lo_ = 0;

  Bytes stub_;
  std::uint32_t status_ = 0;
  std::optional<FackBody> fack_;
  std::uint32_t cancel_vers_ = 0;
  std::uint32_t cancel_id_ = 0;
  bool server_is_accepting_ = false;
  std::optional<Bytes> body_;
};

// Splits `stub` over request or response PDUs shaped like `prototype`, one per piece size (at
// least 2 pieces, adding up to stub.size()). Every PDU gets kClFrag, only the last kClLastFrag;
// fragnum counts from 0 and the serial number from the prototype's. Other flags
// are kept (clear kClNoFack on the fragments that should be facked). The DCE runtime sends a
// multiple of 8 body octets in every fragment but the last (its dg.h); this is not enforced,
// so a test can break it. Throws std::invalid_argument on bad sizes.
std::vector<ClPduBuilder> cl_fragment(const ClPduBuilder& prototype,
                                      std::span<const std::byte> stub,
                                      std::span<const std::size_t> piece_sizes);

}  // namespace rpctrace::testsupport
