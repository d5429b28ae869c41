// EndpointsWriter: `rpctrace endpoints FILE` — the endpoint listing the endpoint mappers in a
// capture disclosed (ept_lookup responses, followed across calls with the same entry_handle),
// grouped by server and then by interface, in the shape of `portqry -e 135` and rpcdump, plus
// every ept_map answer. Text or one JSON object per endpoint.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "rpctrace/analysis/sink.hpp"

namespace rpctrace::report {

using analysis::Conversation;
using analysis::FrameRecord;
using analysis::Statistics;

class EndpointsWriter : public analysis::Sink {
 public:
  EndpointsWriter(std::FILE* out, std::FILE* stats_out, bool jsonl)
      : out_(out), stats_out_(stats_out), jsonl_(jsonl) {}
  void frame(const FrameRecord& f) override;
  void conversation_end(const Conversation&) override {}
  void finish(const Statistics& s) override;

 private:
  struct Endpoint {
    epm::EptEntry entry;
    std::uint64_t conversation = 0, frame = 0;
  };
  struct Lookup {  // one ept_lookup listing: the calls of one conversation and entry_handle
    std::uint64_t conversation = 0, first_frame = 0, last_frame = 0;
    std::uint64_t calls = 0;
    bool complete = false;  // ended with a null handle or ept_s_not_registered
  };
  struct Answer {  // an ept_map response
    std::uint64_t conversation = 0, frame = 0;
    common::Endpoint client;
    epm::EptMapResponse response;
  };
  struct Server {
    std::vector<Endpoint> endpoints;  // distinct, in order of first appearance
    std::uint64_t entries = 0;        // entries disclosed, repeats included
    std::vector<Lookup> lookups;
    std::vector<Answer> answers;
  };
  void add_lookup(const common::IpAddress& server, const FrameRecord& f,
                  const epm::EptLookupResponse& r);
  void write_text();
  void write_jsonl();

  std::FILE* out_;
  std::FILE* stats_out_;
  bool jsonl_;
  std::map<common::IpAddress, Server> servers_;
  std::uint64_t duplicates_ = 0;
};

}  // namespace rpctrace::report
