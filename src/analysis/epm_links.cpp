// EpmLinks: ept_map answers by the address and port they gave, and the links of the
// conversations that went there (KB159298's story: a lookup, then a connection to its port).
#include "rpctrace/analysis/epm_links.hpp"

#include <algorithm>
#include <cstring>

namespace rpctrace::analysis {

common::IpAddress tower_destination(const epm::Tower& t, const common::IpAddress& server) {
  bool unspecified = !t.address || t.address->octets[0] == 0;
  return unspecified ? server : *t.address;
}

bool tower_over_udp(const epm::Tower& t) { return t.protseq == "ncadg_ip_udp"; }

namespace {

// Folds an address into a running hash (both halves of its octets, then the family).
std::uint64_t fold(std::uint64_t h, const common::IpAddress& a) {
  std::uint64_t half[2];
  std::memcpy(half, a.octets.data(), sizeof half);
  for (std::uint64_t v : {half[0], half[1], static_cast<std::uint64_t>(a.family)})
    h = (h ^ v) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

std::uint64_t fold_port(const common::IpAddress& a, std::uint16_t port, bool udp) {
  return fold(port | (udp ? 0x10000u : 0u), a);
}

}  // namespace

std::size_t EpmLinks::KeyHash::operator()(const Key& k) const {
  return fold_port(std::get<0>(k), std::get<1>(k), std::get<2>(k));
}

std::size_t EpmLinks::KeyHash::operator()(const ClientKey& k) const {
  return fold(fold_port(std::get<0>(k), std::get<1>(k), std::get<2>(k)), std::get<3>(k));
}

const EpmAnswer* EpmLinks::answer(std::uint64_t serial) const {
  if (serial < first_serial_ || serial - first_serial_ >= answers_.size()) return nullptr;
  return &answers_[static_cast<std::size_t>(serial - first_serial_)];
}

void EpmLinks::forget_oldest() {
  const EpmAnswer& a = answers_.front();
  for (const auto& t : a.response->towers) {
    if (!t.port || *t.port == 0) continue;
    auto it = targets_.find({tower_destination(t, a.server), *t.port, tower_over_udp(t)});
    if (it == targets_.end()) continue;
    std::erase(it->second.answers, first_serial_);
    if (it->second.answers.empty()) targets_.erase(it);
    auto c = by_client_.find(
        {tower_destination(t, a.server), *t.port, tower_over_udp(t), a.client.address});
    if (c == by_client_.end()) continue;
    std::erase(c->second, first_serial_);
    if (c->second.empty()) by_client_.erase(c);
  }
  answers_.pop_front();
  ++first_serial_;
  ++dropped_;
}

void EpmLinks::remember(std::shared_ptr<const epm::EptMapResponse> answer,
                        std::uint64_t conversation, const FrameRef& at,
                        const common::Endpoint& client, const common::IpAddress& server,
                        std::string source) {
  if (answers_.size() >= kMaxAnswers) forget_oldest();
  const std::uint64_t serial = first_serial_ + answers_.size();
  EpmAnswer a;
  a.conversation = conversation;
  a.frame = at.frame;
  a.ts = at.ts;
  a.client = client;
  a.server = server;
  a.source = std::move(source);
  a.tried.assign(answer->towers.size(), false);
  for (const auto& t : answer->towers) {
    if (!t.port || *t.port == 0) continue;
    auto& serials = targets_[{tower_destination(t, server), *t.port, tower_over_udp(t)}].answers;
    if (serials.empty() || serials.back() != serial) serials.push_back(serial);
    auto& mine =
        by_client_[{tower_destination(t, server), *t.port, tower_over_udp(t), client.address}];
    if (mine.empty() || mine.back() != serial) mine.push_back(serial);
  }
  a.response = std::move(answer);
  answers_.push_back(std::move(a));
}

std::optional<EpmLink> EpmLinks::link(const common::Endpoint (&endpoint)[2],
                                      common::Timestamp start, bool udp) const {
  for (int i : {1, 0}) {
    auto it = targets_.find({endpoint[i].address, endpoint[i].port, udp});
    if (it == targets_.end()) continue;
    // The latest answer (serials are in the order answers were seen) from before the start
    // with a tower for this port: walked from the newest, so a port many answers gave (one
    // server, thousands of clients) costs one step, not one per answer.
    const EpmAnswer* latest = nullptr;
    const epm::Tower* latest_tower = nullptr;
    const auto& serials = it->second.answers;
    for (auto s = serials.rbegin(); s != serials.rend() && latest == nullptr; ++s) {
      const EpmAnswer* a = answer(*s);
      if (a == nullptr || a->ts.micros() > start.micros()) continue;
      for (const auto& t : a->response->towers)
        if (t.port && *t.port == endpoint[i].port && tower_over_udp(t) == udp &&
            tower_destination(t, a->server) == endpoint[i].address) {
          latest = a;
          latest_tower = &t;
        }
    }
    if (latest == nullptr) continue;
    EpmLink l;
    l.conversation = latest->conversation;
    l.frame = latest->frame;
    l.ts = latest->ts;
    l.delay_us = start.micros() - latest->ts.micros();
    l.interface = latest_tower->interface;
    l.source = latest->source;
    l.client = latest->client.address;
    l.same_client = l.client == endpoint[i ^ 1].address;
    return l;
  }
  return std::nullopt;
}

void EpmLinks::tried(const common::Endpoint& client, const common::Endpoint& server, bool udp) {
  auto it = by_client_.find({server.address, server.port, udp, client.address});
  if (it == by_client_.end()) return;
  for (std::uint64_t serial : it->second) {
    if (serial < first_serial_) continue;
    EpmAnswer& a = answers_[static_cast<std::size_t>(serial - first_serial_)];
    for (std::size_t k = 0; k < a.response->towers.size(); ++k) {
      const epm::Tower& t = a.response->towers[k];
      if (t.port && *t.port == server.port && tower_over_udp(t) == udp &&
          tower_destination(t, a.server) == server.address)
        a.tried[k] = true;
    }
  }
}

}  // namespace rpctrace::analysis
