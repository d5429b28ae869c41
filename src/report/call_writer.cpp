// --calls: one line per call (call_writers.hpp).
#include <fmt/format.h>

#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/call_writers.hpp"
#include "rpctrace/report/color.hpp"
#include "rpctrace/report/writers.hpp"

namespace rpctrace::report {

namespace {

// "samr SamrConnect5 (64)"; "12345678-... v1.0 opnum 3" for an interface the tables lack.
std::string operation(const dcerpc::CallEnd& c) {
  if (!c.interface) return fmt::format("(interface unknown) opnum {}", c.opnum);
  const auto iface = dcerpc::interface_name(c.interface->uuid);
  const auto op = dcerpc::operation_name(c.interface->uuid, c.opnum);
  std::string out = iface.empty() ? fmt::format("{} v{}.{}", c.interface->uuid.to_string(true),
                                                c.interface->major, c.interface->minor)
                                  : std::string(iface);
  out += op.empty() ? fmt::format(" opnum {}", c.opnum) : fmt::format(" {} ({})", op, c.opnum);
  if (c.interface_inferred) out += " [inferred]";
  return out;
}

// What the call came to: the answer's return code, the fault, or why there was none.
std::string result(const analysis::CallRecord& r) {
  const dcerpc::CallEnd& c = r.call;
  switch (c.outcome) {
    case dcerpc::CallOutcome::response:
      if (r.return_code)
        return dcerpc::format_return_code(r.return_code->value, r.return_code->type);
      return c.auth_level == 6 ? "answered (sealed)" : "answered";
    case dcerpc::CallOutcome::fault:
    case dcerpc::CallOutcome::rejected:
      return fmt::format("{} {}", dcerpc::to_string(c.outcome),
                         dcerpc::format_status(c.fault_status));
    default:
      return std::string(dcerpc::to_string(c.outcome));
  }
}

Color result_color(const analysis::CallRecord& r) {
  switch (r.call.outcome) {
    case dcerpc::CallOutcome::response:
      return r.return_code && dcerpc::is_failure(r.return_code->value, r.return_code->type)
                 ? Color::yellow
                 : Color::none;
    case dcerpc::CallOutcome::fault:
    case dcerpc::CallOutcome::rejected:
      return Color::red;
    default:
      return Color::yellow;
  }
}

}  // namespace

void ShownCalls::call(const analysis::CallRecord& c) {
  auto it = waiting_.find(c.conversation);
  if (c.shown && it == waiting_.end()) {
    shown_call(c);
    return;
  }
  auto& held = waiting_[c.conversation];
  if (held.size() < kMaxWaiting)
    held.push_back(c);
  else
    ++dropped_;
}

void ShownCalls::conversation_end(const analysis::Conversation& c) {
  auto it = waiting_.find(c.id);
  if (it == waiting_.end()) return;
  if (c.shown)
    for (const auto& call : it->second) shown_call(call);
  waiting_.erase(it);
}

// Fixed-width columns first (conversation, frames, time, latency), the rest after them.
void CallLineWriter::shown_call(const analysis::CallRecord& r) {
  const dcerpc::CallEnd& c = r.call;
  if (!header_) {
    std::fputs(
        " conv  request   answer  time (UTC)                     latency s  "
        "client -> server  call: result; stub bytes request/response\n",
        out_);
    header_ = true;
  }
  line_.clear();
  const auto at = c.request_seen ? c.request_first : c.end;
  auto frame = [](bool seen, std::uint64_t n) {
    return seen ? fmt::format("{}", common::FrameNo{n}) : std::string("-");
  };
  fmt::format_to(std::back_inserter(line_), "{:>5}  {:>7}  {:>7}  {}  {:>10}  {} -> {}",
                 r.conversation, frame(c.request_seen, c.request_first.frame),
                 frame(c.response_first.has_value(), c.end.frame), at.ts.to_iso8601(),
                 c.latency_us ? common::format_seconds(*c.latency_us) : std::string("-"),
                 r.client.to_string(), r.server.to_string());
  if (r.channel && !r.channel->name.empty())
    fmt::format_to(std::back_inserter(line_), " {}", r.channel->name);
  fmt::format_to(std::back_inserter(line_), "  {}: {}; stub {}/{}", operation(c),
                 paint(result_color(r), result(r)), c.request_stub_length, c.response_stub_length);
  if (c.auth_level == 6) line_ += ", sealed";
  line_ += '\n';
  std::fwrite(line_.data(), 1, line_.size(), out_);
}

void CallLineWriter::finish(const analysis::Statistics& s, const analysis::EpmLinks& /*l*/) {
  if (!header_) std::fputs("no calls\n", out_);
  std::string text = format_statistics(s);
  if (dropped_ != 0)
    text += fmt::format("  calls not listed: {} (past {} waiting in a conversation shown late)\n",
                        dropped_, kMaxWaiting);
  std::fputs(text.c_str(), stats_out_);
}

}  // namespace rpctrace::report
