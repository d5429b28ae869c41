// The closing statistics: the text block and the JSON "stats" record read one list of counter
// rows, so the two cannot drift apart.
#include <fmt/format.h>

#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

// At most this many return codes are listed in the text (all of them in JSON).
constexpr std::size_t kReturnCodeLines = 20;

void return_code_lines(const Statistics& s, std::string& out) {
  if (s.return_codes.empty()) return;
  std::uint64_t total = 0;
  for (const auto& r : s.return_codes) total += r.count;
  fmt::format_to(std::back_inserter(out), "  return codes read from {} response stubs:\n", total);
  for (std::size_t i = 0; i < s.return_codes.size() && i < kReturnCodeLines; ++i) {
    const auto& r = s.return_codes[i];
    const auto text = dcerpc::return_code_text(r.code.value, r.code.type);
    const auto kind = dcerpc::to_string(r.code.type);
    if (text.name.empty())
      fmt::format_to(std::back_inserter(out), "    {} 0x{:X}: {}\n", kind, r.code.value, r.count);
    else
      fmt::format_to(std::back_inserter(out), "    {} (0x{:X}, {}): {}\n", text.name, r.code.value,
                     kind, r.count);
  }
  if (s.return_codes.size() > kReturnCodeLines)
    fmt::format_to(std::back_inserter(out), "    ... {} more codes (all in --format jsonl)\n",
                   s.return_codes.size() - kReturnCodeLines);
  if (s.return_codes_other > 0)
    fmt::format_to(std::back_inserter(out), "    past {} distinct codes, not counted by code: {}\n",
                   analysis::Counters::kMaxReturnCodes, s.return_codes_other);
}

}  // namespace

std::string format_statistics(const Statistics& s) {
  std::string out = s.files.size() > 1
                        ? fmt::format("Statistics for {} files merged by time:\n", s.files.size())
                        : fmt::format("Statistics for {} ({}):\n", s.file, s.link_type);
  // Several files (frames named FILE:NUMBER by their place here), or a live interface.
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    const auto& f = s.files[i];
    fmt::format_to(std::back_inserter(out), "  {}{} ({}, {}): {} frames{}\n",
                   s.files.size() > 1 ? fmt::format("file {}: ", i + 1) : "interface ", f.name,
                   f.format, f.link_type, f.frames,
                   f.damage.empty() ? "" : "; damaged: " + f.damage);
  }
  fmt::format_to(
      std::back_inserter(out), "  frames read: {} ({} bytes), TCP segments: {}{}\n", s.frames_read,
      s.bytes_read, s.tcp_segments,
      s.udp_datagrams > 0 ? fmt::format(", UDP datagrams: {}", s.udp_datagrams) : std::string());
  fmt::format_to(
      std::back_inserter(out), "  TCP conversations: {}{}, DCE/RPC conversations: {}, shown: {}\n",
      s.conversations_tcp,
      s.conversations_udp > 0 ? fmt::format(", UDP conversations: {}", s.conversations_udp)
                              : std::string(),
      s.conversations_dcerpc, s.conversations_shown);
  std::string by_type;
  for (std::size_t i = 0; i < s.pdus_by_ptype.size(); ++i)
    if (s.pdus_by_ptype[i] > 0)
      by_type +=
          fmt::format("{}{} {}", by_type.empty() ? "" : ", ",
                      dcerpc::to_string(static_cast<dcerpc::PacketType>(i)), s.pdus_by_ptype[i]);
  fmt::format_to(std::back_inserter(out), "  DCE/RPC PDUs: {}{}{}{}\n", s.pdus,
                 by_type.empty() ? "" : " (", by_type, by_type.empty() ? "" : ")");
  if (s.epm_decoded)
    fmt::format_to(std::back_inserter(out), "  EPM stubs decoded: {} ({} requests, {} responses)\n",
                   s.epm_decoded, s.epm_requests_decoded, s.epm_decoded - s.epm_requests_decoded);
  return_code_lines(s, out);
  std::string lines;
  for (const auto& c : s.not_decoded)  // zeros are left out of the text
    if (c.value > 0)
      fmt::format_to(std::back_inserter(lines), "    {}: {} ({})\n", c.key, c.value, c.label);
  out += lines.empty() ? "  not decoded: nothing\n" : "  not decoded or noteworthy:\n" + lines;
  if (!s.capture_error.empty())
    fmt::format_to(std::back_inserter(out),
                   "  capture file damaged: {} (everything before was decoded)\n", s.capture_error);
  return out;
}

void write_statistics_json(const Statistics& s, JsonLine& j, std::uint64_t records_dropped) {
  j.begin_object().str("type", "stats").str("file", s.file).str("link_type", s.link_type);
  j.num("frames_read", s.frames_read).num("bytes_read", s.bytes_read);
  j.num("tcp_segments", s.tcp_segments).num("udp_datagrams", s.udp_datagrams);
  j.num("frames_skipped", s.frames_skipped);
  if (!s.files.empty()) {
    j.begin_array("files");
    for (const auto& f : s.files) {
      j.begin_object().str("name", f.name).str("format", f.format).str("link_type", f.link_type);
      j.num("frames", f.frames);
      if (!f.damage.empty()) j.str("damage", f.damage);
      j.end_object();
    }
    j.end_array();
  }
  j.num("tcp_conversations", s.conversations_tcp).num("udp_conversations", s.conversations_udp);
  j.num("dcerpc_conversations", s.conversations_dcerpc);
  j.num("conversations_shown", s.conversations_shown);
  j.num("pdus", s.pdus);
  j.begin_object("pdus_by_ptype");
  for (std::size_t i = 0; i < s.pdus_by_ptype.size(); ++i)
    if (s.pdus_by_ptype[i] > 0)
      j.num(dcerpc::to_string(static_cast<dcerpc::PacketType>(i)), s.pdus_by_ptype[i]);
  j.end_object();
  j.num("epm_decoded", s.epm_decoded).num("epm_requests_decoded", s.epm_requests_decoded);
  j.begin_array("return_codes");
  for (const auto& r : s.return_codes) {
    j.begin_object().num("value", r.code.value).str("kind", dcerpc::to_string(r.code.type));
    auto text = dcerpc::return_code_text(r.code.value, r.code.type);
    if (!text.name.empty()) j.str("name", text.name);
    j.num("count", r.count).end_object();
  }
  j.end_array();
  if (s.return_codes_other > 0) j.num("return_codes_not_counted", s.return_codes_other);
  j.num("auth_decoded", s.auth_decoded);
  j.begin_object("not_decoded");
  for (const auto& c : s.not_decoded) j.num(c.key, c.value);
  // The JSON Lines writer's own count: SYN/FIN/RST records of a conversation not yet shown are
  // held up to 64 each (JsonlWriter::kMaxPendingRecords).
  j.num("jsonl_tcp_records_dropped", records_dropped);
  j.end_object();
  if (!s.capture_error.empty()) j.str("capture_error", s.capture_error);
  j.end_object();
}

}  // namespace rpctrace::report
