// EpmLinks: the ports the endpoint mappers handed out (ept_map answers, C706 appendix O) and
// the conversations they produced. Kept once, here: the timeline's conversation headers, the
// endpoint listing and diagnose all read it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "rpctrace/analysis/model.hpp"
#include "rpctrace/epm/types.hpp"

namespace rpctrace::analysis {

// Where an ept_map answer sent its client: the tower's address, or the server's own when the
// tower has none or 0.0.0.0 (the mapper registered the endpoint on every address it has).
common::IpAddress tower_destination(const epm::Tower& t, const common::IpAddress& server);

class EpmLinks {
 public:
  // (address, port) pairs remembered at once; past it the oldest go first.
  static constexpr std::size_t kMaxAnswers = 1u << 16;

  // One ept_map answer from `server` to `client`, in `conversation` at frame `at`.
  void remember(const epm::EptMapResponse& answer, std::uint64_t conversation, const FrameRef& at,
                const common::IpAddress& client, const common::IpAddress& server);
  // The answer that gave one of a new conversation's endpoints, when one came before `start`
  // (endpoint[1], the server when the opening was seen, is tried first).
  [[nodiscard]] std::optional<EpmLink> link(const common::Endpoint (&endpoint)[2],
                                            common::Timestamp start) const;

 private:
  using Key = std::pair<common::IpAddress, std::uint16_t>;
  std::map<Key, EpmLink> latest_;  // the latest answer for each address and port
  std::deque<Key> order_;
};

}  // namespace rpctrace::analysis
