// Tracker: the conversation tracker. Transport adapters tell it, per conversation, what their
// carrier saw (frames, notes, the end) and hand it the whole PDUs their stream framers cut;
// it keeps each conversation's association (contexts and calls), decodes verifiers and
// endpoint mapper stubs, links conversations to the ept_map answers that gave their ports,
// applies the selection, and hands frame records, call records and conversations to a Sink.
//
// Order of calls for one conversation: open(); then per carrier frame begin_frame(), any of
// pdu()/cut_pdu()/note(), end_frame(); then closing(), what the framer still holds, close().
// Between frames (a conversation ending
// while another's frame is read, or at the end of the capture) pdu()/cut_pdu()/note() may come
// without a frame: they join a record of the conversation's last frame.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "rpctrace/analysis/epm_links.hpp"
#include "rpctrace/analysis/model.hpp"
#include "rpctrace/analysis/selection.hpp"
#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/dcerpc/counters.hpp"
#include "rpctrace/dcerpc/limits.hpp"

namespace rpctrace::analysis {

struct TrackerOptions {
  Selection selection;
  dcerpc::AssociationLimits association_limits;
};

// What a transport adapter knows when a conversation starts.
struct ConversationOpen {
  std::uint64_t id = 0;  // 1-based, in order of first frame
  Protseq protseq = Protseq::ncacn_ip_tcp;
  // endpoint[0] opened the conversation (sent the SYN) or, when the opening was not seen,
  // sent its first frame; Direction 0 is from endpoint[0].
  common::Endpoint endpoint[2];
  std::uint64_t first_frame = 0;
  common::Timestamp first_ts;
};

struct CarrierFrame {
  std::uint64_t frame = 0;
  common::Timestamp ts;
  Direction dir = 0;
  SegmentFacts segment;
  // Source and destination when they are not the conversation's endpoints in direction `dir`
  // (a connectionless answer from another server port).
  std::optional<std::pair<common::Endpoint, common::Endpoint>> endpoints;
  std::optional<dcerpc::RtsChannel> http_channel;  // RPC over HTTP v2: the channel, once known
};

struct FrameEnd {
  std::optional<ReportedNote> note;  // the carrier's note on this frame (a retransmission, ...)
  bool opening_seen = false;         // the conversation's opening (a SYN either way) has been seen
  bool holding = false;  // the carrier holds bytes out of order: they may still complete PDUs
                         // that belong to this frame or an earlier one
};

// What a transport adapter knows when a channel opens inside a conversation (ncacn_np: a
// pipe's create answered).
struct ChannelOpen {
  ChannelFacts facts;                                  // its id is the tracker's to give
  std::optional<dcerpc::SyntaxId> inferred_interface;  // from the pipe's name
  bool stream_start = true;  // the open was captured: the channel's first bytes start a PDU
};

struct CarrierTotals {
  std::uint64_t bytes[2] = {0, 0};  // delivered in each direction
};

class ConversationState;  // one conversation's analysis state, owned by its transport adapter
struct ConversationStateDeleter {
  void operator()(ConversationState* s) const;
};
using ConversationHandle = std::unique_ptr<ConversationState, ConversationStateDeleter>;

class Tracker {
 public:
  Tracker(const TrackerOptions& options, Sink& sink, dcerpc::Counters& dcerpc_counters);
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  ConversationHandle open(const ConversationOpen& o);
  // Where the capture names the program that owned a connection (NetMon's process table):
  // asked with each conversation's two endpoints when it opens.
  using ProcessLookup =
      std::function<std::optional<OwningProcess>(const common::Endpoint&, const common::Endpoint&)>;
  void set_process_lookup(ProcessLookup lookup) { process_lookup_ = std::move(lookup); }
  // The adapter found the conversation carries another protocol sequence than its port said
  // (DCE/RPC straight on TCP 445): before any PDU of it was reported.
  void reclassify(ConversationState& s, Protseq protseq);
  void begin_frame(ConversationState& s, const CarrierFrame& f);
  // Bytes that frame `origin` carried are about to be handed to the framer: what they
  // complete joins origin's record while it is held (so a PDU is reported at the frame that
  // carried its last octets, as tshark does), else the current one. Returns the reference
  // to stamp them with; attribute_current() ends it.
  FrameRef attribute(ConversationState& s, const FrameRef& origin);
  void attribute_current(ConversationState& s);
  // The frame facts found now belong to: the current frame or, between frames, the last one.
  FrameRef here(ConversationState& s);
  // From the conversation's stream framer: a whole PDU, a PDU the capture cut, a note.
  // `rts`: where an RTS PDU was seen (RPC over HTTP v2), which names it (MS-RPCH 2.2.4).
  void pdu(ConversationState& s, Direction dir, common::Bytes pdu, const FrameRef& at,
           const dcerpc::RtsVantage& rts = {});
  void cut_pdu(ConversationState& s, Direction dir, common::Bytes partial, const FrameRef& at);
  void note(ConversationState& s, const dcerpc::Note& n);
  // A connectionless conversation (Protseq::ncadg_ip_udp): one datagram's payload, captured
  // octets and its length on the wire.
  void datagram(ConversationState& s, Direction dir, common::Bytes payload, std::size_t wire_length,
                const FrameRef& at);
  // A note of the carrier's (a gap).
  void note(ConversationState& s, ReportedNote n);
  void end_frame(ConversationState& s, const FrameEnd& e);

