// Internal to the named-pipe adapter: turns each direction of an SMB connection's byte stream
// into whole SMB messages by their four-octet session header: the NetBIOS session service on
// port 139 (RFC 1002 4.3.1: type, flags, 17-bit length) and SMB over direct TCP on 445 (MS-SMB2
// 2.1, MS-CIFS 2.1.1.2: a zero octet and a 24-bit length) read alike, as a type octet and a
// 24-bit length.
//
// Like the DCE/RPC stream framer it knows nothing of TCP: whether a direction's start was seen
// and where a carrier chunk begins are its inputs. A gap inside a message whose length is known
// keeps the framing (the next header is where the length says); any other gap, or an invalid
// header, sends it hunting for the next "\0 len len len \xFx S M B".
#pragma once

#include <cstdint>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/dcerpc/note.hpp"

namespace rpctrace::transport {

// Session packet types (RFC 1002 4.3.1).
namespace nbss {
inline constexpr std::uint8_t kSessionMessage = 0x00;
inline constexpr std::uint8_t kSessionRequest = 0x81;
inline constexpr std::uint8_t kPositiveResponse = 0x82;
inline constexpr std::uint8_t kNegativeResponse = 0x83;
inline constexpr std::uint8_t kRetargetResponse = 0x84;
inline constexpr std::uint8_t kKeepAlive = 0x85;
}  // namespace nbss

class SessionFramerSink {
 public:
  virtual ~SessionFramerSink() = default;
  // How many octets of a message to keep, from its first octets (`head`: up to 68 of them):
  // all of it when it may carry pipe bytes, its headers otherwise.
  virtual std::size_t keep(std::uint8_t dir, common::Bytes head, std::uint32_t length) = 0;
  // A session message: its kept octets (all `length` of them, or the first keep() octets);
  // `cut`: a gap took some of them. `at`: the frame that carried its last octets.
  virtual void on_message(std::uint8_t dir, common::Bytes kept, std::uint32_t length, bool cut,
                          const dcerpc::FrameRef& at) = 0;
  // A session service packet other than a message (request, responses, keep-alive).
  virtual void on_session_packet(std::uint8_t dir, std::uint8_t type,
                                 const dcerpc::FrameRef& at) = 0;
  // Octets that were not SMB: skipped while hunting for a header. `reason` says why.
  virtual void on_skipped(std::uint8_t dir, std::uint64_t bytes, std::string_view reason,
                          const dcerpc::FrameRef& at) = 0;
};

class SessionFramer {
 public:
  SessionFramer(SessionFramerSink& sink, std::size_t max_message_size)
      : sink_(sink), max_message_size_(max_message_size) {}

  void start(std::uint8_t dir, bool stream_start);
  void data(std::uint8_t dir, common::Bytes data, const dcerpc::FrameRef& at, bool chunk_start);
  void gap(std::uint8_t dir, std::uint64_t size, const dcerpc::FrameRef& at);
  void finish(const dcerpc::FrameRef& at);

  // Octets held now, both directions (a message being gathered).
  [[nodiscard]] std::size_t held() const {
    return streams_[0].buffer.size() + streams_[1].buffer.size();
  }

 private:
  enum class Mode : std::uint8_t { in_sync, hunting };
  struct Stream {
    Mode mode = Mode::hunting;
    std::vector<std::byte> buffer;     // a header, a message being gathered, or a hunt's tail
    std::uint32_t length = 0;          // the message being gathered (0: none)
    std::size_t keep = 0;              // its octets to keep (0: not asked yet)
    std::uint64_t skip_remaining = 0;  // its octets past `keep`, or lost in a gap
    std::uint64_t received = 0;        // its octets seen or skipped so far
    bool cut = false;
    std::uint64_t hunted = 0;  // octets skipped while hunting
  };
  std::size_t in_sync(std::uint8_t dir, common::Bytes rest, const dcerpc::FrameRef& at);
  std::size_t hunt(std::uint8_t dir, common::Bytes rest, const dcerpc::FrameRef& at,
                   bool chunk_start);
  void deliver(std::uint8_t dir, const dcerpc::FrameRef& at);
  void lose_sync(std::uint8_t dir, std::string_view why, const dcerpc::FrameRef& at);
  [[nodiscard]] bool plausible(common::Bytes header) const;

  SessionFramerSink& sink_;
  std::size_t max_message_size_;
  Stream streams_[2];
};

}  // namespace rpctrace::transport
