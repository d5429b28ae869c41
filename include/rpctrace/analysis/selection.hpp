// Selection: which conversations and calls the analysis shows (--port, --host, --interface,
// --opnum, --all). Ports and hosts match either side of a conversation; several values of one
// kind are alternatives; kinds combine with AND.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/common/address.hpp"
#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::analysis {

class Selection {
 public:
  std::vector<std::uint16_t> ports;
  std::vector<common::IpAddress> hosts;
  // --interface: a UUID, or a short name such as "SAMR" (any case).
  std::vector<std::string> interfaces;
  // --opnum: only the calls with this opnum (their requests, responses and faults).
  std::optional<std::uint16_t> opnum;
  // --all: show conversations that carried no DCE/RPC too.
  bool show_all = false;

  // Whether a conversation between these two endpoints passes --port and --host.
  [[nodiscard]] bool matches_endpoints(const common::Endpoint& a, const common::Endpoint& b) const;
  // Whether `s` is one of --interface's values (by UUID, or by its name from the names table).
  [[nodiscard]] bool matches_interface(const dcerpc::SyntaxId& s) const;
  [[nodiscard]] bool by_endpoints() const { return !ports.empty() || !hosts.empty(); }
};

}  // namespace rpctrace::analysis
