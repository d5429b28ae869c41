// Tests of src/dcerpc/framer.cpp: how the StreamFramer frames each direction's byte stream into
// PDUs by frag_length (C706 §12.6.3.1, §12.6.3.3), whatever the chunking; the framing modes of
// docs/design.md (expect_header, hunting, in_sync, resync, not_rpc); the ncacn_http/1.0
// preamble (MS-RPCH 2.1.1.1.1, RPC over HTTP v1); gaps, the end of the connection, and the
// max_resync_scan limit.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/dcerpc/test_util.hpp"

namespace rpctrace::dcerpc {
namespace {

using unittest::AssociationHarness;
using unittest::pattern;
namespace ts = testsupport;

ts::Bytes request(std::uint32_t call_id, std::size_t stub_size) {
  return ts::PduBuilder(ts::Ptype::request)
      .call_id(call_id)
      .opnum(3)
      .stub(pattern(stub_size))
      .build();
}

std::vector<std::uint32_t> call_ids(const unittest::Recorder& rec) {
  std::vector<std::uint32_t> out;
  for (const auto& p : rec.pdus) out.push_back(p.event.header.call_id);
  return out;
}

ts::Bytes first(const ts::Bytes& b, std::size_t n) { return ts::slice(b, 0, n); }
ts::Bytes from(const ts::Bytes& b, std::size_t n) { return ts::slice(b, n, b.size()); }

// --- Framing by frag_length, whatever the chunking (C706 §12.6.3.1) ---------------------------
TEST(Framing, SeveralPdusInOneChunk) {
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, ts::concat({request(1, 10), request(2, 0), request(3, 100)}), 7);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2, 3}));
  for (const auto& p : h.rec.pdus) EXPECT_EQ(p.event.at.frame, 7u);
  EXPECT_EQ(h.counters.pdus, 3u);
  EXPECT_EQ(h.counters.pdus_by_ptype[0], 3u);
  EXPECT_TRUE(h.rec.notes.empty());
  EXPECT_TRUE(h.framer().is_rpc());
}

TEST(Framing, PdusSplitByteByByte) {
  const ts::Bytes stream = ts::concat({request(1, 10), request(2, 0), request(3, 100)});
  AssociationHarness h;
  h.framer().start(0, true);
  for (std::size_t i = 0; i < stream.size(); ++i) h.feed(0, ts::slice(stream, i, 1), i + 1);
  ASSERT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2, 3}));
  // Each PDU is reported at the frame of its last octet.
  EXPECT_EQ(h.rec.pdus[0].event.at.frame, 34u);
  EXPECT_EQ(h.rec.pdus[1].event.at.frame, 34u + 24);
  EXPECT_EQ(h.rec.pdus[2].event.at.frame, stream.size());
  EXPECT_EQ(std::get<Request>(h.rec.pdus[2].event.body).stub_length, 100u);
  EXPECT_TRUE(h.rec.notes.empty());
}

// The largest PDUs, each spanning many chunks, with smaller ones sharing the chunks at their
// edges: the buffered part of a PDU is appended to, and what follows it is kept.
TEST(Framing, LargePdusAcrossManyChunksWithSmallOnesBetween) {
  const ts::Bytes big = request(2, 65535 - 24);
  ASSERT_EQ(big.size(), 65535u);
  const ts::Bytes stream =
      ts::concat({request(1, 10), big, request(3, 0), request(4, 30000), request(5, 7)});
  for (const std::size_t chunk : {std::size_t{1460}, std::size_t{997}, std::size_t{40000}}) {
    AssociationHarness h;
    h.framer().start(0, true);
    std::uint64_t frame = 0;
    for (std::size_t i = 0; i < stream.size(); i += chunk)
      h.feed(0, ts::slice(stream, i, std::min(chunk, stream.size() - i)), ++frame);
    ASSERT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2, 3, 4, 5})) << chunk;
    EXPECT_EQ(std::get<Request>(h.rec.pdus[1].event.body).stub_length, 65535u - 24) << chunk;
    EXPECT_EQ(std::get<Request>(h.rec.pdus[3].event.body).stub_length, 30000u) << chunk;
    // The frame of each PDU's last octet.
    EXPECT_EQ(h.rec.pdus[1].event.at.frame, (34 + 65535 - 1) / chunk + 1) << chunk;
    EXPECT_EQ(h.rec.pdus[4].event.at.frame, frame) << chunk;
    EXPECT_TRUE(h.rec.notes.empty()) << chunk;
  }
}

