// Sink: receives the analysis in capture order. Frame records of a conversation come in frame
// order (a record may wait while its carrier holds bytes out of order); a call's record comes
// after the record of the frame that ended it; conversations end in order of their end;
// finish() comes once, last, with the statistics and the endpoint mappers' answers.
#pragma once

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

}  // namespace rpctrace::analysis
