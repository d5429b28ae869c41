// Selection matching: endpoints against --port/--host, interfaces against --interface.
#include "rpctrace/analysis/selection.hpp"

#include <algorithm>
#include <cctype>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

bool Selection::matches_endpoints(const common::Endpoint& a, const common::Endpoint& b) const {
  if (!ports.empty() && std::none_of(ports.begin(), ports.end(),
                                     [&](std::uint16_t p) { return p == a.port || p == b.port; }))
    return false;
  if (!hosts.empty() && std::none_of(hosts.begin(), hosts.end(), [&](const common::IpAddress& h) {
        return h == a.address || h == b.address;
      }))
    return false;
  return true;
}

bool Selection::matches_interface(const dcerpc::SyntaxId& s) const {
  for (const auto& want : interfaces) {
    if (auto u = common::Uuid::parse(want)) {
      if (*u == s.uuid) return true;
      continue;
    }
    auto name = dcerpc::interface_name(s.uuid);
    if (name.size() == want.size() &&
        std::equal(name.begin(), name.end(), want.begin(), [](char x, char y) {
          return std::tolower(static_cast<unsigned char>(x)) ==
                 std::tolower(static_cast<unsigned char>(y));
        }))
      return true;
  }
  return false;
}

}  // namespace rpctrace::analysis
