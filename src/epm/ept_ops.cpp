// The other ept.idl operations (C706 appendix O; MS-RPCE 2.2.1.2), in NDR 2.0 and NDR64:
//   ept_insert (0):             [in] num_ents, [size_is(num_ents)] entries[], boolean32
//                               replace; [out] status
//   ept_delete (1):             [in] num_ents, [size_is(num_ents)] entries[]; [out] status
//   ept_lookup_handle_free (4): [in, out] entry_handle; [out] status
//   ept_inq_object (5):         [out] uuid_t ept_object, status
//   ept_mgmt_delete (6):        [in] boolean32 object_speced, [ptr] object, [ptr] tower;
//                               [out] status
// and decode_epm_stub(), which picks the decoder by opnum and direction.
#include "ndr.hpp"
#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm {

namespace {

using common::ByteReader;
using detail::Ndr;
using detail::truncated;

// num_ents, then the entries as a conformant array (max_count, elements, deferred towers).
// num_ents is reported as sent; the array's max_count says how many elements follow.
// nullopt when read.
template <typename T>
std::optional<common::Malformed<Reason>> read_num_ents_and_entries(Ndr& ndr, T& out) {
  ByteReader& r = ndr.reader();
  out.num_ents = ndr.u32();
  std::uint64_t max_count = ndr.count();
  if (!r.ok()) return truncated<T>(r, "num_ents/entries header").error();
  auto entries = detail::read_entries(ndr, max_count);
  if (!entries.is_complete()) return entries.error();
  out.entries = entries.take();
  return std::nullopt;
}

template <typename T>
common::ParseResult<T, Reason> status_only(Bytes stub, common::ByteOrder order, Syntax syntax) {
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  T s;
  s.status = ndr.u32();
  if (!r.ok()) return truncated<T>(r, "status");
  return common::ParseResult<T, Reason>::complete(s, r.position());
}

// Widens a ParseResult<T> into a ParseResult<EpmValue>.
template <typename T>
common::ParseResult<EpmValue, Reason> widen(common::ParseResult<T, Reason> r) {
  if (!r.is_complete()) return common::ParseResult<EpmValue, Reason>::from(r.error());
  std::size_t consumed = r.consumed();
  return common::ParseResult<EpmValue, Reason>::complete(EpmValue(r.take()), consumed);
}

}  // namespace

common::ParseResult<EptInsertRequest, Reason> parse_ept_insert_request(Bytes stub,
                                                                       common::ByteOrder order,
                                                                       Syntax syntax) {
  using Result = common::ParseResult<EptInsertRequest, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptInsertRequest q;
  if (auto bad = read_num_ents_and_entries(ndr, q)) return Result::from(std::move(*bad));
  q.replace = ndr.u32();
  if (!r.ok()) return truncated<EptInsertRequest>(r, "replace");
  return Result::complete(std::move(q), r.position());
}

common::ParseResult<EptDeleteRequest, Reason> parse_ept_delete_request(Bytes stub,
                                                                       common::ByteOrder order,
                                                                       Syntax syntax) {
  using Result = common::ParseResult<EptDeleteRequest, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptDeleteRequest q;
  if (auto bad = read_num_ents_and_entries(ndr, q)) return Result::from(std::move(*bad));
  return Result::complete(std::move(q), r.position());
}

common::ParseResult<EptLookupHandleFreeRequest, Reason> parse_ept_lookup_handle_free_request(
    Bytes stub, common::ByteOrder order, Syntax syntax) {
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptLookupHandleFreeRequest q;
  q.entry_handle = ndr.handle();
  if (!r.ok()) return truncated<EptLookupHandleFreeRequest>(r, "entry_handle");
  return common::ParseResult<EptLookupHandleFreeRequest, Reason>::complete(q, r.position());
}

common::ParseResult<EptLookupHandleFreeResponse, Reason> parse_ept_lookup_handle_free_response(
    Bytes stub, common::ByteOrder order, Syntax syntax) {
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptLookupHandleFreeResponse s;
  s.entry_handle = ndr.handle();
  s.status = ndr.u32();
  if (!r.ok()) return truncated<EptLookupHandleFreeResponse>(r, "entry_handle/status");
  return common::ParseResult<EptLookupHandleFreeResponse, Reason>::complete(s, r.position());
}

common::ParseResult<EptInqObjectResponse, Reason> parse_ept_inq_object_response(
    Bytes stub, common::ByteOrder order, Syntax syntax) {
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptInqObjectResponse s;
  s.ept_object = ndr.uuid();  // [out] uuid_t *: a reference pointer, so no referent id
  s.status = ndr.u32();
  if (!r.ok()) return truncated<EptInqObjectResponse>(r, "ept_object/status");
  return common::ParseResult<EptInqObjectResponse, Reason>::complete(s, r.position());
}

common::ParseResult<EptMgmtDeleteRequest, Reason> parse_ept_mgmt_delete_request(
    Bytes stub, common::ByteOrder order, Syntax syntax) {
  using Result = common::ParseResult<EptMgmtDeleteRequest, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptMgmtDeleteRequest q;
  q.object_speced = ndr.u32();
  if (ndr.count() != 0) q.object = ndr.uuid();
  if (!r.ok()) return truncated<EptMgmtDeleteRequest>(r, "object_speced/object");
  auto tower = detail::read_twr_pointer(ndr);
  if (!tower.is_complete()) return Result::from(tower.error());
  q.tower = tower.take();
  return Result::complete(std::move(q), r.position());
}

common::ParseResult<EpmValue, Reason> decode_epm_stub(std::uint16_t op, bool request, Bytes stub,
                                                      common::ByteOrder order, Syntax syntax) {
  switch (op) {
    case opnum::ept_insert:
      return request ? widen(parse_ept_insert_request(stub, order, syntax))
                     : widen(status_only<EptInsertResponse>(stub, order, syntax));
    case opnum::ept_delete:
      return request ? widen(parse_ept_delete_request(stub, order, syntax))
                     : widen(status_only<EptDeleteResponse>(stub, order, syntax));
    case opnum::ept_lookup:
      return request ? widen(parse_ept_lookup_request(stub, order, syntax))
                     : widen(parse_ept_lookup_response(stub, order, syntax));
    case opnum::ept_map:
      return request ? widen(parse_ept_map_request(stub, order, syntax))
                     : widen(parse_ept_map_response(stub, order, syntax));
    case opnum::ept_lookup_handle_free:
      return request ? widen(parse_ept_lookup_handle_free_request(stub, order, syntax))
                     : widen(parse_ept_lookup_handle_free_response(stub, order, syntax));
    case opnum::ept_inq_object:
      if (request) return common::ParseResult<EpmValue, Reason>::complete(EptInqObjectRequest{}, 0);
      return widen(parse_ept_inq_object_response(stub, order, syntax));
    case opnum::ept_mgmt_delete:
      return request ? widen(parse_ept_mgmt_delete_request(stub, order, syntax))
                     : widen(status_only<EptMgmtDeleteResponse>(stub, order, syntax));
    default:
      return common::ParseResult<EpmValue, Reason>::malformed(
          Reason::unknown_opnum, 0, fmt::format("opnum {} is not an ept.idl operation (0-6)", op));
  }
}

}  // namespace rpctrace::epm
