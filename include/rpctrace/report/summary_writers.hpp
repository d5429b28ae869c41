// Writers of `rpctrace summary` (one record per conversation) and `rpctrace stats` (the
// per-operation response-time table). Text: an aligned table (summary: a row per conversation
// with its details indented under it); JSON Lines: "summary" and "op_stats" records, schema
// in docs/summary.md. The closing statistics follow as the other commands write them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rpctrace/analysis/summary.hpp"

namespace rpctrace::report {

// The version of the "summary" and "op_stats" records' schema (docs/summary.md): raised when
// a field changes meaning or goes away, not when one is added.
inline constexpr int kSummarySchemaVersion = 1;

class SummaryWriter {
 public:
  SummaryWriter(std::FILE* out, std::FILE* stats_out, bool jsonl)
      : out_(out), stats_out_(stats_out), jsonl_(jsonl) {}
  // JSON Lines: written at once. Text: kept until finish(), which aligns the columns.
  void add(const analysis::ConversationSummary& s);
  void finish(const analysis::Statistics& s);

 private:
  std::FILE* out_;
  std::FILE* stats_out_;
  bool jsonl_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::string> details_;  // each row's indented lines (may be empty)
  std::vector<std::uint64_t> ids_;    // each row's conversation
};

// `rpctrace stats`: every operation of the table, by interface then opnum. `not_listed`: calls
// of operations past a conversation's bound (in no row); `without_request`: answers whose
// request was not captured (no opnum: in no row).
void write_op_stats(std::FILE* out, std::FILE* stats_out, bool jsonl,
                    const analysis::OpTable& table, std::uint64_t not_listed,
                    std::uint64_t without_request, const analysis::Statistics& s);

}  // namespace rpctrace::report
