// Filter (--port / --host, filter.hpp): a value of one kind matches either side of the segment;
// several values of one kind are alternatives; ports and hosts together must both match.
#include "rpctrace/report/filter.hpp"

#include <gtest/gtest.h>

namespace rpctrace::report {
namespace {

common::IpAddress ip(std::string_view text) { return *common::IpAddress::parse(text); }

pcap::TcpSegmentView segment(std::string_view src, std::uint16_t src_port, std::string_view dst,
                             std::uint16_t dst_port) {
  pcap::TcpSegmentView s;
  s.src = ip(src);
  s.src_port = src_port;
  s.dst = ip(dst);
  s.dst_port = dst_port;
  return s;
}

const pcap::TcpSegmentView kToServer = segment("10.0.0.1", 49152, "10.0.0.2", 135);
const pcap::TcpSegmentView kToClient = segment("10.0.0.2", 135, "10.0.0.1", 49152);
const pcap::TcpSegmentView kV6 = segment("fd00::1", 49153, "fd00::2", 4764);

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

}  // namespace
}  // namespace rpctrace::report
