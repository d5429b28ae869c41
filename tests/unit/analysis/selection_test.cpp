// Selection (selection.hpp): --port and --host match either side of a conversation; several
// values of one kind are alternatives; ports and hosts together must both match. --interface
// matches by UUID or by the names table's short name, in any case.
#include "rpctrace/analysis/selection.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace rpctrace::analysis {
namespace {

common::IpAddress ip(std::string_view text) { return *common::IpAddress::parse(text); }

using Pair = std::pair<common::Endpoint, common::Endpoint>;
Pair segment(std::string_view src, std::uint16_t src_port, std::string_view dst,
             std::uint16_t dst_port) {
  return {{ip(src), src_port}, {ip(dst), dst_port}};
}

// A Selection with --port/--host only, as the tests below set them.
struct Filter : Selection {
  [[nodiscard]] bool empty() const { return !by_endpoints(); }
  [[nodiscard]] bool matches(const Pair& p) const { return matches_endpoints(p.first, p.second); }
};

const Pair kToServer = segment("10.0.0.1", 49152, "10.0.0.2", 135);
const Pair kToClient = segment("10.0.0.2", 135, "10.0.0.1", 49152);
const Pair kV6 = segment("fd00::1", 49153, "fd00::2", 4764);

TEST(Filter, EmptyMatchesEverything) {
  Filter f;
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.matches(kToServer));
  EXPECT_TRUE(f.matches(kV6));
}

// --- Ports: either side; several ports are alternatives. ---
TEST(Filter, PortMatchesEitherSide) {
  Filter f;
  f.ports = {135};
  EXPECT_FALSE(f.empty());
  EXPECT_TRUE(f.matches(kToServer));
  EXPECT_TRUE(f.matches(kToClient));
  EXPECT_FALSE(f.matches(kV6));
  f.ports = {49152};
  EXPECT_TRUE(f.matches(kToServer));
  EXPECT_TRUE(f.matches(kToClient));
  f.ports = {136};
  EXPECT_FALSE(f.matches(kToServer));
}

TEST(Filter, SeveralPortsAreAlternatives) {
  Filter f;
  f.ports = {593, 4764};
  EXPECT_FALSE(f.matches(kToServer));
  EXPECT_TRUE(f.matches(kV6));
  f.ports.push_back(135);
  EXPECT_TRUE(f.matches(kToServer));
}

// --- Hosts: either side, IPv4 and IPv6; an IPv4 address never matches an IPv6 one. ---
TEST(Filter, HostMatchesEitherSide) {
  Filter f;
  f.hosts = {ip("10.0.0.2")};
  EXPECT_TRUE(f.matches(kToServer));
  EXPECT_TRUE(f.matches(kToClient));
  EXPECT_FALSE(f.matches(kV6));
  f.hosts = {ip("10.0.0.1")};
  EXPECT_TRUE(f.matches(kToServer));
  f.hosts = {ip("10.0.0.3")};
  EXPECT_FALSE(f.matches(kToServer));
}

TEST(Filter, Ipv6HostsMatchByValue) {
  Filter f;
  f.hosts = {ip("fd00:0:0:0:0:0:0:2")};
  EXPECT_TRUE(f.matches(kV6));
  EXPECT_FALSE(f.matches(kToServer));
  // ::a00:2 has the IPv4 address's octets at its end, but another family.
  f.hosts = {ip("::a00:2"), ip("::ffff:10.0.0.2")};
  EXPECT_FALSE(f.matches(kToServer));
  f.hosts.push_back(ip("fd00::1"));
  EXPECT_TRUE(f.matches(kV6));
}

// --- Ports and hosts together: both must match (not necessarily on the same side). ---
TEST(Filter, PortAndHostAreAnded) {
  Filter f;
  f.ports = {135};
  f.hosts = {ip("10.0.0.1")};
  EXPECT_TRUE(f.matches(kToServer));  // port on the server's side, host the client
  EXPECT_TRUE(f.matches(kToClient));
  f.hosts = {ip("10.0.0.9")};
  EXPECT_FALSE(f.matches(kToServer));  // port matches, host does not
  f.hosts = {ip("10.0.0.1")};
  f.ports = {80};
  EXPECT_FALSE(f.matches(kToServer));  // host matches, port does not
  f.ports = {80, 49152};
  f.hosts = {ip("fd00::1"), ip("10.0.0.2")};
  EXPECT_TRUE(f.matches(kToServer));
  EXPECT_FALSE(f.matches(kV6));
}

// --- Interfaces: by UUID (either case) or by short name (any case). ---
TEST(Selection, InterfaceByUuidOrName) {
  const dcerpc::SyntaxId samr{*common::Uuid::parse("12345778-1234-abcd-ef00-0123456789ac"), 1, 0};
  const dcerpc::SyntaxId epm{*common::Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa"), 3, 0};
  Selection s;
  EXPECT_FALSE(s.matches_interface(samr));
  s.interfaces = {"samr"};
  EXPECT_TRUE(s.matches_interface(samr));
  EXPECT_FALSE(s.matches_interface(epm));
  s.interfaces = {"E1AF8308-5D1F-11C9-91A4-08002B14A0FA"};
  EXPECT_TRUE(s.matches_interface(epm));
  EXPECT_FALSE(s.matches_interface(samr));
  s.interfaces = {"sam", "EPMV4"};  // a prefix is not a name
  EXPECT_FALSE(s.matches_interface(samr));
  EXPECT_TRUE(s.matches_interface(epm));
}

}  // namespace
}  // namespace rpctrace::analysis
