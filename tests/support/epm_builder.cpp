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

}  // namespace

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
