// --since and --until: a point in time as users write it.
#pragma once

#include <optional>
#include <string_view>

#include "rpctrace/common/address.hpp"

namespace rpctrace::cli {

// Seconds since the epoch ("1733306700", "1733306700.25"), or an ISO 8601 date and time
// ("2026-12-04T10:05:00Z", "2026-12-04 10:05:00.5+01:00", "2026-12-04T10:05"); without Z or an
// offset the time is local, as editcap -A and -B read theirs. nullopt when it is none of these.
std::optional<common::Timestamp> parse_time(std::string_view text);

}  // namespace rpctrace::cli
