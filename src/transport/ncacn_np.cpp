// ncacn_np: SMB connections as conversations, their named pipes as channels.
#include "rpctrace/transport/ncacn_np.hpp"

#include "rpctrace/dcerpc/pdu.hpp"
#include "smb_connection.hpp"
#include "tcp_carrier.hpp"

namespace rpctrace::transport {

namespace {

SmbConnection& connection(tcp::Connection& c) { return static_cast<SmbConnection&>(*c.state); }
const SmbConnection& connection(const tcp::Connection& c) {
  return static_cast<const SmbConnection&>(*c.state);
}

}  // namespace

void NpAdapter::on_connection_start(tcp::Connection& c) {
  ++counters_.connections;
  c.state = std::make_unique<SmbConnection>(
      tracker_, tracker_.open(conversation_open(c, analysis::Protseq::ncacn_np)), counters_,
      dcerpc_counters_, framer_limits_, limits_);
}

bool NpAdapter::carries_dcerpc(const tcp::Connection& c, common::Bytes data) const {
  const SmbConnection& sc = connection(c);
  if (sc.totals.bytes[0] != 0 || sc.totals.bytes[1] != 0) return false;
  return dcerpc::parse_common_header(data).is_complete();
}

analysis::ConversationHandle NpAdapter::release(tcp::Connection& c,
                                                analysis::CarrierTotals& totals) {
  SmbConnection& sc = connection(c);
  ++counters_.dcerpc_connections;
  totals = sc.totals;
  analysis::ConversationHandle conversation = std::move(sc.conversation);
  c.state.reset();
  return conversation;
}

void NpAdapter::on_segment(tcp::Connection& c, const tcp::SegmentInfo& s) {
  tracker_.begin_frame(*connection(c).conversation, carrier_frame(s));
}

void NpAdapter::on_data(tcp::Connection& c, tcp::Direction dir, common::Bytes data,
                        const tcp::DataOrigin& origin) {
  SmbConnection& sc = connection(c);
  if (!sc.started[dir]) {
    sc.framer.start(dir, stream_start(c, dir));
    sc.started[dir] = true;
  }
  sc.totals.bytes[dir] += data.size();
  analysis::ConversationState& conv = *sc.conversation;
  dcerpc::FrameRef ref = tracker_.attribute(conv, dcerpc::FrameRef{origin.frame, origin.ts});
  sc.framer.data(dir, data, ref, true);
  tracker_.attribute_current(conv);
}

void NpAdapter::on_gap(tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
                       tcp::GapCause cause) {
  SmbConnection& sc = connection(c);
  tracker_.note(*sc.conversation, gap_note(c, dir, size, cause));
  if (!sc.started[dir]) {
    sc.framer.start(dir, false);
    sc.started[dir] = true;
  }
  sc.framer.gap(dir, size, tracker_.here(*sc.conversation));
}

void NpAdapter::on_frame_end(tcp::Connection& c, const tcp::SegmentInfo& s) {
  tracker_.end_frame(*connection(c).conversation, frame_end(c, s));
}

void NpAdapter::on_connection_end(tcp::Connection& c, tcp::EndReason reason) {
  SmbConnection& sc = connection(c);
  const dcerpc::FrameRef at = tracker_.closing(*sc.conversation);
  sc.framer.finish(at);
  for (auto& [file, pipe] : sc.pipes) pipe->framer.finish(at);
  sc.pipes.clear();
  tracker_.close(std::move(sc.conversation), end_reason(reason), sc.totals);
}

void append_counter_rows(const NpCounters& c, common::CounterRows& rows) {
  // Keys and labels by smb::Reason, in its order.
  static constexpr common::CounterRow kMalformed[] = {
      {"smb_malformed_truncated", "SMB messages shorter than their fixed part", 0},
      {"smb_malformed_protocol_id", "SMB session messages without an SMB identifier", 0},
      {"smb_malformed_structure_size", "SMB2 bodies with a wrong StructureSize", 0},
      {"smb_malformed_offset", "SMB buffers pointing outside their message", 0},
      {"smb_malformed_next_command", "SMB2 NextCommand misaligned, short or past the data", 0},
      {"smb_malformed_chain_too_deep", "SMB chains longer than max_chain", 0},
      {"smb_malformed_word_count", "SMB1 WordCounts the command does not allow", 0},
      {"smb_malformed_andx_offset", "SMB1 AndXOffsets that do not move forward", 0},
      {"smb_malformed_name_too_long", "SMB names longer than 512 octets", 0},
  };
  static_assert(std::size(kMalformed) == static_cast<std::size_t>(smb::Reason::count_));
  for (std::size_t i = 0; i < std::size(kMalformed); ++i)
    rows.push_back({kMalformed[i].key, kMalformed[i].label, c.malformed[i]});
  rows.push_back({"smb_dcerpc_connections",
                  "connections on SMB ports carrying DCE/RPC directly (decoded as ncacn_ip_tcp)",
                  c.dcerpc_connections});
  rows.push_back({"smb_encrypted_messages", "SMB3 encrypted messages (pipe traffic not visible)",
                  c.encrypted_messages});
  rows.push_back({"smb_compressed_messages", "SMB3 compressed messages (not decompressed)",
                  c.compressed_messages});
  rows.push_back({"smb_cut_messages", "SMB messages cut by a gap (not decoded)", c.cut_messages});
  rows.push_back({"smb_messages_over_limit",
                  "SMB messages past max_message_size (their pipe bytes not followed)",
                  c.messages_over_limit});
  rows.push_back(
      {"smb_not_smb_bytes", "octets on SMB ports that were no SMB message", c.not_smb_bytes});
  rows.push_back(
      {"smb_pipes_unnamed", "pipes found by their PDUs, their open not captured", c.pipes_unnamed});
  rows.push_back({"smb_pipes_over_limit",
                  "pipes past max_pipes: opens, and messages of pipes not followed",
                  c.pipes_over_limit});
  rows.push_back(
      {"smb_requests_dropped", "SMB requests forgotten past max_pending", c.requests_dropped});
  rows.push_back({"smb_responses_unmatched",
                  "pipe answers whose request was not seen (not captured, or not decoded)",
                  c.responses_unmatched});
}

}  // namespace rpctrace::transport
