// Names from the wire as UTF-8 for reports: UTF-16LE (NTLMSSP, SMB paths), OEM/ASCII octets,
// or UTF-8 (Kerberos). Characters that could forge or reorder report lines (controls, line
// separators, bidirectional overrides) come out escaped as \xNN or \uNNNN.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::common {

// UTF-16LE; unpaired surrogates become U+FFFD, an odd last octet \xNN.
bool utf16le_to_text(Bytes in, std::string& out, std::size_t max_octets);
// OEM/ASCII: anything outside printable ASCII becomes \xNN, since the OEM code page is unknown.
bool oem_to_text(Bytes in, std::string& out, std::size_t max_octets);
// UTF-8 (MS-KILE 3.1.5.7 for Kerberos names): invalid octets become \xNN.
bool utf8_to_text(Bytes in, std::string& out, std::size_t max_octets);
// Each fails (returns false) when its output would pass max_octets.

// Whether `s` ends with `suffix`, ASCII letters compared without case (share and pipe names:
// "\\dc1\ipc$" is IPC$).
bool ends_with_nocase(std::string_view s, std::string_view suffix);

}  // namespace rpctrace::common
