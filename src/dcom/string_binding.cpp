// DUALSTRINGARRAY (MS-DCOM 2.2.19.2, the NDR form) and its STRINGBINDING entries (2.2.19.3):
// wTowerId then a NUL-terminated UTF-16 aNetworkAddr, "servername" or "servername[endpoint]",
// up to the zero wTowerId (nullterm1) that ends them; the security bindings after it
// (2.2.19.4) are not string bindings and are not read.
#include <string>

#include "ndr.hpp"
#include "rpctrace/dcom/limits.hpp"

namespace rpctrace::dcom {

std::string_view tower_id_protseq(std::uint16_t tower_id) {
  // wTowerId is a protocol id of C706 table I-2 (MS-DCOM 2.2.19.3): the id of the floor that
  // names the transport, as in an endpoint mapper tower (C706 appendix L; epm/types.hpp).
  // Only ids whose protocol sequence is certain are named; 0x0f (named pipes) is seen with
  // "\\HOST[\PIPE\atsvc]" in LM_WMI_ProcessCallCreate.pcapng.
  switch (tower_id) {
    case 0x07:
      return "ncacn_ip_tcp";
    case 0x08:
      return "ncadg_ip_udp";
    case 0x0f:
      return "ncacn_np";
    case 0x10:
      return "ncalrpc";
    case 0x1f:
      return "ncacn_http";  // MS-RPCH 2.1.2.1.1 (the HTTP floor)
    default:
      return {};
  }
}

namespace detail {

namespace {

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
  }
}

// UTF-16 code units to UTF-8; a lone surrogate becomes U+FFFD.
std::string utf16_to_utf8(const std::vector<std::uint16_t>& units) {
  std::string out;
  for (std::size_t i = 0; i < units.size(); ++i) {
    const char32_t u = units[i];
    if (u >= 0xd800 && u <= 0xdbff && i + 1 < units.size() && units[i + 1] >= 0xdc00 &&
        units[i + 1] <= 0xdfff) {
      append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (char32_t{units[i + 1]} - 0xdc00));
      ++i;
    } else if (u >= 0xd800 && u <= 0xdfff) {
      append_utf8(out, 0xfffd);
    } else {
      append_utf8(out, u);
    }
  }
  return out;
}

// "servername[endpoint]" or "servername" (MS-DCOM 2.2.19.3). The last '[' opens the
// endpoint, so a name that itself holds one is kept whole up to it.
StringBinding make_binding(std::uint16_t tower_id, std::string text) {
  StringBinding b;
  b.tower_id = tower_id;
  b.protseq = std::string(tower_id_protseq(tower_id));
  const std::size_t open = text.rfind('[');
  if (!text.empty() && text.back() == ']' && open != std::string::npos) {
    b.endpoint = text.substr(open + 1, text.size() - open - 2);
    text.resize(open);
  }
  b.network_address = std::move(text);
  // An ncacn_ip_tcp, ncadg_ip_udp or ncacn_http endpoint is a port number (MS-RPCE 2.1.1.1,
  // 2.1.2.1; MS-RPCH 2.1.2.1.1); at most 5 digits, so the value cannot overflow.
  const bool port_protseq =
      b.protseq == "ncacn_ip_tcp" || b.protseq == "ncadg_ip_udp" || b.protseq == "ncacn_http";
  if (port_protseq && !b.endpoint.empty() && b.endpoint.size() <= 5 &&
      b.endpoint.find_first_not_of("0123456789") == std::string::npos) {
    std::uint32_t value = 0;
    for (char c : b.endpoint) value = value * 10 + static_cast<std::uint32_t>(c - '0');
    if (value <= 65535) b.port = static_cast<std::uint16_t>(value);
  }
  return b;
}

}  // namespace

std::optional<Malformed> read_string_bindings(ByteReader& a, std::size_t base,
                                              std::uint16_t security_offset,
                                              std::vector<StringBinding>& out) {
  std::vector<StringBinding> found;
  std::size_t index = 0;  // code units read so far
  while (index < security_offset) {
    const std::uint16_t tower_id = a.u16();
    ++index;
    if (!a.ok()) return truncated(a, base, "aStringArray");
    if (tower_id == 0) {
      // nullterm1 (or an empty STRINGBINDING before it): the string bindings end here.
      out.insert(out.end(), found.begin(), found.end());
      return std::nullopt;
    }
    if (found.size() == kMaxStringBindings)
      return malformed(Reason::too_many_bindings, a, base,
                       fmt::format("more than {} string bindings", kMaxStringBindings));
    std::vector<std::uint16_t> chars;
    bool terminated = false;
    while (index < security_offset) {
      const std::uint16_t c = a.u16();
      ++index;
      if (!a.ok()) return truncated(a, base, "aNetworkAddr");
      if (c == 0) {
        terminated = true;
        break;
      }
      if (chars.size() == kMaxNetworkAddressChars)
        return malformed(
            Reason::address_too_long, a, base,
            fmt::format("aNetworkAddr longer than {} characters", kMaxNetworkAddressChars));
      chars.push_back(c);
    }
    if (!terminated)
      return malformed(
          Reason::bad_dualstringarray, a, base,
          fmt::format("aNetworkAddr not terminated before wSecurityOffset {}", security_offset));
    found.push_back(make_binding(tower_id, utf16_to_utf8(chars)));
  }
  return malformed(Reason::bad_dualstringarray, a, base,
                   fmt::format("no nullterm1 before wSecurityOffset {}", security_offset));
}

std::optional<Malformed> read_dualstringarray(ByteReader& r, std::size_t base,
                                              std::vector<StringBinding>& out) {
  // A conformant structure: its array's max_count comes first (C706 14.3.7.1).
  r.align(4);
  const std::uint32_t max_count = r.u32();
  const std::uint16_t num_entries = r.u16();
  const std::uint16_t security_offset = r.u16();
  if (!r.ok()) return truncated(r, base, "DUALSTRINGARRAY");
  if (max_count != num_entries)
    return malformed(
        Reason::count_mismatch, r, base,
        fmt::format("DUALSTRINGARRAY max_count {} != wNumEntries {}", max_count, num_entries));
  if (security_offset > num_entries)
    return malformed(
        Reason::bad_dualstringarray, r, base,
        fmt::format("wSecurityOffset {} > wNumEntries {}", security_offset, num_entries));
  const std::size_t octets = std::size_t{num_entries} * 2;
  if (octets > r.remaining())
    return malformed(
        Reason::truncated, r, base,
        fmt::format("aStringArray {} entries, {} octets left", num_entries, r.remaining()));
  const std::size_t array_base = base + r.position();
  ByteReader array = r.sub(octets);
  return read_string_bindings(array, array_base, security_offset, out);
}

}  // namespace detail
}  // namespace rpctrace::dcom
