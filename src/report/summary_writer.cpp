// `rpctrace summary` output: a row per conversation (text, aligned) or a "summary" record.
#include <fmt/format.h>

#include <algorithm>

#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/color.hpp"
#include "rpctrace/report/json_objects.hpp"
#include "rpctrace/report/summary_writers.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

using analysis::ConversationSummary;
using analysis::OpTally;

// "0.512" milliseconds with three decimals, "-" when not known.
std::string ms(const std::optional<std::int64_t>& us) {
  if (!us) return "-";
  const std::int64_t a = *us < 0 ? -*us : *us;
  return fmt::format("{}{}.{:03}", *us < 0 ? "-" : "", a / 1000, a % 1000);
}

std::string interface_label(const dcerpc::SyntaxId& s) {
  auto name = dcerpc::interface_name(s.uuid);
  return name.empty() ? s.uuid.to_string() : std::string(name);
}

std::string transport_of(const analysis::Conversation& c) {
  return analysis::is_datagram(c.protseq) ? "udp" : "tcp";
}

// The protocol sequence, with the first pipe's name for ncacn_np.
std::string protseq_label(const analysis::Conversation& c) {
  std::string out(analysis::to_string(c.protseq));
  if (c.protseq == analysis::Protseq::ncacn_np && !c.channels.empty()) {
    const auto& first = c.channels.front();
    out += ' ';
    out += first && !first->name.empty() ? first->name : "(pipe)";
    if (c.channels.size() > 1) out += fmt::format(" +{}", c.channels.size() - 1);
  }
  return out;
}

// The interfaces it bound (a rejected one marked), else the ones its calls used.
std::string interfaces_label(const ConversationSummary& s) {
  std::string out;
  auto add = [&](const std::string& text) {
    if (!out.empty()) out += ',';
    out += text;
  };
  for (const auto& b : s.bound)
    add(b.result == "accepted" ? interface_label(b.interface)
                               : fmt::format("{}({})", interface_label(b.interface), b.result));
  if (s.bound.empty())
    for (const auto& u : s.conv.interfaces) add(interface_label(u.interface));
  return out.empty() ? "-" : out;
}

std::string auth_label(const ConversationSummary& s) {
  if (s.auth_type == 0 && s.account.empty()) return {};
  std::string out;
  if (s.auth_type != 0)
    out = fmt::format("{} {}", dcerpc::auth_type_name(s.auth_type),
                      dcerpc::auth_level_name(s.auth_level));
  if (!s.account.empty()) out += (out.empty() ? "" : ", ") + s.account;
  return out;
}

std::string error_label(const analysis::ErrorCount& e) {
  return e.fault ? fmt::format("fault {}", dcerpc::format_status(e.value))
                 : dcerpc::format_return_code(e.value, e.type);
}

std::string origin_label(const analysis::EpmLink& l) {
  std::string out = fmt::format("the {} answer in conversation {}, frame {}", l.source,
                                l.conversation, common::FrameNo{l.frame});
  if (l.interface) out += fmt::format(" (for {})", interface_label(*l.interface));
  return out;
}

// ok green, the failures red, the partial ones yellow (--color).
Color verdict_color(analysis::Verdict v) {
  switch (v) {
    case analysis::Verdict::ok:
      return Color::green;
    case analysis::Verdict::faulted:
    case analysis::Verdict::incomplete:
      return Color::yellow;
    default:
      return Color::red;
  }
}