// A PDU whose header frames but whose body does not parse is skipped by its frag_length:
// counted by reason, noted with its header, and the next PDU is decoded (STYLE.md §6).
TEST(Framing, MalformedBodyIsSkippedByFragLength) {
  const ts::Bytes bad_bind = ts::PduBuilder(ts::Ptype::bind).call_id(4).n_context_elem(255).build();
  const ts::Bytes short_request =
      ts::PduBuilder(ts::Ptype::request).call_id(5).body(pattern(4)).build();
  const ts::Bytes big_auth =
      ts::PduBuilder(ts::Ptype::request).call_id(6).stub(pattern(8)).auth_length(900).build();
  AssociationHarness h;
  h.feed(0, ts::concat({bad_bind, short_request, big_auth, request(7, 8)}), 1);
  EXPECT_EQ(call_ids(h.rec), std::vector<std::uint32_t>{7});
  ASSERT_EQ(h.rec.note_kinds(),
            (std::vector<NoteKind>{NoteKind::malformed_pdu, NoteKind::malformed_pdu,
                                   NoteKind::malformed_pdu}));
  const Reason want[] = {Reason::count_too_large, Reason::frag_length_too_small,
                         Reason::auth_length_too_large};
  const std::uint32_t ids[] = {4, 5, 6};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(h.rec.notes[i].reason, want[i]) << i;
    ASSERT_TRUE(h.rec.notes[i].header.has_value());
    EXPECT_EQ(h.rec.notes[i].header->call_id, ids[i]);
    EXPECT_EQ(h.counters.malformed[static_cast<std::size_t>(want[i])], 1u);
  }
  EXPECT_EQ(h.rec.notes[0].bytes, bad_bind.size());
  EXPECT_EQ(h.rec.notes[1].bytes, 20u);
  EXPECT_EQ(h.counters.pdus, 1u);
  EXPECT_EQ(h.counters.lost_sync, 0u);
}

// --- expect_header: the first octet after the SYN must start a header --------------------------
TEST(Framing, ExpectHeaderOnANonDcerpcStream) {
  const ts::Bytes http = ts::text_bytes("GET / HTTP/1.1\r\nHost: example\r\n\r\n");
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, http, 1);
  h.feed(0, request(1, 8), 2);  // a header later on counts for nothing: the stream is not RPC
  EXPECT_TRUE(h.rec.pdus.empty());
  EXPECT_TRUE(h.rec.notes.empty());  // nothing says this connection is DCE/RPC at all
  EXPECT_FALSE(h.framer().is_rpc());
  EXPECT_EQ(h.counters.non_rpc_streams, 1u);
  EXPECT_EQ(h.counters.non_rpc_bytes, http.size() + 32);
}

TEST(Framing, ExpectHeaderNotesANonDcerpcDirectionOfAnRpcConnection) {
  AssociationHarness h;
  h.framer().start(0, true);
  h.framer().start(1, true);
  h.feed(0, request(1, 8), 1);
  h.feed(1, pattern(40), 2);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::not_dcerpc});
  EXPECT_EQ(h.rec.notes[0].dir, 1);
  EXPECT_EQ(h.counters.non_rpc_bytes, 40u);
}

// MS-RPCH 2.1.1.1.1: RPC over HTTP v1 sends "ncacn_http/1.0" before the first PDU.
TEST(Framing, NcacnHttpPreamble) {
  const ts::Bytes preamble = ts::text_bytes("ncacn_http/1.0");
  const ts::Bytes bind =
      ts::PduBuilder(ts::Ptype::bind).context({0, ts::kEpmInterface, {ts::kNdrSyntax}}).build();
  for (std::size_t split : {std::size_t{0}, std::size_t{6}, std::size_t{14}, std::size_t{20}}) {
    AssociationHarness h;
    h.framer().start(0, true);
    const ts::Bytes stream = ts::concat({preamble, bind});
    h.feed(0, first(stream, split), 1);
    h.feed(0, from(stream, split), 2);
    ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::ncacn_http}) << split;
    EXPECT_EQ(h.rec.notes[0].bytes, 14u);
    ASSERT_EQ(h.rec.ptypes(), std::vector<PacketType>{PacketType::bind}) << split;
    EXPECT_EQ(h.counters.non_rpc_streams, 0u);
  }
}

