// The closing statistics: text block and the JSON "stats" record share one list of counters,
// so the two cannot drift apart.
#include <fmt/format.h>

#include <array>
#include <functional>
#include <utility>

#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

struct Counter {
  std::string_view key;    // JSON key
  std::string_view label;  // text label
  std::uint64_t value;
};

// Every count of what was not decoded, by layer and reason (zeros are left out of the text).
std::vector<Counter> undecoded(const Statistics& s) {
  std::vector<Counter> v;
  for (std::size_t i = 0; i < pcap::kSkipReasonCount; ++i) {
    auto r = static_cast<pcap::SkipReason>(i);
    v.push_back({pcap::to_string(r), pcap::describe(r), s.capture.skipped[i]});
  }
  v.push_back({"tcp_payload_truncated", "TCP segments whose payload the snap length cut",
               s.capture.payload_truncated});
  v.push_back({"timestamps_clamped", "frames whose timestamp was out of range (clamped)",
               s.capture.timestamps_clamped});
  v.push_back({"tcp_retransmissions", "TCP retransmissions (bytes already delivered)",
               s.tcp.retransmissions});
  v.push_back({"tcp_out_of_order", "TCP segments out of order (held, then delivered)",
               s.tcp.out_of_order_segments});
  v.push_back({"tcp_overlap_conflicts", "TCP overlaps with different bytes (first copy kept)",
               s.tcp.overlap_conflicts});
  v.push_back({"tcp_gaps", "TCP gaps (bytes missing from the capture)", s.tcp.gaps});
  v.push_back({"tcp_gap_bytes", "TCP bytes missing in those gaps", s.tcp.gap_bytes});
  v.push_back({"tcp_buffer_limit_drops", "TCP segments dropped: out-of-order buffer full",
               s.tcp.buffer_limit_drops});
  v.push_back({"tcp_after_close_bytes", "TCP payload bytes after RST (not decoded)",
               s.tcp.after_close_bytes});
  v.push_back({"tcp_mid_stream_starts", "TCP directions picked up without their SYN",
               s.tcp.mid_stream_starts});
  v.push_back({"tcp_evicted_idle", "TCP connections evicted: idle timeout", s.tcp.evicted_idle});
  v.push_back({"tcp_evicted_limit", "TCP connections evicted: table full", s.tcp.evicted_limit});
  for (std::size_t i = 0; i < dcerpc::kReasonCount; ++i) {
    auto r = static_cast<dcerpc::Reason>(i);
    v.push_back({dcerpc::to_string(r), dcerpc::describe(r), s.dcerpc.malformed[i]});
  }
  v.push_back(
      {"dcerpc_lost_sync", "invalid PDU headers where one was expected", s.dcerpc.lost_sync});
  v.push_back(
      {"dcerpc_resync_bytes", "bytes skipped to find the next PDU header", s.dcerpc.resync_bytes});
  v.push_back({"dcerpc_hunting_bytes", "mid-stream bytes before the first PDU header",
               s.dcerpc.hunting_bytes});
  v.push_back({"dcerpc_partial_pdus_lost", "PDUs cut by a TCP gap", s.dcerpc.partial_pdus_lost});
  v.push_back({"dcerpc_gap_skipped_bytes", "captured bytes of PDUs cut by a gap",
               s.dcerpc.gap_skipped_bytes});
  v.push_back({"dcerpc_unterminated_pdus", "PDUs incomplete when their connection ended",
               s.dcerpc.unterminated_pdus});
  v.push_back({"dcerpc_responses_without_request", "responses/faults whose request was not seen",
               s.dcerpc.responses_without_request});
  v.push_back(
      {"dcerpc_calls_evicted", "calls forgotten: max_outstanding_calls", s.dcerpc.calls_evicted});
  v.push_back(
      {"dcerpc_contexts_evicted", "contexts not tracked: max_contexts", s.dcerpc.contexts_evicted});
  v.push_back({"dcerpc_stub_truncated_calls", "calls whose stub passed max_stub_bytes",
               s.dcerpc.stub_truncated_calls});
  v.push_back(
      {"non_dcerpc_streams", "TCP directions that are not DCE/RPC", s.dcerpc.non_rpc_streams});
  v.push_back({"epm_errors", "EPM stubs that did not decode", s.epm_errors});
  // Keys are stable names for log tools: auth_ + the decoder's reason, in its enum order.
  static_assert(auth::kReasonCount == 6, "one row per auth::Reason");
  static constexpr std::array<std::pair<const char*, const char*>, auth::kReasonCount> kAuth{{
      {"auth_truncated", "auth_values cut short or pointing past their end"},
      {"auth_bad_signature", "auth_values not in their auth_type's format"},
      {"auth_unknown_message", "auth_values with an unknown message type"},
      {"auth_bad_der", "Kerberos/SPNEGO auth_values with malformed ASN.1"},
      {"auth_too_long", "auth_values with a name past 256 octets"},
      {"auth_unsupported_type", "auth_values of an auth_type without a decoder"},
  }};
  for (std::size_t i = 0; i < auth::kReasonCount; ++i)
    v.push_back({kAuth[i].first, kAuth[i].second, s.auth_errors[i]});
  v.push_back(
      {"stubs_encrypted", "stubs sealed by packet privacy (not decoded)", s.stubs_encrypted});
  v.push_back({"jsonl_tcp_records_dropped",
               "JSON records held past 64 before their conversation was shown",
               s.output_records_dropped});
  return v;
}

}  // namespace

