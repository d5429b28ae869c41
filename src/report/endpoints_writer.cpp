// `rpctrace endpoints` output: what the endpoint mappers disclosed, as text or JSON Lines.
#include <fmt/format.h>

#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/json_objects.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

using analysis::MapperListing;

std::string interface_text(const epm::EptEntry& e) {
  if (!e.tower || !e.tower->interface) return "(no interface floor)";
  return dcerpc::format_syntax(*e.tower->interface);
}

void append_header(std::string& out, const common::IpAddress& address, const MapperListing& m) {
  auto at = std::back_inserter(out);
  if (m.lookups.empty())
    fmt::format_to(at, "Endpoint mapper {}: no ept_lookup listing in the capture",
                   address.to_string());
  else
    fmt::format_to(at, "Endpoint mapper {}: {} endpoint{} listed{}", address.to_string(),
                   m.endpoints.size(), m.endpoints.size() == 1 ? "" : "s",
                   m.entries == m.endpoints.size()
                       ? std::string()
                       : fmt::format(" ({} entries, repeats shown once)", m.entries));
  for (const auto& l : m.lookups)
    fmt::format_to(at, "; ept_lookup in conversation {}: {} call{} answered in frames {}-{}, {}",
                   l.conversation, l.calls, l.calls == 1 ? "" : "s", common::FrameNo{l.first_frame},
                   common::FrameNo{l.last_frame},
                   l.complete ? "listing complete"
                              : "listing not complete (no final response in the capture)");
  out += '\n';
}

// Grouped by interface, in order of first appearance (rpcdump's shape).
void append_listing(std::string& out, const MapperListing& m) {
  auto at = std::back_inserter(out);
  std::vector<bool> done(m.endpoints.size(), false);
  for (std::size_t i = 0; i < m.endpoints.size(); ++i) {
    if (done[i]) continue;
    const epm::EptEntry& first = m.endpoints[i].entry;
    fmt::format_to(at, "\n  {}", interface_text(first));
    if (!first.annotation.empty()) fmt::format_to(at, "  \"{}\"", first.annotation);
    out += '\n';
    for (std::size_t k = i; k < m.endpoints.size(); ++k) {
      const epm::EptEntry& e = m.endpoints[k].entry;
      bool same_interface = (e.tower && first.tower)
                                ? e.tower->interface == first.tower->interface
                                : e.tower.has_value() == first.tower.has_value();
      if (done[k] || !same_interface) continue;
      done[k] = true;
      fmt::format_to(at, "    {}", e.tower ? e.tower->string_binding() : "(no tower)");
      // ncalrpc is local RPC (ALPC): it never crosses the network (docs/output.md).
      if (e.tower && e.tower->protseq == "ncalrpc") out += "  (local RPC: never on the network)";
      if (!e.object.is_nil()) fmt::format_to(at, "  object {}", e.object.to_string(true));
      if (e.annotation != first.annotation && !e.annotation.empty())
        fmt::format_to(at, "  \"{}\"", e.annotation);
      out += '\n';
    }
  }
}

void append_answers(std::string& out, const common::IpAddress& address, const MapperListing& m) {
  if (m.answers.empty()) return;
  auto at = std::back_inserter(out);
  fmt::format_to(at, "\n  ept_map and DCOM activation answers from {}:\n", address.to_string());
  for (const auto& a : m.answers) {
    for (const auto& t : a.response->towers)
      fmt::format_to(at, "    frame {} (conversation {}), to {}: {} -> {}\n",
                     common::FrameNo{a.frame}, a.conversation, a.client.address.to_string(),
                     t.interface             ? dcerpc::format_syntax(*t.interface)
                     : a.source == "ept_map" ? std::string("?")
                                             : a.source + " (an object exporter)",
                     t.string_binding());
    if (a.response->towers.empty() || a.response->status != 0)
      fmt::format_to(at, "    frame {} (conversation {}), to {}: no tower, status {}\n",
                     common::FrameNo{a.frame}, a.conversation, a.client.address.to_string(),
                     dcerpc::format_status(a.response->status));
  }
}

void write_text(std::FILE* out, const analysis::EndpointListingResult& e) {
  std::string text;
  for (const auto& [address, m] : e.mappers) {
    if (!text.empty()) text += '\n';
    append_header(text, address, m);
    append_listing(text, m);
    append_answers(text, address, m);
  }
  if (text.empty()) text = "No endpoint mapper listing or ept_map answer in this capture.\n";
  std::fwrite(text.data(), 1, text.size(), out);
}

void write_jsonl(std::FILE* out, const analysis::EndpointListingResult& e) {
  JsonLine j;
  auto tower_fields = [&](const epm::Tower& t) {
    j.str("string_binding", t.string_binding());
    if (!t.protseq.empty()) j.str("protseq", t.protseq);
    if (t.port) j.num("port", *t.port);
    if (t.address) j.ip("address", *t.address);
    if (!t.endpoint_name.empty()) j.str("endpoint", t.endpoint_name);
  };
  auto emit = [&] { j.write_line(out); };
  for (const auto& [address, m] : e.mappers) {
    for (const auto& x : m.endpoints) {
      j.clear();
      j.begin_object().str("type", "endpoint").str("source", "ept_lookup").ip("server", address);
      if (x.entry.tower && x.entry.tower->interface) syntax_fields(j, *x.entry.tower->interface);
      j.str("annotation", x.entry.annotation).uuid("object", x.entry.object);
      if (x.entry.tower) tower_fields(*x.entry.tower);
      j.num("conversation", x.conversation).num("frame", x.frame).end_object();
      emit();
    }
    for (const auto& a : m.answers) {
      for (const auto& t : a.response->towers) {
        j.clear();
        j.begin_object().str("type", "endpoint").str("source", a.source).ip("server", address);
        if (t.interface) syntax_fields(j, *t.interface);
        tower_fields(t);
        j.ip("client", a.client.address).num("conversation", a.conversation).num("frame", a.frame);
        j.num("status", a.response->status).end_object();
        emit();
      }
    }
  }
}

}  // namespace

void write_endpoints(std::FILE* out, std::FILE* stats_out, bool jsonl,
                     const analysis::EndpointListingResult& e, const analysis::Statistics& s) {
  if (jsonl) {
    write_jsonl(out, e);
    JsonLine j;
    write_statistics_json(s, j);
    j.write_line(out);
  } else {
    write_text(out, e);
    // Statistics of a result that could not be written would only mislead.
    if (std::fflush(out) != 0 || std::ferror(out)) return;
    std::string text = format_statistics(s);
    if (e.duplicates)
      text += fmt::format("  endpoints listed more than once: {} (shown once)\n", e.duplicates);
    if (e.answers_dropped)
      text += fmt::format("  ept_map answers not kept: {} (more than {})\n", e.answers_dropped,
                          analysis::EpmLinks::kMaxAnswers);
    std::fwrite(text.data(), 1, text.size(), stats_out);
  }
  std::fflush(out);
}

}  // namespace rpctrace::report
