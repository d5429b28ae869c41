// TowerBuilder: protocol tower octets (C706 appendix L; protocol identifiers from appendix I
// and MS-RPCE §2.1). Byte order is fixed by the spec whatever the PDU's drep: floor_count and
// every lhs/rhs length are little-endian, as are the UUID and versions in UUID floors; TCP/UDP
// ports and the IPv4 address in an rhs are big-endian.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "support/bytes.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

// Floor protocol identifiers (the lhs's first octet).
inline constexpr std::uint8_t kFloorTcp = 0x07;
inline constexpr std::uint8_t kFloorUdp = 0x08;
inline constexpr std::uint8_t kFloorIp = 0x09;
inline constexpr std::uint8_t kFloorRpcConnectionless = 0x0a;
inline constexpr std::uint8_t kFloorRpcConnectionOriented = 0x0b;
inline constexpr std::uint8_t kFloorLrpc = 0x0c;
inline constexpr std::uint8_t kFloorUuid = 0x0d;
inline constexpr std::uint8_t kFloorNamedPipe = 0x0f;
inline constexpr std::uint8_t kFloorLocalPipe = 0x10;
inline constexpr std::uint8_t kFloorNetbios = 0x11;
inline constexpr std::uint8_t kFloorHttp = 0x1f;

struct TowerFloor {
  Bytes lhs;
  Bytes rhs;
  std::optional<std::uint16_t> lhs_length;  // override the length field only
  std::optional<std::uint16_t> rhs_length;
};

class TowerBuilder {
 public:
  // lhs 0x0d + UUID + u16 major version; rhs u16 minor version.
  TowerBuilder& interface_floor(const SyntaxId& id);
  TowerBuilder& transfer_syntax_floor(const SyntaxId& id) { return interface_floor(id); }
  // lhs one identifier octet; rhs u16 minor version (0x0a, 0x0b, 0x0c).
  TowerBuilder& rpc_connection_oriented(std::uint16_t minor = 0);
  TowerBuilder& rpc_connectionless(std::uint16_t minor = 0);
  TowerBuilder& lrpc(std::uint16_t minor = 0);
  // rhs u16 port, big-endian.
  TowerBuilder& tcp(std::uint16_t port);
  TowerBuilder& udp(std::uint16_t port);
  TowerBuilder& http(std::uint16_t port);
  // rhs 4 octets, network order.
  TowerBuilder& ip(std::array<std::uint8_t, 4> address);
  // rhs a NUL-terminated string.
  TowerBuilder& named_pipe(std::string_view name);
  TowerBuilder& local_pipe(std::string_view name);
  TowerBuilder& netbios(std::string_view name);
  // Any floor, lengths overridable.
  TowerBuilder& floor(TowerFloor f);
  TowerBuilder& floor_count(std::uint16_t v);  // override

  [[nodiscard]] std::size_t floors() const { return floors_.size(); }
  [[nodiscard]] Bytes build() const;

 private:
  TowerBuilder& simple(std::uint8_t id, Bytes rhs);

  std::vector<TowerFloor> floors_;
  std::optional<std::uint16_t> floor_count_;
};

// The 5-floor ncacn_ip_tcp tower: interface, NDR 2.0, RPC connection-oriented (minor 0),
// TCP port, IPv4 address. Always 75 octets.
Bytes tcp_ip_tower(const SyntaxId& interface_id, std::uint16_t port,
                   std::array<std::uint8_t, 4> address, const SyntaxId& transfer = kNdrSyntax);

}  // namespace rpctrace::testsupport
