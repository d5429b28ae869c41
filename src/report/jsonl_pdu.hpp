// Internal to the report: the JSON Lines "pdu" record.
#pragma once

#include "rpctrace/analysis/model.hpp"
#include "rpctrace/report/json.hpp"

namespace rpctrace::report {

// When the run reads several files: "file" and "file_frame", the file and the number in it of
// merged frame `frame` (whose number "frame" gives).
void file_and_frame(JsonLine& j, std::uint64_t frame);

// One "pdu" record into `j` (cleared by the caller), for PDU `p` of frame record `f`.
void write_pdu_record(JsonLine& j, const analysis::FrameRecord& f, const analysis::ReportedPdu& p,
                      common::TimestampFormatter& timestamps);

}  // namespace rpctrace::report
