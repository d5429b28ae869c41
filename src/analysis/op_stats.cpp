// Per-operation tallies and response-time percentiles.
#include "rpctrace/analysis/op_stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/epm/decode.hpp"

namespace rpctrace::analysis {

void Latencies::add(std::int64_t us) {
  if (count_ == 0 || us < min_) min_ = us;
  if (count_ == 0 || us > max_) max_ = us;
  sum_ += us;
  ++count_;
  if (samples_.size() < kMaxSamples) {
    samples_.push_back(us);
    sorted_ = false;
    return;
  }
  // Reservoir sampling (Vitter's algorithm R): keep the new one with probability k/n.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  const std::uint64_t slot = rng_ % count_;
  if (slot < kMaxSamples) {
    samples_[slot] = us;
    sorted_ = false;
  }
}

void Latencies::merge(const Latencies& other) {
  if (other.count_ == 0) return;
  if (other.approximate() || approximate()) {
    // Both sampled or one: the sample of each stays a fair share of its own calls only
    // approximately; the exact parts (count, sum, min, max) stay exact.
    for (auto us : other.samples_) {
      if (samples_.size() < kMaxSamples) samples_.push_back(us);
    }
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
    count_ += other.count_;
    sum_ += other.sum_;
    sorted_ = false;
    return;
  }
  for (auto us : other.samples_) add(us);
}

double Latencies::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::int64_t Latencies::percentile(unsigned p) const {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  const std::size_t n = samples_.size();
  std::size_t rank = (static_cast<std::size_t>(p) * n + 99) / 100;  // ceil(p/100 * n)
  rank = std::clamp<std::size_t>(rank, 1, n);
  return samples_[rank - 1];
}

std::string operation_label(const OpKey& k) {
  if (k.interface) {
    auto name = dcerpc::operation_name(k.interface->uuid, k.opnum);
    if (!name.empty()) return std::string(name);
  }
  return fmt::format("opnum {}", k.opnum);
}

bool ordinary_error(const ReturnCode& rc) {
  static constexpr std::array<std::string_view, 7> kSteps = {
      "ERROR_MORE_DATA",         "ERROR_INSUFFICIENT_BUFFER", "ERROR_NO_MORE_ITEMS",
      "STATUS_BUFFER_TOO_SMALL", "STATUS_MORE_ENTRIES",       "E_NOINTERFACE",
      "STATUS_NO_MORE_ENTRIES"};
  std::string name = dcerpc::return_code_text(rc.value, rc.type).name;
  // HRESULT_FROM_WIN32(ERROR_MORE_DATA) is the same step.
  if (name.starts_with("HRESULT_FROM_WIN32(")) name = name.substr(19, name.size() - 20);
  return std::find(kSteps.begin(), kSteps.end(), name) != kSteps.end();
}

bool is_error_return(const CallRecord& c) {
  if (c.call.outcome != dcerpc::CallOutcome::response || !c.return_code ||
      !dcerpc::is_failure(c.return_code->value, c.return_code->type) ||
      ordinary_error(*c.return_code))
    return false;
  // ept_lookup ends its enumeration with ept_s_not_registered (C706 appendix O): the last
  // call of every complete listing says it, and it is no error.
  static const std::uint32_t not_registered =
      dcerpc::status_code("ept_s_not_registered").value_or(0x16c9a0d6);
  const bool end_of_listing = c.call.interface && c.call.interface->uuid == dcerpc::epm_uuid() &&
                              c.call.opnum == epm::opnum::ept_lookup &&
                              c.return_code->value == not_registered;
  return !end_of_listing;
}

void OpTally::add(const CallRecord& c) {
  using dcerpc::CallOutcome;
  const auto outcome = c.call.outcome;
  ++calls;
  const bool answer = outcome == CallOutcome::response || outcome == CallOutcome::fault ||
                      outcome == CallOutcome::rejected;
  if (answer) {
    ++answered;
    if (c.call.latency_us && c.call.request_seen) srt.add(*c.call.latency_us);
  } else {
    ++unanswered;
  }
  if (outcome == CallOutcome::fault || outcome == CallOutcome::rejected) ++faults;
  if (is_error_return(c)) ++error_returns;
  request_stub_bytes += c.call.request_stub_length;
  response_stub_bytes += c.call.response_stub_length;
}

void OpTally::merge(const OpTally& o) {
  calls += o.calls;
  answered += o.answered;
  faults += o.faults;
  error_returns += o.error_returns;
  unanswered += o.unanswered;
  request_stub_bytes += o.request_stub_bytes;
  response_stub_bytes += o.response_stub_bytes;
  srt.merge(o.srt);
}

}  // namespace rpctrace::analysis
