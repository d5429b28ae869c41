// `rpctrace endpoints`: collects the endpoint mappers' listings from the decoded EPM calls.
// The lookup protocol (C706 appendix O, MS-RPCE 3.1.1.1): a client calls ept_lookup with a
// null entry_handle, then again with the handle each response returns, until a response
// returns a null handle or ept_s_not_registered (Samba and Windows both end that way).
#include "rpctrace/report/endpoints.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pdu_text.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/json.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {
constexpr std::uint32_t kEptNotRegistered = 0x16c9a0d6;  // C706 appendix O ept_s_not_registered

bool same_entry(const epm::EptEntry& a, const epm::EptEntry& b) {
  if (a.object != b.object || a.annotation != b.annotation ||
      a.tower.has_value() != b.tower.has_value())
    return false;
  if (!a.tower) return true;
  return a.tower->interface == b.tower->interface &&
         a.tower->string_binding() == b.tower->string_binding();
}

std::string interface_text(const epm::EptEntry& e) {
  if (!e.tower || !e.tower->interface) return "(no interface floor)";
  return dcerpc::format_syntax(*e.tower->interface);
}
}  // namespace

void EndpointsWriter::add_lookup(const common::IpAddress& server, const FrameRecord& f,
                                 const epm::EptLookupResponse& r) {
  Server& s = servers_[server];
  s.entries += r.entries.size();
  for (const auto& entry : r.entries) {
    auto known = std::find_if(s.endpoints.begin(), s.endpoints.end(),
                              [&](const Endpoint& e) { return same_entry(e.entry, entry); });
    if (known != s.endpoints.end()) {
      ++duplicates_;
      continue;
    }
    s.endpoints.push_back(Endpoint{entry, f.conversation, f.frame});
  }
  // The calls of one listing share the conversation; a response with the null handle ends it.
  if (s.lookups.empty() || s.lookups.back().conversation != f.conversation ||
      s.lookups.back().complete)
    s.lookups.push_back(Lookup{f.conversation, f.frame, f.frame, 0, false});
  Lookup& l = s.lookups.back();
  ++l.calls;
  l.last_frame = f.frame;
  l.complete = r.entry_handle.is_null() || r.status == kEptNotRegistered;
}

void EndpointsWriter::frame(const FrameRecord& f) {
  for (const auto& p : f.pdus) {
    if (!p.epm || !p.epm->value) continue;
    const bool same_dir = p.event.dir == f.dir;
    const common::Endpoint& sender = same_dir ? f.src : f.dst;
    const common::Endpoint& receiver = same_dir ? f.dst : f.src;
    if (const auto* lookup = std::get_if<epm::EptLookupResponse>(&*p.epm->value)) {
      add_lookup(sender.address, f, *lookup);
    } else if (const auto* answer = std::get_if<epm::EptMapResponse>(&*p.epm->value)) {
      servers_[sender.address].answers.push_back(
          Answer{f.conversation, p.event.at.frame, receiver, *answer});
    }
  }
}

