// `rpctrace diagnose` output: the service status table and the findings, as text or JSON Lines.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/color.hpp"
#include "rpctrace/report/json_objects.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

using analysis::Finding;
using analysis::ServiceStatus;

// "Mail (EMSMDB)", "Directory (RFR)", or the interface's name (its UUID when unknown).
std::string service_label(const dcerpc::SyntaxId& s) {
  auto name = dcerpc::interface_name(s.uuid);
  std::string n = name.empty() ? s.uuid.to_string() : std::string(name);
  auto label = analysis::outlook_label(s);
  return label.empty() ? n : fmt::format("{} ({})", label, n);
}

struct Latency {
  std::int64_t median = 0, worst = 0;
};
Latency latency(std::vector<std::int64_t> v) {
  Latency l;
  if (v.empty()) return l;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  l.median = *mid;
  l.worst = *std::max_element(v.begin(), v.end());
  return l;
}

// Established with every call answered well: counted, not listed, on a busy capture.
bool healthy(const ServiceStatus& s) {
  return s.state() == analysis::ServiceState::established && s.errors == 0 && s.faults == 0 &&
         s.refused == 0 && s.unanswered == 0;
}

// One "finding" record; `as_found`: printed when first known, before the final report.
void finding_json(JsonLine& j, const Finding& f, bool as_found) {
  j.begin_object()
      .str("type", "finding")
      .str("kind", analysis::to_string(f.kind))
      .str("severity", analysis::to_string(f.severity));
  if (as_found) j.boolean("as_found", true);
  j.ip("client", f.client).ip("server", f.server);
  if (f.interface) syntax_object(j, "interface", *f.interface);
  j.num("port", f.port).num("count", f.count).begin_array("frames");
  for (auto fr : f.frames) j.element(static_cast<std::uint64_t>(fr));
  j.end_array().str("message", f.message).str("evidence", f.evidence).str("next_step", f.next_step);
  j.end_object();
}

void finding_lines(const Finding& f, std::string& text) {
  auto at = std::back_inserter(text);
  const Color c = f.severity == analysis::Severity::error     ? Color::red
                  : f.severity == analysis::Severity::warning ? Color::yellow
                                                              : Color::none;
  fmt::format_to(at, "  {} {}\n", paint(c, fmt::format("[{}]", analysis::to_string(f.severity))),
                 f.message);
  fmt::format_to(at, "    evidence: {}\n", f.evidence);
  fmt::format_to(at, "    next step: {}\n", f.next_step);
}

void findings_text(const analysis::DiagnosisResult& d, std::string& text) {
  auto at = std::back_inserter(text);
  std::vector<const Finding*> order;
  std::array<std::uint64_t, 3> by_severity{};
  for (const auto& f : d.findings) {
    order.push_back(&f);
    ++by_severity[static_cast<std::size_t>(f.severity)];
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Finding* a, const Finding* b) { return a->severity < b->severity; });
  if (order.empty()) {
    text += "Findings: nothing wrong found\n";
  } else {
    std::string counts;
    for (auto sev :
         {analysis::Severity::error, analysis::Severity::warning, analysis::Severity::info}) {
      const auto n = by_severity[static_cast<std::size_t>(sev)];
      if (n > 0)
        counts += fmt::format("{}{} {}{}", counts.empty() ? "" : ", ", n, analysis::to_string(sev),
                              n == 1 || sev == analysis::Severity::info ? "" : "s");
    }
    fmt::format_to(at, "Findings: {}\n", counts);
  }
  for (const Finding* f : order) finding_lines(*f, text);
  if (d.findings_dropped)
    fmt::format_to(at, "  ({} more findings not listed)\n", d.findings_dropped);
  if (d.answers_dropped)
    fmt::format_to(at, "  ({} ept_map answers were not kept for the checks: more than {})\n",
                   d.answers_dropped, analysis::EpmLinks::kMaxAnswers);
}

