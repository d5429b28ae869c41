// Endpoint mapper values: protocol towers (C706 appendix L) and the stubs of every ept.idl
// operation, opnums 0-6 (C706 appendix O; MS-RPCE 2.2.1.2, 3.1.1.1), as owned value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/common/uuid.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::epm {

using common::Bytes;
using common::Uuid;

// Floor protocol identifiers (C706 appendix I and L; MS-RPCE 2.2.1.1.7... 3.1.1.1). 0x0e is
// IPX and 0x14 NetBIOS over IPX (the ids Windows and Samba use for ncadg_ipx/ncacn_nb_ipx).
namespace protocol_id {
inline constexpr std::uint8_t dna_session = 0x02, osi_tp4 = 0x05, osi_clns = 0x06, tcp = 0x07,
                              udp = 0x08, ip = 0x09, rpc_cl = 0x0a, rpc_co = 0x0b, lrpc = 0x0c,
                              uuid = 0x0d, ipx = 0x0e, named_pipe = 0x0f, local_pipe = 0x10,
                              netbios = 0x11, netbeui = 0x12, spx = 0x13, netbios_ipx = 0x14,
                              http = 0x1f;
}
std::string_view protocol_id_name(std::uint8_t id);

// The endpoint mapper's own ports (C706 appendix I; MS-RPCE 2.1.1.1 and 2.1.1.2 for TCP and
// UDP 135, MS-RPCH 2.1.1.1.1 for 593, the mapper of RPC over HTTP).
namespace well_known_port {
inline constexpr std::uint16_t tcp = 135, http = 593;
}
inline bool is_endpoint_mapper_port(std::uint16_t port) {
  return port == well_known_port::tcp || port == well_known_port::http;
}

struct Floor {
  std::uint8_t protocol_id = 0;
  std::vector<std::uint8_t> lhs;  // lhs octets after the protocol id
  std::vector<std::uint8_t> rhs;
};

struct Tower {
  std::vector<Floor> floors;
  // Derived from the floors.
  std::optional<dcerpc::SyntaxId> interface;        // floor 1
  std::optional<dcerpc::SyntaxId> transfer_syntax;  // floor 2
  std::string protseq;  // "ncacn_ip_tcp", ...; empty when the floors match none
  std::optional<std::uint16_t> port;
  std::optional<common::IpAddress> address;
  std::string endpoint_name;  // named pipe / local pipe / NetBIOS host as given
  // "ncacn_ip_tcp:10.1.1.2[4764]"; floors that name no protocol sequence give
  // "unknown:<floor ids>".
  [[nodiscard]] std::string string_binding() const;
};

struct ContextHandle {  // ept_lookup_handle_t on the wire: attributes + UUID (20 octets)
  std::uint32_t attributes = 0;
  Uuid uuid;
  [[nodiscard]] bool is_null() const { return attributes == 0 && uuid.is_nil(); }
  friend bool operator==(const ContextHandle&, const ContextHandle&) = default;
};

struct EptMapRequest {
  std::optional<Uuid> object;
  std::optional<Tower> map_tower;
  ContextHandle entry_handle;
  std::uint32_t max_towers = 0;
};

struct EptMapResponse {
  ContextHandle entry_handle;
  std::uint32_t num_towers = 0;
  std::vector<Tower> towers;
  std::uint32_t status = 0;
};

// ept_entry_t (C706 appendix O): { uuid_t object; twr_p_t tower; [string] char
// annotation[ept_max_annotation_size]; }.
struct EptEntry {
  Uuid object;
  std::optional<Tower> tower;  // nullopt: a null twr_p_t
  // The characters before the first NUL, at most actual_count of them. [string] says the
  // NUL is counted in actual_count; an annotation without one is accepted as sent (tshark
  // shows it too) and flagged here, so a report can name it.
  std::string annotation;
  bool annotation_terminated = true;
};

// ept_insert (opnum 0): [in] num_ents, [in, size_is(num_ents)] entries[], [in] boolean32
// replace; [out] status.
struct EptInsertRequest {
  std::uint32_t num_ents = 0;
  std::vector<EptEntry> entries;
  std::uint32_t replace = 0;  // boolean32: 4 octets
};
struct EptInsertResponse {
  std::uint32_t status = 0;
};

// ept_delete (opnum 1): [in] num_ents, [in, size_is(num_ents)] entries[]; [out] status.
struct EptDeleteRequest {
  std::uint32_t num_ents = 0;
  std::vector<EptEntry> entries;
};
struct EptDeleteResponse {
  std::uint32_t status = 0;
};

// ept_lookup (opnum 2), MS-RPCE 2.2.1.2.4: inquiry_type, [ptr] object, [ptr] Ifid,
// vers_option, [in, out] entry_handle, [range(0,500)] max_ents.
struct EptLookupRequest {
  std::uint32_t inquiry_type = 0;  // rpc_c_ep_all_elts 0, match_by_if 1, by_obj 2, by_both 3
  std::optional<Uuid> object;
  std::optional<dcerpc::SyntaxId> interface_id;  // rpc_if_id_t: uuid, vers_major, vers_minor
  std::uint32_t vers_option = 0;
  ContextHandle entry_handle;
  std::uint32_t max_ents = 0;  // reported as sent, even above the IDL's range
};
// [out] entry_handle, num_ents, [length_is(*num_ents), size_is(max_ents)] entries[], status.
struct EptLookupResponse {
  ContextHandle entry_handle;
  std::uint32_t num_ents = 0;  // as sent; entries holds what the array's actual_count gave
  std::vector<EptEntry> entries;
  std::uint32_t status = 0;
};

// ept_lookup_handle_free (opnum 4): [in, out] entry_handle; [out] status.
struct EptLookupHandleFreeRequest {
  ContextHandle entry_handle;
};
struct EptLookupHandleFreeResponse {
  ContextHandle entry_handle;
  std::uint32_t status = 0;
};

// ept_inq_object (opnum 5): no [in] data; [out] uuid_t ept_object, status.
struct EptInqObjectRequest {};
struct EptInqObjectResponse {
  Uuid ept_object;
  std::uint32_t status = 0;
};

// ept_mgmt_delete (opnum 6): [in] boolean32 object_speced, [ptr] object, [ptr] tower;
// [out] status. MS-RPCE 2.2.1.2.10: Windows no longer supports it, but it still parses.
struct EptMgmtDeleteRequest {
  std::uint32_t object_speced = 0;
  std::optional<Uuid> object;
  std::optional<Tower> tower;
};
struct EptMgmtDeleteResponse {
  std::uint32_t status = 0;
};

enum class Reason : std::uint8_t {
  truncated,            // the stub ends inside a field
  tower_length,         // tower_length disagrees with its conformance or exceeds the stub
  floor_length,         // a floor's lhs/rhs length runs past the tower
  too_many_floors,      // more floors than kMaxFloorsPerTower
  too_many_towers,      // more towers than kMaxTowersPerResponse
  count_mismatch,       // array counts inconsistent (offset/actual_count > max_count)
  too_many_entries,     // more ept_entry_t elements than kMaxEntriesPerCall
  annotation_too_long,  // annotation offset + actual_count > ept_max_annotation_size (64)
  unknown_opnum,        // not an ept.idl operation (opnums 0-6)
  count_
};
std::string_view to_string(Reason r);

}  // namespace rpctrace::epm
