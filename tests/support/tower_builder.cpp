// TowerBuilder (see tower_builder.hpp); C706 appendix L "Protocol Tower Encoding".
#include "support/tower_builder.hpp"

#include <utility>

namespace rpctrace::testsupport {
namespace {

Bytes u16_le(std::uint16_t v) { return ByteWriter(Endian::little).u16(v).take(); }
Bytes u16_be(std::uint16_t v) { return ByteWriter(Endian::big).u16(v).take(); }
Bytes c_string(std::string_view s) { return ByteWriter{}.text(s).u8(0).take(); }

}  // namespace

TowerBuilder& TowerBuilder::floor(TowerFloor f) {
  floors_.push_back(std::move(f));
  return *this;
}

TowerBuilder& TowerBuilder::simple(std::uint8_t id, Bytes rhs) {
  return floor(TowerFloor{Bytes{std::byte{id}}, std::move(rhs), std::nullopt, std::nullopt});
}

TowerBuilder& TowerBuilder::interface_floor(const SyntaxId& id) {
  ByteWriter lhs(Endian::little);
  lhs.u8(kFloorUuid);
  id.uuid.write_le(lhs);
  lhs.u16(id.major);
  return floor(TowerFloor{lhs.take(), u16_le(id.minor), std::nullopt, std::nullopt});
}

TowerBuilder& TowerBuilder::rpc_connection_oriented(std::uint16_t minor) {
  return simple(kFloorRpcConnectionOriented, u16_le(minor));
}
TowerBuilder& TowerBuilder::rpc_connectionless(std::uint16_t minor) {
  return simple(kFloorRpcConnectionless, u16_le(minor));
}
TowerBuilder& TowerBuilder::lrpc(std::uint16_t minor) { return simple(kFloorLrpc, u16_le(minor)); }
TowerBuilder& TowerBuilder::tcp(std::uint16_t port) { return simple(kFloorTcp, u16_be(port)); }
TowerBuilder& TowerBuilder::udp(std::uint16_t port) { return simple(kFloorUdp, u16_be(port)); }
TowerBuilder& TowerBuilder::http(std::uint16_t port) { return simple(kFloorHttp, u16_be(port)); }

TowerBuilder& TowerBuilder::ip(std::array<std::uint8_t, 4> address) {
  ByteWriter rhs;
  for (std::uint8_t b : address) rhs.u8(b);
  return simple(kFloorIp, rhs.take());
}

TowerBuilder& TowerBuilder::named_pipe(std::string_view name) {
  return simple(kFloorNamedPipe, c_string(name));
}
TowerBuilder& TowerBuilder::local_pipe(std::string_view name) {
  return simple(kFloorLocalPipe, c_string(name));
}
TowerBuilder& TowerBuilder::netbios(std::string_view name) {
  return simple(kFloorNetbios, c_string(name));
}

TowerBuilder& TowerBuilder::floor_count(std::uint16_t v) {
  floor_count_ = v;
  return *this;
}

Bytes TowerBuilder::build() const {
  ByteWriter w(Endian::little);
  w.u16(floor_count_.value_or(static_cast<std::uint16_t>(floors_.size())));
  for (const TowerFloor& f : floors_) {
    w.u16(f.lhs_length.value_or(static_cast<std::uint16_t>(f.lhs.size()))).bytes(f.lhs);
    w.u16(f.rhs_length.value_or(static_cast<std::uint16_t>(f.rhs.size()))).bytes(f.rhs);
  }
  return w.take();
}

Bytes tcp_ip_tower(const SyntaxId& interface_id, std::uint16_t port,
                   std::array<std::uint8_t, 4> address, const SyntaxId& transfer) {
  return TowerBuilder{}
      .interface_floor(interface_id)
      .transfer_syntax_floor(transfer)
      .rpc_connection_oriented(0)
      .tcp(port)
      .ip(address)
      .build();
}

}  // namespace rpctrace::testsupport
