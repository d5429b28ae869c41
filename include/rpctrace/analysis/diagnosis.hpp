// Diagnosis: `rpctrace diagnose` — why a client fails to reach its RPC services. It follows
// each client's services (per interface: Established, Connecting, Failed, with protocol
// sequence, port, calls and latencies, as Outlook's connection status window lists them) and
// finds what went wrong, each finding with its evidence (frames, ports, times) and a next
// step. The rules are listed in diagnosis.cpp and docs/diagnose.md; report::DiagnoseWriter
// prints the result.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/analysis/selection.hpp"
#include "rpctrace/analysis/sink.hpp"

namespace rpctrace::analysis {

enum class Severity : std::uint8_t { error, warning, info };
std::string_view to_string(Severity s);

enum class FindingKind : std::uint8_t {
  firewall_drops_dynamic_port,  // SYNs to a port an ept_map answer gave, never answered
  port_refused,                 // ... answered by RST: nothing listens, or a firewall rejects
  epm_unanswered,               // SYNs to 135/593 never answered
  epm_reset,                    // ... answered by RST
  connect_unanswered,           // SYNs to another RPC port never answered
  epm_not_registered,           // ept_map answered with no tower
  epm_no_answer,                // an ept_map never answered
  port_never_tried,             // the client never went to the port an answer gave
  bind_nak,
  bind_rejected,          // a bind_ack that accepted no context
  alter_context_refused,  // an alter_context_resp that accepted none
  fault,
  authentication_failed,
  no_response,  // calls never answered
  slow_call,
  reset_mid_call,
  tcp_trouble,
  rpc_over_http_port,    // DCE/RPC on a static RPC-over-HTTP port: no lookup expected
  mta_two_way_bind,      // KB159298's MtaBind and MtaBindBack, both seen
  mta_bindback_missing,  // ... the second never came
  smb_session_refused,   // an SMB session setup answered by an error (STATUS_LOGON_FAILURE ...)
  smb_tree_refused,      // a tree connect refused (IPC$: no named pipe can be opened)
  pipe_open_refused,     // the create of a named pipe refused (no such pipe, access denied)
  smb_encrypted,         // SMB3 encryption hides the pipe traffic
  error_returned,        // a response whose status return value is an error
  kerberos_error,        // a KDC's KRB-ERROR (port 88), tied to the RPC conversation it broke
  rpc_proxy_refused,     // an RPC proxy answered an RPC_IN_DATA/RPC_OUT_DATA with 401/403/503...
  virtual_connection_incomplete,  // RPC over HTTP v2: no CONN/A3 or no CONN/C2
  https_encrypted,                // TLS on 443: RPC over HTTPS, if it is, cannot be seen
  count_
};
std::string_view to_string(FindingKind k);

struct Finding {
  Severity severity = Severity::info;
  FindingKind kind = FindingKind::fault;
  common::IpAddress client, server;
  std::optional<dcerpc::SyntaxId> interface;
  std::uint16_t port = 0;
  std::vector<std::uint64_t> frames;  // the first kMaxFindingFrames
  std::uint64_t count = 1;  // occurrences folded into this one (the same refusal, repeated)
  std::string message;      // what happened, in words
  std::string evidence;     // frames, ports, times
  std::string next_step;
};

enum class ServiceState : std::uint8_t { established, connecting, failed };
std::string_view to_string(ServiceState s);  // "Established", ... as Outlook spells them

// Outlook's names for the services it shows (Directory: RFR and NSPI; Mail: EMSMDB and
// AsyncEMSMDB); empty for other interfaces.
std::string_view outlook_label(const dcerpc::SyntaxId& s);

struct ServiceStatus {
  common::IpAddress client, server;
  dcerpc::SyntaxId interface;
  bool bound = false;  // a bind_ack accepted it
  std::uint64_t refused = 0, faults = 0, unanswered = 0;
  std::uint64_t errors = 0;  // answered calls whose status return value is an error
  std::string protseq;       // ncacn_ip_tcp, ... (from the conversation or the EPM tower)
  std::uint16_t port = 0;
  std::uint64_t calls = 0;                 // answered calls
  std::vector<std::int64_t> latencies_us;  // bounded: Diagnosis::kMaxLatencies
  // Established when calls were answered (or it is bound and has nothing pending), Failed
  // when it was refused or faulted without ever answering, Connecting otherwise (tried,
  // never got there).
  [[nodiscard]] ServiceState state() const;
};

struct DiagnoseOptions {
  std::int64_t slow_us = 500'000;  // --slow MS
  bool all_services = false;       // --all: the text lists healthy services too
  // --interface: only services and findings of these interfaces (UUIDs or names).
  std::vector<std::string> interfaces;
};

struct DiagnosisResult {
  std::vector<ServiceStatus> services;  // in order of first appearance
  std::vector<Finding> findings;        // in order of discovery
  std::uint64_t findings_dropped = 0;   // past kMaxFindings
  std::uint64_t answers_dropped = 0;    // ept_map answers past EpmLinks::kMaxAnswers
  [[nodiscard]] bool has_error() const;
};

class Diagnosis : public Sink {
 public:
  explicit Diagnosis(DiagnoseOptions options) : options_(std::move(options)) {
    interface_filter_.interfaces = options_.interfaces;
  }
  void frame(const FrameRecord& f) override;
  void call(const CallRecord& c) override;
  void conversation_end(const Conversation& c) override;
  void kerberos(const KdcMessage& m) override;
  void finish(const Statistics& s, const EpmLinks& links) override;
  // After finish().
  [[nodiscard]] const DiagnosisResult& result() const { return result_; }
  // Called with each finding when it is first known (live capture: `diagnose -i` prints it
  // then); repeats folded into it later only raise its count in the result.
  void on_finding(std::function<void(const Finding&)> f) { on_finding_ = std::move(f); }