std::string format_statistics(const Statistics& s) {
  std::string out = fmt::format("Statistics for {} ({}):\n", s.file, s.link_type);
  fmt::format_to(std::back_inserter(out), "  frames read: {} ({} bytes), TCP segments: {}\n",
                 s.capture.frames_read, s.capture.bytes_read, s.capture.tcp_segments);
  fmt::format_to(std::back_inserter(out),
                 "  TCP conversations: {}, DCE/RPC conversations: {}, shown: {}\n",
                 s.conversations_tcp, s.conversations_dcerpc, s.conversations_shown);
  std::string by_type;
  for (std::size_t i = 0; i < s.dcerpc.pdus_by_ptype.size(); ++i)
    if (s.dcerpc.pdus_by_ptype[i] > 0)
      by_type += fmt::format("{}{} {}", by_type.empty() ? "" : ", ",
                             dcerpc::to_string(static_cast<dcerpc::PacketType>(i)),
                             s.dcerpc.pdus_by_ptype[i]);
  fmt::format_to(std::back_inserter(out), "  DCE/RPC PDUs: {}{}{}{}\n", s.dcerpc.pdus,
                 by_type.empty() ? "" : " (", by_type, by_type.empty() ? "" : ")");
  if (s.epm_decoded)
    fmt::format_to(std::back_inserter(out), "  EPM calls decoded: {}\n", s.epm_decoded);
  std::string lines;
  for (const auto& c : undecoded(s))
    if (c.value > 0)
      fmt::format_to(std::back_inserter(lines), "    {}: {} ({})\n", c.key, c.value, c.label);
  out += lines.empty() ? "  not decoded: nothing\n" : "  not decoded or noteworthy:\n" + lines;
  if (!s.capture_error.empty())
    fmt::format_to(std::back_inserter(out),
                   "  capture file damaged: {} (everything before was decoded)\n", s.capture_error);
  return out;
}

void write_statistics_json(const Statistics& s, JsonLine& j) {
  j.begin_object().str("type", "stats").str("file", s.file).str("link_type", s.link_type);
  j.num("frames_read", s.capture.frames_read).num("bytes_read", s.capture.bytes_read);
  j.num("tcp_segments", s.capture.tcp_segments);
  j.num("frames_skipped", s.capture.skipped_total());
  j.num("tcp_conversations", s.conversations_tcp)
      .num("dcerpc_conversations", s.conversations_dcerpc);
  j.num("conversations_shown", s.conversations_shown);
  j.num("pdus", s.dcerpc.pdus);
  j.begin_object("pdus_by_ptype");
  for (std::size_t i = 0; i < s.dcerpc.pdus_by_ptype.size(); ++i)
    if (s.dcerpc.pdus_by_ptype[i] > 0)
      j.num(dcerpc::to_string(static_cast<dcerpc::PacketType>(i)), s.dcerpc.pdus_by_ptype[i]);
  j.end_object();
  j.num("epm_decoded", s.epm_decoded);
  j.num("auth_decoded", s.auth_decoded);
  j.begin_object("not_decoded");
  for (const auto& c : undecoded(s)) j.num(c.key, c.value);
  j.end_object();
  if (!s.capture_error.empty()) j.str("capture_error", s.capture_error);
  j.end_object();
}

}  // namespace rpctrace::report
