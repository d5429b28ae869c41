// Internal to the analysis: the wording shared by the diagnose rules.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/analysis/op_stats.hpp"

namespace rpctrace::analysis {

Finding make_finding(Severity severity, FindingKind kind, const common::Endpoint& client,
                     const common::Endpoint& server, std::optional<dcerpc::SyntaxId> interface);
// "E1AF8308-... v3.0 (EPMv4)", or "an unknown interface".
std::string interface_text(const std::optional<dcerpc::SyntaxId>& s);
// "12, 14, 20" (at most 8, then "and N more" of `total`, which may be more than were kept).
std::string frames_text(const std::vector<std::uint64_t>& frames, std::uint64_t total = 0);
// "SAMR SamrOpenUser" (the interface's name, or its UUID and version, and the operation's
// name); "a call to SAMR" when the request was not seen; "SAMR opnum 2" for an unknown one.
std::string operation_text(const std::optional<dcerpc::SyntaxId>& s, std::uint16_t opnum,
                           bool request_seen = true);
// The interface an ept_map call looked up (its request's map_tower), when known.
std::optional<dcerpc::SyntaxId> looked_up(const CallRecord& r);

}  // namespace rpctrace::analysis
