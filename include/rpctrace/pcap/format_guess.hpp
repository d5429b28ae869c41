// What a file is when none of the readers (file_reader.hpp) takes it, and how to make a capture
// of it: told by its first octets (docs/capture_formats.md section 4 lists the magics and their
// sources). An admin handed an ETL trace, a NetMon 1.x or snoop file, a bzip2 archive or the
// printed output of tshark learns what it is and which command converts it, in one line.
#pragma once

#include <cstddef>
#include <string>

#include "rpctrace/common/byte_reader.hpp"

namespace rpctrace::pcap {

// The octets describe_unreadable() looks at, at most (tar's "ustar" lies at 257).
inline constexpr std::size_t kGuessOctets = 512;

// Why the file that begins with `first_octets` (up to kGuessOctets of them; fewer when the file
// is shorter) cannot be read, as one line without the file's name: "empty file: ...", a format
// recognised by its magic and how to convert it, "this is text, not a capture ...", the short
// header of an unrecognised file, or "unknown file format (first octets ..." with the hint that
// editcap converts what Wireshark reads.
std::string describe_unreadable(common::Bytes first_octets);

}  // namespace rpctrace::pcap