  static constexpr std::size_t kMaxLatencies = 100000;  // per service, for median and worst
  static constexpr std::size_t kMaxFindings = 10000;    // past it, findings are counted only
  static constexpr std::size_t kMaxFindingFrames = 16;  // of a finding that repeats
  static constexpr std::size_t kMaxKdcErrors = 10000;   // KRB-ERRORs kept for the end
  static constexpr std::size_t kMaxContacts = 100000;   // RPC conversations kept for them

 private:
  struct Conv {  // what a conversation showed, while it lasts
    common::Endpoint client, server;
    std::string protseq;
    EpmLinkPtr link;
    std::vector<std::uint64_t> syn_frames;  // the client's SYNs (the first kMaxSynFrames)
    std::uint64_t syns = 0;                 // ... all of them
    common::Timestamp first_syn, last_syn;
    bool syn_ack = false;
    std::uint64_t rst_frame = 0;  // first RST from the server
    std::uint8_t rst_ttl = 0;     // ... its IP TTL
    common::Timestamp rst_ts;
    bool data = false;
    std::uint64_t retransmissions = 0, zero_windows = 0;
    std::uint64_t first_retransmission = 0, first_zero_window = 0;
    std::uint64_t auth3_frame = 0;
    bool data_after_auth3 = false;
    bool first_call_after_auth3_seen = false;
    // Who authenticated, from the verifiers: "account RPCTEST\\Administrator (NTLMSSP, from
    // WS1)" or "Kerberos ticket for host/dc@REALM". Empty when no verifier named anyone.
    std::string account;
    std::uint8_t auth_level = 0;                // of the last bind/alter_context with a verifier
    std::optional<dcerpc::SyntaxId> last_bind;  // for a bind_nak, which names none
    std::uint64_t open_calls = 0;               // requests sent whose call has not ended
    std::vector<dcerpc::SyntaxId> bound;        // accepted by a bind_ack
    std::uint64_t rst_mid_call = 0;
    // RPC over HTTP v2 (diagnosis_http.cpp): the channel heads and the RTS PDUs of the
    // connection setup (MS-RPCH 3.2.1.5.3.x), by the frame that carried them.
    struct Http {
      bool in_channel = false;       // an RPC_IN_DATA head: its answers ride the OUT channel
      bool refused = false;          // the proxy refused a channel (rpc_proxy_refused said it)
      std::string proxy_target;      // "exch01.contoso.com:6001"
      std::uint64_t out_answer = 0;  // the frame of the 200 answering RPC_OUT_DATA
      std::uint64_t conn_a1 = 0, conn_b1 = 0, conn_a3 = 0, conn_c2 = 0;
    } http;
    std::vector<CallRecord> unanswered;  // calls its end left unanswered, in call_id order
    bool encrypted_said = false;         // smb_encrypted: once per conversation
  };
  struct MtaBind {  // KB159298: MtaBind from A to B expects MtaBindBack from B to A
    common::IpAddress a, b;
    std::uint64_t frame = 0;
    common::Timestamp ts;
    std::uint64_t back_frame = 0;
  };
  ServiceStatus& service(const common::IpAddress& client, const common::IpAddress& server,
                         const dcerpc::SyntaxId& interface);
  void add(Finding f);
  // Adds it, or folds it into the earlier finding of the same `key` (a client retrying the
  // same refused step): one finding with a count and its first frames.
  void add_grouped(std::string key, Finding f);
  void carrier_facts(Conv& c, const FrameRecord& f);
  void pdu(Conv& c, const FrameRecord& f, const ReportedPdu& p);
  void bind_ack(Conv& c, const dcerpc::PduEvent& e);
  void carrier_event(Conv& c, const FrameRecord& f, const CarrierEvent& e);
  void http_event(Conv& c, const FrameRecord& f, const CarrierEvent& e);
  void rts(Conv& c, const ReportedPdu& p);
  void virtual_connection_end(Conv& c, const Conversation& conv);
  void tls_hello(Conv& c, const FrameRecord& f, const CarrierEvent& e);
  void answered(Conv& c, const CallRecord& r);
  void epm_answer(Conv& c, const CallRecord& r, const epm::EptMapResponse& m);
  void fault(Conv& c, const CallRecord& r, const std::optional<dcerpc::SyntaxId>& iface);
  void error_returned(Conv& c, const CallRecord& r);
  void connection_refused(Conv& c, const Conversation& conv);
  void unanswered_calls(Conv& c, const Conversation& conv);
  void tcp_trouble(Conv& c, const Conversation& conv);
  void ports_never_tried(const EpmLinks& links);
  void kdc_errors();
  void mta_binds();
  [[nodiscard]] bool selected(const std::optional<dcerpc::SyntaxId>& interface) const;

