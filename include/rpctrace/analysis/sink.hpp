// Sink: receives the analysis in capture order. Frame records of a conversation come in frame
// order (a record may wait while its carrier holds bytes out of order); a call's record comes
// after the record of the frame that ended it; conversations end in order of their end;
// finish() comes once, last, with the statistics and the endpoint mappers' answers.
#pragma once

#include <variant>

#include "rpctrace/analysis/epm_links.hpp"
#include "rpctrace/analysis/model.hpp"

namespace rpctrace::analysis {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void frame(const FrameRecord& f) = 0;
  virtual void call(const CallRecord& /*c*/) {}
  virtual void kerberos(const KdcMessage& /*m*/) {}
  virtual void conversation_end(const Conversation& c) = 0;
  virtual void finish(const Statistics& s, const EpmLinks& links) = 0;
};

// One event as a sink is given it, kept to be given later (the writer's thread, the writers'
// benchmarks). Each owns its data, so it outlives the analysis's state.
using SinkEvent = std::variant<FrameRecord, CallRecord, KdcMessage, Conversation>;

// Gives a kept event to `sink`: the call the analysis made with it.
inline void deliver(Sink& sink, const SinkEvent& event) {
  struct To {
    Sink& sink;
    void operator()(const FrameRecord& f) const { sink.frame(f); }
    void operator()(const CallRecord& c) const { sink.call(c); }
    void operator()(const KdcMessage& m) const { sink.kerberos(m); }
    void operator()(const Conversation& c) const { sink.conversation_end(c); }
  };
  std::visit(To{sink}, event);
}

}  // namespace rpctrace::analysis