// The details of a row, each on an indented line.
std::string details(const ConversationSummary& s) {
  std::string out;
  auto line = [&](std::string_view label, const std::string& text) {
    if (!text.empty()) out += fmt::format("      {:<8} {}\n", label, text);
  };
  const auto& c = s.conv;
  if (c.epm_link) line("port:", "from " + origin_label(*c.epm_link));
  if (c.process) line("process:", fmt::format("{} (PID {})", c.process->name, c.process->pid));
  line("auth:", auth_label(s));
  std::string calls;
  for (const auto& key : s.operations) {
    const OpTally& t = s.ops.at(key);
    if (!calls.empty()) calls += "; ";
    calls += fmt::format("{} x{}", analysis::operation_label(key), t.calls);
    if (t.srt.count() > 0)
      calls += fmt::format(" (median {} ms, max {} ms)", ms(t.srt.percentile(50)), ms(t.srt.max()));
    if (t.unanswered > 0) calls += fmt::format(" {} unanswered", t.unanswered);
  }
  if (s.calls_not_listed > 0) calls += fmt::format("; {} more calls", s.calls_not_listed);
  if (s.answers_without_request > 0)
    calls += fmt::format("{}{} answers whose request was not captured", calls.empty() ? "" : "; ",
                         s.answers_without_request);
  line("calls:", calls);
  std::string errors;
  for (const auto& e : s.errors)
    errors += fmt::format("{}{} x{}", errors.empty() ? "" : "; ", error_label(e), e.count);
  line("errors:", errors);
  line("why:", s.why);
  return out;
}

void syntax_or_null(JsonLine& j, std::string_view key, const std::optional<dcerpc::SyntaxId>& s) {
  if (s)
    syntax_object(j, key, *s);
  else
    j.null(key);
}

// The response-time fields of a tally: srt_min_s ... srt_mean_s, absent when none answered.
void srt_fields(JsonLine& j, const analysis::Latencies& l) {
  if (l.count() == 0) return;
  j.seconds("srt_min_s", l.min())
      .seconds("srt_median_s", l.percentile(50))
      .seconds("srt_p95_s", l.percentile(95))
      .seconds("srt_max_s", l.max())
      .seconds("srt_mean_s", static_cast<std::int64_t>(l.mean() + 0.5))
      .boolean("srt_percentiles_sampled", l.approximate());
}

void tally_fields(JsonLine& j, const OpTally& t) {
  j.num("calls", t.calls)
      .num("answered", t.answered)
      .num("faults", t.faults)
      .num("error_returns", t.error_returns)
      .num("unanswered", t.unanswered);
  srt_fields(j, t.srt);
  j.num("request_stub_bytes", t.request_stub_bytes)
      .num("response_stub_bytes", t.response_stub_bytes);
}

void write_json(std::FILE* out, const ConversationSummary& s) {
  const auto& c = s.conv;
  JsonLine j;
  j.begin_object().str("type", "summary").num("schema_version", kSummarySchemaVersion);
  j.num("conversation", c.id).num("group", c.group);
  j.ip("client", c.client.address).num("client_port", c.client.port);
  j.ip("server", c.server.address).num("server_port", c.server.port);
  j.str("transport", transport_of(c)).str("protseq", analysis::to_string(c.protseq));
  if (!c.channels.empty()) {
    j.begin_array("pipes");
    for (const auto& ch : c.channels) channel_object(j, "", *ch);
    j.end_array();
  }
  if (c.virtual_connection) {
    j.begin_array("http_channels");
    for (const auto& ch : c.virtual_connection->channels)
      j.begin_object()
          .str("channel", ch.name)
          .num("conversation", ch.conversation)
          .ip("client", ch.client.address)
          .num("client_port", ch.client.port)
          .end_object();
    j.end_array();
  }
  j.str("start", c.start.to_iso8601()).seconds("duration_s", c.end.micros() - c.start.micros());
  j.num("first_frame", c.first_frame).num("last_frame", c.last_frame).num("frames", c.frames);
  j.str("began", s.began);
  if (c.epm_link) {
    const auto& l = *c.epm_link;
    j.begin_object("port_from").str("source", l.source).num("conversation", l.conversation);
    j.num("frame", l.frame);
    syntax_or_null(j, "interface", l.interface);
    j.end_object();
  }
  if (c.process)
    j.begin_object("process").str("name", c.process->name).num("pid", c.process->pid).end_object();
  j.begin_array("interfaces");
  for (const auto& b : s.bound) {
    j.begin_object();
    syntax_fields(j, b.interface);
    j.str("result", b.result);
    if (b.result == "provider_rejection" || b.result == "user_rejection")
      j.str("reason", dcerpc::provider_reason_name(b.reason));
    else if (b.result == "bind_nak")
      j.str("reason", dcerpc::reject_reason_name(b.reason));
    j.end_object();
  }
  j.end_array();
  if (s.auth_type != 0 || !s.account.empty()) {
    j.begin_object("auth");
    if (s.auth_type != 0)
      j.str("type", dcerpc::auth_type_name(s.auth_type))
          .str("level", dcerpc::auth_level_name(s.auth_level));
    if (!s.account.empty()) j.str("account", s.account);
    j.end_object();
  }
  tally_fields(j, s.all);
  j.begin_array("operations");
  for (const auto& key : s.operations) {
    j.begin_object();
    syntax_or_null(j, "interface", key.interface);
    j.num("opnum", key.opnum).str("operation", analysis::operation_label(key));
    tally_fields(j, s.ops.at(key));
    j.end_object();
  }
  j.end_array();
  if (s.calls_not_listed > 0) j.num("calls_not_listed", s.calls_not_listed);
  if (s.answers_without_request > 0) j.num("answers_without_request", s.answers_without_request);
  j.begin_array("errors");
  for (const auto& e : s.errors) {
    j.begin_object().str("kind", e.fault ? "fault" : "return");
    j.str("code", fmt::format("0x{:08x}", e.value)).str("text", error_label(e));
    j.num("count", e.count).end_object();
  }
  j.end_array();
  j.num("bytes_to_server", c.bytes_to_server).num("bytes_to_client", c.bytes_to_client);
  j.begin_object("latency");
  if (s.handshake_rtt_us) j.seconds("handshake_rtt_s", *s.handshake_rtt_us);
  if (s.bind_rtt_us) j.seconds("bind_rtt_s", *s.bind_rtt_us);
  if (s.all.srt.count() > 0)
    j.seconds("call_median_s", s.all.srt.percentile(50))
        .seconds("call_p95_s", s.all.srt.percentile(95))
        .seconds("call_max_s", s.all.srt.max());
  j.end_object();
  j.num("gaps", s.gaps).str("ended", s.ended).str("end_reason", analysis::to_string(c.end_reason));
  j.str("verdict", analysis::to_string(s.verdict));
  if (!s.why.empty()) j.str("why", s.why);
  j.end_object();
  j.write_line(out);
}

