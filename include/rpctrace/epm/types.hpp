// Endpoint mapper values: protocol towers (C706 appendix L) and the ept_map operation
// (C706 appendix O, MS-RPCE 2.2.1.2, 3.1.1.1), as owned value types.
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

// Floor protocol identifiers (C706 appendix I and L; MS-RPCE 2.2.1.1.7... 3.1.1.1).
namespace protocol_id {
inline constexpr std::uint8_t dna_session = 0x02, osi_tp4 = 0x05, osi_clns = 0x06, tcp = 0x07,
                              udp = 0x08, ip = 0x09, rpc_cl = 0x0a, rpc_co = 0x0b, lrpc = 0x0c,
                              uuid = 0x0d, named_pipe = 0x0f, local_pipe = 0x10, netbios = 0x11,
                              netbeui = 0x12, spx = 0x13, ipx = 0x14, http = 0x1f;
}
std::string_view protocol_id_name(std::uint8_t id);

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

struct ContextHandle {  // ept_lookup_handle_t on the wire: attributes + UUID (MS-RPCE 2.2.4.2? ndr)
  std::uint32_t attributes = 0;
  Uuid uuid;
  [[nodiscard]] bool is_null() const { return attributes == 0 && uuid.is_nil(); }
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

enum class Reason : std::uint8_t {
  truncated,        // the stub ends inside a field
  tower_length,     // tower_length disagrees with its conformance or exceeds the stub
  floor_length,     // a floor's lhs/rhs length runs past the tower
  too_many_floors,  // more floors than kMaxFloorsPerTower
  too_many_towers,  // more towers than kMaxTowersPerResponse
  count_mismatch,   // array counts inconsistent (offset/actual_count > max_count)
  count_
};
std::string_view to_string(Reason r);

}  // namespace rpctrace::epm
