// Internal to the transport layer: what every adapter over TCP tells the Tracker the same way
// (a segment's facts, its note, a gap, the end reason).
#pragma once

#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/tcp/connection.hpp"
#include "rpctrace/tcp/stream_sink.hpp"

namespace rpctrace::transport {

analysis::ConversationOpen conversation_open(const tcp::Connection& c, analysis::Protseq p);
analysis::CarrierFrame carrier_frame(const tcp::SegmentInfo& s);
analysis::FrameEnd frame_end(const tcp::Connection& c, const tcp::SegmentInfo& s);
analysis::ReportedNote gap_note(const tcp::Connection& c, tcp::Direction dir, std::uint64_t size,
                                tcp::GapCause cause);
analysis::EndReason end_reason(tcp::EndReason r);
// Whether a direction's stream start was seen (its SYN, and not picked up mid-stream).
bool stream_start(const tcp::Connection& c, tcp::Direction dir);

}  // namespace rpctrace::transport
