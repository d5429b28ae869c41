// What the stream fuzz targets share: a sink that drops the analysis' output (the targets check
// the path to it) and association limits tiny enough that every bound is hit.
#pragma once

#include "rpctrace/analysis/sink.hpp"
#include "rpctrace/analysis/tracker.hpp"
#include "rpctrace/dcerpc/limits.hpp"

namespace rpctrace::fuzz {

class NullSink : public analysis::Sink {
 public:
  void frame(const analysis::FrameRecord&) override {}
  void conversation_end(const analysis::Conversation&) override {}
  void finish(const analysis::Statistics&, const analysis::EpmLinks&) override {}
};

inline analysis::TrackerOptions tiny_tracker_options() {
  analysis::TrackerOptions options;
  options.association_limits = dcerpc::AssociationLimits{.max_contexts = 4,
                                                         .max_outstanding_calls = 4,
                                                         .max_fragments_per_call = 8,
                                                         .max_stub_bytes = 4096};
  return options;
}

}  // namespace rpctrace::fuzz
