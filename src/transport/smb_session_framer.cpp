// SMB messages out of a connection's byte streams, by their session headers.
#include "smb_session_framer.hpp"

#include <algorithm>

#include "rpctrace/smb/types.hpp"

namespace rpctrace::transport {

namespace {

// Octets of a message given to keep(): an SMB2 header and the body's StructureSize and the
// next two octets; more than an SMB1 header with its WordCount and first words.
constexpr std::size_t kHead = 68;
// A hunt keeps the last octets of a chunk: a header may straddle two.
constexpr std::size_t kTail = 7;

std::uint32_t length_of(common::Bytes h) {
  return static_cast<std::uint32_t>(std::to_integer<unsigned>(h[1])) << 16 |
         static_cast<std::uint32_t>(std::to_integer<unsigned>(h[2])) << 8 |
         std::to_integer<unsigned>(h[3]);
}

void append(std::vector<std::byte>& v, common::Bytes b) { v.insert(v.end(), b.begin(), b.end()); }

}  // namespace

void SessionFramer::start(std::uint8_t dir, bool stream_start) {
  streams_[dir].mode = stream_start ? Mode::in_sync : Mode::hunting;
}

// A session message header followed by an SMB protocol identifier and a length that holds at
// least a header of that protocol.
bool SessionFramer::plausible(common::Bytes h) const {
  if (h.size() < 8 || h[0] != std::byte{nbss::kSessionMessage}) return false;
  const std::uint32_t length = length_of(h);
  switch (smb::protocol_of(h.subspan(4))) {
    case smb::Protocol::smb1:
      return length >= 35;
    case smb::Protocol::smb2:
      return length >= 66;
    case smb::Protocol::transform:
      return length >= 52;
    case smb::Protocol::compressed:
      return length >= 16;
    case smb::Protocol::none:
      break;
  }
  return false;
}

void SessionFramer::data(std::uint8_t dir, common::Bytes data, const dcerpc::FrameRef& at,
                         bool chunk_start) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    common::Bytes rest = data.subspan(pos);
    pos += streams_[dir].mode == Mode::in_sync ? in_sync(dir, rest, at)
                                               : hunt(dir, rest, at, chunk_start && pos == 0);
  }
}

std::size_t SessionFramer::in_sync(std::uint8_t dir, common::Bytes rest,
                                   const dcerpc::FrameRef& at) {
  Stream& s = streams_[dir];
  if (s.skip_remaining > 0) {  // octets not kept: the tail of a message, a session packet
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(s.skip_remaining, rest.size()));
    s.skip_remaining -= n;
    s.received += n;
    if (s.skip_remaining == 0 && s.length != 0) deliver(dir, at);
    return n;
  }
  if (s.length == 0) {  // a session header
    const std::size_t take = std::min(4 - s.buffer.size(), rest.size());
    append(s.buffer, rest.first(take));
    if (s.buffer.size() < 4) return take;
    const auto type = std::to_integer<std::uint8_t>(s.buffer[0]);
    const std::uint32_t length = length_of(s.buffer);
    if (type == nbss::kSessionMessage) {
      s.buffer.clear();
      s.length = length;  // an empty message (length 0) is nothing to deliver
      s.keep = 0;
      s.received = 0;
      s.cut = false;
      return take;
    }
    // The other packets are short and have no extension bit beyond the 17-bit length.
    if (type >= nbss::kSessionRequest && type <= nbss::kKeepAlive && length <= 1024) {
      s.buffer.clear();
      s.skip_remaining = length;
      sink_.on_session_packet(dir, type, at);
      return take;
    }
    lose_sync(dir, "invalid session header", at);
    return take;
  }
  const std::size_t head = std::min<std::size_t>(kHead, s.length);
  if (s.keep == 0) {  // the head, to ask how much to keep
    const std::size_t take = std::min(head - s.buffer.size(), rest.size());
    append(s.buffer, rest.first(take));
    s.received += take;
    if (s.buffer.size() < head) return take;
    s.keep = std::max(head, std::min({sink_.keep(dir, s.buffer, s.length),
                                      static_cast<std::size_t>(s.length), max_message_size_}));
    if (s.buffer.size() == s.keep) {
      s.skip_remaining = s.length - s.keep;
      if (s.skip_remaining == 0) deliver(dir, at);
    }
    return take;
  }
  const std::size_t take = std::min(s.keep - s.buffer.size(), rest.size());
  append(s.buffer, rest.first(take));
  s.received += take;
  if (s.buffer.size() == s.keep) {
    s.skip_remaining = s.length - s.keep;
    if (s.skip_remaining == 0) deliver(dir, at);
  }
  return take;
}

