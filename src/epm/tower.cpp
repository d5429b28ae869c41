// Protocol tower decoding (C706 appendix L "Protocol Tower Encoding"; protocol identifiers
// from C706 appendix I and MS-RPCE 2.2.1.1.7/3.1.1.1). Floor count and lhs/rhs lengths are
// little-endian; UUID floors hold a little-endian UUID and major version with the minor
// version in the rhs; TCP/UDP/HTTP ports and IPv4 addresses are big-endian.
#include <fmt/format.h>

#include <cstring>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/epm/decode.hpp"
#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm {

namespace {

using common::ByteOrder;
using common::ByteReader;

std::optional<dcerpc::SyntaxId> uuid_floor(const Floor& f) {
  if (f.protocol_id != protocol_id::uuid || f.lhs.size() < 18 || f.rhs.size() < 2)
    return std::nullopt;
  std::vector<std::byte> bytes(f.lhs.size());
  for (std::size_t i = 0; i < f.lhs.size(); ++i) bytes[i] = std::byte{f.lhs[i]};
  ByteReader r(bytes, ByteOrder::little);
  dcerpc::SyntaxId s;
  s.uuid = common::read_uuid(r);
  s.major = r.u16();
  s.minor = static_cast<std::uint16_t>(f.rhs[0] | (f.rhs[1] << 8));
  return s;
}

std::string rhs_string(const Floor& f) {
  std::string s;
  for (auto c : f.rhs) {
    if (c == 0) break;
    s.push_back(static_cast<char>(c));
  }
  return s;
}

std::optional<std::uint16_t> rhs_port(const Floor& f) {
  if (f.rhs.size() < 2) return std::nullopt;
  return static_cast<std::uint16_t>((f.rhs[0] << 8) | f.rhs[1]);
}

// Fills protseq/port/address/endpoint_name from floors 3 and beyond (C706 appendix I maps
// protocol sequences to floor stacks; MS-RPCE adds ncacn_http and ncalrpc).
void derive(Tower& t) {
  if (t.floors.size() >= 1) t.interface = uuid_floor(t.floors[0]);
  if (t.floors.size() >= 2) t.transfer_syntax = uuid_floor(t.floors[1]);
  if (t.floors.size() < 3) return;
  std::uint8_t rpc = t.floors[2].protocol_id;
  std::uint8_t f4 = t.floors.size() >= 4 ? t.floors[3].protocol_id : 0;
  std::uint8_t f5 = t.floors.size() >= 5 ? t.floors[4].protocol_id : 0;
  for (std::size_t i = 3; i < t.floors.size(); ++i) {
    const Floor& f = t.floors[i];
    switch (f.protocol_id) {
      case protocol_id::tcp:
      case protocol_id::udp:
      case protocol_id::http:
        t.port = rhs_port(f);
        break;
      case protocol_id::ip:
        if (f.rhs.size() >= 4)
          t.address = common::IpAddress::v4(static_cast<std::uint32_t>(
              (f.rhs[0] << 24) | (f.rhs[1] << 16) | (f.rhs[2] << 8) | f.rhs[3]));
        break;
      case protocol_id::named_pipe:
      case protocol_id::local_pipe:
        t.endpoint_name = rhs_string(f);
        break;
      case protocol_id::netbios:
        if (t.endpoint_name.empty() || rpc != protocol_id::rpc_co) t.endpoint_name = rhs_string(f);
        break;
      default:
        break;
    }
  }
  if (rpc == protocol_id::rpc_co && f4 == protocol_id::tcp && f5 == protocol_id::ip)
    t.protseq = "ncacn_ip_tcp";
  else if (rpc == protocol_id::rpc_cl && f4 == protocol_id::udp && f5 == protocol_id::ip)
    t.protseq = "ncadg_ip_udp";
  else if (rpc == protocol_id::rpc_co && f4 == protocol_id::named_pipe)
    t.protseq = "ncacn_np";
  else if (rpc == protocol_id::rpc_co && f4 == protocol_id::http)
    t.protseq = "ncacn_http";
  else if (rpc == protocol_id::lrpc)
    t.protseq = "ncalrpc";
  else if (rpc == protocol_id::rpc_co && f4 == protocol_id::netbios)
    t.protseq = "ncacn_nb_tcp";
}

}  // namespace