// --- hunting: a capture that began mid-connection ---------------------------------------------
TEST(Framing, HuntingSkipsToASegmentThatStartsWithAHeader) {
  AssociationHarness h;
  h.framer().start(0, false);
  h.feed(0, pattern(300), 1);  // the tail of a PDU whose start was not captured
  // A valid header inside a segment, not at its start, is not taken (DCE/RPC inside SMB).
  h.feed(0, ts::concat({pattern(3), request(9, 8)}), 2);
  const ts::Bytes two = ts::concat({request(1, 20), request(2, 4)});
  h.feed(0, two, 3);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::picked_up});
  EXPECT_EQ(h.rec.notes[0].bytes, 300u + 3 + 32);
  EXPECT_EQ(h.rec.notes[0].at.frame, 3u);
  EXPECT_EQ(h.counters.hunting_bytes, 300u + 3 + 32);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
}

TEST(Framing, HuntingPicksUpAHeaderInsideASegmentWhenAnotherPduFollowsIt) {
  // The capture starts inside a PDU; the same segment holds the start of the next two PDUs.
  // The first header is taken because a second valid header follows it at frag_length.
  AssociationHarness h;
  h.framer().start(0, false);
  h.feed(0, ts::concat({pattern(37), request(1, 20), request(2, 4)}), 1);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::picked_up});
  EXPECT_EQ(h.rec.notes[0].bytes, 37u);
  EXPECT_EQ(h.counters.hunting_bytes, 37u);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
}

TEST(Framing, HuntingPastMaxResyncScanTakesOnlySegmentStarts) {
  AssociationHarness h;
  h.framer_limits.max_resync_scan = 64;
  h.framer().start(0, false);
  h.feed(0, pattern(100), 1);  // the scan budget is spent
  h.feed(0, ts::concat({pattern(5), request(1, 20), request(2, 4)}), 2);
  EXPECT_TRUE(call_ids(h.rec).empty());
  h.feed(0, request(3, 4), 3);
  EXPECT_EQ(call_ids(h.rec), std::vector<std::uint32_t>{3});
}

TEST(Framing, HuntingPicksUpAHeaderSplitOverTwoSegments) {
  // The segment starts with a header but carries only its first 10 octets: framer.cpp says
  // "fewer than 16 octets: decide with the next bytes".
  const ts::Bytes pdu = request(1, 20);
  AssociationHarness h;
  h.framer().start(0, false);
  h.feed(0, first(pdu, 10), 1);
  h.feed(0, from(pdu, 10), 2);
  EXPECT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::picked_up});
  EXPECT_EQ(call_ids(h.rec), std::vector<std::uint32_t>{1});
  EXPECT_EQ(h.counters.hunting_bytes, 0u);
}

// --- lost sync and resync on the next valid header ----------------------------------------------
TEST(Framing, LostSyncThenResyncOnALaterValidHeader) {
  ts::Bytes garbage = pattern(24);
  garbage[0] = std::byte{0x04};  // rpc_vers 4
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, ts::concat({request(1, 8), garbage, request(2, 8)}), 1);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
  ASSERT_EQ(h.rec.note_kinds(),
            (std::vector<NoteKind>{NoteKind::lost_sync, NoteKind::resynchronised}));
  EXPECT_EQ(h.rec.notes[0].reason, Reason::bad_rpc_vers);
  EXPECT_EQ(h.rec.notes[1].bytes, 24u);
  EXPECT_EQ(h.counters.lost_sync, 1u);
  EXPECT_EQ(h.counters.resync_bytes, 24u);
}

TEST(Framing, ResyncAcrossChunksWithTheHeaderSplit) {
  ts::Bytes bad = request(1, 8);
  unittest::patch_u16(bad, 8, 8, ts::Endian::little);  // frag_length 8 < 16
  const ts::Bytes good = request(2, 8);
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, request(1, 0), 1);  // in sync (a bad first header would make the stream not_rpc)
  h.feed(0, ts::concat({bad, pattern(10)}), 1);  // 42 octets not to be framed
  h.feed(0, ts::concat({pattern(30), first(good, 7)}), 2);
  h.feed(0, from(good, 7), 3);
  ASSERT_EQ(h.rec.note_kinds(),
            (std::vector<NoteKind>{NoteKind::lost_sync, NoteKind::resynchronised}));
  EXPECT_EQ(h.rec.notes[0].reason, Reason::frag_length_too_small);
  EXPECT_EQ(h.rec.notes[1].bytes, 32u + 10 + 30);
  EXPECT_EQ(h.counters.resync_bytes, 72u);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
}

