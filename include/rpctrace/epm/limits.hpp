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
// Spec for ept_lookup: max_ents is [range(0,500)] (MS-RPCE 2.2.1.2.4) and the entries array
// is size_is(max_ents). Policy for ept_insert/ept_delete (num_ents has no range): the same
// bound. It stops a count of 2^31 from driving the loop.
inline constexpr std::size_t kMaxEntriesPerCall = 500;
// Spec: ept_max_annotation_size = 64 (C706 appendix O); annotation is a [string] char[64],
// so its offset + actual_count (the NUL included) is at most 64.
inline constexpr std::size_t kMaxAnnotationOctets = 64;

}  // namespace rpctrace::epm
