// EpmLinks: ept_map answers by the address and port they gave, and the links of the
// conversations that went there (issue 4: KB159298's story, lookup then connection).
#include "rpctrace/analysis/epm_links.hpp"

namespace rpctrace::analysis {

common::IpAddress tower_destination(const epm::Tower& t, const common::IpAddress& server) {
  bool unspecified = !t.address || (t.address->octets[0] == 0 && t.address->octets[1] == 0 &&
                                    t.address->octets[2] == 0 && t.address->octets[3] == 0);
  return unspecified ? server : *t.address;
}

void EpmLinks::remember(const epm::EptMapResponse& answer, std::uint64_t conversation,
                        const FrameRef& at, const common::IpAddress& client,
                        const common::IpAddress& server) {
  for (const auto& t : answer.towers) {
    if (!t.port || *t.port == 0) continue;
    EpmLink l;
    l.conversation = conversation;
    l.frame = at.frame;
    l.ts = at.ts;
    l.interface = t.interface;
    l.client = client;
    Key key{tower_destination(t, server), *t.port};
    if (latest_.insert_or_assign(key, l).second) {
      order_.push_back(key);
      if (order_.size() > kMaxAnswers) {
        latest_.erase(order_.front());
        order_.pop_front();
      }
    }
  }
}

std::optional<EpmLink> EpmLinks::link(const common::Endpoint (&endpoint)[2],
                                      common::Timestamp start) const {
  for (int i : {1, 0}) {
    auto it = latest_.find({endpoint[i].address, endpoint[i].port});
    if (it == latest_.end() || it->second.ts.micros() > start.micros()) continue;
    EpmLink l = it->second;
    l.delay_us = start.micros() - l.ts.micros();
    l.same_client = l.client == endpoint[i ^ 1].address;
    return l;
  }
  return std::nullopt;
}

}  // namespace rpctrace::analysis