void EndpointsWriter::write_text() {
  std::string out;
  for (const auto& [address, s] : servers_) {
    if (!out.empty()) out += '\n';
    if (s.lookups.empty())
      fmt::format_to(std::back_inserter(out),
                     "Endpoint mapper {}: no ept_lookup listing in the capture",
                     address.to_string());
    else
      fmt::format_to(std::back_inserter(out), "Endpoint mapper {}: {} endpoint{} listed{}",
                     address.to_string(), s.endpoints.size(), s.endpoints.size() == 1 ? "" : "s",
                     s.entries == s.endpoints.size()
                         ? std::string()
                         : fmt::format(" ({} entries, repeats shown once)", s.entries));
    for (const auto& l : s.lookups)
      fmt::format_to(std::back_inserter(out),
                     "; ept_lookup in conversation {}: {} call{} answered in frames {}-{}, {}",
                     l.conversation, l.calls, l.calls == 1 ? "" : "s", l.first_frame, l.last_frame,
                     l.complete ? "listing complete"
                                : "listing not complete (no final response in the capture)");
    out += '\n';
    // Grouped by interface, in order of first appearance (rpcdump's shape).
    std::vector<bool> done(s.endpoints.size(), false);
    for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
      if (done[i]) continue;
      const epm::EptEntry& first = s.endpoints[i].entry;
      fmt::format_to(std::back_inserter(out), "\n  {}", interface_text(first));
      if (!first.annotation.empty())
        fmt::format_to(std::back_inserter(out), "  \"{}\"", first.annotation);
      out += '\n';
      for (std::size_t k = i; k < s.endpoints.size(); ++k) {
        const epm::EptEntry& e = s.endpoints[k].entry;
        bool same_interface = (e.tower && first.tower) ? e.tower->interface == first.tower->interface
                                                       : e.tower.has_value() == first.tower.has_value();
        if (done[k] || !same_interface) continue;
        done[k] = true;
        fmt::format_to(std::back_inserter(out), "    {}",
                       e.tower ? e.tower->string_binding() : "(no tower)");
        if (!e.object.is_nil())
          fmt::format_to(std::back_inserter(out), "  object {}", e.object.to_string(true));
        if (e.annotation != first.annotation && !e.annotation.empty())
          fmt::format_to(std::back_inserter(out), "  \"{}\"", e.annotation);
        out += '\n';
      }
    }
    if (!s.answers.empty()) {
      fmt::format_to(std::back_inserter(out), "\n  ept_map answers from {}:\n",
                     address.to_string());
      for (const auto& a : s.answers) {
        for (const auto& t : a.response.towers)
          fmt::format_to(std::back_inserter(out),
                         "    frame {} (conversation {}), to {}: {} -> {}\n", a.frame,
                         a.conversation, a.client.address.to_string(),
                         t.interface ? dcerpc::format_syntax(*t.interface) : std::string("?"),
                         t.string_binding());
        if (a.response.towers.empty() || a.response.status != 0)
          fmt::format_to(std::back_inserter(out),
                         "    frame {} (conversation {}), to {}: no tower, status {}\n", a.frame,
                         a.conversation, a.client.address.to_string(),
                         dcerpc::format_status(a.response.status));
      }
    }
  }
  if (out.empty()) out = "No endpoint mapper listing or ept_map answer in this capture.\n";
  std::fwrite(out.data(), 1, out.size(), out_);
}

void EndpointsWriter::write_jsonl() {
  JsonLine j;
  auto tower_fields = [&](const epm::Tower& t) {
    j.str("string_binding", t.string_binding());
    if (!t.protseq.empty()) j.str("protseq", t.protseq);
    if (t.port) j.num("port", *t.port);
    if (t.address) j.ip("address", *t.address);
    if (!t.endpoint_name.empty()) j.str("endpoint", t.endpoint_name);
  };
  auto interface_fields = [&](const std::optional<dcerpc::SyntaxId>& i) {
    if (!i) return;
    j.uuid("uuid", i->uuid).str("version", fmt::format("{}.{}", i->major, i->minor));
    auto name = dcerpc::interface_name(i->uuid);
    if (!name.empty()) j.str("name", name);
  };
  for (const auto& [address, s] : servers_) {
    for (const auto& e : s.endpoints) {
      j.clear();
      j.begin_object().str("type", "endpoint").str("source", "ept_lookup").ip("server", address);
      if (e.entry.tower) interface_fields(e.entry.tower->interface);
      j.str("annotation", e.entry.annotation).uuid("object", e.entry.object);
      if (e.entry.tower) tower_fields(*e.entry.tower);
      j.num("conversation", e.conversation).num("frame", e.frame).end_object();
      std::fwrite(j.text().data(), 1, j.text().size(), out_);
      std::fputc('\n', out_);
    }
    for (const auto& a : s.answers) {
      for (const auto& t : a.response.towers) {
        j.clear();
        j.begin_object().str("type", "endpoint").str("source", "ept_map").ip("server", address);
        interface_fields(t.interface);
        tower_fields(t);
        j.ip("client", a.client.address).num("conversation", a.conversation).num("frame", a.frame);
        j.num("status", a.response.status).end_object();
        std::fwrite(j.text().data(), 1, j.text().size(), out_);
        std::fputc('\n', out_);
      }
    }
  }
}

void EndpointsWriter::finish(const Statistics& s) {
  if (jsonl_) {
    write_jsonl();
    JsonLine j;
    write_statistics_json(s, j);
    std::fwrite(j.text().data(), 1, j.text().size(), out_);
    std::fputc('\n', out_);
  } else {
    write_text();
    std::string text = format_statistics(s);
    if (duplicates_)
      text += fmt::format("  endpoints listed more than once: {} (shown once)\n", duplicates_);
    std::fwrite(text.data(), 1, text.size(), stats_out_);
  }
  std::fflush(out_);
}

}  // namespace rpctrace::report
