// bind / alter_context (C706 §12.6.4.3, §12.6.4.1), bind_ack / alter_context_resp
// (§12.6.4.4, §12.6.4.2) and bind_nak (§12.6.4.5) bodies.
#include <fmt/format.h>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/pdu.hpp"

namespace rpctrace::dcerpc {

namespace {

SyntaxId read_syntax_id(common::ByteReader& r) {
  SyntaxId s;
  s.uuid = common::read_uuid(r);
  std::uint32_t if_version = r.u32();
  s.major = static_cast<std::uint16_t>(if_version & 0xffff);
  s.minor = static_cast<std::uint16_t>(if_version >> 16);
  return s;
}

// The fixed part of a bind body; returns n_context_elem.
std::uint8_t read_bind_fixed(common::ByteReader& r, Bind& b) {
  b.max_xmit_frag = r.u16();
  b.max_recv_frag = r.u16();
  b.assoc_group_id = r.u32();
  std::uint8_t n_context_elem = r.u8();
  r.skip(3);  // reserved, reserved2
  return n_context_elem;
}

// A p_cont_elem_t up to its transfer syntaxes; returns n_transfer_syn.
std::uint8_t read_context_head(common::ByteReader& r, ContextElement& e) {
  e.p_cont_id = r.u16();
  std::uint8_t n_transfer_syn = r.u8();
  r.skip(1);  // reserved
  e.abstract_syntax = read_syntax_id(r);
  return n_transfer_syn;
}

template <typename T>
common::ParseResult<T, Reason> truncated(const common::ByteReader& r, std::string_view what) {
  return common::ParseResult<T, Reason>::malformed(
      Reason::body_truncated, r.position(),
      fmt::format("{} runs past the body ({} octets)", what, r.size()));
}

}  // namespace

common::ParseResult<Bind, Reason> parse_bind(common::ByteReader r) {
  using Result = common::ParseResult<Bind, Reason>;
  Bind b;
  std::uint8_t n_context_elem = read_bind_fixed(r, b);
  if (!r.ok()) return truncated<Bind>(r, "p_context_elem");
  // Each element needs at least 24 octets plus 20 per transfer syntax: check the count
  // against what remains before looping.
  if (static_cast<std::size_t>(n_context_elem) * kContextElemFixed > r.remaining())
    return Result::malformed(
        Reason::count_too_large, r.position() - 4,
        fmt::format("n_context_elem {} needs {} octets, {} remain", n_context_elem,
                    n_context_elem * kContextElemFixed, r.remaining()));
  for (std::uint8_t i = 0; i < n_context_elem; ++i) {
    ContextElement e;
    std::uint8_t n_transfer_syn = read_context_head(r, e);
    if (!r.ok()) return truncated<Bind>(r, "p_cont_elem_t");
    if (static_cast<std::size_t>(n_transfer_syn) * kSyntaxIdSize > r.remaining())
      return Result::malformed(
          Reason::count_too_large, r.position(),
          fmt::format("n_transfer_syn {} of p_cont_id {} needs {} octets, {} remain",
                      n_transfer_syn, e.p_cont_id, n_transfer_syn * kSyntaxIdSize, r.remaining()));
    for (std::uint8_t t = 0; t < n_transfer_syn; ++t)
      e.transfer_syntaxes.push_back(read_syntax_id(r));
    b.contexts.push_back(std::move(e));
  }
  if (!r.ok()) return truncated<Bind>(r, "transfer_syntaxes");
  return Result::complete(std::move(b), r.position());
}

Bind parse_bind_prefix(common::ByteReader& r) {
  Bind b;
  std::uint8_t n_context_elem = read_bind_fixed(r, b);
  for (std::uint8_t i = 0; i < n_context_elem && r.ok(); ++i) {
    ContextElement e;
    std::uint8_t n_transfer_syn = read_context_head(r, e);
    for (std::uint8_t t = 0; t < n_transfer_syn && r.ok(); ++t)
      e.transfer_syntaxes.push_back(read_syntax_id(r));
    if (!r.ok()) break;  // this element was cut: keep only the whole ones
    b.contexts.push_back(std::move(e));
  }
  return b;
}

common::ParseResult<BindAck, Reason> parse_bind_ack(common::ByteReader r, std::size_t body_offset) {
  using Result = common::ParseResult<BindAck, Reason>;
  BindAck b;
  b.max_xmit_frag = r.u16();
  b.max_recv_frag = r.u16();
  b.assoc_group_id = r.u32();
  std::uint16_t sec_addr_length = r.u16();
  if (!r.ok()) return truncated<BindAck>(r, "sec_addr");
  if (sec_addr_length > r.remaining())
    return Result::malformed(
        Reason::bad_sec_addr, r.position() - 2,
        fmt::format("sec_addr length {} > {} octets left", sec_addr_length, r.remaining()));
  Bytes port_spec = r.bytes(sec_addr_length);
  // port_spec is a NUL-terminated string (C706 §12.6.3.4); some peers omit the NUL
  // (bind-ack-no-inband-null.pcap), so stop at the first NUL or the length.
  for (std::byte c : port_spec) {
    if (c == std::byte{0}) break;
    b.sec_addr.push_back(static_cast<char>(c));
  }
  // The result list starts on a 4-octet boundary counted from the start of the PDU.
  std::size_t misalign = (body_offset + r.position()) % 4;
  if (misalign != 0) r.skip(4 - misalign);
  std::uint8_t n_results = r.u8();
  r.skip(3);  // reserved, reserved2
  if (!r.ok()) return truncated<BindAck>(r, "p_result_list");
  if (static_cast<std::size_t>(n_results) * kResultSize > r.remaining())
    return Result::malformed(Reason::count_too_large, r.position() - 4,
                             fmt::format("n_results {} needs {} octets, {} remain", n_results,
                                         n_results * kResultSize, r.remaining()));
  for (std::uint8_t i = 0; i < n_results; ++i) {
    ContextResult res;
    res.result = r.u16();
    res.reason = r.u16();
    res.transfer_syntax = read_syntax_id(r);
    b.results.push_back(res);
  }
  if (!r.ok()) return truncated<BindAck>(r, "p_result_t");
  return Result::complete(std::move(b), r.position());
}

common::ParseResult<BindNak, Reason> parse_bind_nak(common::ByteReader r) {
  using Result = common::ParseResult<BindNak, Reason>;
  BindNak b;
  b.provider_reject_reason = r.u16();
  if (!r.ok()) return truncated<BindNak>(r, "provider_reject_reason");
  // p_rt_versions_supported_t: n_protocols then (major, minor) pairs. Windows may add a
  // 16-octet signature after it (MS-RPCE 2.2.2.5); tolerate a body that ends early.
  if (r.remaining() >= 1) {
    std::uint8_t n_protocols = r.u8();
    if (static_cast<std::size_t>(n_protocols) * 2 > r.remaining())
      return Result::malformed(Reason::count_too_large, r.position() - 1,
                               fmt::format("n_protocols {} needs {} octets, {} remain", n_protocols,
                                           n_protocols * 2, r.remaining()));
    for (std::uint8_t i = 0; i < n_protocols; ++i) {
      std::uint8_t major = r.u8();
      std::uint8_t minor = r.u8();
      b.versions.emplace_back(major, minor);
    }
  }
  return Result::complete(std::move(b), r.position());
}

}  // namespace rpctrace::dcerpc
