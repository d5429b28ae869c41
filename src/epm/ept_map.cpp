// ept_map (opnum 3) request and response stubs (C706 chapter 14 for NDR, appendix O for
// ept.idl; MS-RPCE 3.1.1.1 for the IDL Windows uses):
//   request:  [ptr] uuid_p_t object; [ptr] twr_p_t map_tower; ept_lookup_handle_t
//             *entry_handle; unsigned32 max_towers
//   response: entry_handle; unsigned32 *num_towers; [size_is(max_towers),
//             length_is(*num_towers)] twr_p_t ITowers[]; error_status_t *status
// Both NDR 2.0 and NDR64 transfer syntaxes (epm/ndr.hpp).
#include "ndr.hpp"
#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm {

using common::ByteReader;
using detail::Ndr;
using detail::truncated;

common::ParseResult<EptMapRequest, Reason> parse_ept_map_request(Bytes stub,
                                                                 common::ByteOrder order,
                                                                 Syntax syntax) {
  using Result = common::ParseResult<EptMapRequest, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptMapRequest q;
  if (ndr.count() != 0) q.object = ndr.uuid();
  if (!r.ok()) return truncated<EptMapRequest>(r, "object");
  auto tower = detail::read_twr_pointer(ndr);
  if (!tower.is_complete()) return Result::from(tower.error());
  q.map_tower = tower.take();
  q.entry_handle = ndr.handle();
  q.max_towers = ndr.u32();
  if (!r.ok()) return truncated<EptMapRequest>(r, "entry_handle/max_towers");
  return Result::complete(std::move(q), r.position());
}

common::ParseResult<EptMapResponse, Reason> parse_ept_map_response(Bytes stub,
                                                                   common::ByteOrder order,
                                                                   Syntax syntax) {
  using Result = common::ParseResult<EptMapResponse, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptMapResponse s;
  s.entry_handle = ndr.handle();
  s.num_towers = ndr.u32();
  std::uint64_t max_count = ndr.count();
  std::uint64_t offset = ndr.count();
  std::uint64_t actual_count = ndr.count();
  if (!r.ok()) return truncated<EptMapResponse>(r, "ITowers header");
  if (offset > max_count || actual_count > max_count - offset)
    return Result::malformed(Reason::count_mismatch, r.position(),
                             fmt::format("ITowers offset {} + actual_count {} > max_count {}",
                                         offset, actual_count, max_count));
  if (actual_count > kMaxTowersPerResponse)
    return Result::malformed(
        Reason::too_many_towers, r.position(),
        fmt::format("actual_count {} > {}", actual_count, kMaxTowersPerResponse));
  // Each referent id takes at least 4 octets: check the count against what remains first.
  if (actual_count * 4 > r.remaining()) return truncated<EptMapResponse>(r, "ITowers referents");
  std::vector<std::uint64_t> referents;
  for (std::uint64_t i = 0; i < actual_count; ++i) referents.push_back(ndr.count());
  for (std::uint64_t ref : referents) {
    if (ref == 0) continue;  // a null tower pointer has no deferred data
    auto t = detail::read_twr(ndr);
    if (!t.is_complete()) return Result::from(t.error());
    s.towers.push_back(t.take());
  }
  s.status = ndr.u32();
  if (!r.ok()) return truncated<EptMapResponse>(r, "status");
  return Result::complete(std::move(s), r.position());
}

}  // namespace rpctrace::epm
