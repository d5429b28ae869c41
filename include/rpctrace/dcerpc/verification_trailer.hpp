// The verification trailer Windows appends to request stubs (MS-RPCE 2.2.2.13): an 8-octet
// signature, 4-aligned in the stub, then commands (BITMASK_1, PCONTEXT, HEADER2) to the end.
// Stub decoders must stop where it starts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "rpctrace/dcerpc/types.hpp"

namespace rpctrace::dcerpc {

struct VerificationTrailer {
  std::size_t offset = 0;  // where the signature starts in the stub
  struct Command {
    std::uint16_t command = 0;  // SEC_VT_COMMAND_* without the END/MUST_PROCESS bits
    bool must_process = false;
    std::uint16_t length = 0;
  };
  std::vector<Command> commands;
};

// The trailer at the end of `stub`, if one is there and its commands run exactly to the end.
std::optional<VerificationTrailer> find_verification_trailer(Bytes stub, common::ByteOrder order);
// "bitmask_1", "pcontext", "header2"; empty when unknown.
std::string_view verification_command_name(std::uint16_t command);

}  // namespace rpctrace::dcerpc
