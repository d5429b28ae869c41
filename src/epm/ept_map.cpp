// ept_map (opnum 3) request and response stubs in NDR 2.0 (C706 chapter 14 for NDR,
// appendix O for ept.idl; MS-RPCE 3.1.1.1 for the IDL Windows uses):
//   request:  [ptr] uuid_p_t object; [ptr] twr_p_t map_tower; ept_lookup_handle_t
//             *entry_handle; unsigned32 max_towers
//   response: entry_handle; unsigned32 *num_towers; [size_is(max_towers),
//             length_is(*num_towers)] twr_p_t ITowers[]; error_status_t *status
// A twr_t is a conformant structure: its max_count comes first, then tower_length, then the
// octets.
#include <fmt/format.h>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm {

namespace {

using common::ByteReader;

template <typename T>
common::ParseResult<T, Reason> truncated(const ByteReader& r, std::string_view what) {
  return common::ParseResult<T, Reason>::malformed(
      Reason::truncated, r.position(), fmt::format("stub ends inside {} ({} octets)", what, r.size()));
}

ContextHandle read_handle(ByteReader& r) {
  ContextHandle h;
  h.attributes = r.u32();
  h.uuid = common::read_uuid(r);
  return h;
}

// twr_t at the reader's position: max_count, tower_length, octets, then 4-octet alignment.
common::ParseResult<Tower, Reason> read_twr(ByteReader& r) {
  using Result = common::ParseResult<Tower, Reason>;
  std::uint32_t max_count = r.u32();
  std::uint32_t tower_length = r.u32();
  if (!r.ok()) return truncated<Tower>(r, "twr_t");
  if (tower_length > max_count || tower_length > r.remaining())
    return Result::malformed(Reason::tower_length, r.position() - 4,
                             fmt::format("tower_length {} (max_count {}, {} octets left)",
                                         tower_length, max_count, r.remaining()));
  auto t = parse_tower(r.bytes(tower_length));
  if (!t.is_complete()) return t;
  r.align(4);
  return t;
}

}  // namespace

common::ParseResult<EptMapRequest, Reason> parse_ept_map_request(Bytes stub, common::ByteOrder order) {
  using Result = common::ParseResult<EptMapRequest, Reason>;
  ByteReader r(stub, order);
  EptMapRequest q;
  std::uint32_t object_ref = r.u32();
  if (object_ref != 0) q.object = common::read_uuid(r);
  std::uint32_t tower_ref = r.u32();
  if (!r.ok()) return truncated<EptMapRequest>(r, "object/map_tower");
  if (tower_ref != 0) {
    auto t = read_twr(r);
    if (!t.is_complete()) return Result::from(t.error());
    q.map_tower = t.take();
  }
  q.entry_handle = read_handle(r);
  q.max_towers = r.u32();
  if (!r.ok()) return truncated<EptMapRequest>(r, "entry_handle/max_towers");
  return Result::complete(std::move(q), r.position());
}

common::ParseResult<EptMapResponse, Reason> parse_ept_map_response(Bytes stub, common::ByteOrder order) {
  using Result = common::ParseResult<EptMapResponse, Reason>;
  ByteReader r(stub, order);
  EptMapResponse s;
  s.entry_handle = read_handle(r);
  s.num_towers = r.u32();
  std::uint32_t max_count = r.u32();
  std::uint32_t offset = r.u32();
  std::uint32_t actual_count = r.u32();
  if (!r.ok()) return truncated<EptMapResponse>(r, "ITowers header");
  if (offset > max_count || actual_count > max_count - offset)
    return Result::malformed(Reason::count_mismatch, r.position() - 12,
                             fmt::format("ITowers offset {} + actual_count {} > max_count {}", offset,
                                         actual_count, max_count));
  if (actual_count > kMaxTowersPerResponse)
    return Result::malformed(Reason::too_many_towers, r.position() - 4,
                             fmt::format("actual_count {} > {}", actual_count, kMaxTowersPerResponse));
  // Each referent id is 4 octets: check the count against what remains before looping.
  if (static_cast<std::size_t>(actual_count) * 4 > r.remaining())
    return truncated<EptMapResponse>(r, "ITowers referents");
  std::vector<std::uint32_t> referents;
  for (std::uint32_t i = 0; i < actual_count; ++i) referents.push_back(r.u32());
  for (std::uint32_t ref : referents) {
    if (ref == 0) continue;  // a null tower pointer has no deferred data
    auto t = read_twr(r);
    if (!t.is_complete()) return Result::from(t.error());
    s.towers.push_back(t.take());
  }
  s.status = r.u32();
  if (!r.ok()) return truncated<EptMapResponse>(r, "status");
  return Result::complete(std::move(s), r.position());
}

}  // namespace rpctrace::epm
