// The endpoint listing: ept_lookup listings from the decoded EPM calls, ept_map answers from
// EpmLinks.
#include "rpctrace/analysis/endpoint_listing.hpp"

#include <algorithm>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

namespace {

bool same_entry(const epm::EptEntry& a, const epm::EptEntry& b) {
  if (a.object != b.object || a.annotation != b.annotation ||
      a.tower.has_value() != b.tower.has_value())
    return false;
  if (!a.tower) return true;
  return a.tower->interface == b.tower->interface &&
         a.tower->string_binding() == b.tower->string_binding();
}

std::uint32_t ept_s_not_registered() {
  static const std::uint32_t code =
      dcerpc::status_code("ept_s_not_registered").value_or(0x16c9a0d6);  // C706 appendix O
  return code;
}

}  // namespace

bool EndpointListing::selected(const std::optional<dcerpc::SyntaxId>& interface) const {
  return filter_.interfaces.empty() || (interface && filter_.matches_interface(*interface));
}

void EndpointListing::add_lookup(const common::IpAddress& mapper, const FrameRecord& f,
                                 const epm::EptLookupResponse& r) {
  MapperListing& m = result_.mappers[mapper];
  for (const auto& entry : r.entries) {
    if (!selected(entry.tower ? entry.tower->interface : std::nullopt)) continue;
    ++m.entries;
    auto known = std::find_if(m.endpoints.begin(), m.endpoints.end(),
                              [&](const ListedEndpoint& e) { return same_entry(e.entry, entry); });
    if (known != m.endpoints.end()) {
      ++result_.duplicates;
      continue;
    }
    m.endpoints.push_back(ListedEndpoint{entry, f.conversation, f.frame});
  }
  // A listing is the calls of one conversation and entry_handle: each response returns the
  // handle the next call continues with, and a null handle or ept_s_not_registered ends it.
  // Listings of several conversations may interleave.
  const bool last = r.entry_handle.is_null() || r.status == ept_s_not_registered();
  auto key = std::make_pair(mapper, f.conversation);
  auto open = open_.find(key);
  if (open != open_.end() && !last && !(open->second.handle == r.entry_handle)) {
    open_.erase(open);  // a new handle: the open listing was left unfinished
    open = open_.end();
  }
  if (open == open_.end()) {
    m.lookups.push_back(LookupListing{f.conversation, f.frame, f.frame, 0, false});
    open = open_.emplace(key, Open{m.lookups.size() - 1, r.entry_handle}).first;
  }
  LookupListing& l = m.lookups[open->second.index];
  ++l.calls;
  l.last_frame = f.frame;
  open->second.handle = r.entry_handle;
  if (last) {
    l.complete = true;
    open_.erase(open);
  }
}

void EndpointListing::frame(const FrameRecord& f) {
  for (const auto& p : f.pdus) {
    if (!p.epm || !p.epm->value) continue;
    if (const auto* lookup = std::get_if<epm::EptLookupResponse>(&*p.epm->value)) {
      const common::Endpoint& mapper = p.event.dir == f.dir ? f.src : f.dst;
      add_lookup(mapper.address, f, *lookup);
    }
  }
}

void EndpointListing::finish(const Statistics& /*s*/, const EpmLinks& links) {
  for (const EpmAnswer& a : links.answers()) {
    if (!shown_.contains(a.conversation)) continue;
    if (!filter_.interfaces.empty() &&
        std::none_of(a.response->towers.begin(), a.response->towers.end(),
                     [&](const epm::Tower& t) { return selected(t.interface); }))
      continue;
    result_.mappers[a.server].answers.push_back(a);
  }
  result_.answers_dropped = links.answers_dropped();
}

}  // namespace rpctrace::analysis
