// The analysis model: what the analysis hands to its sinks (the writers, diagnose, endpoints).
// One FrameRecord per carrier frame of a conversation (its carrier facts, the PDUs it
// completed, the anomalies found at it), a CallRecord per ended call, a Conversation at its
// end, and the closing Statistics. Owned values only; nothing here names a carrier's own types,
// so a new transport adds facts, not dependencies.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/auth/auth_value.hpp"
#include "rpctrace/common/address.hpp"
#include "rpctrace/common/boxed.hpp"
#include "rpctrace/common/counter_row.hpp"
#include "rpctrace/dcerpc/association.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/dcerpc/verification_trailer.hpp"
#include "rpctrace/dcom/activation.hpp"
#include "rpctrace/epm/decode.hpp"

namespace rpctrace::analysis {

using dcerpc::Direction;
using dcerpc::FrameRef;

// Protocol sequences (C706 §6.1 and appendix I; MS-RPCE 2.1): how a conversation carries RPC.
enum class Protseq : std::uint8_t { ncacn_ip_tcp, ncacn_np, ncadg_ip_udp, ncacn_http };
std::string_view to_string(Protseq p);
// Connectionless (ncadg_ip_udp): its frames are datagrams, not stream segments.
inline bool is_datagram(Protseq p) { return p == Protseq::ncadg_ip_udp; }

// Control bits of a stream segment (TCP, RFC 9293 §3.1), as the timeline shows them.
namespace control {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10,
                              urg = 0x20;
}

// Every kind of note the timeline can show, by layer. Closed: writers and diagnose compare
// these, never strings.
enum class NoteKind : std::uint8_t {
  // the carrier (TCP reassembly)
  gap,                     // bytes missing from the capture
  snaplen,                 // the snap length cut a segment's payload
  retransmission,          // every payload byte was already delivered
  partial_retransmission,  // some payload bytes were already delivered (first copy wins)
  out_of_order,            // held: it starts after a hole
  overlap_conflict,        // overlapped bytes with different content (first copy wins)
  syn_retransmission,      // a SYN sent again
  buffer_full,             // out-of-order buffer full: dropped
  after_close,             // payload after FIN/RST: not delivered
  // the carrier (SMB, for named pipes)
  malformed_smb,  // an SMB message the pipe adapter could not read (a counted reason)
  smb_cut,        // an SMB message a gap cut: not decoded
  not_smb,        // octets on an SMB port that are no SMB session message
  // DCE/RPC (dcerpc::NoteKind, same order)
  malformed_pdu,
  lost_sync,
  resynchronised,
  picked_up,
  partial_pdu_lost,
  not_dcerpc,
  ncacn_http,
  limit,
  // the analysis
  epm_interface_mismatch,  // a connection an ept_map answer linked binds another interface
  count_
};
std::string_view to_string(NoteKind k);  // "gap", "malformed_pdu", ...
std::string_view layer_of(NoteKind k);   // "tcp", "dcerpc" or "report"
NoteKind from_dcerpc(dcerpc::NoteKind k);

// Why a conversation ended.
enum class EndReason : std::uint8_t {
  capture_end,    // still open when the capture ended
  closed,         // closed both ways (FIN) or reset, then the grace period passed
  port_reused,    // a new connection on the same addresses and ports started a new one
  evicted_idle,   // no frame for the idle timeout
  evicted_limit,  // the flow table was full
  // RPC over HTTP v2: the connection became a channel of a virtual connection another
  // conversation holds (Conversation::virtual_connection names it); its frames go on there.
  joined,
};
std::string_view to_string(EndReason r);

// A carrier frame's facts, for a stream carrier (TCP): flags, sequence numbers, window,
// lengths, and what reassembly made of it.
struct SegmentFacts {
  std::uint32_t seq = 0, ack = 0;
  std::uint16_t window = 0;
  std::uint8_t flags = 0;  // control::*
  std::uint8_t header_length = 0;
  std::uint32_t payload_length = 0;  // on the wire
  std::uint32_t captured_length = 0;
  std::uint8_t ttl = 0;          // IPv4 TTL / IPv6 hop limit; 0 when not known
  std::optional<NoteKind> note;  // retransmission, out_of_order, ...
};

struct EpmDecode {
  std::uint16_t opnum = 0;
  std::optional<epm::EpmValue> value;  // the decoded request or response (any ept.idl operation)
  std::string error;                   // set when the stub did not decode
};
// Shared, not copied: the PDU's record and its call's record hold the same decode (towers
// and annotations are a dozen allocations each).
using EpmDecodePtr = std::shared_ptr<const EpmDecode>;

// A PDU's auth_value decoded by its security provider (src/auth).
struct AuthDecode {
  std::optional<auth::AuthValue> value;
  std::string error;  // set when it did not decode: "<reason>: <detail>"
};

// A DCE/RPC channel that a carrier multiplexes inside one conversation: a named pipe on an
// SMB connection (ncacn_np, C706 appendix I; MS-RPCE 2.1.1.2). Its facts are the transport
// adapter's; each channel is an association of its own (its binds, contexts and call ids).
struct ChannelFacts {
  std::uint32_t id = 0;       // 1-based in its conversation, in order of opening
  std::string name;           // "\PIPE\samr"; empty when the open was not captured
  std::uint64_t session = 0;  // SMB2 SessionId; SMB1 UID
  std::uint32_t tree = 0;     // SMB2 TreeId; SMB1 TID
  std::string handle;         // SMB2 FileId "persistent:volatile" in hex; SMB1 FID "0x4001"
  std::string account;        // the session's account, when its setup was captured
  std::string dialect;        // "SMB 3.1.1", "SMB 2.1", "NT LM 0.12"
};
using ChannelPtr = std::shared_ptr<const ChannelFacts>;

// A step of the carrier itself, shown on its frame as the KB's walkthroughs show them: an SMB
// session setup, tree connect, the create and close of a pipe. `text` is the adapter's words;
// `kind` is what diagnose and the filters look at.
enum class CarrierEventKind : std::uint8_t {
  negotiate,
  session_setup,
  logoff,
  tree_connect,
  tree_disconnect,
  open,       // a pipe's create
  close,      // a pipe's close
  encrypted,  // a message the capture cannot show (SMB3 encryption or compression)
  refused,    // any other request answered by an error that matters to a pipe (a failed read)
  // RPC over HTTP (MS-RPCH 2.1.2): the head of an HTTP request (RPC_IN_DATA, RPC_OUT_DATA) or
  // response on a channel; `status` holds the HTTP status code, `text` the target or reason.
  http_request,
  http_response,
  tls_client_hello,  // a TLS connection's ClientHello: text is its server_name (SNI)
};
std::string_view to_string(CarrierEventKind k);
struct CarrierEvent {
  CarrierEventKind kind = CarrierEventKind::negotiate;
  bool response = false;
  std::string command;                     // "SMB2 CREATE", "SMB1 NT_CREATE_ANDX"
  std::string text;                        // "\PIPE\samr", "\\dc1\IPC$", "DOMAIN\user"
  std::uint32_t status = 0;                // responses: the NTSTATUS
  std::optional<std::int64_t> latency_us;  // responses: since their request
  std::optional<std::uint64_t> request_frame;
  ChannelPtr channel;   // open and close: the pipe
  std::string account;  // responses: their session's account, when its setup was captured
  // open: the interface its pipe name implies (\PIPE\samr: SAMR), even when the open failed
  std::optional<dcerpc::SyntaxId> interface;
  // http_request: the RPC server behind the RPC proxy, from the URI ("exch01.contoso.com:6001")
  std::string proxy_target;
  // tls_client_hello: the ALPN protocols it offered (RFC 7301), comma-separated
  std::string alpn;
};

// A message to or from a Kerberos KDC on port 88 (TCP or UDP), as far as diagnose needs it:
// a KRB-ERROR anywhere in the capture explains an RPC bind that failed with no reason.
struct KdcMessage {
  std::uint64_t frame = 0;
  common::Timestamp ts;
  common::Endpoint client, kdc;
  bool over_tcp = false;
  std::string_view message;  // "AS-REQ", "TGS-REP", "KRB-ERROR", ... (auth::Token::message)
  std::optional<std::int32_t> error_code;  // KRB-ERROR
  std::string realm, service;              // the service asked for, or the error's sname
};

// A DCOM activation answer decoded (src/dcom), or why it was not.
struct DcomDecode {
  std::optional<dcom::ActivationAnswer> value;
  std::string error;
};

// What a call returned, read from the last four octets of its unsealed response stub in the
// response's byte order, for operations whose IDL returns a status (dcerpc::is_status).
struct ReturnCode {
  std::uint32_t value = 0;
  dcerpc::ReturnType type = dcerpc::ReturnType::unknown;
};
std::optional<ReturnCode> return_code_of(const std::optional<dcerpc::SyntaxId>& interface,
                                         std::uint16_t opnum,
                                         const std::optional<std::array<std::byte, 4>>& tail,
                                         const dcerpc::DataRepresentation& drep);

struct ReportedPdu {
  dcerpc::PduEvent event;
  std::optional<ReturnCode> return_code;  // the response completing a call (see ReturnCode)
  ChannelPtr channel;  // the pipe that carried it (ncacn_np); null on a conversation's own stream
  std::optional<AuthDecode> auth;
  // auth_level packet privacy on a request, response or fault: the stub is sealed and is not
  // decoded (MS-RPCE 3.3.1.5.2).
  bool stub_encrypted = false;
  EpmDecodePtr epm;
  std::optional<dcerpc::VerificationTrailer> verification_trailer;
  // A DCOM activation answer (RemoteCreateInstance, ResolveOxid2 ...): the string bindings it
  // handed out, or why its stub did not decode.
  std::shared_ptr<const DcomDecode> dcom;
  // An RTS PDU (MS-RPCH 2.2.4): the named PDUs its layout matches where it was sent (one, or
  // several the layout cannot tell apart, or none), and the channel it came on when known.
  std::vector<dcerpc::RtsPduName> rts_names;
  std::optional<dcerpc::RtsChannel> rts_channel;
};

// The opnum a PDU belongs to: a request's own, or its request's for a response or fault.
std::optional<std::uint16_t> opnum_of(const dcerpc::PduEvent& e);

struct ReportedNote {
  NoteKind kind = NoteKind::gap;
  std::string detail;
  std::optional<dcerpc::CommonHeader> header;
};

// The endpoint mapper answer that gave a conversation's server port.
struct EpmLink {
  std::uint64_t conversation = 0;  // the conversation that carried the ept_map answer
  std::uint64_t frame = 0;         // the answer's frame
  common::Timestamp ts;
  std::int64_t delay_us = 0;                  // from the answer to this conversation's first frame
  std::optional<dcerpc::SyntaxId> interface;  // the interface the answer was for
  // The call that gave the port: "ept_map", or a DCOM activation ("RemoteCreateInstance",
  // "ResolveOxid2", ...), whose answers name an object exporter's port and no interface.
  std::string source = "ept_map";
  common::IpAddress client;  // the address the answer went to
  bool same_client = false;  // ... is this conversation's client: they form one group
};
// Shared, not copied: every frame record of a linked conversation carries it, and a
// conversation's state stays small (docs/limits.md).
using EpmLinkPtr = std::shared_ptr<const EpmLink>;

// The program that owned a conversation, where the capture says (Network Monitor 2.2+ keeps
// a table of processes with the addresses and ports of their connections).
struct OwningProcess {
  std::string name;  // the image's file name: OUTLOOK.EXE
  std::string path;  // as the capture gives it
  std::uint32_t pid = 0;
};
using OwningProcessPtr = std::shared_ptr<const OwningProcess>;

struct FrameRecord {
  std::uint64_t conversation = 0;
  Protseq protseq = Protseq::ncacn_ip_tcp;  // the conversation's
  std::uint64_t frame = 0;  // the carrier frame (for a record of the end: the last frame)
  common::Timestamp ts;
  Direction dir = 0;  // 0: from endpoint[0] of the conversation
  common::Endpoint src, dst;
  std::int64_t delta_us = 0;  // since the conversation's previous frame; -1: not a frame
  SegmentFacts segment;
  bool shown = false;               // the conversation is shown, as far as known at this frame
  common::Endpoint client, server;  // the conversation's roles, as far as known at this frame
  bool roles_from_syn = false;
  EpmLinkPtr epm_link;
  OwningProcessPtr process;  // the conversation's, when the capture names it
  std::uint64_t group = 0;   // as Conversation::group
  // RPC over HTTP v2: the channel whose connection carried the frame, once known
  std::optional<dcerpc::RtsChannel> http_channel;
  std::vector<ReportedPdu> pdus;
  std::vector<ReportedNote> notes;
  std::vector<CarrierEvent> events;
};

// One ended call with what its stubs said.
struct CallRecord {
  std::uint64_t conversation = 0;
  Protseq protseq = Protseq::ncacn_ip_tcp;
  common::Endpoint client, server;  // the roles as known when it ended
  // The conversation is shown, as far as known when the call ended (a time window may show it
  // only later: Conversation::shown, at its end, is final).
  bool shown = false;
  ChannelPtr channel;  // the pipe it was made on (ncacn_np)
  dcerpc::CallEnd call;
  std::optional<ReturnCode> return_code;
  EpmDecodePtr epm_request, epm_response;  // endpoint mapper calls
};

// RPC over HTTP v2 (MS-RPCH 1.3.1.1): a virtual connection is an IN and an OUT channel, each a
// TCP connection (and their successors when a channel is recycled), named by the
// VirtualConnectionCookie in each channel's first RTS PDU (CONN/A1, CONN/B1, ...). The DCE/RPC
// conversation inside has one timeline: the conversation of the channel that named it first.
struct HttpChannel {
  std::string_view name;  // "IN" or "OUT" (dcerpc::to_string(RtsChannel)); "" when not known
  common::Endpoint client, server;  // its connection (client: the side that opened it)
  std::uint64_t conversation = 0;   // the conversation of its connection
  std::uint64_t frame = 0;          // where its RTS PDU named the virtual connection
};
struct VirtualConnection {
  common::Uuid cookie;             // VirtualConnectionCookie (MS-RPCH 2.2.3.1)
  std::uint64_t conversation = 0;  // the conversation holding the timeline
  // In order of naming it; the first is the holder's own. A joined conversation lists its own.
  std::vector<HttpChannel> channels;
  std::uint64_t channels_not_listed = 0;  // past kMaxListed
  static constexpr std::size_t kMaxListed = 16;
};

struct InterfaceUse {
  dcerpc::SyntaxId interface;
  std::uint64_t calls = 0;
};

struct Conversation {
  std::uint64_t id = 0;
  Protseq protseq = Protseq::ncacn_ip_tcp;
  common::Endpoint client, server;
  bool roles_from_syn = false;   // else from the PDUs or the ports
  bool syn_seen = false;         // a frame carried a SYN
  bool dcerpc = false;           // at least one PDU
  bool shown = false;            // printed (DCE/RPC, the endpoint mapper's ports, or --all)
  bool well_known_port = false;  // the server port is the endpoint mapper's own (135, 593)
  bool pipe_activity = false;    // an SMB tree connect to IPC$ or a pipe's create was seen
  EndReason end_reason = EndReason::capture_end;
  std::uint64_t first_frame = 0, last_frame = 0, frames = 0;
  common::Timestamp start, end;
  std::uint64_t bytes_to_server = 0, bytes_to_client = 0;
  std::uint64_t pdus = 0, calls = 0, faults = 0, notes = 0;
  std::vector<InterfaceUse> interfaces;
  EpmLinkPtr epm_link;       // the EPM answer that gave the server's port
  OwningProcessPtr process;  // the program that owned it (NetMon's process table)
  // An EPM answer seen after this connection began (it began before the capture, its bind not
  // captured) that named its server's port: its interface labels the PDUs after it, inferred.
  EpmLinkPtr inferred_from;
  std::vector<ChannelPtr> channels;                     // its pipes, in order of opening
  common::Boxed<VirtualConnection> virtual_connection;  // RPC over HTTP v2
  // The first conversation of its group: an EPM lookup and the connections of the same client
  // to the ports it answered (KB159298's story); the conversation's own id otherwise.
  std::uint64_t group = 0;
};

// What the analysis itself decoded or could not: the stub and verifier decoders.
struct Counters {
  std::uint64_t conversations = 0;
  std::uint64_t conversations_dcerpc = 0;
  std::uint64_t conversations_shown = 0;
  std::uint64_t epm_decoded = 0;           // EPM stubs decoded, requests and responses
  std::uint64_t epm_requests_decoded = 0;  // ... of them requests
  std::uint64_t epm_errors = 0;
  std::uint64_t dcom_errors = 0;   // DCOM activation answers that did not decode
  std::uint64_t auth_decoded = 0;  // auth_values decoded
  std::array<std::uint64_t, auth::kReasonCount> auth_errors{};  // ... not decoded, by reason
  std::uint64_t stubs_encrypted = 0;  // request/response/fault stubs sealed (packet privacy)
  std::uint64_t tls_connections = 0;  // TCP connections opening with a TLS ClientHello
  // Calls' return codes by (type, value), at most kMaxReturnCodes distinct ones; the rest
  // counted in return_codes_other.
  std::map<std::pair<dcerpc::ReturnType, std::uint32_t>, std::uint64_t> return_codes;
  std::uint64_t return_codes_other = 0;
  static constexpr std::size_t kMaxReturnCodes = 1024;
};
// Rows for the statistics' "not decoded" list, in their fixed order.
void append_counter_rows(const Counters& c, common::CounterRows& rows);

struct Statistics {
  std::string file;       // the files, or the interface, by name
  std::string link_type;  // of the first file
  // Every file of a run that read several (or the interface of a live one): each with its
  // format, link type, frames read and damage.
  struct InputFile {
    std::string name, format, link_type;
    std::uint64_t frames = 0;
    std::string damage;
  };
  std::vector<InputFile> files;
  std::uint64_t frames_read = 0, bytes_read = 0, tcp_segments = 0, frames_skipped = 0;
  std::uint64_t udp_datagrams = 0;  // taken by an adapter (Kerberos on 88, ncadg_ip_udp)
  std::uint64_t conversations_tcp = 0, conversations_dcerpc = 0, conversations_shown = 0;
  std::uint64_t conversations_udp = 0;  // connectionless flows (ncadg_ip_udp)
  std::uint64_t pdus = 0;
  std::array<std::uint64_t, 21> pdus_by_ptype{};  // indexed by dcerpc::PacketType
  std::uint64_t epm_decoded = 0, epm_requests_decoded = 0, auth_decoded = 0;
  // Responses whose stub gave a return code, by code, most frequent first.
  struct ReturnCount {
    ReturnCode code;
    std::uint64_t count = 0;
  };
  std::vector<ReturnCount> return_codes;
  std::uint64_t return_codes_other = 0;  // distinct codes past Counters::kMaxReturnCodes
  // Every count of what was not decoded or is noteworthy, by layer and reason, in a fixed
  // order (the capture, the carriers, DCE/RPC, the analysis).
  common::CounterRows not_decoded;
  std::string capture_error;  // set when reading stopped on a damaged file

  // The row of not_decoded with this key; 0 when there is none.
  [[nodiscard]] std::uint64_t counter(std::string_view key) const;
};

}  // namespace rpctrace::analysis
