// ept_map (opnum 3) request and response stubs in NDR 2.0 (C706 chapter 14 for NDR,
// appendix O for ept.idl; MS-RPCE 3.1.1.1 for the IDL Windows uses):
//   request:  [ptr] uuid_p_t object; [ptr] twr_p_t map_tower; ept_lookup_handle_t
//             *entry_handle; unsigned32 max_towers
//   response: entry_handle; unsigned32 *num_towers; [size_is(max_towers),
//             length_is(*num_towers)] twr_p_t ITowers[]; error_status_t *status
// Both NDR 2.0 and NDR64 transfer syntaxes.
#include <fmt/format.h>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm {

namespace {

using common::ByteReader;

// NDR 2.0 (C706 chapter 14) and NDR64 (MS-RPCE 2.2.5) differ here in the size of pointers
// (referent ids) and array counts: 4 octets aligned to 4, or 8 aligned to 8. Everything else
// ept_map carries (unsigned32, UUIDs, context handles) is 4-aligned in both.
class Ndr {
 public:
  Ndr(ByteReader& r, Syntax syntax) : r_(r), ndr64_(syntax == Syntax::ndr64) {}
  std::uint32_t u32() {
    r_.align(4);
    return r_.u32();
  }
  // A referent id or an array count, widened to 64 bits.
  std::uint64_t count() {
    if (!ndr64_) return u32();
    r_.align(8);
    return r_.u64();
  }
  Uuid uuid() {
    r_.align(4);
    return common::read_uuid(r_);
  }
  ContextHandle handle() {
    ContextHandle h;
    h.attributes = u32();
    h.uuid = common::read_uuid(r_);
    return h;
  }
  ByteReader& reader() { return r_; }

 private:
  ByteReader& r_;
  bool ndr64_;
};

template <typename T>
common::ParseResult<T, Reason> truncated(const ByteReader& r, std::string_view what) {
  return common::ParseResult<T, Reason>::malformed(
      Reason::truncated, r.position(),
      fmt::format("stub ends inside {} ({} octets)", what, r.size()));
}

// twr_t: a conformant structure, so its conformance (max_count) comes first, then
// tower_length, then the octets.
common::ParseResult<Tower, Reason> read_twr(Ndr& ndr) {
  using Result = common::ParseResult<Tower, Reason>;
  ByteReader& r = ndr.reader();
  std::uint64_t max_count = ndr.count();
  std::uint32_t tower_length = ndr.u32();
  if (!r.ok()) return truncated<Tower>(r, "twr_t");
  if (tower_length > max_count || tower_length > r.remaining())
    return Result::malformed(Reason::tower_length, r.position() - 4,
                             fmt::format("tower_length {} (max_count {}, {} octets left)",
                                         tower_length, max_count, r.remaining()));
  return parse_tower(r.bytes(tower_length));
}

}  // namespace

common::ParseResult<EptMapRequest, Reason> parse_ept_map_request(Bytes stub,
                                                                 common::ByteOrder order,
                                                                 Syntax syntax) {
  using Result = common::ParseResult<EptMapRequest, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptMapRequest q;
  if (ndr.count() != 0) q.object = ndr.uuid();
  std::uint64_t tower_ref = ndr.count();
  if (!r.ok()) return truncated<EptMapRequest>(r, "object/map_tower");
  if (tower_ref != 0) {
    auto t = read_twr(ndr);
    if (!t.is_complete()) return Result::from(t.error());
    q.map_tower = t.take();
  }
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
    auto t = read_twr(ndr);
    if (!t.is_complete()) return Result::from(t.error());
    s.towers.push_back(t.take());
  }
  s.status = ndr.u32();
  if (!r.ok()) return truncated<EptMapResponse>(r, "status");
  return Result::complete(std::move(s), r.position());
}

}  // namespace rpctrace::epm
