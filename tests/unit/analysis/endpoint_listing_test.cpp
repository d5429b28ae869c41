// EndpointListing (endpoint_listing.hpp): what the endpoint mappers disclosed. ept_lookup
// responses on frame records (C706 appendix O; MS-RPCE 3.1.1.1) grouped by the mapper that
// sent them, repeats listed once and counted, listings followed until a null entry_handle or
// ept_s_not_registered; ept_map answers taken from EpmLinks at finish(), grouped by server;
// --interface on both.
#include "rpctrace/analysis/endpoint_listing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/analysis/analysis_harness.hpp"

namespace rpctrace::analysistest {
namespace {

using analysis::EndpointListing;
using analysis::FrameRecord;

constexpr std::uint32_t kEptSNotRegistered = 0x16c9a0d6;  // C706 appendix O
const common::Endpoint kClient = ep("10.0.0.1", 49152);
const common::Endpoint kMapper = ep("10.0.0.2", 135);

epm::EptEntry entry(const dcerpc::SyntaxId& interface, std::uint16_t port,
                    std::string annotation = "", std::string_view object = "") {
  epm::EptEntry e;
  e.tower = epm_tower(port, "10.0.0.2", interface);
  e.annotation = std::move(annotation);
  if (!object.empty()) e.object = common::Uuid::parse(object).value_or(common::Uuid{});
  return e;
}

// entry_handle `n`; 0 is the null handle.
epm::ContextHandle handle(std::uint8_t n) {
  epm::ContextHandle h;
  if (n != 0) {
    h.uuid = common::Uuid::parse(fmt::format("00000000-0000-0000-0000-0000000000{:02x}", n))
                 .value_or(common::Uuid{});
  }
  return h;
}

epm::EptLookupResponse listing(std::vector<epm::EptEntry> entries, std::uint8_t next_handle,
                               std::uint32_t status = 0) {
  epm::EptLookupResponse r;
  r.entry_handle = handle(next_handle);
  r.num_ents = static_cast<std::uint32_t>(entries.size());
  r.entries = std::move(entries);
  r.status = status;
  return r;
}

analysis::ReportedPdu epm_pdu(dcerpc::Direction dir, epm::EpmValue value) {
  analysis::ReportedPdu p;
  p.event.dir = dir;
  p.event.header.ptype = dcerpc::PacketType::response;
  p.epm = std::make_shared<const analysis::EpmDecode>(
      analysis::EpmDecode{epm::opnum::ept_lookup, std::move(value), {}});
  return p;
}

// Frame `frame` of conversation `conversation` (client endpoint[0], `mapper` endpoint[1]) in
// which the mapper's ept_lookup response `r` came.
FrameRecord lookup_frame(std::uint64_t conversation, std::uint64_t frame,
                         const epm::EptLookupResponse& r,
                         const common::Endpoint& mapper = kMapper) {
  FrameRecord f;
  f.conversation = conversation;
  f.frame = frame;
  f.dir = 1;
  f.src = mapper;
  f.dst = kClient;
  f.pdus.push_back(epm_pdu(1, r));
  return f;
}

analysis::LookupListing lookup(std::uint64_t conversation, std::uint64_t first, std::uint64_t last,
                               std::uint64_t calls, bool complete) {
  return analysis::LookupListing{conversation, first, last, calls, complete};
}

void expect_lookups(const analysis::MapperListing& m,
                    const std::vector<analysis::LookupListing>& want) {
  ASSERT_EQ(m.lookups.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(m.lookups[i].conversation, want[i].conversation) << i;
    EXPECT_EQ(m.lookups[i].first_frame, want[i].first_frame) << i;
    EXPECT_EQ(m.lookups[i].last_frame, want[i].last_frame) << i;
    EXPECT_EQ(m.lookups[i].calls, want[i].calls) << i;
    EXPECT_EQ(m.lookups[i].complete, want[i].complete) << i;
  }
}

const analysis::MapperListing& mapper(const EndpointListing& l, std::string_view address) {
  auto it = l.result().mappers.find(ip(address));
  if (it == l.result().mappers.end()) {
    ADD_FAILURE() << "no mapper " << address;
    static const analysis::MapperListing none;
    return none;
  }
  return it->second;
}

// --- Entries, by mapper ---

TEST(EndpointListing, EntriesAreListedUnderTheMapperThatSentThem) {
  EndpointListing l;
  l.frame(lookup_frame(
      1, 10, listing({entry(samr_syntax(), 49700, "SAM"), entry(lsarpc_syntax(), 49701)}, 0)));
  // A record of the end (src endpoint[0], dir 0) with the mapper's PDU (dir 1): the receiver's.
  FrameRecord trailer;
  trailer.conversation = 2;
  trailer.frame = 20;
  trailer.dir = 0;
  trailer.src = ep("10.0.0.1", 49153);
  trailer.dst = ep("10.0.0.5", 135);
  trailer.pdus.push_back(epm_pdu(1, listing({entry(samr_syntax(), 50000)}, 0)));
  l.frame(trailer);
  // A conversation whose endpoint[0] is the mapper (the opening not seen).
  FrameRecord reversed;
  reversed.conversation = 3;
  reversed.frame = 30;
  reversed.dir = 0;
  reversed.src = ep("10.0.0.6", 135);
  reversed.dst = ep("10.0.0.1", 49154);
  reversed.pdus.push_back(epm_pdu(0, listing({entry(samr_syntax(), 50001)}, 0)));
  l.frame(reversed);
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});

