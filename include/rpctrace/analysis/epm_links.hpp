// EpmLinks: the endpoint mappers' ept_map answers (C706 appendix O) and the conversations they
// produced. Kept once, here: the timeline's conversation headers (a link per conversation),
// the endpoint listing (every answer) and diagnose (answers whose port no one tried) all
// read it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rpctrace/analysis/model.hpp"
#include "rpctrace/epm/types.hpp"

namespace rpctrace::analysis {

// Where an ept_map answer sent its client: the tower's address, or the server's own when the
// tower has none or an address in 0.0.0.0/8, which names no destination (RFC 1122 §3.2.1.3:
// "this host on this network", a source address only): the mapper registered the endpoint on
// every address it has.
common::IpAddress tower_destination(const epm::Tower& t, const common::IpAddress& server);
// A tower names a UDP port (ncadg_ip_udp) or a TCP one (ncacn_ip_tcp, ncacn_http): a port
// number links only conversations of its own transport.
bool tower_over_udp(const epm::Tower& t);

// One ept_map answer.
struct EpmAnswer {
  std::uint64_t conversation = 0;  // the conversation that carried it
  std::uint64_t frame = 0;
  common::Timestamp ts;
  common::Endpoint client;   // where the answer went
  common::IpAddress server;  // the endpoint mapper
  // The decoded answer, shared with the frame's EpmDecode (not copied: towers hold a dozen
  // allocations each, and 20,000 conversations at once each carry an answer).
  std::shared_ptr<const epm::EptMapResponse> response;
  std::string source = "ept_map";  // or the DCOM activation that named the ports (EpmLink)
  // Per tower of the response: a conversation went from the client to the address and port
  // it gave (before the answer or after: a client may keep a connection it made earlier).
  std::vector<bool> tried;
};

class EpmLinks {
 public:
  // Answers kept at once (for the listing and diagnose); past it the oldest go first, and are
  // counted. Each holds at most epm::kMaxTowersPerResponse towers.
  static constexpr std::size_t kMaxAnswers = 1u << 16;

  // One ept_map answer from `server` to `client`, in `conversation` at frame `at`.
  void remember(std::shared_ptr<const epm::EptMapResponse> answer, std::uint64_t conversation,
                const FrameRef& at, const common::Endpoint& client, const common::IpAddress& server,
                std::string source = "ept_map");
  // The same for an answer no decode holds (DCOM's activation towers, tests): kept by value.
  void remember(epm::EptMapResponse answer, std::uint64_t conversation, const FrameRef& at,
                const common::Endpoint& client, const common::IpAddress& server,
                std::string source = "ept_map") {
    remember(std::make_shared<const epm::EptMapResponse>(std::move(answer)), conversation, at,
             client, server, std::move(source));
  }
  // A new conversation (over UDP or TCP): the answer that gave one of its endpoints, when one
  // came before `start` (endpoint[1], the server when the opening was seen, is tried first).
  [[nodiscard]] std::optional<EpmLink> link(const common::Endpoint (&endpoint)[2],
                                            common::Timestamp start, bool udp = false) const;
  // A conversation from `client` to `server` ended: every answer to that client that gave
  // the server's address and port was tried.
  void tried(const common::Endpoint& client, const common::Endpoint& server, bool udp = false);

  // Every answer kept, oldest first.
  [[nodiscard]] const std::deque<EpmAnswer>& answers() const { return answers_; }
  [[nodiscard]] std::uint64_t answers_dropped() const { return dropped_; }

 private:
  using Key = std::tuple<common::IpAddress, std::uint16_t, bool>;  // address, port, over UDP
  // The same with the client that asked (tried() marks that client's).
  using ClientKey = std::tuple<common::IpAddress, std::uint16_t, bool, common::IpAddress>;
  // Hashed, not ordered: every answer adds a key per tower and every new conversation looks
  // one up, and with 20,000 conversations at once the ordered maps' walks were 5-9% of a run.
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
    std::size_t operator()(const ClientKey& k) const;
  };
  struct Target {
    std::vector<std::uint64_t> answers;  // serials of the answers that gave it, oldest first
  };
  void forget_oldest();
  [[nodiscard]] const EpmAnswer* answer(std::uint64_t serial) const;

  std::deque<EpmAnswer> answers_;
  std::uint64_t first_serial_ = 0;                    // serial of answers_.front()
  std::unordered_map<Key, Target, KeyHash> targets_;  // address and port -> the answers
  // The same serials by address, port and the client that asked.
  std::unordered_map<ClientKey, std::vector<std::uint64_t>, KeyHash> by_client_;
  std::uint64_t dropped_ = 0;
};

}  // namespace rpctrace::analysis
