// EpmLinks and tower_destination (epm_links.hpp): ept_map answers (C706 appendix O) by the
// address and port they gave; the link of a new conversation to the latest answer before its
// start (endpoint[1] first), tried() for the same client's answers, towers that give no port,
// the unspecified address 0.0.0.0/8 (RFC 1122 §3.2.1.3) as the server's own, and the bound on
// answers kept.
#include "rpctrace/analysis/epm_links.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "rpctrace/epm/decode.hpp"
#include "unit/analysis/analysis_harness.hpp"

namespace rpctrace::analysistest {
namespace {

using analysis::EpmLinks;
using analysis::tower_destination;

const common::IpAddress kServer = ip("10.0.0.2");
const common::Endpoint kClient = ep("10.0.0.1", 49152);

epm::Tower tower(std::optional<std::uint16_t> port, std::optional<std::string_view> address,
                 const dcerpc::SyntaxId& interface = samr_syntax()) {
  return epm_tower(port, address, interface);
}

// An answer from kServer in conversation `id`, frame `id` + 10, at `us`.
void remember(EpmLinks& links, std::uint64_t id, std::int64_t us, std::vector<epm::Tower> towers,
              const common::Endpoint& client = kClient, const common::IpAddress& server = kServer) {
  links.remember(ept_map_answer(std::move(towers)), id, ref(id + 10, us), client, server);
}

std::optional<analysis::EpmLink> link(const EpmLinks& links, const common::Endpoint& e0,
                                      const common::Endpoint& e1, std::int64_t start_us) {
  const common::Endpoint endpoint[2] = {e0, e1};
  return links.link(endpoint, at_us(start_us));
}

// The conversation a link names, 0 for none.
std::uint64_t linked(const EpmLinks& links, const common::Endpoint& e0, const common::Endpoint& e1,
                     std::int64_t start_us) {
  auto l = link(links, e0, e1, start_us);
  return l ? l->conversation : 0;
}

// --- tower_destination ---

TEST(TowerDestination, TheTowersAddress) {
  EXPECT_EQ(tower_destination(tower(49700, "10.0.0.5"), kServer), ip("10.0.0.5"));
  EXPECT_EQ(tower_destination(tower(49700, "1.0.0.0"), kServer), ip("1.0.0.0"));
  EXPECT_EQ(tower_destination(tower(49700, "192.168.1.1"), kServer), ip("192.168.1.1"));
}

TEST(TowerDestination, NoAddressOrOneInZeroSlashEightIsTheServers) {
  for (std::string_view a : {"0.0.0.0", "0.1.2.3", "0.255.255.255"})
    EXPECT_EQ(tower_destination(tower(49700, a), kServer), kServer) << a;
  EXPECT_EQ(tower_destination(tower(49700, std::nullopt), kServer), kServer);
  // As the tower parser gives them (the 5-floor ncacn_ip_tcp tower).
  auto parsed = epm::parse_tower(view(ts::tcp_ip_tower(kSamrTs, 49700, {0, 0, 0, 0})));
  ASSERT_TRUE(parsed.is_complete());
  EXPECT_EQ(tower_destination(parsed.value(), kServer), kServer);
  parsed = epm::parse_tower(view(ts::tcp_ip_tower(kSamrTs, 49700, {10, 9, 8, 7})));
  ASSERT_TRUE(parsed.is_complete());
  EXPECT_EQ(tower_destination(parsed.value(), kServer), ip("10.9.8.7"));
}

// --- remember() and link() ---

TEST(EpmLinks, AnAnswerLinksAConversationToTheAddressAndPortItGave) {
  EpmLinks links;
  remember(links, 1, 6000, {tower(49700, "10.0.0.2")});
  ASSERT_EQ(links.answers().size(), 1u);
  const auto& a = links.answers()[0];
  EXPECT_EQ(a.conversation, 1u);
  EXPECT_EQ(a.frame, 11u);
  EXPECT_EQ(a.ts, at_us(6000));
  EXPECT_EQ(a.client, kClient);
  EXPECT_EQ(a.server, kServer);
  EXPECT_EQ(a.response->towers.size(), 1u);
  EXPECT_EQ(a.tried, std::vector<bool>{false});
  EXPECT_EQ(links.answers_dropped(), 0u);

  auto l = link(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49700), 1006000);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->conversation, 1u);
  EXPECT_EQ(l->frame, 11u);
  EXPECT_EQ(l->ts, at_us(6000));
  EXPECT_EQ(l->delay_us, 1000000);
  EXPECT_EQ(l->interface, samr_syntax());
  EXPECT_EQ(l->client, kClient.address);
  EXPECT_TRUE(l->same_client);
  // Another port, another address: no link.
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49701), 1006000), 0u);
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.3", 49700), 1006000), 0u);
}

