// Fuzz target: the endpoint mapper decoder — every ept.idl operation's request and response
// stub in NDR and NDR64, both byte orders, and a bare protocol tower. The first octet picks
// the operation, direction, syntax and byte order.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rpctrace/epm/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t pick = data[0];
  auto stub = std::as_bytes(std::span(data + 1, size - 1));
  using namespace rpctrace;
  if ((pick & 0x0f) == 0x0f) {
    (void)epm::parse_tower(stub);
    return 0;
  }
  std::uint16_t opnum = pick & 0x07;  // ept.idl opnums 0..7
  bool request = (pick & 0x08) != 0;
  auto syntax = (pick & 0x10) ? epm::Syntax::ndr64 : epm::Syntax::ndr;
  auto order = (pick & 0x20) ? common::ByteOrder::big : common::ByteOrder::little;
  auto r = epm::decode_epm_stub(opnum, request, stub, order, syntax);
  if (r.is_complete() && r.consumed() > stub.size()) __builtin_trap();
  return 0;
}