  DiagnoseOptions options_;
  std::function<void(const Finding&)> on_finding_;
  Selection interface_filter_;  // --interface
  std::map<std::uint64_t, Conv> convs_;
  DiagnosisResult result_;
  std::vector<MtaBind> mta_binds_;
  // RPC over HTTP v2 request heads by frame, until answered: the answer (on the same
  // connection, maybe after it joined another's conversation) names them.
  struct HttpRequest {
    std::string method, target, proxy_target;
  };
  std::map<std::uint64_t, HttpRequest> http_requests_;
  static constexpr std::size_t kMaxHttpRequests = 4096;
  // How the server's own answers reach the client, from its SYN/ACKs: a reset with another TTL
  // or much faster than them came from a device on the path (a firewall rejecting the port).
  struct Path {
    std::uint8_t ttl = 0;
    std::uint64_t frame = 0;   // the first SYN/ACK
    std::uint16_t port = 0;    // ... and its port
    std::int64_t rtt_us = -1;  // SYN to SYN/ACK, when the SYN was captured
  };
  std::map<std::pair<common::IpAddress, common::IpAddress>, Path> paths_;  // (client, server)
  [[nodiscard]] std::string reset_origin(const Conv& c, std::string& next_step) const;
  struct Group {
    std::size_t index = 0;     // in result_.findings
    std::string evidence;      // the first occurrence's
    std::uint64_t frames = 0;  // all occurrences' frames, kept or not
  };
  std::map<std::string, Group> groups_;
  // What a KRB-ERROR is tied to at the end: the RPC conversations, as they ended.
  struct Contact {
    common::Endpoint client, server;
    std::uint64_t conversation = 0, first_frame = 0, last_frame = 0;
    std::optional<dcerpc::SyntaxId> interface;
    std::string account;  // "Kerberos ticket for host/dc@REALM", ...
    bool bound = false;   // a bind_ack accepted it: whatever failed did not stop it
  };
  std::vector<Contact> contacts_;
  std::vector<KdcMessage> kdc_errors_;  // `message` set to the request they answer, when seen
  // The last AS-REQ or TGS-REQ of each client to each KDC: what a KRB-ERROR refused.
  std::map<std::pair<common::IpAddress, common::IpAddress>, KdcMessage> kdc_requests_;
  std::uint64_t kdc_errors_dropped_ = 0;
};

}  // namespace rpctrace::analysis