  const auto& r = l.result();
  ASSERT_EQ(r.mappers.size(), 3u);
  const auto& m = mapper(l, "10.0.0.2");
  ASSERT_EQ(m.endpoints.size(), 2u);
  EXPECT_EQ(m.entries, 2u);
  EXPECT_EQ(m.endpoints[0].entry.tower->interface, samr_syntax());
  EXPECT_EQ(m.endpoints[0].entry.annotation, "SAM");
  EXPECT_EQ(m.endpoints[0].conversation, 1u);
  EXPECT_EQ(m.endpoints[0].frame, 10u);
  EXPECT_EQ(m.endpoints[1].entry.tower->port, 49701);
  EXPECT_TRUE(m.answers.empty());
  EXPECT_EQ(mapper(l, "10.0.0.5").endpoints.at(0).entry.tower->port, 50000);
  EXPECT_EQ(mapper(l, "10.0.0.6").endpoints.at(0).entry.tower->port, 50001);
  EXPECT_EQ(r.duplicates, 0u);
  EXPECT_EQ(r.answers_dropped, 0u);
}

TEST(EndpointListing, RepeatsAreListedOnceAndCounted) {
  EndpointListing l;
  const auto samr = entry(samr_syntax(), 49700, "SAM");
  l.frame(lookup_frame(1, 10, listing({samr, samr}, 0)));
  l.frame(lookup_frame(2, 20,
                       listing({samr, entry(samr_syntax(), 49701, "SAM"),  // another port
                                entry(samr_syntax(), 49700, "other"),      // another annotation
                                entry(lsarpc_syntax(), 49700, "SAM"),      // another interface
                                entry(samr_syntax(), 49700, "SAM",
                                      "0123abcd-4567-89ef-0011-223344556677"),  // an object
                                epm::EptEntry{}},                               // no tower
                               0)));
  l.frame(lookup_frame(3, 30, listing({samr}, 0), ep("10.0.0.5", 135)));  // another mapper
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  const auto& m = mapper(l, "10.0.0.2");
  EXPECT_EQ(m.entries, 8u);
  ASSERT_EQ(m.endpoints.size(), 6u);
  EXPECT_EQ(m.endpoints[0].frame, 10u);  // kept where it first came
  EXPECT_EQ(m.endpoints[1].entry.tower->port, 49701);
  EXPECT_FALSE(m.endpoints[5].entry.tower.has_value());
  EXPECT_EQ(mapper(l, "10.0.0.5").endpoints.size(), 1u);
  EXPECT_EQ(l.result().duplicates, 2u);
}

// --- Listings: one conversation's calls until the end of the enumeration ---

TEST(EndpointListing, AListingIsFollowedUntilANullHandle) {
  EndpointListing l;
  l.frame(lookup_frame(1, 10, listing({entry(samr_syntax(), 49700)}, 7)));
  l.frame(lookup_frame(1, 12, listing({entry(samr_syntax(), 49701)}, 7)));
  l.frame(lookup_frame(1, 14, listing({}, 0)));
  l.frame(lookup_frame(1, 16, listing({entry(samr_syntax(), 49700)}, 8)));  // a new listing
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  expect_lookups(mapper(l, "10.0.0.2"), {lookup(1, 10, 14, 3, true), lookup(1, 16, 16, 1, false)});
}

TEST(EndpointListing, EptSNotRegisteredEndsAListing) {
  EndpointListing l;
  l.frame(lookup_frame(1, 10, listing({entry(samr_syntax(), 49700)}, 7)));
  l.frame(lookup_frame(1, 12, listing({}, 7, kEptSNotRegistered)));
  l.frame(lookup_frame(1, 14, listing({}, 9, kEptSNotRegistered)));
  l.frame(lookup_frame(1, 16, listing({}, 9, 5)));  // another status does not end it
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  expect_lookups(mapper(l, "10.0.0.2"), {lookup(1, 10, 12, 2, true), lookup(1, 14, 14, 1, true),
                                         lookup(1, 16, 16, 1, false)});
}

