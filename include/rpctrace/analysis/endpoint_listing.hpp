// EndpointListing: `rpctrace endpoints` — what the capture's endpoint mappers disclosed: every
// ept_lookup listing, followed across calls with the same entry_handle (C706 appendix O,
// MS-RPCE 3.1.1.1: a client calls ept_lookup with a null handle, then with the handle each
// response returns, until a response returns a null handle or ept_s_not_registered), and
// every ept_map answer (kept by EpmLinks), grouped by endpoint mapper. report::EndpointsWriter
// prints it in the shape of `portqry -e 135` and rpcdump.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rpctrace/analysis/selection.hpp"
#include "rpctrace/analysis/sink.hpp"

namespace rpctrace::analysis {

struct ListedEndpoint {
  epm::EptEntry entry;
  std::uint64_t conversation = 0, frame = 0;
};

struct LookupListing {  // one ept_lookup listing: the calls of one conversation and entry_handle
  std::uint64_t conversation = 0, first_frame = 0, last_frame = 0;
  std::uint64_t calls = 0;
  bool complete = false;  // ended with a null handle or ept_s_not_registered
};

struct MapperListing {
  std::vector<ListedEndpoint> endpoints;  // distinct, in order of first appearance
  std::uint64_t entries = 0;              // entries disclosed, repeats included
  std::vector<LookupListing> lookups;
  std::vector<EpmAnswer> answers;  // its ept_map answers, in capture order
};

struct EndpointListingResult {
  std::map<common::IpAddress, MapperListing> mappers;
  std::uint64_t duplicates = 0;       // entries listed more than once (shown once)
  std::uint64_t answers_dropped = 0;  // ept_map answers past EpmLinks::kMaxAnswers
};

class EndpointListing : public Sink {
 public:
  // `interfaces` (--interface): only the entries and answers for these interfaces.
  explicit EndpointListing(std::vector<std::string> interfaces = {}) {
    filter_.interfaces = std::move(interfaces);
  }
  void frame(const FrameRecord& f) override;
  // Answers are listed from the conversations shown (--port, --host ... select them).
  void conversation_end(const Conversation& c) override {
    if (c.shown) shown_.insert(c.id);
  }
  void finish(const Statistics& s, const EpmLinks& links) override;
  // After finish().
  [[nodiscard]] const EndpointListingResult& result() const { return result_; }

 private:
  void add_lookup(const common::IpAddress& mapper, const FrameRecord& f,
                  const epm::EptLookupResponse& r);
  [[nodiscard]] bool selected(const std::optional<dcerpc::SyntaxId>& interface) const;

  Selection filter_;
  std::set<std::uint64_t> shown_;
  EndpointListingResult result_;
  // Listings still open, by mapper and conversation: where the listing is, and the
  // entry_handle its last response returned (the next call of the listing returns it again).
  struct Open {
    std::size_t index = 0;
    epm::ContextHandle handle;
  };
  std::map<std::pair<common::IpAddress, std::uint64_t>, Open> open_;
};

}  // namespace rpctrace::analysis