TEST(Framing, MaxResyncScanFallsBackToHunting) {
  AssociationHarness h;
  h.framer_limits.max_resync_scan = 64;
  h.framer().start(0, true);
  ts::Bytes garbage = pattern(40);
  garbage[0] = std::byte{0x04};
  h.feed(0, ts::concat({request(5, 0), garbage}), 1);
  EXPECT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::lost_sync});  // 25 scanned
  h.feed(0, pattern(60), 2);                                                  // 25 + 60 = 85 >= 64
  ASSERT_EQ(h.rec.note_kinds(), (std::vector<NoteKind>{NoteKind::lost_sync, NoteKind::limit}));
  EXPECT_EQ(h.rec.notes[1].bytes, 85u);
  EXPECT_EQ(h.counters.resync_bytes, 85u);
  // Hunting now: a header inside a segment is not taken, one at a segment start is.
  h.feed(0, ts::concat({pattern(2), request(1, 0)}), 3);
  h.feed(0, request(2, 0), 4);
  EXPECT_EQ(h.rec.notes.back().kind, NoteKind::picked_up);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{5, 2}));
}

// --- gaps (STYLE.md §6: report the cut PDU, skip exactly to the next one, stay in sync) --------
TEST(Gap, InsideAPduWithAKnownHeaderSkipsToTheNextPdu) {
  const ts::Bytes a = request(1, 76);  // 100 octets
  const ts::Bytes b = request(2, 8);
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, first(a, 30), 1);
  h.framer().gap(0, 50, unittest::frame(2));
  h.feed(0, ts::slice(a, 80, 10), 3);
  h.feed(0, ts::concat({ts::slice(a, 90, 10), b}), 4);
  ASSERT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
  const PduEvent& cut = h.rec.pdus[0].event;
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.captured, 30u);
  EXPECT_EQ(cut.at.frame, 1u);  // where its octets were captured
  EXPECT_EQ(std::get<Request>(cut.body).opnum, 3);
  EXPECT_FALSE(h.rec.pdus[1].event.truncated);
  EXPECT_EQ(h.rec.pdus[1].event.at.frame, 4u);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::partial_pdu_lost});
  EXPECT_EQ(h.rec.notes[0].bytes, 30u);
  ASSERT_TRUE(h.rec.notes[0].header.has_value());
  EXPECT_EQ(h.rec.notes[0].header->call_id, 1u);
  EXPECT_EQ(h.counters.partial_pdus_lost, 1u);
  EXPECT_EQ(h.counters.truncated_pdus, 1u);
  EXPECT_EQ(h.counters.gap_skipped_bytes, 30u + 20);
  EXPECT_EQ(h.counters.lost_sync, 0u);
}

TEST(Gap, CoveringExactlyTheRestOfThePdu) {
  const ts::Bytes a = request(1, 76);
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, first(a, 40), 1);
  h.framer().gap(0, 60, unittest::frame(2));
  h.feed(0, request(2, 8), 3);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::partial_pdu_lost});
}

TEST(Gap, LongerThanTheRestOfThePduResynchronises) {
  const ts::Bytes a = request(1, 76);
  const ts::Bytes b = request(2, 36);  // 60 octets, the gap takes its first 30
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, first(a, 30), 1);
  h.framer().gap(0, 70 + 30, unittest::frame(2));
  h.feed(0, ts::concat({from(b, 30), request(3, 8)}), 3);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 3}));
  ASSERT_EQ(h.rec.note_kinds(),
            (std::vector<NoteKind>{NoteKind::partial_pdu_lost, NoteKind::resynchronised}));
  EXPECT_EQ(h.rec.notes[1].bytes, 30u);
}

