// Kerberos messages on port 88 (RFC 4120 7.2.1 UDP, 7.2.2 TCP), decoded by src/auth.
#include "rpctrace/transport/kerberos_kdc.hpp"

#include <algorithm>

#include "rpctrace/auth/auth_value.hpp"

namespace rpctrace::transport {

void append_counter_rows(const KdcCounters& c, common::CounterRows& rows) {
  rows.push_back(
      {"kerberos_errors", "KRB-ERRORs on port 88 (diagnose says what they broke)", c.errors});
  rows.push_back(
      {"kerberos_not_decoded", "messages on port 88 that are no Kerberos message", c.not_decoded});
  rows.push_back({"kerberos_over_limit",
                  "Kerberos TCP messages not followed (longer than 64 KiB, a gap, too many "
                  "connections)",
                  c.over_limit});
}

void KdcAdapter::message(common::Bytes octets, const common::Endpoint& from,
                         const common::Endpoint& to, bool over_tcp, std::uint64_t frame,
                         common::Timestamp ts) {
  auto decoded = auth::decode_kdc_message(octets);
  if (!decoded.is_complete()) {
    ++counters_.not_decoded;
    return;
  }
  const auth::Token t = decoded.take();
  ++counters_.messages;
  if (t.error_code) ++counters_.errors;
  analysis::KdcMessage m;
  m.frame = frame;
  m.ts = ts;
  // The KDC is the side on port 88 (a client may also use 88 as its own port: the receiver of
  // a request is then the KDC).
  const bool from_kdc =
      is_kdc_port(from.port) && !(is_kdc_port(to.port) && t.message.ends_with("REQ"));
  m.kdc = from_kdc ? from : to;
  m.client = from_kdc ? to : from;
  m.over_tcp = over_tcp;
  m.message = t.message;
  m.error_code = t.error_code;
  m.realm = t.realm;
  m.service = t.service;
  tracker_.kerberos(m);
}

bool KdcAdapter::datagram(const pcap::UdpDatagramView& d, std::uint64_t frame,
                          common::Timestamp ts) {
  if (!is_kdc_port(d.src_port) && !is_kdc_port(d.dst_port)) return false;
  if (d.payload_truncated()) {
    ++counters_.not_decoded;
    return true;
  }
  message(d.payload, {d.src, d.src_port}, {d.dst, d.dst_port}, false, frame, ts);
  return true;
}

void KdcAdapter::stream_data(const tcp::Connection& c, tcp::Direction dir, common::Bytes data,
                             const tcp::DataOrigin& origin) {
  auto it = streams_.find(&c);
  if (it == streams_.end()) {
    if (streams_.size() >= kMaxStreams) {
      ++counters_.over_limit;
      return;
    }
    it = streams_.emplace(&c, Stream{}).first;
  }
  Half& h = it->second.half[dir];
  if (h.lost) return;
  h.buffer.insert(h.buffer.end(), data.begin(), data.end());
  // Every whole message in the buffer: a four-octet big-endian length, then the message.
  std::size_t at = 0;
  while (h.buffer.size() - at >= 4) {
    common::ByteReader r(common::Bytes(h.buffer).subspan(at, 4), common::ByteOrder::big);
    const std::uint32_t length = r.u32();
    // The high bit is reserved for an extension no KDC we know of uses (7.2.2).
    if ((length & 0x80000000u) != 0 || length > kMaxMessage) {
      ++counters_.over_limit;
      h.lost = true;
      h.buffer.clear();
      return;
    }
    if (h.buffer.size() - at - 4 < length) break;
    message(common::Bytes(h.buffer).subspan(at + 4, length), c.endpoint[dir], c.endpoint[1 - dir],
            true, origin.frame, origin.ts);
    at += 4 + length;
  }
  h.buffer.erase(h.buffer.begin(), h.buffer.begin() + static_cast<std::ptrdiff_t>(at));
}

void KdcAdapter::stream_gap(const tcp::Connection& c, tcp::Direction dir) {
  auto it = streams_.find(&c);
  if (it == streams_.end() || it->second.half[dir].lost) return;
  ++counters_.over_limit;
  it->second.half[dir].lost = true;
  it->second.half[dir].buffer.clear();
}

}  // namespace rpctrace::transport
