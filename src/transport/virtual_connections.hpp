// RPC over HTTP v2 (MS-RPCH 1.3.1.1, 3.2.1.1.1): a virtual connection is an IN channel and an
// OUT channel, each its own TCP connection (and, when a channel is recycled, its successor).
// Each channel's first RTS PDU from the side that opened it (CONN/A1, CONN/B1 between client
// and proxy; CONN/A2, CONN/B2 between proxy and server; IN_R1/A1, OUT_R1/A3 ... on a
// successor) carries Version, then the VirtualConnectionCookie, then the channel's own cookie:
// the cookie joins the channels. The first channel to name a virtual connection keeps the
// conversation its DCE/RPC timeline goes in; the others feed it from their next frame on.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/common/uuid.hpp"
#include "rpctrace/dcerpc/rts.hpp"

namespace rpctrace::transport {

// Channels of the client-proxy leg and of the proxy-server leg carry the same cookie but the
// same PDUs twice: each leg is a virtual connection of its own.
using VirtualConnectionKey = std::pair<common::Uuid, dcerpc::RtsLeg>;

struct VirtualConnection {
  VirtualConnectionKey key;
  analysis::ConversationHandle conversation;  // taken from the first channel's connection
  analysis::Direction initiator = 0;          // its direction from the side that opened it
  int feeding = 0;                            // connections feeding it that have not ended
  analysis::CarrierTotals totals;             // octets delivered, in its directions
  analysis::EndReason reason = analysis::EndReason::capture_end;  // of the last to end
  bool opening_seen = false;  // the first channel's opening (its SYN) was captured
};

class VirtualConnections {
 public:
  // Virtual connections followed at once; a channel naming one more stays a conversation of
  // its own (with a note): nothing of it is lost, it is only not joined.
  static constexpr std::size_t kMax = 4096;

  std::shared_ptr<VirtualConnection> find(const VirtualConnectionKey& k) const {
    auto it = open_.find(k);
    return it == open_.end() ? nullptr : it->second.lock();
  }
  // A new one; null when kMax are open.
  std::shared_ptr<VirtualConnection> add(const VirtualConnectionKey& k) {
    if (open_.size() >= kMax) return nullptr;
    auto vc = std::make_shared<VirtualConnection>();
    vc->key = k;
    open_[k] = vc;
    return vc;
  }
  void remove(const VirtualConnectionKey& k) { open_.erase(k); }

 private:
  std::map<VirtualConnectionKey, std::weak_ptr<VirtualConnection>> open_;
};

// What a channel's RTS PDU says about its virtual connection.
struct ChannelNaming {
  common::Uuid virtual_connection_cookie;
  std::optional<dcerpc::RtsChannel> channel;  // from RTS_FLAG_IN_CHANNEL / RTS_FLAG_OUT_CHANNEL
};
// `pdu`: a whole RTS PDU (ptype 20) as the framer cut it. Set when its commands begin with
// Version, Cookie, Cookie (MS-RPCH 2.2.4.2-2.2.4.6 and the recycling PDUs that name a new
// channel).
std::optional<ChannelNaming> channel_naming(common::Bytes pdu);

}  // namespace rpctrace::transport