TEST(EpmLinks, SameClientIsByAddress) {
  EpmLinks links;
  remember(links, 1, 0, {tower(49700, "10.0.0.2")});
  auto same = link(links, ep("10.0.0.1", 60000), ep("10.0.0.2", 49700), 10);
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(same->same_client);
  auto other = link(links, ep("10.0.0.9", 49152), ep("10.0.0.2", 49700), 10);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->same_client);
  EXPECT_EQ(other->client, kClient.address);  // whom the answer went to
}

TEST(EpmLinks, AnAnswerAfterTheStartDoesNotLink) {
  EpmLinks links;
  remember(links, 1, 6000, {tower(49700, "10.0.0.2")});
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49700), 5999), 0u);
  // Not after: the same microsecond links, with no delay.
  auto l = link(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49700), 6000);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->delay_us, 0);
}

TEST(EpmLinks, TheLatestAnswerBeforeTheStartWins) {
  EpmLinks links;
  remember(links, 1, 1000, {tower(49700, "10.0.0.2", samr_syntax())});
  remember(links, 2, 3000, {tower(49700, "10.0.0.2", lsarpc_syntax())});
  remember(links, 3, 5000, {tower(49700, "10.0.0.2", epm_syntax())});
  const auto c = ep("10.0.0.1", 49153), s = ep("10.0.0.2", 49700);
  EXPECT_EQ(linked(links, c, s, 500), 0u);
  EXPECT_EQ(linked(links, c, s, 2000), 1u);
  EXPECT_EQ(linked(links, c, s, 4000), 2u);
  EXPECT_EQ(linked(links, c, s, 9000), 3u);
  auto l = link(links, c, s, 4000);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->interface, lsarpc_syntax());  // the winning answer's tower
  EXPECT_EQ(l->delay_us, 1000);
}

TEST(EpmLinks, EndpointOneIsTriedFirstThenEndpointZero) {
  EpmLinks links;
  remember(links, 1, 1000, {tower(50000, "10.0.0.1")}, ep("10.0.0.2", 49999), kClient.address);
  remember(links, 2, 2000, {tower(49700, "10.0.0.2")});
  // Both endpoints were answered: endpoint[1] (the server when the opening was seen) wins.
  EXPECT_EQ(linked(links, ep("10.0.0.1", 50000), ep("10.0.0.2", 49700), 9000), 2u);
  // Only endpoint[0] was answered (the opening not seen: the server sent first).
  auto l = link(links, ep("10.0.0.2", 49700), ep("10.0.0.1", 49153), 9000);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->conversation, 2u);
  EXPECT_TRUE(l->same_client);  // endpoint[1] is the client the answer went to
  // endpoint[1]'s answer came after the start: endpoint[0]'s is taken.
  EXPECT_EQ(linked(links, ep("10.0.0.1", 50000), ep("10.0.0.2", 49700), 1500), 1u);
}

TEST(EpmLinks, TowersWithoutAPortOrWithPortZeroAreNotLinked) {
  EpmLinks links;
  remember(links, 1, 0, {tower(std::nullopt, "10.0.0.2"), tower(0, "10.0.0.2")});
  ASSERT_EQ(links.answers().size(), 1u);  // kept for the listing
  EXPECT_EQ(links.answers()[0].tried.size(), 2u);
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 0), 10), 0u);
  links.tried(ep("10.0.0.1", 49153), ep("10.0.0.2", 0));
  EXPECT_EQ(links.answers()[0].tried, (std::vector<bool>{false, false}));
  // Among them, a tower that gives one links, with its own interface.
  remember(links, 2, 0,
           {tower(std::nullopt, "10.0.0.2"), tower(49700, "10.0.0.2", lsarpc_syntax())});
  auto l = link(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49700), 10);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->conversation, 2u);
  EXPECT_EQ(l->interface, lsarpc_syntax());
}

