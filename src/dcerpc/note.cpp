// Names of the framer's and the association's note kinds, as the report prints them.
#include "rpctrace/dcerpc/note.hpp"

#include <iterator>

namespace rpctrace::dcerpc {

std::string_view to_string(NoteKind k) {
  static constexpr std::string_view kNames[] = {
      "malformed_pdu",    "lost_sync",  "resynchronised", "picked_up",
      "partial_pdu_lost", "not_dcerpc", "ncacn_http",     "limit"};
  static_assert(std::size(kNames) == kNoteKindCount);
  auto i = static_cast<std::size_t>(k);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

}  // namespace rpctrace::dcerpc
