// NDR stubs of the endpoint mapper's ept_map (opnum 3), C706 appendix O and MS-RPCE
// §2.2.1.2.5, for request and response PDUs. Integers and the first three UUID fields follow
// the given byte order (the PDU's drep); tower octets are passed through as built.
//
// Request:  object (unique ptr: referent u32 + UUID), map_tower (unique ptr: referent u32,
//           then twr_t = conformant max_count u32, tower_length u32, octets, pad to 4),
//           entry_handle (context handle: attributes u32 + UUID), max_towers u32.
// Response: entry_handle, num_towers u32, towers (conformant varying array of unique
//           pointers: max_count, offset, actual_count, one referent per tower, then each
//           twr_t deferred and padded to 4), status u32.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

inline constexpr std::uint16_t kOpnumEptLookup = 2;
inline constexpr std::uint16_t kOpnumEptMap = 3;

// An NDR context handle (ndr_context_handle): attributes u32 + UUID, 20 octets.
struct ContextHandle {
  std::uint32_t attributes = 0;
  Uuid uuid;
};

struct EptMapRequest {
  std::optional<Uuid> object = kNilUuid;  // nullopt: a null pointer
  std::optional<Bytes> map_tower;         // nullopt: a null pointer
  ContextHandle entry_handle;
  std::uint32_t max_towers = 1;
  std::uint32_t object_referent = 1;
  std::uint32_t tower_referent = 2;
  std::optional<std::uint32_t> tower_length;  // override (max_count stays the true size)
};

struct EptMapResponse {
  ContextHandle entry_handle;
  std::vector<Bytes> towers;
  std::uint32_t status = 0;
  std::optional<std::uint32_t> max_count;   // default: max(1, towers) (the request's max_towers)
  std::optional<std::uint32_t> num_towers;  // override; actual_count stays towers.size()
  std::uint32_t first_referent = 3;         // towers get first_referent, +1, ...
};

Bytes build_ept_map_request(const EptMapRequest& request, Endian order = Endian::little);
Bytes build_ept_map_response(const EptMapResponse& response, Endian order = Endian::little);

// --- ept_entry_t arrays: ept_lookup (2), ept_insert (0), ept_delete (1) -----------------------
// ndr64 = false: NDR 2.0, referents and counts u32 aligned to 4. ndr64 = true: NDR64 (MS-RPCE
// 2.2.5), referents and counts u64 aligned to 8, and each ept_entry_t (it holds a pointer)
// aligned to 8.
//
// ept_entry_t: object UUID, tower referent, annotation as a varying array (offset,
// actual_count, characters incl. the NUL), align; the towers (twr_t) follow the whole array.
struct EptEntry {
  Uuid object;
  std::optional<Bytes> tower;  // nullopt: a null pointer
  std::string annotation;
  bool nul = true;                                       // append the terminating NUL
  std::optional<std::uint32_t> annotation_offset;        // override (default 0)
  std::optional<std::uint32_t> annotation_actual_count;  // override the count only
};

struct EptLookupRequest {
  std::uint32_t inquiry_type = 0;
  std::optional<Uuid> object;            // nullopt: a null pointer
  std::optional<SyntaxId> interface_id;  // rpc_if_id_t: uuid, vers_major u16, vers_minor u16
  std::uint32_t vers_option = 0;
  ContextHandle entry_handle;
  std::uint32_t max_ents = 1;
};

struct EptLookupResponse {
  ContextHandle entry_handle;
  std::vector<EptEntry> entries;
  std::uint32_t status = 0;
  std::optional<std::uint32_t> num_ents;      // override (default entries.size())
  std::optional<std::uint64_t> max_count;     // override (default max(1, entries))
  std::optional<std::uint64_t> offset;        // override (default 0)
  std::optional<std::uint64_t> actual_count;  // override (default entries.size())
};

// ept_insert / ept_delete [in]: num_ents, entries as a conformant array, (insert) replace.
struct EptEntriesRequest {
  std::vector<EptEntry> entries;
  std::optional<std::uint32_t> num_ents;   // override (default entries.size())
  std::optional<std::uint64_t> max_count;  // override (default entries.size())
  std::optional<std::uint32_t> replace;    // present for ept_insert, absent for ept_delete
};

Bytes build_ept_lookup_request(const EptLookupRequest& request, Endian order = Endian::little,
                               bool ndr64 = false);
Bytes build_ept_lookup_response(const EptLookupResponse& response, Endian order = Endian::little,
                                bool ndr64 = false);
Bytes build_ept_entries_request(const EptEntriesRequest& request, Endian order = Endian::little,
                                bool ndr64 = false);

}  // namespace rpctrace::testsupport
