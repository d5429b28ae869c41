// One named count of the closing statistics. Each layer lists its own counters as rows (in a
// fixed order), so the report can print them without knowing the layers' counter structs.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rpctrace::common {

struct CounterRow {
  std::string_view key;    // stable JSON key: "tcp_gaps", "dcerpc_lost_sync", ...
  std::string_view label;  // what it counts, for people
  std::uint64_t value = 0;
};
using CounterRows = std::vector<CounterRow>;

}  // namespace rpctrace::common