TEST(EpmLinks, AnUnspecifiedOrMissingAddressMeansTheMappersOwn) {
  for (std::optional<std::string_view> address :
       {std::optional<std::string_view>("0.0.0.0"), std::optional<std::string_view>()}) {
    EpmLinks links;
    remember(links, 1, 0, {tower(49700, address)});
    EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49700), 10), 1u);
    EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("0.0.0.0", 49700), 10), 0u);
    links.tried(ep("10.0.0.1", 49153), ep("10.0.0.2", 49700));
    EXPECT_EQ(links.answers()[0].tried, std::vector<bool>{true});
  }
}

TEST(EpmLinks, AnAnswerIsSharedWithItsDecodeNotCopied) {
  EpmLinks links;
  auto decoded = std::make_shared<const epm::EptMapResponse>(
      ept_map_answer({tower(49700, "10.0.0.2"), tower(49701, "fd00::2")}));
  links.remember(decoded, 1, ref(5, 0), kClient, kServer);
  ASSERT_EQ(links.answers().size(), 1u);
  EXPECT_EQ(links.answers()[0].response.get(), decoded.get());
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 49700), 10), 1u);
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("fd00::2", 49701), 10), 1u);
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("fd00::2", 49700), 10), 0u);
}

TEST(EpmLinks, AnAnswerWithoutTowersIsKeptAndLinksNothing) {
  EpmLinks links;
  const auto r = ept_map_answer({}, 0x16c9a0d6);  // ept_s_not_registered
  links.remember(r, 1, ref(5, 0), kClient, kServer);
  ASSERT_EQ(links.answers().size(), 1u);
  EXPECT_EQ(links.answers()[0].response->status, 0x16c9a0d6u);
  EXPECT_TRUE(links.answers()[0].tried.empty());
  EXPECT_EQ(linked(links, ep("10.0.0.1", 49153), ep("10.0.0.2", 135), 10), 0u);
}

// --- tried() ---

TEST(EpmLinks, TriedMarksTheSameClientsAnswersForThatAddressAndPort) {
  EpmLinks links;
  const auto other_client = ep("10.0.0.9", 50000);
  remember(links, 1, 0, {tower(49700, "10.0.0.2"), tower(49701, "10.0.0.2")});
  remember(links, 2, 10, {tower(49700, "10.0.0.2")}, other_client);
  remember(links, 3, 20, {tower(49700, "0.0.0.0"), tower(49700, "10.0.0.3")});
  // A conversation from the client's address (any port) to 10.0.0.2:49700.
  links.tried(ep("10.0.0.1", 60000), ep("10.0.0.2", 49700));
  EXPECT_EQ(links.answers()[0].tried, (std::vector<bool>{true, false}));
  EXPECT_EQ(links.answers()[1].tried, std::vector<bool>{false});  // another client's
  EXPECT_EQ(links.answers()[2].tried, (std::vector<bool>{true, false}));
  // Another port, another address, or no answer there: nothing changes.
  links.tried(ep("10.0.0.1", 60000), ep("10.0.0.2", 49702));
  links.tried(ep("10.0.0.1", 60000), ep("10.0.0.4", 49700));
  EXPECT_EQ(links.answers()[0].tried, (std::vector<bool>{true, false}));
  EXPECT_EQ(links.answers()[2].tried, (std::vector<bool>{true, false}));
  links.tried(other_client, ep("10.0.0.3", 49700));  // not whom answer 3 went to
  EXPECT_EQ(links.answers()[2].tried, (std::vector<bool>{true, false}));
  links.tried(kClient, ep("10.0.0.3", 49700));
  EXPECT_EQ(links.answers()[2].tried, (std::vector<bool>{true, true}));
  links.tried(other_client, ep("10.0.0.2", 49700));
  EXPECT_EQ(links.answers()[1].tried, std::vector<bool>{true});
}

// --- The bound on answers kept ---