const std::vector<std::string> kSummaryColumns = {
    "CONV",        "CLIENT", "SERVER", "PROTSEQ", "START (UTC)", "DURATION_S", "BEGAN",
    "INTERFACES",  "CALLS",  "FAULTS", "ERRORS",  "BYTES_C>S",   "BYTES_S>C",  "HS_RTT_MS",
    "BIND_RTT_MS", "P50_MS", "P95_MS", "MAX_MS",  "ENDED",       "VERDICT"};

// Columns that hold numbers are aligned right.
bool right_aligned(std::size_t column) {
  return column == 0 || column == 5 || (column >= 8 && column <= 17);
}

void print_table(std::FILE* out, const std::vector<std::string>& head,
                 const std::vector<std::vector<std::string>>& rows,
                 const std::vector<std::string>& after, bool (*right)(std::size_t)) {
  std::vector<std::size_t> width(head.size(), 0);
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto print_row = [&](const std::vector<std::string>& r) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i > 0) line += "  ";
      const std::size_t pad = width[i] - std::min(width[i], r[i].size());
      if (right(i)) line.append(pad, ' ');
      line += r[i];
      if (!right(i) && i + 1 < r.size()) line.append(pad, ' ');
    }
    line += '\n';
    std::fputs(line.c_str(), out);
  };
  print_row(head);
  for (std::size_t k = 0; k < rows.size(); ++k) {
    print_row(rows[k]);
    if (k < after.size() && !after[k].empty()) std::fputs(after[k].c_str(), out);
  }
}

}  // namespace