std::string Tower::string_binding() const {
  if (protseq == "ncacn_ip_tcp" || protseq == "ncadg_ip_udp" || protseq == "ncacn_http") {
    // Built by hand: every ept_map answer's towers are written with theirs.
    std::string out = protseq;
    out += ':';
    if (address) address->append_to(out);
    out += '[';
    if (port) out += std::to_string(*port);
    out += ']';
    return out;
  }
  if (protseq == "ncacn_np") {
    // The NetBIOS floor after the pipe names the host.
    std::string server;
    for (const auto& f : floors)
      if (f.protocol_id == protocol_id::netbios)
        for (auto c : f.rhs) {
          if (c == 0) break;
          server.push_back(static_cast<char>(c));
        }
    return fmt::format("ncacn_np:{}[{}]", server, endpoint_name);
  }
  if (protseq == "ncalrpc") return fmt::format("ncalrpc:[{}]", endpoint_name);
  if (protseq == "ncacn_nb_tcp") return fmt::format("ncacn_nb_tcp:{}", endpoint_name);
  // No protocol sequence fits: show every floor from the third by its id and, when it has
  // any, its rhs octets, so nothing the tower said is hidden ("unknown:0x0b.0x99(0a0b)").
  std::string ids;
  for (std::size_t i = 2; i < floors.size(); ++i) {
    ids += fmt::format("{}0x{:02x}", ids.empty() ? "" : ".", floors[i].protocol_id);
    if (!floors[i].rhs.empty()) {
      ids += '(';
      for (auto b : floors[i].rhs) ids += fmt::format("{:02x}", b);
      ids += ')';
    }
  }
  return "unknown:" + ids;
}

namespace {
void copy_octets(Bytes from, std::vector<std::uint8_t>& to) {
  to.resize(from.size());
  if (!from.empty()) std::memcpy(to.data(), from.data(), from.size());
}
}  // namespace

common::ParseResult<Tower, Reason> parse_tower(Bytes octets) {
  using Result = common::ParseResult<Tower, Reason>;
  ByteReader r(octets, ByteOrder::little);
  std::uint16_t floor_count = r.u16();
  if (!r.ok()) return Result::malformed(Reason::truncated, 0, "tower shorter than its floor_count");
  if (floor_count > kMaxFloorsPerTower)
    return Result::malformed(Reason::too_many_floors, 0,
                             fmt::format("floor_count {} > {}", floor_count, kMaxFloorsPerTower));
  Tower t;
  t.floors.reserve(floor_count);  // bounded by kMaxFloorsPerTower above
  for (std::uint16_t i = 0; i < floor_count; ++i) {
    Floor f;
    std::uint16_t lhs_length = r.u16();
    if (!r.ok() || lhs_length > r.remaining())
      return Result::malformed(
          Reason::floor_length, r.position(),
          fmt::format("floor {} lhs_length {} past the tower", i + 1, lhs_length));
    Bytes lhs = r.bytes(lhs_length);
    std::uint16_t rhs_length = r.u16();
    if (!r.ok() || rhs_length > r.remaining())
      return Result::malformed(
          Reason::floor_length, r.position(),
          fmt::format("floor {} rhs_length {} past the tower", i + 1, rhs_length));
    Bytes rhs = r.bytes(rhs_length);
    // Copied at their size, one allocation each (an ept_map answer holds a tower per entry).
    if (!lhs.empty()) {
      f.protocol_id = static_cast<std::uint8_t>(lhs[0]);
      copy_octets(lhs.subspan(1), f.lhs);
    }
    copy_octets(rhs, f.rhs);
    t.floors.push_back(std::move(f));
  }
  derive(t);
  return Result::complete(std::move(t), r.position());
}

std::string_view protocol_id_name(std::uint8_t id) {
  switch (id) {
    case protocol_id::dna_session:
      return "DNA session control";
    case protocol_id::osi_tp4:
      return "OSI TP4";
    case protocol_id::osi_clns:
      return "OSI CLNS";
    case protocol_id::tcp:
      return "TCP";
    case protocol_id::udp:
      return "UDP";
    case protocol_id::ip:
      return "IP";
    case protocol_id::rpc_cl:
      return "RPC connectionless";
    case protocol_id::rpc_co:
      return "RPC connection-oriented";
    case protocol_id::lrpc:
      return "LRPC";
    case protocol_id::uuid:
      return "UUID";
    case protocol_id::named_pipe:
      return "named pipe";
    case protocol_id::local_pipe:
      return "local pipe";
    case protocol_id::netbios:
      return "NetBIOS";
    case protocol_id::netbeui:
      return "NetBEUI";
    case protocol_id::spx:
      return "SPX";
    case protocol_id::ipx:
      return "IPX";
    case protocol_id::netbios_ipx:
      return "NetBIOS over IPX";
    case protocol_id::http:
      return "HTTP";
    default:
      return {};
  }
}

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::truncated:
      return "truncated";
    case Reason::tower_length:
      return "tower_length";
    case Reason::floor_length:
      return "floor_length";
    case Reason::too_many_floors:
      return "too_many_floors";
    case Reason::too_many_towers:
      return "too_many_towers";
    case Reason::count_mismatch:
      return "count_mismatch";
    case Reason::too_many_entries:
      return "too_many_entries";
    case Reason::annotation_too_long:
      return "annotation_too_long";
    case Reason::unknown_opnum:
      return "unknown_opnum";
    case Reason::count_:
      break;
  }
  return "?";
}

}  // namespace rpctrace::epm
