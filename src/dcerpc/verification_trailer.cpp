// Verification trailer search (MS-RPCE 2.2.2.13).
#include "rpctrace/dcerpc/verification_trailer.hpp"

#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::dcerpc {

namespace {
constexpr std::uint8_t kSignature[8] = {0x8a, 0xe3, 0x13, 0x71, 0x02, 0xf4, 0x36, 0x71};
constexpr std::uint16_t kCommandEnd = 0x4000, kMustProcess = 0x8000;
// The largest trailer Windows sends is well under this (BITMASK_1 + PCONTEXT + HEADER2).
constexpr std::size_t kMaxTrailer = 256;

bool signature_at(Bytes stub, std::size_t i) {
  for (std::size_t k = 0; k < 8; ++k)
    if (static_cast<std::uint8_t>(stub[i + k]) != kSignature[k]) return false;
  return true;
}

std::optional<VerificationTrailer> parse_at(Bytes stub, std::size_t offset,
                                            common::ByteOrder order) {
  common::ByteReader r(stub.subspan(offset + 8), order);
  VerificationTrailer t;
  t.offset = offset;
  while (r.remaining() > 0) {
    std::uint16_t command = r.u16();
    std::uint16_t length = r.u16();
    if (!r.ok() || length > r.remaining()) return std::nullopt;
    r.skip(length);
    t.commands.push_back(
        {static_cast<std::uint16_t>(command & 0x3fff), (command & kMustProcess) != 0, length});
    if (command & kCommandEnd) return r.remaining() == 0 ? std::optional(t) : std::nullopt;
  }
  return std::nullopt;
}
}  // namespace

std::optional<VerificationTrailer> find_verification_trailer(Bytes stub, common::ByteOrder order) {
  if (stub.size() < 12) return std::nullopt;
  std::size_t start = stub.size() > kMaxTrailer ? stub.size() - kMaxTrailer : 0;
  start = (start + 3) & ~std::size_t{3};
  for (std::size_t i = start; i + 12 <= stub.size(); i += 4)
    if (signature_at(stub, i))
      if (auto t = parse_at(stub, i, order)) return t;
  return std::nullopt;
}

std::string_view verification_command_name(std::uint16_t command) {
  switch (command) {
    case 1:
      return "bitmask_1";
    case 2:
      return "pcontext";
    case 3:
      return "header2";
    default:
      return {};
  }
}

}  // namespace rpctrace::dcerpc