TEST(EndpointListing, AnotherConversationStartsAnotherListing) {
  EndpointListing l;
  l.frame(lookup_frame(1, 10, listing({entry(samr_syntax(), 49700)}, 7)));
  l.frame(lookup_frame(2, 20, listing({entry(samr_syntax(), 49700)}, 7)));
  l.frame(lookup_frame(2, 22, listing({}, 0)));
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  expect_lookups(mapper(l, "10.0.0.2"), {lookup(1, 10, 10, 1, false), lookup(2, 20, 22, 2, true)});
}

// Two clients enumerating the same mapper at once: each listing is the calls of its own
// conversation and entry_handle (endpoint_listing.hpp).
TEST(EndpointListing, InterleavedListingsAreFollowedPerConversation) {
  EndpointListing l;
  l.frame(lookup_frame(1, 10, listing({entry(samr_syntax(), 49700)}, 7)));
  l.frame(lookup_frame(2, 11, listing({entry(lsarpc_syntax(), 49701)}, 8)));
  l.frame(lookup_frame(1, 12, listing({}, 0)));
  l.frame(lookup_frame(2, 13, listing({}, 0)));
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  expect_lookups(mapper(l, "10.0.0.2"), {lookup(1, 10, 12, 2, true), lookup(2, 11, 13, 2, true)});
}

// A client that leaves a listing unfinished and starts another in the same conversation gets a
// new entry_handle: "the calls of one conversation and entry_handle" (endpoint_listing.hpp).
TEST(EndpointListing, ANewEntryHandleInTheSameConversationIsANewListing) {
  EndpointListing l;
  l.frame(lookup_frame(1, 10, listing({entry(samr_syntax(), 49700)}, 7)));
  l.frame(lookup_frame(1, 12, listing({entry(samr_syntax(), 49700)}, 8)));
  l.frame(lookup_frame(1, 14, listing({}, 0)));
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  expect_lookups(mapper(l, "10.0.0.2"), {lookup(1, 10, 10, 1, false), lookup(1, 12, 14, 2, true)});
}

TEST(EndpointListing, OnlyEptLookupResponsesAreListed) {
  EndpointListing l;
  FrameRecord f;
  f.conversation = 1;
  f.frame = 10;
  f.dir = 1;
  f.src = kMapper;
  f.dst = kClient;
  f.pdus.push_back(epm_pdu(1, ept_map_answer({epm_tower(49700, "10.0.0.2")})));
  f.pdus.push_back(epm_pdu(0, epm::EptLookupRequest{}));
  analysis::ReportedPdu failed = epm_pdu(1, listing({}, 0));
  failed.epm = std::make_shared<const analysis::EpmDecode>(
      analysis::EpmDecode{epm::opnum::ept_lookup, std::nullopt, "ept_lookup response: truncated"});
  f.pdus.push_back(failed);
  f.pdus.push_back(analysis::ReportedPdu{});
  l.frame(f);
  l.finish(analysis::Statistics{}, analysis::EpmLinks{});
  EXPECT_TRUE(l.result().mappers.empty());
}

// --- ept_map answers, from EpmLinks ---

// The conversations 1..n ended shown, as the tracker tells the listing before finish().
void shown(EndpointListing& l, std::uint64_t n) {
  for (std::uint64_t id = 1; id <= n; ++id) {
    analysis::Conversation c;
    c.id = id;
    c.shown = true;
    l.conversation_end(c);
  }
}

TEST(EndpointListing, EptMapAnswersAreTakenAtFinishByServer) {
  analysis::EpmLinks links;
  links.remember(ept_map_answer({epm_tower(49700, "10.0.0.2")}), 1, ref(7, 100), kClient,
                 ip("10.0.0.2"));
  links.remember(ept_map_answer({epm_tower(49800, "10.0.0.5")}), 2, ref(17, 200), kClient,
                 ip("10.0.0.5"));
  links.remember(ept_map_answer({}, kEptSNotRegistered), 3, ref(27, 300), kClient, ip("10.0.0.2"));
  EndpointListing l;
  l.frame(lookup_frame(1, 5, listing({entry(samr_syntax(), 49700)}, 0)));
  shown(l, 3);
  l.finish(analysis::Statistics{}, links);
  ASSERT_EQ(l.result().mappers.size(), 2u);
  const auto& m = mapper(l, "10.0.0.2");
  ASSERT_EQ(m.answers.size(), 2u);  // in capture order
  EXPECT_EQ(m.answers[0].conversation, 1u);
  EXPECT_EQ(m.answers[0].frame, 7u);
  EXPECT_EQ(m.answers[1].conversation, 3u);
  EXPECT_EQ(m.answers[1].response->status, kEptSNotRegistered);
  EXPECT_EQ(m.endpoints.size(), 1u);
  const auto& other = mapper(l, "10.0.0.5");
  EXPECT_TRUE(other.lookups.empty());  // answers only
  ASSERT_EQ(other.answers.size(), 1u);
  EXPECT_EQ(other.answers[0].response->towers.at(0).port, 49800);
  EXPECT_EQ(l.result().answers_dropped, 0u);
}

