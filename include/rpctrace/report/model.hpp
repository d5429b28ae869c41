// What the analyzer hands to the writers: one FrameRecord per frame of a conversation (its TCP
// facts, the PDUs it completed, the anomalies found at it), a Conversation at its end, and the
// closing Statistics. Owned values only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rpctrace/auth/auth_value.hpp"
#include "rpctrace/common/address.hpp"
#include "rpctrace/dcerpc/association.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/verification_trailer.hpp"
#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/types.hpp"
#include "rpctrace/pcap/counters.hpp"
#include "rpctrace/tcp/counters.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::report {

struct EpmDecode {
  std::uint16_t opnum = 0;
  std::optional<epm::EpmValue> value;  // the decoded request or response (any ept.idl operation)
  std::string error;                   // set when the stub did not decode
};

// The PDU's auth_value decoded by its security provider (src/auth).
struct AuthDecode {
  std::optional<auth::AuthValue> value;
  std::string error;  // set when it did not decode: "<reason>: <detail>"
};

struct ReportedPdu {
  dcerpc::PduEvent event;  // stub and auth_value pointers cleared
  std::optional<AuthDecode> auth;
  // auth_level packet privacy on a request, response or fault: the stub is sealed and is not
  // decoded (MS-RPCE 3.3.1.5.2).
  bool stub_encrypted = false;
  std::optional<EpmDecode> epm;
  std::optional<dcerpc::VerificationTrailer> verification_trailer;
};

struct ReportedNote {
  std::string layer;  // "tcp" or "dcerpc"
  std::string kind;   // "gap", "retransmission", "malformed_pdu", ...
  std::string detail;
  std::optional<dcerpc::CommonHeader> header;
};

// The endpoint mapper answer that gave a conversation's server port (issue 4, item 5).
struct EpmLink {
  std::uint64_t conversation = 0;  // the conversation that carried the ept_map answer
  std::uint64_t frame = 0;         // the answer's frame
  common::Timestamp ts;
  std::int64_t delay_us = 0;                  // from the answer to this conversation's first frame
  std::optional<dcerpc::SyntaxId> interface;  // the interface the answer was for
  common::IpAddress client;                   // the address the answer went to
  bool same_client = false;  // ... is this conversation's client: they form one group
};

struct FrameRecord {
  std::uint64_t conversation = 0;
  tcp::SegmentInfo segment;
  common::Endpoint src, dst;
  std::int64_t delta_us = 0;        // since the conversation's previous frame; -1: not a frame
  bool shown = false;               // the conversation is shown, as far as known at this frame
  common::Endpoint client, server;  // the conversation's roles, as far as known at this frame
  bool roles_from_syn = false;
  std::optional<EpmLink> epm_link;
  std::uint64_t group = 0;  // as Conversation::group
  std::vector<ReportedPdu> pdus;
  std::vector<ReportedNote> notes;
};

struct InterfaceUse {
  dcerpc::SyntaxId interface;
  std::uint64_t calls = 0;
};

struct Conversation {
  std::uint64_t id = 0;
  common::Endpoint client, server;
  bool roles_from_syn = false;  // else from the PDUs or the ports
  bool syn_seen = false;
  bool dcerpc = false;  // at least one PDU
  bool shown = false;   // printed (DCE/RPC, the endpoint mapper's ports, or --all)
  std::uint64_t first_frame = 0, last_frame = 0, frames = 0;
  common::Timestamp start, end;
  std::uint64_t bytes_to_server = 0, bytes_to_client = 0;
  std::uint64_t pdus = 0, calls = 0, faults = 0, notes = 0;
  std::vector<InterfaceUse> interfaces;
  std::string end_reason;
  std::optional<EpmLink> epm_link;  // the EPM answer that gave the server's port
  bool well_known_port = false;     // the server port is the endpoint mapper's own (135, 593)
  // The first conversation of its group: an EPM lookup and the connections of the same client
  // to the ports it answered (KB159298's story); the conversation's own id otherwise.
  std::uint64_t group = 0;
};

struct Statistics {
  std::string file;
  std::string link_type;
  pcap::Counters capture;
  tcp::Counters tcp;
  dcerpc::Counters dcerpc;
  std::uint64_t conversations_tcp = 0;
  std::uint64_t conversations_dcerpc = 0;
  std::uint64_t conversations_shown = 0;
  std::uint64_t epm_decoded = 0;
  std::uint64_t epm_errors = 0;
  std::uint64_t auth_decoded = 0;                               // auth_values decoded
  std::array<std::uint64_t, auth::kReasonCount> auth_errors{};  // ... not decoded, by reason
  std::uint64_t stubs_encrypted = 0;         // request/response/fault stubs sealed (packet privacy)
  std::string capture_error;                 // set when reading stopped on a damaged file
  std::uint64_t output_records_dropped = 0;  // JSON Lines: SYN/FIN/RST records over the cap
};

// Receives the analysis in capture order. Conversations end in order of their end.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual void frame(const FrameRecord& f) = 0;
  virtual void conversation_end(const Conversation& c) = 0;
  virtual void finish(const Statistics& s) = 0;
};

}  // namespace rpctrace::report
