// PduBuilder (see pdu_builder.hpp). Section numbers are C706's unless marked MS-RPCE/MS-RPCH.
#include "support/pdu_builder.hpp"

#include <numeric>
#include <stdexcept>
#include <utility>

namespace rpctrace::testsupport {
AuthVerifier make_auth_verifier(Bytes auth_value, std::size_t alignment, std::uint8_t auth_type,
                                std::uint8_t auth_level) {
  AuthVerifier v;
  v.auth_type = auth_type;
  v.auth_level = auth_level;
  v.auth_value = std::move(auth_value);
  v.alignment = alignment;
  return v;
}

PduBuilder::PduBuilder(Ptype ptype) : ptype_(static_cast<std::uint8_t>(ptype)) {}

PduBuilder& PduBuilder::rpc_vers(std::uint8_t v) {
  rpc_vers_ = v;
  return *this;
}
PduBuilder& PduBuilder::rpc_vers_minor(std::uint8_t v) {
  rpc_vers_minor_ = v;
  return *this;
}
PduBuilder& PduBuilder::ptype(std::uint8_t v) {
  ptype_ = v;
  return *this;
}
PduBuilder& PduBuilder::pfc_flags(std::uint8_t v) {
  pfc_flags_ = v;
  return *this;
}
PduBuilder& PduBuilder::packed_drep(std::array<std::uint8_t, 4> v) {
  packed_drep_ = v;
  return *this;
}
PduBuilder& PduBuilder::frag_length(std::uint16_t v) {
  frag_length_ = v;
  return *this;
}
PduBuilder& PduBuilder::auth_length(std::uint16_t v) {
  auth_length_ = v;
  return *this;
}
PduBuilder& PduBuilder::call_id(std::uint32_t v) {
  call_id_ = v;
  return *this;
}
PduBuilder& PduBuilder::alloc_hint(std::uint32_t v) {
  alloc_hint_ = v;
  return *this;
}
PduBuilder& PduBuilder::p_cont_id(std::uint16_t v) {
  p_cont_id_ = v;
  return *this;
}
PduBuilder& PduBuilder::opnum(std::uint16_t v) {
  opnum_ = v;
  return *this;
}
PduBuilder& PduBuilder::cancel_count(std::uint8_t v) {
  cancel_count_ = v;
  return *this;
}
PduBuilder& PduBuilder::status(std::uint32_t v) {
  status_ = v;
  return *this;
}
PduBuilder& PduBuilder::max_xmit_frag(std::uint16_t v) {
  max_xmit_frag_ = v;
  return *this;
}
PduBuilder& PduBuilder::max_recv_frag(std::uint16_t v) {
  max_recv_frag_ = v;
  return *this;
}
PduBuilder& PduBuilder::assoc_group_id(std::uint32_t v) {
  assoc_group_id_ = v;
  return *this;
}
PduBuilder& PduBuilder::n_context_elem(std::uint8_t v) {
  n_context_elem_ = v;
  return *this;
}
PduBuilder& PduBuilder::n_results(std::uint8_t v) {
  n_results_ = v;
  return *this;
}
PduBuilder& PduBuilder::rts_flags(std::uint16_t v) {
  rts_flags_ = v;
  return *this;
}
PduBuilder& PduBuilder::number_of_commands(std::uint16_t v) {
  number_of_commands_ = v;
  return *this;
}

PduBuilder& PduBuilder::provider_reject_reason(std::uint16_t v) {
  provider_reject_reason_ = v;
  return *this;
}

PduBuilder& PduBuilder::object(const Uuid& v) {
  object_ = v;
  pfc_flags_ = static_cast<std::uint8_t>(pfc_flags_ | kPfcObjectUuid);
  return *this;
}

PduBuilder& PduBuilder::stub(std::span<const std::byte> v) {
  stub_.assign(v.begin(), v.end());
  return *this;
}

PduBuilder& PduBuilder::context(ContextElement v) {
  contexts_.push_back(std::move(v));
  return *this;
}

PduBuilder& PduBuilder::sec_addr(std::string_view v) {
  sec_addr_ = v;
  return *this;
}

PduBuilder& PduBuilder::result(ContextResult v) {
  results_.push_back(v);
  return *this;
}

PduBuilder& PduBuilder::protocol_version(std::uint8_t major, std::uint8_t minor) {
  versions_.emplace_back(major, minor);
  return *this;
}

PduBuilder& PduBuilder::rts_commands(std::span<const std::byte> v) {
  rts_commands_.assign(v.begin(), v.end());
  return *this;
}

PduBuilder& PduBuilder::auth(AuthVerifier v) {
  auth_ = std::move(v);
  return *this;
}

PduBuilder& PduBuilder::body(std::span<const std::byte> v) {
  body_ = Bytes(v.begin(), v.end());
  return *this;
}

// §14.2.5: the high nibble of octet 0 is the integer representation, 0 big and 1 little.
Endian PduBuilder::order() const {
  return (packed_drep_[0] >> 4) == 0 ? Endian::big : Endian::little;
}

Bytes PduBuilder::build_body() const {
  if (body_) return *body_;
  ByteWriter w(order());
  const auto hint = alloc_hint_.value_or(static_cast<std::uint32_t>(stub_.size()));
  switch (static_cast<Ptype>(ptype_)) {
    case Ptype::request:  // §12.6.4.9
      w.u32(hint).u16(p_cont_id_).u16(opnum_);
      if (object_) object_->write(w);
      w.bytes(stub_);
      break;
    case Ptype::response:  // §12.6.4.10
      w.u32(hint).u16(p_cont_id_).u8(cancel_count_).u8(0).bytes(stub_);
      break;
    case Ptype::fault:  // §12.6.4.7: status, then reserved2[4], then the stub
      w.u32(hint).u16(p_cont_id_).u8(cancel_count_).u8(0).u32(status_).u32(0).bytes(stub_);
      break;
    case Ptype::bind:           // §12.6.4.3
    case Ptype::alter_context:  // §12.6.4.1
      w.u16(max_xmit_frag_).u16(max_recv_frag_).u32(assoc_group_id_);
      w.u8(n_context_elem_.value_or(static_cast<std::uint8_t>(contexts_.size()))).u8(0).u16(0);
      for (const ContextElement& c : contexts_) {
        w.u16(c.p_cont_id).u8(static_cast<std::uint8_t>(c.transfer_syntaxes.size())).u8(0);
        c.abstract_syntax.write(w);
        for (const SyntaxId& t : c.transfer_syntaxes) t.write(w);
      }
      break;
    case Ptype::bind_ack:            // §12.6.4.4
    case Ptype::alter_context_resp:  // §12.6.4.2
      w.u16(max_xmit_frag_).u16(max_recv_frag_).u32(assoc_group_id_);
      // port_any_t: length including the terminating NUL, then the octets (§12.6.3.1).
      if (sec_addr_.empty()) {
        w.u16(0);
      } else {
        w.u16(static_cast<std::uint16_t>(sec_addr_.size() + 1)).text(sec_addr_).u8(0);
      }
      w.align(4);  // pad2: the body starts at 16, so body-relative alignment is PDU-relative
      w.u8(n_results_.value_or(static_cast<std::uint8_t>(results_.size()))).u8(0).u16(0);
      for (const ContextResult& r : results_) {
        w.u16(r.result).u16(r.reason);
        r.transfer_syntax.write(w);
      }
      break;
    case Ptype::bind_nak:  // §12.6.4.5
      w.u16(provider_reject_reason_).u8(static_cast<std::uint8_t>(versions_.size()));
      for (const auto& [major, minor] : versions_) w.u8(major).u8(minor);
      break;
    case Ptype::auth3:  // MS-RPCE §2.2.2.10: 4 octets of pad before the sec_trailer
      w.zeros(4);
      break;
    case Ptype::rts:  // MS-RPCH §2.2.3.6.1
      w.u16(rts_flags_).u16(number_of_commands_).bytes(rts_commands_);
      break;
    default:  // shutdown, co_cancel, orphaned and the connectionless types: header only
      break;
  }
  return w.take();
}

Bytes PduBuilder::build() const {
  const Bytes body = build_body();
  ByteWriter w(order());
  w.u8(rpc_vers_).u8(rpc_vers_minor_).u8(ptype_).u8(pfc_flags_);
  for (std::uint8_t b : packed_drep_) w.u8(b);
  w.u16(0).u16(0).u32(call_id_);  // frag_length and auth_length patched below (16 octets)
  w.bytes(body);
  std::size_t value_length = 0;
  if (auth_) {
    // §13.2.6.1 sec_trailer (8 octets), after padding counted in auth_pad_length.
    const std::size_t pad = padding_for(w.size(), auth_->alignment);
    w.zeros(pad);
    w.u8(auth_->auth_type)
        .u8(auth_->auth_level)
        .u8(auth_->auth_pad_length.value_or(static_cast<std::uint8_t>(pad)))
        .u8(auth_->auth_reserved)
        .u32(auth_->auth_context_id)
        .bytes(auth_->auth_value);
    value_length = auth_->auth_value.size();
  }
  w.patch_u16(8, frag_length_.value_or(static_cast<std::uint16_t>(w.size())));
  w.patch_u16(10, auth_length_.value_or(static_cast<std::uint16_t>(value_length)));
  return w.take();
}

std::vector<PduBuilder> fragment(const PduBuilder& prototype, std::span<const std::byte> stub,
                                 std::span<const std::size_t> piece_sizes) {
  const std::size_t total = std::accumulate(piece_sizes.begin(), piece_sizes.end(), std::size_t{0});
  if (piece_sizes.empty() || total != stub.size()) {
    throw std::invalid_argument("fragment: piece sizes do not add up to the stub");
  }
  std::vector<PduBuilder> out;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < piece_sizes.size(); ++i) {
    PduBuilder p = prototype;
    std::uint8_t flags =
        prototype.pfc_flags_ & static_cast<std::uint8_t>(~(kPfcFirstFrag | kPfcLastFrag));
    if (i == 0) flags = static_cast<std::uint8_t>(flags | kPfcFirstFrag);
    if (i + 1 == piece_sizes.size()) flags = static_cast<std::uint8_t>(flags | kPfcLastFrag);
    p.pfc_flags(flags);
    if (!prototype.alloc_hint_) p.alloc_hint(static_cast<std::uint32_t>(stub.size() - offset));
    p.stub(stub.subspan(offset, piece_sizes[i]));
    offset += piece_sizes[i];
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<PduBuilder> fragment(const PduBuilder& prototype, std::span<const std::byte> stub,
                                 std::size_t count) {
  if (count == 0) throw std::invalid_argument("fragment: zero pieces");
  std::vector<std::size_t> sizes(count, stub.size() / count);
  for (std::size_t i = 0; i < stub.size() % count; ++i) ++sizes[i];
  return fragment(prototype, stub, sizes);
}

Bytes build_all(std::span<const PduBuilder> pdus) {
  Bytes out;
  for (const PduBuilder& p : pdus) {
    const Bytes b = p.build();
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

}  // namespace rpctrace::testsupport
