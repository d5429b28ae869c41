// Selection matching: endpoints against --port/--host, interfaces against --interface, calls
// against --opnum, conversations against --conversation.
#include "rpctrace/analysis/selection.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

bool HostPrefix::contains(const common::IpAddress& a) const {
  if (a.family != address.family) return false;
  std::uint8_t left = bits;
  for (std::size_t i = 0; i < a.octets.size() && left > 0; ++i) {
    const std::uint8_t take = std::min<std::uint8_t>(left, 8);
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
    if ((a.octets[i] & mask) != (address.octets[i] & mask)) return false;
    left = static_cast<std::uint8_t>(left - take);
  }
  return true;
}

std::optional<HostPrefix> HostPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto a = common::IpAddress::parse(text.substr(0, slash));
  if (!a) return std::nullopt;
  const unsigned max = a->family == common::IpAddress::Family::v4 ? 32 : 128;
  unsigned bits = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || bits > max)
      return std::nullopt;
  }
  HostPrefix p{*a, static_cast<std::uint8_t>(bits)};
  // Clear the host bits, so 10.1.1.2/16 means 10.1.0.0/16.
  for (std::size_t i = 0; i < p.address.octets.size(); ++i) {
    const unsigned first = static_cast<unsigned>(i) * 8;
    if (first >= bits)
      p.address.octets[i] = 0;
    else if (bits - first < 8)
      p.address.octets[i] &= static_cast<std::uint8_t>(0xFF << (8 - (bits - first)));
  }
  return p;
}

bool Selection::matches_endpoints(const common::Endpoint& a, const common::Endpoint& b) const {
  if (!ports.empty() && std::none_of(ports.begin(), ports.end(),
                                     [&](std::uint16_t p) { return p == a.port || p == b.port; }))
    return false;
  if (!hosts.empty() && std::none_of(hosts.begin(), hosts.end(), [&](const HostPrefix& h) {
        return h.contains(a.address) || h.contains(b.address);
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

bool Selection::matches_call(std::uint16_t opnum,
                             const std::optional<dcerpc::SyntaxId>& interface) const {
  if (!interfaces.empty() && !(interface && matches_interface(*interface))) return false;
  if (opnums.empty()) return true;
  return std::any_of(opnums.begin(), opnums.end(), [&](const OpnumSelector& o) {
    return o.opnum == opnum && (!o.interface || (interface && interface->uuid == *o.interface));
  });
}

bool Selection::matches_conversation(std::uint64_t id) const {
  return conversations.empty() ||
         std::find(conversations.begin(), conversations.end(), id) != conversations.end();
}

}  // namespace rpctrace::analysis
