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

}  // namespace rpctrace::testsupport