TEST(EpmLinks, PastMaxAnswersTheOldestAreForgottenAndNoLongerLink) {
  constexpr std::uint64_t kMax = EpmLinks::kMaxAnswers;
  EpmLinks links;
  const auto c = ep("10.0.0.1", 49153);
  const auto x = ep("10.0.0.2", 1000), y = ep("10.0.0.2", 2000), z = ep("10.0.0.2", 3000);
  remember(links, 1, 0, {tower(x.port, "10.0.0.2")});  // serial 0: the only one for x
  remember(links, 2, 1, {tower(z.port, "10.0.0.2")});  // serial 1: the first for z
  for (std::uint64_t n = 3; n <= kMax; ++n)            // serials 2 .. kMax - 1
    remember(links, n, static_cast<std::int64_t>(n), {tower(y.port, "10.0.0.2")});
  ASSERT_EQ(links.answers().size(), kMax);
  EXPECT_EQ(links.answers_dropped(), 0u);
  EXPECT_EQ(linked(links, c, x, 1 << 30), 1u);

  remember(links, kMax + 1, static_cast<std::int64_t>(kMax + 1), {tower(y.port, "10.0.0.2")});
  EXPECT_EQ(links.answers().size(), kMax);
  EXPECT_EQ(links.answers_dropped(), 1u);
  EXPECT_EQ(links.answers().front().conversation, 2u);
  EXPECT_EQ(links.answers().back().conversation, kMax + 1);
  EXPECT_EQ(linked(links, c, x, 1 << 30), 0u);  // its only answer is gone
  EXPECT_EQ(linked(links, c, z, 1 << 30), 2u);
  EXPECT_EQ(linked(links, c, y, 1 << 30), kMax + 1);
  EXPECT_EQ(linked(links, c, y, 5), 5u);
  links.tried(c, x);  // nothing left to mark

  // A second answer for z; then the first one goes: a start between them links nothing.
  remember(links, kMax + 2, static_cast<std::int64_t>(kMax + 2), {tower(z.port, "10.0.0.2")});
  EXPECT_EQ(links.answers_dropped(), 2u);
  EXPECT_EQ(links.answers().front().conversation, 3u);
  EXPECT_EQ(linked(links, c, z, 100), 0u);
  EXPECT_EQ(linked(links, c, z, 1 << 30), kMax + 2);

  // The index still finds the kept answers by their place.
  links.tried(c, y);
  EXPECT_EQ(links.answers().front().tried, std::vector<bool>{true});
  EXPECT_EQ(links.answers()[links.answers().size() - 2].tried, std::vector<bool>{true});
  EXPECT_EQ(links.answers().back().tried, std::vector<bool>{false});  // z's
  links.tried(c, z);
  EXPECT_EQ(links.answers().back().tried, std::vector<bool>{true});
}

// A port number links only conversations of its tower's transport: an ncadg_ip_udp tower a
// UDP flow, an ncacn_ip_tcp (or ncacn_http) tower a TCP connection.
TEST(EpmLinks, AUdpTowerLinksOnlyAUdpConversation) {
  EpmLinks links;
  epm::Tower udp = tower(1030, "10.0.0.2");
  udp.protseq = "ncadg_ip_udp";
  epm::Tower tcp = tower(1031, "10.0.0.2");
  remember(links, 7, 100, {udp, tcp});
  const common::Endpoint udp_server = ep("10.0.0.2", 1030), tcp_server = ep("10.0.0.2", 1031);
  const common::Endpoint by_udp[2] = {kClient, udp_server}, by_tcp[2] = {kClient, tcp_server};
  EXPECT_FALSE(links.link(by_udp, at_us(200), false));
  ASSERT_TRUE(links.link(by_udp, at_us(200), true));
  EXPECT_EQ(links.link(by_udp, at_us(200), true)->conversation, 7u);
  EXPECT_FALSE(links.link(by_tcp, at_us(200), true));
  EXPECT_TRUE(links.link(by_tcp, at_us(200), false));
  // tried() marks only the tower of the conversation's transport.
  links.tried(kClient, udp_server, false);
  EXPECT_EQ(links.answers().back().tried, (std::vector<bool>{false, false}));
  links.tried(kClient, udp_server, true);
  EXPECT_EQ(links.answers().back().tried, (std::vector<bool>{true, false}));
}

}  // namespace
}  // namespace rpctrace::analysistest
