// parse_pdu(): the dispatch over packet types, request/response/fault/rts bodies
// (C706 §12.6.4.9, §12.6.4.10, §12.6.4.7; MS-RPCH 2.2.3.6.1) and the sec_trailer
// (C706 §13.2.6.1, MS-RPCE 2.2.2.11).
#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/dcerpc/limits.hpp"
#include "rpctrace/dcerpc/pdu.hpp"
#include "rpctrace/dcerpc/rts.hpp"

namespace rpctrace::dcerpc {

common::ParseResult<SecTrailer, Reason> parse_sec_trailer(common::ByteReader r) {
  SecTrailer t;
  t.auth_type = r.u8();
  t.auth_level = r.u8();
  t.auth_pad_length = r.u8();
  t.auth_reserved = r.u8();
  t.auth_context_id = r.u32();
  if (!r.ok())
    return common::ParseResult<SecTrailer, Reason>::malformed(Reason::body_truncated, 0,
                                                              "sec_trailer shorter than 8 octets");
  return common::ParseResult<SecTrailer, Reason>::complete(t, kSecTrailerSize);
}

namespace {

// The fixed fields of request, response and fault bodies (C706 §12.6.4.9, .10, .7), shared by
// parse_pdu() and parse_pdu_prefix(). The caller has checked that the fixed part is there.
Request read_request(common::ByteReader& r, std::uint8_t pfc_flags) {
  Request q;
  q.alloc_hint = r.u32();
  q.p_cont_id = r.u16();
  q.opnum = r.u16();
  if ((pfc_flags & pfc::object_uuid) && r.remaining() >= kObjectUuidSize)
    q.object = common::read_uuid(r);
  return q;
}

Response read_response(common::ByteReader& r) {
  Response s;
  s.alloc_hint = r.u32();
  s.p_cont_id = r.u16();
  s.cancel_count = r.u8();
  r.skip(1);  // reserved
  return s;
}

Fault read_fault(common::ByteReader& r) {
  Fault f;
  f.alloc_hint = r.u32();
  f.p_cont_id = r.u16();
  f.cancel_count = r.u8();
  f.fault_flags = r.u8();
  f.status = r.u32();
  if (r.remaining() >= 4) r.skip(4);  // reserved (absent in some old stacks)
  return f;
}

}  // namespace

PduResult parse_pdu_prefix(Bytes partial) {
  HeaderResult hr = parse_framing_header(partial);
  if (!hr.is_complete())
    return PduResult::malformed(
        hr.is_malformed() ? hr.error().reason : Reason::body_truncated, 0,
        hr.is_malformed() ? hr.error().detail : "fewer than 16 octets captured");
  PduView v;
  v.header = hr.take();
  v.truncated = true;
  const CommonHeader& h = v.header;
  Bytes avail = partial.first(std::min<std::size_t>(partial.size(), h.frag_length));
  v.captured = avail.size();
  common::ByteReader body(avail.subspan(kCommonHeaderSize), h.packed_drep.integer_order());
  switch (h.ptype) {
    case PacketType::request:
      if (body.remaining() >= kRequestFixed) v.body = read_request(body, h.pfc_flags);
      break;
    case PacketType::response:
      if (body.remaining() >= kResponseFixed) v.body = read_response(body);
      break;
    case PacketType::fault:
      if (body.remaining() >= kFaultFixed) v.body = read_fault(body);
      break;
    case PacketType::bind:
    case PacketType::alter_context:
      if (body.remaining() >= kBindFixed) v.body = parse_bind_prefix(body);
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp: {
      auto b = parse_bind_ack(body, kCommonHeaderSize);
      if (b.is_complete()) {
        v.body = b.take();
      } else if (body.remaining() >= 8) {
        auto& a = v.body.emplace<BindAck>();  // the fixed fields only
        a.max_xmit_frag = body.u16();
        a.max_recv_frag = body.u16();
        a.assoc_group_id = body.u32();
      }
      break;
    }
    default:
      break;
  }
  return PduResult::complete(std::move(v), avail.size());
}

namespace {

// A request, response or fault body (its fixed fields already read from `r`) with its stub:
// what `r` holds after them, less the auth padding.
template <typename T>
T with_stub(T body, common::ByteReader& r, std::size_t pad, PduView& v) {
  Bytes rest = r.rest();
  v.stub = rest.size() >= pad ? rest.first(rest.size() - pad) : Bytes{};
  body.stub_length = static_cast<std::uint32_t>(v.stub.size());
  return body;
}

// A bind-family body parsed by its own parser: its offsets are counted from the PDU's start.
template <typename T>
std::optional<common::Malformed<Reason>> take_body(common::ParseResult<T, Reason> r, PduView& v) {
  if (!r.is_complete()) {
    common::Malformed<Reason> m = r.error();
    m.offset += kCommonHeaderSize;
    return m;
  }
  v.body = r.take();
  return std::nullopt;
}

}  // namespace

PduResult parse_pdu(Bytes pdu) {
  HeaderResult hr = parse_common_header(pdu);
  if (hr.is_need_more())
    return PduResult::malformed(Reason::frag_length_too_small, 0, "PDU shorter than 16 octets");
  if (hr.is_malformed()) return PduResult::from(hr.error());
  PduView v;
  v.header = hr.take();
  const CommonHeader& h = v.header;
  if (pdu.size() < h.frag_length)
    return PduResult::malformed(
        Reason::body_truncated, 8,
        fmt::format("frag_length {} > {} octets given", h.frag_length, pdu.size()));
  pdu = pdu.first(h.frag_length);
  const common::ByteOrder order = h.packed_drep.integer_order();

  // Split the PDU: header | body | auth padding | sec_trailer | auth_value. auth_length + 8
  // was checked against the room after the fixed part by parse_common_header().
  std::size_t body_end = h.frag_length;
  if (h.auth_length > 0) {
    body_end = h.frag_length - h.auth_length - kSecTrailerSize;
    auto st = parse_sec_trailer(common::ByteReader(pdu.subspan(body_end, kSecTrailerSize), order));
    if (!st.is_complete()) return PduResult::from(st.error());
    v.sec_trailer = st.value();
    v.auth_value = pdu.subspan(body_end + kSecTrailerSize, h.auth_length);
  }
  common::ByteReader body(pdu.subspan(kCommonHeaderSize, body_end - kCommonHeaderSize), order);
  // The auth padding sits between the stub and the sec_trailer (MS-RPCE 2.2.2.11).
  std::size_t pad = v.sec_trailer ? v.sec_trailer->auth_pad_length : 0;

  std::optional<common::Malformed<Reason>> error;
  switch (h.ptype) {
    case PacketType::request:
      v.body = with_stub(read_request(body, h.pfc_flags), body, pad, v);
      break;
    case PacketType::response:
      v.body = with_stub(read_response(body), body, pad, v);
      break;
    case PacketType::fault:
      v.body = with_stub(read_fault(body), body, pad, v);
      break;
    case PacketType::bind:
    case PacketType::alter_context:
      error = take_body(parse_bind(body), v);
      break;
    case PacketType::bind_ack:
    case PacketType::alter_context_resp:
      error = take_body(parse_bind_ack(body, kCommonHeaderSize), v);
      break;
    case PacketType::bind_nak:
      error = take_body(parse_bind_nak(body), v);
      break;
    case PacketType::rts: {
      Rts t;
      t.flags = body.u16();
      t.number_of_commands = body.u16();
      auto commands =
          parse_rts_body(pdu.subspan(kCommonHeaderSize, body_end - kCommonHeaderSize), order);
      if (commands.is_complete()) {
        t.commands = std::move(commands.value().commands);
      } else if (commands.is_malformed()) {
        t.error = commands.error().reason;
        t.error_detail = commands.error().detail;
      }
      v.body = std::move(t);
      break;
    }
    default:  // auth3, shutdown, co_cancel, orphaned: no body beyond padding
      v.body = NoBody{};
      break;
  }
  if (error) return PduResult::from(std::move(*error));
  if (!body.ok())
    return PduResult::malformed(
        Reason::body_truncated, kCommonHeaderSize,
        fmt::format("{} body shorter than its fixed fields", to_string(h.ptype)));
  return PduResult::complete(std::move(v), h.frag_length);
}

}  // namespace rpctrace::dcerpc
