// Limits of the EPM decoder.
#pragma once

#include <cstddef>

namespace rpctrace::epm {

// Spec: ept_map's max_towers is [range(0,500)] in MS-RPCE's ept.idl (3.1.1.1); a response
// with more towers is malformed by that bound.
inline constexpr std::size_t kMaxTowersPerResponse = 500;
// Policy: a real tower has 5 floors (3 for ncalrpc); 32 leaves room for odd stacks and stops
// a hostile floor_count of 65535 from making 65535 floor records.
inline constexpr std::size_t kMaxFloorsPerTower = 32;

}  // namespace rpctrace::epm
