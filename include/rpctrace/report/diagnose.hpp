// DiagnoseWriter: `rpctrace diagnose FILE` — answers "why does Outlook say Mail: Connecting?"
// from a capture. It follows each client's RPC services (per interface: Established,
// Connecting, Failed, with protocol sequence, port, calls and latencies, as Outlook's
// connection status window lists them) and reports findings with their evidence (frames,
// ports, times) and a next step: ports the endpoint mapper gave that a firewall drops or
// nothing listens on, EPM answers "not registered", binds refused, faults, authentication
// failures, calls never answered or slow, TCP trouble, RPC over HTTP, the MTA's two-way bind.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "rpctrace/analysis/sink.hpp"

namespace rpctrace::report {

using analysis::Conversation;
using analysis::EpmLink;
using analysis::FrameRecord;
using analysis::ReportedPdu;
using analysis::Statistics;

enum class Severity : std::uint8_t { error, warning, info };

struct Finding {
  Severity severity = Severity::info;
  std::string kind;  // "firewall_drops_dynamic_port", ...
  common::IpAddress client, server;
  std::optional<dcerpc::SyntaxId> interface;
  std::uint16_t port = 0;
  std::vector<std::uint64_t> frames;
  std::string message;   // what happened, in words
  std::string evidence;  // frames, ports, times
  std::string next_step;
};

struct ServiceStatus {
  common::IpAddress client, server;
  dcerpc::SyntaxId interface;
  std::string state;   // Established, Connecting, Failed (from the counts below, at the end)
  bool bound = false;  // a bind_ack accepted it
  std::uint64_t refused = 0, faults = 0, unanswered = 0;
  std::string protseq;  // ncacn_ip_tcp, ...
  std::uint16_t port = 0;
  std::uint64_t calls = 0;                 // answered calls
  std::vector<std::int64_t> latencies_us;  // bounded: kMaxLatencies
};

struct DiagnoseOptions {
  std::int64_t slow_us = 500'000;  // --slow MS
};

class DiagnoseWriter : public analysis::Sink {
 public:
  DiagnoseWriter(std::FILE* out, std::FILE* stats_out, bool jsonl, DiagnoseOptions options)
      : out_(out), stats_out_(stats_out), jsonl_(jsonl), options_(options) {}
  void frame(const FrameRecord& f) override;
  void conversation_end(const Conversation& c) override;
  void finish(const Statistics& s) override;
  // After finish(): whether a finding is an error (exit status 1).
  [[nodiscard]] bool has_error() const;

  static constexpr std::size_t kMaxLatencies = 100000;  // per service, for median and worst
  static constexpr std::size_t kMaxFindings = 10000;    // past it, findings are counted only

 private:
  struct Call {
    std::uint16_t opnum = 0;
    std::optional<dcerpc::SyntaxId> interface;
    std::uint64_t frame = 0;
    common::Timestamp ts;
  };
  struct Conv {  // what a conversation showed, while it lasts
    common::Endpoint client, server;
    std::optional<EpmLink> link;
    std::vector<std::uint64_t> syn_frames;
    common::Timestamp first_syn, last_syn;
    bool syn_ack = false;
    std::uint64_t rst_frame = 0;  // first RST from the server
    bool rst_before_data = false;
    bool data = false;
    std::uint64_t retransmissions = 0, zero_windows = 0;
    std::uint64_t first_retransmission = 0, first_zero_window = 0;
    std::uint64_t auth3_frame = 0;
    bool data_after_auth3 = false;
    bool first_call_after_auth3_seen = false;
    // Who authenticated, from the verifiers: "RPCTEST\\Administrator (NTLMSSP, from WS1)" or
    // "Kerberos ticket for host/dc@REALM". Empty when no verifier named anyone.
    std::string account;
    std::uint8_t auth_level = 0;                // of the last bind/alter_context with a verifier
    std::optional<dcerpc::SyntaxId> last_bind;  // for a bind_nak, which names none
    std::map<std::uint32_t, dcerpc::SyntaxId> epm_asked;  // ept_map call_id -> looked-up interface
    std::map<std::uint32_t, Call> outstanding;            // by call_id
    std::vector<dcerpc::SyntaxId> bound;                  // accepted by a bind_ack
    std::uint64_t rst_mid_call = 0;
  };
  ServiceStatus& service(const common::IpAddress& client, const common::IpAddress& server,
                         const dcerpc::SyntaxId& interface);
  void add(Finding f);
  void pdu(Conv& c, const FrameRecord& f, const ReportedPdu& p);
  void end_checks(Conv& c, const Conversation& conv);
  void final_checks();
  void write_text(const Statistics& s);
  void write_jsonl(const Statistics& s);

  std::FILE* out_;
  std::FILE* stats_out_;
  bool jsonl_;
  DiagnoseOptions options_;
  std::map<std::uint64_t, Conv> convs_;
  std::vector<ServiceStatus> services_;
  std::vector<Finding> findings_;
  std::uint64_t findings_dropped_ = 0;
  struct Answer {  // ept_map answers with a port: did the client go there?
    common::IpAddress client, server;
    dcerpc::SyntaxId interface;
    std::uint16_t port = 0;
    std::uint64_t frame = 0;
    bool tried = false;
  };
  std::vector<Answer> answers_;
  struct MtaBind {  // KB159298: MtaBind from A to B expects MtaBindBack from B to A
    common::IpAddress a, b;
    std::uint64_t frame = 0;
    common::Timestamp ts;
    std::uint64_t back_frame = 0;
  };
  std::vector<MtaBind> mta_binds_;
  std::vector<std::pair<common::IpAddress, std::uint64_t>> epm_requests_;  // pending ept_map
};

}  // namespace rpctrace::report
