// ept_map stubs (see epm_builder.hpp). NDR rules from C706 chapter 14: a conformant structure's
// max_count comes before the structure, a varying array adds offset and actual_count, and
// the pointees of embedded pointers are deferred until after the containing array.
#include "support/epm_builder.hpp"

#include <algorithm>

namespace rpctrace::testsupport {
namespace {

void put_handle(ByteWriter& w, const ContextHandle& h) {
  w.u32(h.attributes);
  h.uuid.write(w);
}

// twr_t: max_count of tower_octet_string, tower_length, octets, then pad to 4.
void put_tower(ByteWriter& w, const Bytes& tower, std::optional<std::uint32_t> tower_length) {
  const auto size = static_cast<std::uint32_t>(tower.size());
  w.u32(size).u32(tower_length.value_or(size)).bytes(tower).align(4);
}

// A referent id or an array count: u32 aligned to 4, or u64 aligned to 8 in NDR64.
void put_count(ByteWriter& w, std::uint64_t v, bool ndr64) {
  if (ndr64) {
    w.align(8).u64(v);
  } else {
    w.align(4).u32(static_cast<std::uint32_t>(v));
  }
}

void put_twr(ByteWriter& w, const Bytes& tower, bool ndr64) {
  put_count(w, tower.size(), ndr64);
  w.u32(static_cast<std::uint32_t>(tower.size())).bytes(tower);
}

// The elements, then the towers their pointers defer to (C706 §14.3.12.3).
void put_entries(ByteWriter& w, const std::vector<EptEntry>& entries, bool ndr64) {
  std::uint64_t referent = 1;
  for (const EptEntry& e : entries) {
    w.align(ndr64 ? 8 : 4);
    e.object.write(w);
    put_count(w, e.tower ? referent++ : 0, ndr64);
    const auto chars = static_cast<std::uint32_t>(e.annotation.size() + (e.nul ? 1 : 0));
    put_count(w, e.annotation_offset.value_or(0), ndr64);
    put_count(w, e.annotation_actual_count.value_or(chars), ndr64);
    w.text(e.annotation);
    if (e.nul) w.u8(0);
  }
  for (const EptEntry& e : entries)
    if (e.tower) put_twr(w, *e.tower, ndr64);
}

}  // namespace

Bytes build_ept_lookup_request(const EptLookupRequest& r, Endian order, bool ndr64) {
  ByteWriter w(order);
  w.u32(r.inquiry_type);
  put_count(w, r.object ? 1 : 0, ndr64);
  if (r.object) r.object->write(w);
  put_count(w, r.interface_id ? 2 : 0, ndr64);
  if (r.interface_id) {
    w.align(4);
    r.interface_id->uuid.write(w);
    w.u16(r.interface_id->major).u16(r.interface_id->minor);
  }
  w.align(4).u32(r.vers_option);
  put_handle(w, r.entry_handle);
  w.u32(r.max_ents);
  return w.take();
}

Bytes build_ept_lookup_response(const EptLookupResponse& r, Endian order, bool ndr64) {
  ByteWriter w(order);
  const auto n = static_cast<std::uint32_t>(r.entries.size());
  put_handle(w, r.entry_handle);
  w.u32(r.num_ents.value_or(n));
  put_count(w, r.max_count.value_or(std::max<std::uint32_t>(1, n)), ndr64);
  put_count(w, r.offset.value_or(0), ndr64);
  put_count(w, r.actual_count.value_or(n), ndr64);
  put_entries(w, r.entries, ndr64);
  w.align(4).u32(r.status);
  return w.take();
}

Bytes build_ept_entries_request(const EptEntriesRequest& r, Endian order, bool ndr64) {
  ByteWriter w(order);
  w.u32(r.num_ents.value_or(static_cast<std::uint32_t>(r.entries.size())));
  put_count(w, r.max_count.value_or(r.entries.size()), ndr64);
  put_entries(w, r.entries, ndr64);
  if (r.replace) w.align(4).u32(*r.replace);
  return w.take();
}

Bytes build_ept_map_request(const EptMapRequest& r, Endian order) {
  ByteWriter w(order);
  if (r.object) {
    w.u32(r.object_referent);
    r.object->write(w);
  } else {
    w.u32(0);
  }
  if (r.map_tower) {
    w.u32(r.tower_referent);
    put_tower(w, *r.map_tower, r.tower_length);
  } else {
    w.u32(0);
  }
  put_handle(w, r.entry_handle);
  w.u32(r.max_towers);
  return w.take();
}

Bytes build_ept_map_response(const EptMapResponse& r, Endian order) {
  ByteWriter w(order);
  const auto n = static_cast<std::uint32_t>(r.towers.size());
  put_handle(w, r.entry_handle);
  w.u32(r.num_towers.value_or(n));
  w.u32(r.max_count.value_or(std::max<std::uint32_t>(1, n))).u32(0).u32(n);
  for (std::uint32_t i = 0; i < n; ++i) w.u32(r.first_referent + i);
  for (const Bytes& tower : r.towers) put_tower(w, tower, std::nullopt);
  w.u32(r.status);
  return w.take();
}

}  // namespace rpctrace::testsupport
