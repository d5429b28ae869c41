// ClPduBuilder (see cl_builder.hpp). Section numbers are C706's unless marked MS-RPCE.
#include "support/cl_builder.hpp"

#include <limits>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace rpctrace::testsupport {

FackBody make_fack_body(std::uint16_t window_size, std::uint32_t max_tsdu,
                        std::uint32_t max_frag_size, std::uint16_t serial_num,
                        std::vector<std::uint32_t> selack) {
  FackBody f;
  f.window_size = window_size;
  f.max_tsdu = max_tsdu;
  f.max_frag_size = max_frag_size;
  f.serial_num = serial_num;
  f.selack = std::move(selack);
  return f;
}

ClPduBuilder::ClPduBuilder(Ptype ptype) : ptype_(static_cast<std::uint8_t>(ptype)) {}

ClPduBuilder& ClPduBuilder::rpc_vers(std::uint8_t v) {
  rpc_vers_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::ptype(std::uint8_t v) {
  ptype_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::flags1(std::uint8_t v) {
  flags1_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::flags2(std::uint8_t v) {
  flags2_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::drep(std::array<std::uint8_t, 3> v) {
  drep_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::serial_hi(std::uint8_t v) {
  serial_hi_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::serial_lo(std::uint8_t v) {
  serial_lo_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::serial(std::uint16_t v) {
  serial_hi_ = static_cast<std::uint8_t>(v >> 8);
  serial_lo_ = static_cast<std::uint8_t>(v & 0xff);
  return *this;
}
ClPduBuilder& ClPduBuilder::object(const Uuid& v) {
  object_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::if_id(const Uuid& v) {
  if_id_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::if_vers(std::uint32_t v) {
  if_vers_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::interface_id(const SyntaxId& id) {
  if_id_ = id.uuid;
  if_vers_ = std::uint32_t{id.major} | std::uint32_t{id.minor} << 16;
  return *this;
}
ClPduBuilder& ClPduBuilder::act_id(const Uuid& v) {
  act_id_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::server_boot(std::uint32_t v) {
  server_boot_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::seqnum(std::uint32_t v) {
  seqnum_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::opnum(std::uint16_t v) {
  opnum_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::ihint(std::uint16_t v) {
  ihint_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::ahint(std::uint16_t v) {
  ahint_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::len(std::uint16_t v) {
  len_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::fragnum(std::uint16_t v) {
  fragnum_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::auth_proto(std::uint8_t v) {
  auth_proto_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::stub(std::span<const std::byte> v) {
  stub_.assign(v.begin(), v.end());
  return *this;
}
ClPduBuilder& ClPduBuilder::status(std::uint32_t v) {
  status_ = v;
  return *this;
}
ClPduBuilder& ClPduBuilder::fack(FackBody v) {
  fack_ = std::move(v);
  return *this;
}
ClPduBuilder& ClPduBuilder::cancel(std::uint32_t cancel_id, std::uint32_t vers) {
  cancel_id_ = cancel_id;
  cancel_vers_ = vers;
  return *this;
}
ClPduBuilder& ClPduBuilder::cancel_ack(std::uint32_t cancel_id, bool server_is_accepting,
                                       std::uint32_t vers) {
  cancel_id_ = cancel_id;
  server_is_accepting_ = server_is_accepting;
  cancel_vers_ = vers;
  return *this;
}
ClPduBuilder& ClPduBuilder::body(std::span<const std::byte> v) {
  body_ = Bytes(v.begin(), v.end());
  return *this;
}

std::uint16_t ClPduBuilder::serial_value() const {
  return static_cast<std::uint16_t>(serial_hi_ << 8 | serial_lo_);
}

// drep[0] high nibble: 0 big-endian, 1 little-endian (§14.2.5).
Endian ClPduBuilder::order() const { return (drep_[0] & 0xf0) == 0 ? Endian::big : Endian::little; }

Bytes ClPduBuilder::build_body() const {
  if (body_) return *body_;
  ByteWriter w(order());
  switch (static_cast<Ptype>(ptype_)) {
    case Ptype::request:
    case Ptype::response:
      w.bytes(stub_);
      break;
    case Ptype::fault:
    case Ptype::reject:
      w.u32(status_);
      break;
    case Ptype::fack:
    case Ptype::nocall:  // a nocall carries a fack body only when one was set
      if (fack_) {
        const auto count = static_cast<std::uint16_t>(fack_->selack.size());
        w.u8(fack_->vers).u8(fack_->pad1).u16(fack_->window_size);
        w.u32(fack_->max_tsdu).u32(fack_->max_frag_size);
        w.u16(fack_->serial_num).u16(fack_->selack_len.value_or(count));
        for (std::uint32_t mask : fack_->selack) w.u32(mask);
      }
      break;
    case Ptype::cl_cancel:
      w.u32(cancel_vers_).u32(cancel_id_);
      break;
    case Ptype::cancel_ack:
      w.u32(cancel_vers_).u32(cancel_id_).u8(server_is_accepting_ ? 1 : 0);
      break;
    default:  // ping, working, ack, and PTYPEs outside the connectionless set: no body
      break;
  }
  return w.take();
}

Bytes ClPduBuilder::build() const {
  const Bytes body = build_body();
  if (!len_ && body.size() > std::numeric_limits<std::uint16_t>::max()) {
    throw std::invalid_argument("ClPduBuilder: body longer than len can say");
  }
  ByteWriter w(order());
  w.u8(rpc_vers_).u8(ptype_).u8(flags1_).u8(flags2_);
  w.u8(drep_[0]).u8(drep_[1]).u8(drep_[2]).u8(serial_hi_);
  object_.write(w);
  if_id_.write(w);
  act_id_.write(w);
  w.u32(server_boot_).u32(if_vers_).u32(seqnum_);
  w.u16(opnum_).u16(ihint_).u16(ahint_);
  w.u16(len_.value_or(static_cast<std::uint16_t>(body.size())));
  w.u16(fragnum_).u8(auth_proto_).u8(serial_lo_);
  w.bytes(body);
  return w.take();
}

std::vector<ClPduBuilder> cl_fragment(const ClPduBuilder& prototype,
                                      std::span<const std::byte> stub,
                                      std::span<const std::size_t> piece_sizes) {
  if (piece_sizes.size() < 2) {
    throw std::invalid_argument("cl_fragment: fewer than 2 pieces");
  }
  if (std::accumulate(piece_sizes.begin(), piece_sizes.end(), std::size_t{0}) != stub.size()) {
    throw std::invalid_argument("cl_fragment: piece sizes do not add up to the stub");
  }
  std::vector<ClPduBuilder> out;
  std::size_t offset = 0;
  const std::uint16_t first_serial = prototype.serial_value();
  for (std::size_t i = 0; i < piece_sizes.size(); ++i) {
    ClPduBuilder pdu = prototype;
    const bool last = i + 1 == piece_sizes.size();
    const auto flags = static_cast<std::uint8_t>((prototype.flags1_value() & ~kClLastFrag) |
                                                 kClFrag | (last ? kClLastFrag : 0));
    pdu.flags1(flags)
        .fragnum(static_cast<std::uint16_t>(i))
        .serial(static_cast<std::uint16_t>(first_serial + i))
        .stub(stub.subspan(offset, piece_sizes[i]));
    offset += piece_sizes[i];
    out.push_back(std::move(pdu));
  }
  return out;
}

}  // namespace rpctrace::testsupport