std::size_t SessionFramer::hunt(std::uint8_t dir, common::Bytes rest, const dcerpc::FrameRef& at,
                                bool chunk_start) {
  Stream& s = streams_[dir];
  // A chunk that starts with a header is taken at once.
  if (chunk_start && plausible(rest.first(std::min<std::size_t>(8, rest.size())))) {
    s.hunted += s.buffer.size();
    s.buffer.clear();
  }
  std::vector<std::byte> scan;
  scan.reserve(s.buffer.size() + rest.size());
  append(scan, s.buffer);
  const std::size_t tail = s.buffer.size();
  append(scan, rest);
  common::Bytes all(scan);
  for (std::size_t i = 0; i + 8 <= all.size(); ++i) {
    if (!plausible(all.subspan(i, 8))) continue;
    s.hunted += i;
    if (s.hunted > 0) sink_.on_skipped(dir, s.hunted, "not SMB: hunting for a session header", at);
    s.hunted = 0;
    s.buffer.clear();
    s.mode = Mode::in_sync;
    if (i >= tail) return i - tail;
    // The header began in the kept tail: frame those octets first.
    std::vector<std::byte> carried(scan.begin() + static_cast<std::ptrdiff_t>(i),
                                   scan.begin() + static_cast<std::ptrdiff_t>(tail));
    common::Bytes c(carried);
    for (std::size_t p = 0; p < c.size();) p += in_sync(dir, c.subspan(p), at);
    return 0;
  }
  const std::size_t keep = std::min(kTail, all.size());
  s.hunted += all.size() - keep;
  s.buffer.assign(scan.end() - static_cast<std::ptrdiff_t>(keep), scan.end());
  return rest.size();
}

void SessionFramer::deliver(std::uint8_t dir, const dcerpc::FrameRef& at) {
  Stream& s = streams_[dir];
  sink_.on_message(dir, s.buffer, s.length, s.cut, at);
  s.buffer.clear();
  s.length = 0;
  s.keep = 0;
  s.cut = false;
}

void SessionFramer::lose_sync(std::uint8_t dir, std::string_view why, const dcerpc::FrameRef& at) {
  Stream& s = streams_[dir];
  sink_.on_skipped(dir, 1, why, at);
  // The next header may begin inside the rejected one.
  s.buffer.erase(s.buffer.begin());
  s.mode = Mode::hunting;
}

void SessionFramer::gap(std::uint8_t dir, std::uint64_t size, const dcerpc::FrameRef& at) {
  Stream& s = streams_[dir];
  if (s.mode == Mode::hunting) {
    s.hunted += s.buffer.size();
    s.buffer.clear();  // octets on either side of a gap are not contiguous
    return;
  }
  if (s.length != 0) {
    const std::uint64_t missing = s.length - s.received;
    const std::uint64_t kept_part = s.keep == 0 ? s.length : s.keep;
    s.cut = s.cut || s.received < kept_part;  // the gap took octets that were to be kept
    if (size < missing) {  // it ends inside the message: the next header is known
      s.keep = s.buffer.size();
      s.skip_remaining = missing - size;
      s.received += size;
      return;
    }
    s.skip_remaining = 0;
    deliver(dir, at);
    if (size == missing) return;
  } else if (s.skip_remaining > 0 && size < s.skip_remaining) {
    s.skip_remaining -= size;
    return;
  } else if (s.skip_remaining == size && s.buffer.empty()) {
    s.skip_remaining = 0;
    return;
  }
  s.skip_remaining = 0;
  s.buffer.clear();
  s.mode = Mode::hunting;
}

void SessionFramer::finish(const dcerpc::FrameRef& at) {
  for (std::uint8_t dir = 0; dir < 2; ++dir) {
    Stream& s = streams_[dir];
    if (s.length != 0) {
      s.cut = s.cut ||
              s.buffer.size() < std::min<std::size_t>(s.keep == 0 ? s.length : s.keep, s.length);
      deliver(dir, at);
    }
    if (s.hunted + s.buffer.size() > 0 && s.mode == Mode::hunting)
      sink_.on_skipped(dir, s.hunted + s.buffer.size(), "not SMB: no session header found", at);
    s = Stream{};
  }
}

}  // namespace rpctrace::transport
