// Selection: which conversations and calls the analysis shows (--port, --host, --interface,
// --opnum, --conversation, --since, --until, --all). Ports and hosts match either side of a
// conversation; several values of one kind are alternatives; kinds combine with AND.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::analysis {

// An address and a prefix length (10.1.0.0/16, 2001:db8::/32); a plain address is /32 or /128.
struct HostPrefix {
  HostPrefix() = default;
  // One address (all of its bits).
  HostPrefix(const common::IpAddress& a)  // NOLINT(google-explicit-constructor): reads as one
      : address(a), bits(a.family == common::IpAddress::Family::v4 ? 32 : 128) {}
  HostPrefix(const common::IpAddress& a, std::uint8_t prefix) : address(a), bits(prefix) {}
  common::IpAddress address;
  std::uint8_t bits = 32;
  [[nodiscard]] bool contains(const common::IpAddress& a) const;
  // "10.1.1.2", "10.1.0.0/16", "2001:db8::/32"; nullopt when not one (host bits set are
  // cleared, as tcpdump's `net` does not accept them but a user's copy of an address may).
  static std::optional<HostPrefix> parse(std::string_view text);
};

// An operation --opnum names: a number (any interface), or a name from the operations table
// (its interface and opnum).
struct OpnumSelector {
  std::optional<common::Uuid> interface;
  std::uint16_t opnum = 0;
};

class Selection {
 public:
  std::vector<std::uint16_t> ports;
  std::vector<HostPrefix> hosts;
  // --interface: a UUID, or a short name such as "SAMR" (any case).
  std::vector<std::string> interfaces;
  // --opnum: only the calls of these operations (their requests, responses and faults).
  std::vector<OpnumSelector> opnums;
  // --conversation: only these conversations, by the number the timeline gives them.
  std::vector<std::uint64_t> conversations;
  // --since, --until: only conversations with a frame in the window (begun before `until`, a
  // frame at or after `since`), whole: their frames outside it too, their numbers unchanged.
  std::optional<common::Timestamp> since, until;
  // --all: show conversations that carried no DCE/RPC too.
  bool show_all = false;

  // Whether a conversation between these two endpoints passes --port and --host.
  [[nodiscard]] bool matches_endpoints(const common::Endpoint& a, const common::Endpoint& b) const;
  // Whether `s` is one of --interface's values (by UUID, or by its name from the names table).
  [[nodiscard]] bool matches_interface(const dcerpc::SyntaxId& s) const;
  // Whether a call of `opnum` on `interface` passes --opnum and --interface.
  [[nodiscard]] bool matches_call(std::uint16_t opnum,
                                  const std::optional<dcerpc::SyntaxId>& interface) const;
  [[nodiscard]] bool matches_conversation(std::uint64_t id) const;
  // Whether a conversation that began at `start` and whose latest frame is at `last` has a
  // frame in the --since/--until window.
  [[nodiscard]] bool matches_time(common::Timestamp start, common::Timestamp last) const {
    return (!until || start <= *until) && (!since || last >= *since);
  }
  [[nodiscard]] bool by_endpoints() const { return !ports.empty() || !hosts.empty(); }
  [[nodiscard]] bool by_opnum() const { return !opnums.empty(); }
};

}  // namespace rpctrace::analysis
