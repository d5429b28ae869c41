// Files no reader takes, told by their first octets (docs/capture_formats.md section 4: each
// magic with its source). Only the message depends on the guess: nothing is read either way, so
// a magic is checked as far as it is public and no further.
#include "rpctrace/pcap/format_guess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace rpctrace::pcap {

namespace {

constexpr std::string_view kEditcap =
    "convert it with `editcap -F pcapng in out.pcapng` (Wireshark's editcap reads many capture "
    "formats)";

bool starts_with(common::Bytes b, std::string_view magic, std::size_t at = 0) {
  if (at > b.size() || magic.size() > b.size() - at) return false;
  for (std::size_t i = 0; i < magic.size(); ++i)
    if (b[at + i] != static_cast<std::byte>(magic[i])) return false;
  return true;
}

bool starts_with(common::Bytes b, std::initializer_list<std::uint8_t> magic) {
  if (magic.size() > b.size()) return false;
  return std::equal(magic.begin(), magic.end(), b.begin(),
                    [](std::uint8_t m, std::byte o) { return std::byte{m} == o; });
}

// An ETL file (capture_formats.md 2.3): a sequence of buffers, each with a 0x48-octet
// WMI_BUFFER_HEADER whose first field is the buffer size; the first record of the file, at
// 0x48, is the log-file header event: a SYSTEM_TRACE_HEADER whose marker has the header type
// 1 or 2 (32- or 64-bit system header) in its third octet and the two top bits set in its
// fourth, its size at +4 and HookId 0 at +6.
bool is_etl(common::Bytes b) {
  if (b.size() < 0x50) return false;
  common::ByteReader r(b, common::ByteOrder::little);
  const std::uint32_t buffer_size = r.u32();
  r.skip(0x48 - 4);
  const std::uint16_t version = r.u16();
  const std::uint8_t header_type = r.u8(), flags = r.u8();
  const std::uint16_t size = r.u16(), hook_id = r.u16();
  (void)version;  // 2 in the descriptions (E9); not needed to tell the record
  return r.ok() && buffer_size >= 0x48 + 0x20 && buffer_size <= (std::uint32_t{1} << 26) &&
         (header_type == 1 || header_type == 2) && (flags & 0xC0) == 0xC0 && size >= 0x20 &&
         size <= buffer_size - 0x48 && hook_id == 0;
}

// Text: printable ASCII, the usual whitespace, terminal escapes (coloured output) and valid
// UTF-8 (tshark prints arrows); a UTF-8 sequence cut by the end of the window still counts.
bool is_text(common::Bytes b) {
  if (b.empty()) return false;
  std::size_t i = 0;
  while (i < b.size()) {
    const auto c = static_cast<std::uint8_t>(b[i]);
    if (c < 0x80) {
      if (c == 0x7F ||
          (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1B))
        return false;
      ++i;
      continue;
    }
    const std::size_t more = c >= 0xC2 && c <= 0xDF   ? 1
                             : c >= 0xE0 && c <= 0xEF ? 2
                             : c >= 0xF0 && c <= 0xF4 ? 3
                                                      : 0;
    if (more == 0) return false;
    for (std::size_t k = 1; k <= more; ++k) {
      if (i + k >= b.size()) return true;
      if ((static_cast<std::uint8_t>(b[i + k]) & 0xC0) != 0x80) return false;
    }
    i += more + 1;
  }
  return true;
}

bool is_hex(std::byte o) {
  const auto c = static_cast<char>(o);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A line as tshark -x and Wireshark's "Copy as Hex Dump" write it: "0000  45 00 ...".
bool has_hex_dump_line(common::Bytes b) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i != 0 && b[i - 1] != std::byte{'\n'}) continue;
    if (starts_with(b, "0000  ", i) && i + 8 <= b.size() && is_hex(b[i + 6]) && is_hex(b[i + 7]))
      return true;
  }
  return false;
}