void SummaryWriter::add(const ConversationSummary& s) {
  if (jsonl_) return write_json(out_, s);
  const auto& c = s.conv;
  const auto& l = s.all.srt;
  auto opt = [&](bool known, std::int64_t v) {
    return known ? std::optional<std::int64_t>(v) : std::nullopt;
  };
  rows_.push_back({std::to_string(c.id),
                   c.client.to_string(),
                   c.server.to_string(),
                   protseq_label(c),
                   c.start.to_iso8601(),
                   common::format_seconds(c.end.micros() - c.start.micros()),
                   s.began,
                   interfaces_label(s),
                   std::to_string(s.all.calls),
                   std::to_string(s.all.faults),
                   std::to_string(s.all.error_returns),
                   std::to_string(c.bytes_to_server),
                   std::to_string(c.bytes_to_client),
                   ms(s.handshake_rtt_us),
                   ms(s.bind_rtt_us),
                   ms(opt(l.count() > 0, l.percentile(50))),
                   ms(opt(l.count() > 0, l.percentile(95))),
                   ms(opt(l.count() > 0, l.max())),
                   s.ended,
                   paint(verdict_color(s.verdict), analysis::to_string(s.verdict))});
  details_.push_back(details(s));
  ids_.push_back(c.id);
}

void SummaryWriter::finish(const analysis::Statistics& s) {
  if (jsonl_) {
    JsonLine j;
    write_statistics_json(s, j);
    j.write_line(out_);
    return;
  }
  // By conversation number, as the timeline numbers them (they end in another order).
  std::vector<std::size_t> order(rows_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ids_[a] < ids_[b]; });
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> details;
  for (auto i : order) {
    rows.push_back(std::move(rows_[i]));
    details.push_back(std::move(details_[i]));
  }
  if (rows.empty())
    std::fputs("No RPC conversation in the capture (or none selected).\n", out_);
  else
    print_table(out_, kSummaryColumns, rows, details, right_aligned);
  std::fflush(out_);
  std::fputs(("\n" + format_statistics(s)).c_str(), stats_out_);
}

void write_op_stats(std::FILE* out, std::FILE* stats_out, bool jsonl,
                    const analysis::OpTable& table, std::uint64_t not_listed,
                    std::uint64_t without_request, const analysis::Statistics& s) {
  if (jsonl) {
    JsonLine j;
    for (const auto& [key, t] : table) {
      j.clear();
      j.begin_object().str("type", "op_stats").num("schema_version", kSummarySchemaVersion);
      syntax_or_null(j, "interface", key.interface);
      j.num("opnum", key.opnum).str("operation", analysis::operation_label(key));
      tally_fields(j, t);
      j.end_object();
      j.write_line(out);
    }
    j.clear();
    write_statistics_json(s, j);
    j.write_line(out);
    return;
  }
  static const std::vector<std::string> head = {
      "INTERFACE", "OPNUM",  "OPERATION", "CALLS",  "ANSWERED", "FAULTS",    "ERRORS",
      "MIN_MS",    "P50_MS", "P95_MS",    "MAX_MS", "MEAN_MS",  "REQ_BYTES", "RESP_BYTES"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, t] : table) {
    const auto& l = t.srt;
    auto known = [&](std::int64_t v) {
      return l.count() > 0 ? std::optional<std::int64_t>(v) : std::nullopt;
    };
    rows.push_back({key.interface ? fmt::format("{} v{}.{}", interface_label(*key.interface),
                                                key.interface->major, key.interface->minor)
                                  : std::string("(bind not captured)"),
                    std::to_string(key.opnum), analysis::operation_label(key),
                    std::to_string(t.calls), std::to_string(t.answered), std::to_string(t.faults),
                    std::to_string(t.error_returns), ms(known(l.min())),
                    ms(known(l.percentile(50))) + (l.approximate() ? "~" : ""),
                    ms(known(l.percentile(95))) + (l.approximate() ? "~" : ""), ms(known(l.max())),
                    ms(known(static_cast<std::int64_t>(l.mean() + 0.5))),
                    std::to_string(t.request_stub_bytes), std::to_string(t.response_stub_bytes)});
  }
  if (rows.empty())
    std::fputs("No RPC call in the capture (or none selected).\n", out);
  else
    print_table(out, head, rows, {}, [](std::size_t i) { return i == 1 || i >= 3; });
  if (not_listed > 0)
    fmt::print(out, "{} calls of operations past a conversation's bound are in no row.\n",
               not_listed);
  if (without_request > 0)
    fmt::print(out,
               "{} answers whose request was not captured are in no row (their opnum travels "
               "in the request).\n",
               without_request);
  std::fflush(out);
  std::fputs(("\n" + format_statistics(s)).c_str(), stats_out);
}

}  // namespace rpctrace::report
