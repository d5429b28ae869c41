// ept_lookup (opnum 2) request and response stubs (C706 appendix O; MS-RPCE 2.2.1.2.4):
//   request:  unsigned32 inquiry_type; [ptr] uuid_p_t object; [ptr] rpc_if_id_p_t Ifid;
//             unsigned32 vers_option; ept_lookup_handle_t *entry_handle;
//             [range(0,500)] unsigned32 max_ents
//   response: entry_handle; unsigned32 *num_ents; [length_is(*num_ents), size_is(max_ents)]
//             ept_entry_t entries[]; error_status_t *status
// The entries array is conformant and varying: max_count, offset, actual_count, then the
// elements, then the towers their pointers defer to. NDR 2.0 and NDR64 (ndr.hpp).
// Checked against tshark's epm dissector on discovery_scan_dcerpc_endpoint_mapper.pcapng
// and Discovery_impacket_rpcdump.pcapng (tests/unit/epm/ept_lookup_test.cpp).
#include "ndr.hpp"
#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm {

using common::ByteReader;
using detail::Ndr;
using detail::truncated;

common::ParseResult<EptLookupRequest, Reason> parse_ept_lookup_request(Bytes stub,
                                                                       common::ByteOrder order,
                                                                       Syntax syntax) {
  using Result = common::ParseResult<EptLookupRequest, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptLookupRequest q;
  q.inquiry_type = ndr.u32();
  // Top-level [ptr] parameters: the pointee follows its referent id at once.
  if (ndr.count() != 0) q.object = ndr.uuid();
  if (ndr.count() != 0) q.interface_id = ndr.if_id();
  q.vers_option = ndr.u32();
  q.entry_handle = ndr.handle();
  q.max_ents = ndr.u32();
  if (!r.ok()) return truncated<EptLookupRequest>(r, "ept_lookup request");
  return Result::complete(std::move(q), r.position());
}

common::ParseResult<EptLookupResponse, Reason> parse_ept_lookup_response(Bytes stub,
                                                                         common::ByteOrder order,
                                                                         Syntax syntax) {
  using Result = common::ParseResult<EptLookupResponse, Reason>;
  ByteReader r(stub, order);
  Ndr ndr(r, syntax);
  EptLookupResponse s;
  s.entry_handle = ndr.handle();
  s.num_ents = ndr.u32();
  std::uint64_t max_count = ndr.count();
  std::uint64_t offset = ndr.count();
  std::uint64_t actual_count = ndr.count();
  if (!r.ok()) return truncated<EptLookupResponse>(r, "entries header");
  if (auto bad = detail::check_entry_counts(r, max_count, offset, actual_count))
    return Result::from(std::move(*bad));
  auto entries = detail::read_entries(ndr, actual_count);
  if (!entries.is_complete()) return Result::from(entries.error());
  s.entries = entries.take();
  s.status = ndr.u32();
  if (!r.ok()) return truncated<EptLookupResponse>(r, "status");
  return Result::complete(std::move(s), r.position());
}

}  // namespace rpctrace::epm