void services_text(const analysis::DiagnosisResult& d, bool all_services, std::string& text) {
  auto at = std::back_inserter(text);
  const bool outlook = std::any_of(d.services.begin(), d.services.end(), [](const auto& sv) {
    return !analysis::outlook_label(sv.interface).empty();
  });
  fmt::format_to(at, "Service status (client -> server){}:\n",
                 outlook ? ", as Outlook's connection status lists it" : "");
  if (d.services.empty()) text += "  no RPC service was tried in this capture\n";
  std::vector<const ServiceStatus*> sorted;
  std::uint64_t hidden = 0;
  const bool condense = !all_services && d.services.size() > kListedServices;
  for (const auto& sv : d.services) {
    if (condense && healthy(sv))
      ++hidden;
    else
      sorted.push_back(&sv);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ServiceStatus* a, const ServiceStatus* b) {
                     return std::tie(a->client, a->server) < std::tie(b->client, b->server);
                   });
  const ServiceStatus* previous = nullptr;
  for (const ServiceStatus* sv : sorted) {
    if (!previous || previous->client != sv->client || previous->server != sv->server)
      fmt::format_to(at, "  {} -> {}\n", sv->client.to_string(), sv->server.to_string());
    previous = sv;
    Latency l = latency(sv->latencies_us);
    std::string where =
        sv->port ? fmt::format("{} {}", sv->protseq.empty() ? "?" : sv->protseq, sv->port) : "-";
    fmt::format_to(at, "    {:<22} {:<12} {:<18} calls {}", service_label(sv->interface),
                   analysis::to_string(sv->state()), where, sv->calls);
    if (!sv->latencies_us.empty())
      fmt::format_to(at, ", median {} s, worst {} s", common::format_seconds(l.median),
                     common::format_seconds(l.worst));
    if (sv->errors > 0) fmt::format_to(at, ", {} returned an error", sv->errors);
    if (sv->faults > 0) fmt::format_to(at, ", {} faulted", sv->faults);
    text += '\n';
  }
  if (hidden > 0)
    fmt::format_to(at,
                   "  ... and {} healthy services (Established, no error, fault or refusal) not "
                   "listed: --all lists them\n",
                   hidden);
}

void write_text(std::FILE* out, const analysis::DiagnosisResult& d, bool all_services) {
  std::string text;
  findings_text(d, text);
  text += '\n';
  services_text(d, all_services, text);
  std::fwrite(text.data(), 1, text.size(), out);
}

void write_jsonl(std::FILE* out, const analysis::DiagnosisResult& d,
                 const analysis::Statistics& s) {
  JsonLine j;
  auto emit = [&] { j.write_line(out); };
  for (const auto& sv : d.services) {
    j.clear();
    Latency l = latency(sv.latencies_us);
    j.begin_object().str("type", "service").ip("client", sv.client).ip("server", sv.server);
    syntax_object(j, "interface", sv.interface);
    j.str("label", service_label(sv.interface))
        .str("state", analysis::to_string(sv.state()))
        .str("protseq", sv.protseq);
    j.num("port", sv.port).num("calls", sv.calls).num("errors", sv.errors).num("faults", sv.faults);
    if (!sv.latencies_us.empty())
      j.inum("median_latency_us", l.median).inum("worst_latency_us", l.worst);
    j.end_object();
    emit();
  }
  for (const auto& f : d.findings) {
    j.clear();
    finding_json(j, f, false);
    emit();
  }
  j.clear();
  write_statistics_json(s, j);
  emit();
}

}  // namespace

void write_finding_as_found(std::FILE* out, bool jsonl, const analysis::Finding& f,
                            common::Timestamp now) {
  std::string text;
  if (jsonl) {
    JsonLine j;
    finding_json(j, f, true);
    text = j.text();
  } else {
    text = fmt::format("Found at {}:\n", now.to_iso8601());
    finding_lines(f, text);
  }
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

void write_diagnosis(std::FILE* out, std::FILE* stats_out, bool jsonl,
                     const analysis::DiagnosisResult& d, const analysis::Statistics& s,
                     bool all_services) {
  if (jsonl) {
    write_jsonl(out, d, s);
  } else {
    write_text(out, d, all_services);
    // Statistics of a result that could not be written would only mislead.
    if (std::fflush(out) != 0 || std::ferror(out)) return;
    std::string stats = format_statistics(s);
    std::fwrite(stats.data(), 1, stats.size(), stats_out);
  }
  std::fflush(out);
}

}  // namespace rpctrace::report