TEST(EndpointListing, AnswersDroppedByEpmLinksAreReported) {
  analysis::EpmLinks links;
  for (std::uint64_t n = 0; n < analysis::EpmLinks::kMaxAnswers + 3; ++n)
    links.remember(ept_map_answer({epm_tower(49700, "10.0.0.2")}), n, ref(n, 0), kClient,
                   ip("10.0.0.2"));
  EndpointListing l;
  shown(l, analysis::EpmLinks::kMaxAnswers + 3);
  l.finish(analysis::Statistics{}, links);
  EXPECT_EQ(l.result().answers_dropped, 3u);
  const auto& m = mapper(l, "10.0.0.2");
  EXPECT_EQ(m.answers.size(), analysis::EpmLinks::kMaxAnswers);
  EXPECT_EQ(m.answers.front().conversation, 3u);
}

// --- --interface ---

TEST(EndpointListing, TheInterfaceFilterKeepsItsEntriesAndAnswers) {
  analysis::EpmLinks links;
  links.remember(ept_map_answer({epm_tower(49701, "10.0.0.2", lsarpc_syntax())}), 1, ref(7, 0),
                 kClient, ip("10.0.0.2"));
  links.remember(ept_map_answer({epm_tower(49701, "10.0.0.2", lsarpc_syntax()),
                                 epm_tower(49700, "10.0.0.2", samr_syntax())}),
                 2, ref(8, 0), kClient, ip("10.0.0.2"));
  links.remember(ept_map_answer({}, kEptSNotRegistered), 3, ref(9, 0), kClient, ip("10.0.0.2"));
  EndpointListing l({"samr"});
  l.frame(lookup_frame(1, 10,
                       listing({entry(lsarpc_syntax(), 49701), entry(samr_syntax(), 49700),
                                epm::EptEntry{}, entry(samr_syntax(), 49700)},
                               0)));
  l.frame(lookup_frame(2, 20, listing({entry(lsarpc_syntax(), 49701)}, 0), ep("10.0.0.5", 135)));
  shown(l, 3);
  l.finish(analysis::Statistics{}, links);
  const auto& m = mapper(l, "10.0.0.2");
  ASSERT_EQ(m.endpoints.size(), 1u);
  EXPECT_EQ(m.endpoints[0].entry.tower->interface, samr_syntax());
  EXPECT_EQ(m.entries, 2u);  // only the interface's entries, repeats included
  EXPECT_EQ(l.result().duplicates, 1u);
  expect_lookups(m, {lookup(1, 10, 10, 1, true)});  // the listing itself is still followed
  // An answer is kept when one of its towers is for the interface (with all its towers).
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].conversation, 2u);
  EXPECT_EQ(m.answers[0].response->towers.size(), 2u);
  EXPECT_TRUE(mapper(l, "10.0.0.5").endpoints.empty());
  EXPECT_EQ(mapper(l, "10.0.0.5").entries, 0u);
}

// --port, --host: an answer carried by a conversation not shown is not listed.
TEST(EndpointListing, AnswersOfConversationsNotShownAreLeftOut) {
  analysis::EpmLinks links;
  links.remember(ept_map_answer({epm_tower(49700, "10.0.0.2")}), 1, ref(7, 100), kClient,
                 ip("10.0.0.2"));
  links.remember(ept_map_answer({epm_tower(49800, "10.0.0.5")}), 2, ref(17, 200), kClient,
                 ip("10.0.0.5"));
  EndpointListing l;
  shown(l, 1);
  analysis::Conversation hidden;
  hidden.id = 2;
  l.conversation_end(hidden);
  l.finish(analysis::Statistics{}, links);
  ASSERT_EQ(l.result().mappers.size(), 1u);
  EXPECT_EQ(mapper(l, "10.0.0.2").answers.size(), 1u);
}

}  // namespace
}  // namespace rpctrace::analysistest
