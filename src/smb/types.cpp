// Names of the malformation reasons; recognition of an SMB message.
#include "rpctrace/smb/types.hpp"

namespace rpctrace::smb {

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::truncated:
      return "truncated";
    case Reason::protocol_id:
      return "protocol_id";
    case Reason::structure_size:
      return "structure_size";
    case Reason::offset_out_of_range:
      return "offset_out_of_range";
    case Reason::next_command:
      return "next_command";
    case Reason::chain_too_deep:
      return "chain_too_deep";
    case Reason::word_count:
      return "word_count";
    case Reason::andx_offset:
      return "andx_offset";
    case Reason::name_too_long:
      return "name_too_long";
    case Reason::count_:
      break;
  }
  return "?";
}

Protocol protocol_of(Bytes m) {
  if (m.size() < 4 || m[1] != std::byte{'S'} || m[2] != std::byte{'M'} || m[3] != std::byte{'B'})
    return Protocol::none;
  switch (std::to_integer<unsigned>(m[0])) {
    case 0xff:
      return Protocol::smb1;
    case 0xfe:
      return Protocol::smb2;
    case 0xfd:
      return Protocol::transform;
    case 0xfc:
      return Protocol::compressed;
    default:
      return Protocol::none;
  }
}

}  // namespace rpctrace::smb