  // Channels (ncacn_np's pipes): an association each, inside the conversation. Channel 0 is
  // the conversation's own stream (ncacn_ip_tcp); open_channel() returns the next id, from 1.
  std::uint32_t open_channel(ConversationState& s, ChannelOpen o);
  void pdu(ConversationState& s, std::uint32_t channel, Direction dir, common::Bytes pdu,
           const FrameRef& at);
  void cut_pdu(ConversationState& s, std::uint32_t channel, Direction dir, common::Bytes partial,
               const FrameRef& at);
  // The channel closed (or its carrier ended): its calls still outstanding end unanswered.
  void close_channel(ConversationState& s, std::uint32_t channel);
  // The adapter learnt a channel's handle after opening it (an SMB2 CREATE answered after a
  // related compound member wrote to it): what is reported from now on carries it.
  void set_channel_handle(ConversationState& s, std::uint32_t channel, std::string handle);
  [[nodiscard]] ChannelPtr channel(const ConversationState& s, std::uint32_t channel) const;
  // A step of the carrier on the current frame. `of_interest`: it concerns RPC (an IPC$ tree
  // connect, a pipe's create), so the conversation is shown even without a PDU.
  void event(ConversationState& s, CarrierEvent e, bool of_interest);
  // The carrier is ending the conversation: its held records go out. Returns the reference
  // for what its framer still reports (the last frame); close() follows.
  FrameRef closing(ConversationState& s);
  void close(ConversationHandle s, EndReason reason, const CarrierTotals& totals);
  // One of several carriers feeding the conversation ended (a channel of an RPC over HTTP
  // virtual connection) after closing(): what its framer still reported goes out now, while
  // the conversation goes on.
  void channel_ended(ConversationState& s);
  // RPC over HTTP v2: the channel carried by conversation `s` named a virtual connection no
  // other channel had named: `s` holds its timeline.
  void name_virtual_connection(ConversationState& s, const common::Uuid& cookie,
                               const HttpChannel& channel);
  // ... named one that `holder` holds: the adapter feeds the channel's frames and PDUs to
  // `holder` from now on and closes `s` (EndReason::joined).
  void join_virtual_connection(ConversationState& s, ConversationState& holder,
                               const HttpChannel& channel);
  // A KDC message on port 88: not a conversation of its own, handed to the sinks as it is.
  void kerberos(const KdcMessage& m) { sink_.kerberos(m); }

  [[nodiscard]] const Counters& counters() const { return counters_; }
  [[nodiscard]] const EpmLinks& epm_links() const { return links_; }

 private:
  friend class ConversationState;
  struct PendingFrame {
    FrameRecord record;
    std::vector<CallRecord> calls;  // calls its PDUs ended
  };
  PendingFrame& pending(ConversationState& s);  // where facts go now
  void on_pdu(ConversationState& s, const dcerpc::PduEvent& e,
              const dcerpc::PduPayloadView& payload);
  void on_call_end(ConversationState& s, const dcerpc::CallEnd& c,
                   const dcerpc::CallStubsView& stubs);
  void count_pdu(ConversationState& s, const dcerpc::PduEvent& e);
  void count_return(const ReturnCode& r);
  void check_epm_interface(ConversationState& s, const dcerpc::PduEvent& e);
  void select_by_lookup(ConversationState& s, const EpmDecode& d);
  void stamp(ConversationState& s, FrameRecord& r);
  void resolve_roles(ConversationState& s);
  [[nodiscard]] bool shown(const ConversationState& s) const;
  void flush_held(ConversationState& s);
  void write(PendingFrame& p, bool frame = true);
  void write_trailer(ConversationState& s);

  // Channels listed in a conversation's summary; later ones are counted, not listed.
  static constexpr std::size_t kMaxListedChannels = 1024;
  // Bound on frame records held per conversation while out-of-order bytes wait (the
  // carrier's own bound, max_out_of_order_segments, normally releases them long before).
  static constexpr std::size_t kMaxHeldRecords = 4096;
  // Conversations without a captured opening watched for an ept_map answer naming their port.
  static constexpr std::size_t kMaxUnopened = 65536;

  const TrackerOptions& options_;
  ProcessLookup process_lookup_;
  Sink& sink_;
  dcerpc::Counters& dcerpc_counters_;
  Counters counters_;
  EpmLinks links_;
  // Conversations whose opening was not captured, by each of their endpoints and id: an
  // ept_map answer naming their server's port tells their interface (infer_from_answer looks
  // up that endpoint instead of walking every such conversation on every answer).
  std::map<std::pair<common::Endpoint, std::uint64_t>, ConversationState*> unopened_;
  std::size_t unopened_count_ = 0;
  void forget_unopened(const ConversationState& s);
  void infer_from_answer(const epm::EptMapResponse& answer, const ConversationState& mapper,
                         const dcerpc::FrameRef& at, const common::IpAddress& mapper_address);
  PendingFrame current_;
  PendingFrame* target_ = nullptr;  // where facts of released held bytes go
  bool in_frame_ = false;
  bool trailer_open_ = false;
  FrameRef at_;
};

}  // namespace rpctrace::analysis