bool starts_with_ignoring_case(common::Bytes b, std::string_view word) {
  if (word.size() > b.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = static_cast<char>(b[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

std::string compressed(std::string_view with, std::string_view command) {
  return fmt::format(
      "compressed with {}: decompress it first, e.g. `{}` (rpctrace reads gzip and zstd itself)",
      with, command);
}

std::string text(common::Bytes b) {
  if (starts_with(b, {0xEF, 0xBB, 0xBF})) b = b.subspan(3);
  std::size_t lead = 0;
  while (lead < b.size() && (b[lead] == std::byte{' '} || b[lead] == std::byte{'\t'} ||
                             b[lead] == std::byte{'\r'} || b[lead] == std::byte{'\n'}))
    ++lead;
  const common::Bytes body = b.subspan(lead);
  if (starts_with(body, "version https://git-lfs.github.com/spec/"))
    return "a Git LFS pointer, not the capture it stands for: fetch it with `git lfs pull`";
  if (starts_with_ignoring_case(body, "<!doctype html") || starts_with_ignoring_case(body, "<html"))
    return "an HTML page, not a capture (a web page saved instead of the file it links to? on "
           "GitHub, download the raw file)";
  std::string out =
      "this is text, not a capture (the printed output of tcpdump or tshark?); write captures "
      "with -w, e.g. `tcpdump -w out.pcap` or `tshark -w out.pcapng`";
  if (has_hex_dump_line(body))
    out += "; a hex dump like tshark -x's can be turned into one with `text2pcap in.txt out.pcap`";
  return out;
}

}  // namespace

std::string describe_unreadable(common::Bytes b) {
  b = b.first(std::min(b.size(), kGuessOctets));
  if (b.empty()) return "empty file: no capture file header";
  // Windows event traces, other capture formats, archives: by their magic.
  if (is_etl(b))
    return "a Windows event trace (ETL, from netsh trace or pktmon), not a packet capture: "
           "convert it on Windows, a netsh trace with `etl2pcapng in.etl out.pcapng` "
           "(github.com/microsoft/etl2pcapng), a pktmon trace with `pktmon etl2pcap in.etl --out "
           "out.pcapng` (Windows 10 2004+)";
  if (starts_with(b, "RTSS"))
    return fmt::format("a Network Monitor 1.x capture (rpctrace reads NetMon 2.x): {}", kEditcap);
  if (starts_with(b, std::string_view("snoop\0\0\0", 8)))
    return fmt::format("a snoop capture (Solaris, RFC 1761): {}", kEditcap);
  if (starts_with(b, "TRSNIFF data    \x1a"))
    return fmt::format("a Sniffer (DOS) capture: {}", kEditcap);
  if (starts_with(b, std::string_view("XCP\0", 4)))
    return fmt::format("a NetXRay / Windows Sniffer capture: {}", kEditcap);
  if (starts_with(b, "ObserverPktBufferVersion="))
    return fmt::format("an Observer capture: {}", kEditcap);
  if (starts_with(b, {0x34, 0xCD, 0xB2, 0xA1}) || starts_with(b, {0xA1, 0xB2, 0xCD, 0x34}))
    return fmt::format("a pcap of the modified (Kuznetzov) kind, magic a1b2cd34: {}", kEditcap);
  if (b.size() >= 4 && starts_with(b, "BZh") && b[3] >= std::byte{'1'} && b[3] <= std::byte{'9'})
    return compressed("bzip2", "bzip2 -d in.pcap.bz2");
  if (starts_with(b, {0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00})) return compressed("xz", "xz -d in.xz");
  if (starts_with(b, {0x04, 0x22, 0x4D, 0x18}) || starts_with(b, {0x02, 0x21, 0x4C, 0x18}))
    return compressed("lz4", "lz4 -d in.lz4");
  if (starts_with(b, {0x50, 0x4B, 0x03, 0x04}) || starts_with(b, {0x50, 0x4B, 0x05, 0x06}) ||
      starts_with(b, {0x50, 0x4B, 0x07, 0x08}))
    return "a zip archive: unpack it first, e.g. `unzip in.zip`";
  if (starts_with(b, {0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C}))
    return "a 7-Zip archive: unpack it first, e.g. `7z x in.7z`";
  if (starts_with(b, "ustar", 257)) return "a tar archive: unpack it first, e.g. `tar xf in.tar`";
  // Text: UTF-16 (PowerShell's `>` writes it, and re-encodes binary output on the way), UTF-8.
  if (starts_with(b, {0xFF, 0xFE}) || starts_with(b, {0xFE, 0xFF}))
    return "UTF-16 text, not a capture (PowerShell's `>` writes UTF-16 and garbles a capture "
           "written to standard output); write captures with -w, e.g. `tshark -w out.pcapng`";
  if (is_text(b)) return text(b);
  if (b.size() < 24)
    return fmt::format("truncated dump file; tried to read 24 file header bytes, only got {}",
                       b.size());
  std::string octets;
  for (std::byte o : b.first(8))
    octets += fmt::format("{}{:02x}", octets.empty() ? "" : " ", static_cast<unsigned>(o));
  return fmt::format("unknown file format (first octets {}); if Wireshark opens it, {}", octets,
                     kEditcap);
}

}  // namespace rpctrace::pcap