TEST(Gap, CuttingAHeaderResynchronises) {
  const ts::Bytes a = request(1, 76);
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, ts::concat({request(9, 0), first(a, 10)}), 1);
  h.framer().gap(0, 5, unittest::frame(2));
  h.feed(0, ts::concat({from(a, 15), request(2, 8)}), 3);
  ASSERT_EQ(h.rec.note_kinds(),
            (std::vector<NoteKind>{NoteKind::partial_pdu_lost, NoteKind::resynchronised}));
  EXPECT_FALSE(h.rec.notes[0].header.has_value());
  EXPECT_EQ(h.rec.notes[0].bytes, 10u);
  EXPECT_EQ(h.rec.notes[1].bytes, 85u);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{9, 2}));
  EXPECT_EQ(h.counters.gap_skipped_bytes, 10u);
  EXPECT_EQ(h.counters.truncated_pdus, 0u);
}

TEST(Gap, AtAPduBoundaryResynchronises) {
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, request(1, 8), 1);
  h.framer().gap(0, 40, unittest::frame(2));
  // The gap hid the first 40 octets of a 65-octet PDU: its last 25 come first.
  h.feed(0, ts::concat({pattern(25), request(2, 8)}), 3);
  EXPECT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{1, 2}));
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::resynchronised});
  EXPECT_EQ(h.rec.notes[0].bytes, 25u);
  EXPECT_EQ(h.counters.partial_pdus_lost, 0u);
}

// --- finish(): a PDU still partly buffered when the connection ends ----------------------------
TEST(Finish, PartialPduIsReportedAndCounted) {
  const ts::Bytes a = request(1, 76);
  AssociationHarness h;
  h.framer().start(0, true);
  h.framer().start(1, true);
  h.feed(0, first(a, 50), 1);
  h.feed(1, ts::concat({request(2, 8), first(request(3, 8), 10)}), 2);
  h.finish(unittest::frame(3));
  ASSERT_EQ(call_ids(h.rec), (std::vector<std::uint32_t>{2, 1}));
  const PduEvent& cut = h.rec.pdus[1].event;
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(cut.captured, 50u);
  EXPECT_EQ(cut.at.frame, 1u);
  ASSERT_EQ(h.rec.note_kinds(),
            (std::vector<NoteKind>{NoteKind::partial_pdu_lost, NoteKind::partial_pdu_lost}));
  EXPECT_TRUE(h.rec.notes[0].header.has_value());
  EXPECT_EQ(h.rec.notes[0].bytes, 50u);
  EXPECT_EQ(h.rec.notes[0].at.frame, 3u);
  EXPECT_FALSE(h.rec.notes[1].header.has_value());
  EXPECT_EQ(h.rec.notes[1].bytes, 10u);
  EXPECT_EQ(h.counters.unterminated_pdus, 2u);
  EXPECT_EQ(h.counters.unterminated_bytes, 60u);
  EXPECT_EQ(h.counters.truncated_pdus, 1u);
}

// STYLE.md §7: no octet is dropped without a counter. A direction whose first segment held
// only part of a header (here 10 octets) ends, or meets a gap, with those octets buffered.
std::uint64_t bytes_not_decoded(const Counters& c) {
  return c.resync_bytes + c.hunting_bytes + c.gap_skipped_bytes + c.non_rpc_bytes +
         c.unterminated_bytes;
}

TEST(Finish, PartialFirstHeaderIsCounted) {
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, first(request(1, 8), 10), 1);
  h.finish(unittest::frame(2));
  EXPECT_EQ(bytes_not_decoded(h.counters), 10u);
}

// The same for the last octets (fewer than a header) of a resync scan.
TEST(Finish, ResyncTailIsCounted) {
  AssociationHarness h;
  ts::Bytes garbage = pattern(40);
  garbage[0] = std::byte{0x04};
  h.feed(0, ts::concat({request(1, 0), garbage}), 1);
  ASSERT_EQ(h.rec.note_kinds(), std::vector<NoteKind>{NoteKind::lost_sync});
  h.finish(unittest::frame(2));
  EXPECT_EQ(bytes_not_decoded(h.counters), 40u);
}

TEST(Gap, PartialFirstHeaderIsCounted) {
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, first(request(1, 8), 10), 1);
  h.framer().gap(0, 5, unittest::frame(2));
  EXPECT_EQ(bytes_not_decoded(h.counters), 10u);
}

TEST(Finish, NothingBufferedNothingReported) {
  AssociationHarness h;
  h.framer().start(0, true);
  h.feed(0, request(1, 8), 1);
  h.finish(unittest::frame(2));
  EXPECT_TRUE(h.rec.notes.empty());
  EXPECT_EQ(h.counters.unterminated_pdus, 0u);
}

}  // namespace
}  // namespace rpctrace::dcerpc
