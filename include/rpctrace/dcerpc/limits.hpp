// Limits of the DCE/RPC layer: spec facts (with their sections) and resource policy.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rpctrace::dcerpc {

// --- Spec facts ---
// C706 §12.6.3.1: the common header of every connection-oriented PDU is 16 octets.
inline constexpr std::size_t kCommonHeaderSize = 16;
// frag_length is a u16 (C706 §12.6.3.1), so no PDU is longer than this.
inline constexpr std::size_t kMaxFragLength = 65535;
// C706 §12.6.3.1: sec_trailer (auth_verifier_co_t header) is 8 octets.
inline constexpr std::size_t kSecTrailerSize = 8;
// Fixed body octets after the common header (C706 §12.6.4; MS-RPCE 2.2.2.10 for auth3,
// MS-RPCH 2.2.3.6.1 for rts).
inline constexpr std::size_t kRequestFixed = 8;     // alloc_hint, p_cont_id, opnum
inline constexpr std::size_t kObjectUuidSize = 16;  // when PFC_OBJECT_UUID is set
inline constexpr std::size_t kResponseFixed = 8;    // alloc_hint, p_cont_id, cancel_count, reserved
inline constexpr std::size_t kFaultFixed = 12;      // ... + status (reserved 4 octets optional)
inline constexpr std::size_t kBindFixed = 12;     // xmit, recv, assoc_group_id, n_context_elem + 3
inline constexpr std::size_t kBindAckFixed = 10;  // xmit, recv, assoc_group_id, sec_addr length
inline constexpr std::size_t kBindNakFixed = 2;   // provider_reject_reason
inline constexpr std::size_t kRtsFixed = 4;       // Flags, NumberOfCommands
// Each p_cont_elem_t: p_cont_id u16, n_transfer_syn u8, reserved u8, abstract syntax 20.
inline constexpr std::size_t kContextElemFixed = 24;
inline constexpr std::size_t kSyntaxIdSize = 20;  // uuid 16 + if_version u32
inline constexpr std::size_t kResultSize = 24;    // result u16, reason u16, transfer syntax 20

// --- Resource policy (docs/limits.md) ---
struct AssociationLimits {
  // Presentation contexts remembered per association. Windows clients offer a handful; DCOM
  // sessions (suricata-dcerpc-ctxids.pcap) use tens.
  std::size_t max_contexts = 256;
  // Calls in flight per association (Suricata keeps 1024 transactions).
  std::size_t max_outstanding_calls = 1024;
  // Fragments reassembled into one call, and its stub bytes kept for decoding. Zeek keeps
  // 30000 octets of fragment data, Suricata 1 MiB; EPM answers are a few KiB.
  std::size_t max_fragments_per_call = 4096;
  std::size_t max_stub_bytes = 1u << 20;
};

struct FramerLimits {
  // Bytes searched for a valid header after a gap or a broken header before giving up on the
  // direction (it is re-armed by the next chunk that starts with a valid header).
  std::size_t max_resync_scan = 1u << 20;
};

}  // namespace rpctrace::dcerpc
