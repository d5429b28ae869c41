// TcpScript: a scripted TCP conversation (RFC 9293) between a client and a server, emitted as
// frames into a Capture. Sequence and acknowledgment numbers are kept automatically: each
// side's ack is everything the peer has sent so far (a segment dropped from the capture was
// still delivered, so the receiver's ACK covers it). Knobs cover what reassembly must handle:
// segment splitting, reordering, retransmission (optionally with changed bytes), capture
// loss, pure ACKs, FIN teardown, RST, and per-frame overrides of any header field.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "support/bytes.hpp"
#include "support/capture.hpp"
#include "support/packet_builder.hpp"

namespace rpctrace::testsupport {

enum class Direction : std::uint8_t { to_server, to_client };

struct TcpPeer {
  IpAddress address;
  std::uint16_t port = 0;
  std::uint32_t isn = 0;  // the SYN's seq; data starts at isn + 1
  std::uint16_t window = 8760;
  std::optional<std::uint16_t> syn_window;  // in SYN / SYN-ACK; default `window`
  std::uint16_t mss = 1460;                 // MSS option in SYN / SYN-ACK; 0 = no option
  MacAddress mac{0x02, 0, 0, 0, 0, 0x01};
};

struct TcpScriptConfig {
  TcpPeer client;
  TcpPeer server;
  std::vector<VlanTag> vlans;  // Ethernet captures only
  IpOptions ip;                // identification is the client's first; the server's is +0x8000
  // Advertise `window` minus the data octets received from the peer, as both hosts do in
  // KB159298's traces (their applications read nothing while the trace runs).
  bool shrink_window = false;
};

// Explicit values for one frame; unset fields keep the computed value.
struct FrameOverride {
  std::optional<std::uint32_t> seq;
  std::optional<std::uint32_t> ack;
  std::optional<std::uint16_t> window;
  std::optional<std::uint8_t> flags;
  std::optional<std::uint32_t> snap_length;
};

// Emits segment `segment` again after the frame at emission position `after` (0-based, over
// the frames this send() emits before retransmissions), with `payload` instead when set.
struct Retransmission {
  std::size_t segment = 0;
  std::size_t after = 0;
  std::optional<Bytes> payload;
};

struct SendOptions {
  std::size_t segment_size = 0;       // cut every this many octets; 0 = one segment
  std::vector<std::size_t> split_at;  // or: offsets where a new segment starts (wins)
  std::vector<std::size_t> order;     // emission order of segment indices; empty = in order
  std::vector<std::size_t> drop;      // segments missing from the capture
  std::vector<Retransmission> retransmit;
  FrameOverride frame;                     // for every segment of this send
  std::vector<FrameOverride> per_segment;  // by segment index, over `frame`
  bool push = true;                        // PSH on the last segment
};

class TcpScript {
 public:
  // Frames go to `capture`, which must outlive the script.
  TcpScript(Capture& capture, TcpScriptConfig config);

  // SYN (with MSS), SYN/ACK (with MSS), ACK.
  void handshake();
  // Sends `data` from one side; throws std::invalid_argument on empty data or bad options.
  void send(Direction from, std::span<const std::byte> data, const SendOptions& options = {});
  void ack(Direction from, const FrameOverride& o = {});
  void fin(Direction from, const FrameOverride& o = {});  // FIN/ACK
  void rst(Direction from, const FrameOverride& o = {});  // RST/ACK
  // KB159298's order: client FIN/ACK, server ACK, server FIN/ACK, client ACK.
  void close();
  // Escape hatch: emits `segment` as given, with this connection's ports and addresses.
  void raw(Direction from, TcpSegment segment, std::optional<std::uint32_t> snap_length = {});

  [[nodiscard]] std::uint32_t next_seq(Direction from) const { return side(from).next_seq; }
  [[nodiscard]] const TcpScriptConfig& config() const { return config_; }

 private:
  struct Side {
    std::uint32_t next_seq = 0;
    std::uint64_t data_sent = 0;
    std::uint16_t ip_id = 0;
  };
  Side& side(Direction d) { return d == Direction::to_server ? client_ : server_; }
  const Side& side(Direction d) const { return d == Direction::to_server ? client_ : server_; }
  const Side& peer(Direction d) const { return d == Direction::to_server ? server_ : client_; }
  [[nodiscard]] std::uint16_t advertised_window(Direction from) const;
  // A segment from `from` with the current seq/ack/window and `flags`, before overrides.
  [[nodiscard]] TcpSegment make_segment(Direction from, std::uint8_t flags) const;
  void emit(Direction from, TcpSegment segment, const FrameOverride& o);

  Capture& capture_;
  TcpScriptConfig config_;
  Side client_;
  Side server_;
};

}  // namespace rpctrace::testsupport
