// Writers of the results the analysis concludes at the end of a capture: `rpctrace diagnose`
// (services and findings) and `rpctrace endpoints` (what the endpoint mappers disclosed). Each
// writes text or JSON Lines to `out`; the closing statistics follow on `stats_out` in text
// (stderr, so stdout stays the answer) and as the last JSON record on `out` in JSON Lines.
#pragma once

#include <cstdio>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/analysis/endpoint_listing.hpp"

namespace rpctrace::report {

// Text: the findings, counted by severity, errors first, each with its evidence and next step;
// then the service status table by client and server (as Outlook's connection status lists
// it), healthy services only counted past kListedServices unless `all_services`. JSON Lines:
// one "service" record per service, one "finding" record per finding (docs/diagnose.md).
inline constexpr std::size_t kListedServices = 20;
void write_diagnosis(std::FILE* out, std::FILE* stats_out, bool jsonl,
                     const analysis::DiagnosisResult& d, const analysis::Statistics& s,
                     bool all_services = false);

// Live capture (`diagnose -i`): one finding when it is first known, flushed. Text: "Found at
// TIME:" and its lines; JSON Lines: its "finding" record marked "as_found" (the final report
// gives it again, with the count of repeats folded into it).
void write_finding_as_found(std::FILE* out, bool jsonl, const analysis::Finding& f,
                            common::Timestamp now);

// Text: per endpoint mapper, its listings grouped by interface with each string binding
// (rpcdump's shape), then its ept_map answers. JSON Lines: one "endpoint" record per listed
// entry and per tower an answer gave.
void write_endpoints(std::FILE* out, std::FILE* stats_out, bool jsonl,
                     const analysis::EndpointListingResult& e, const analysis::Statistics& s);

}  // namespace rpctrace::report
