// Per-operation tallies: calls, answers, faults, error returns, stub bytes and the response
// times of an (interface, opnum), for a conversation's summary and for the capture's
// service-response-time table (`rpctrace stats`, as tshark's -z dcerpc,srt for any interface).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rpctrace/analysis/model.hpp"

namespace rpctrace::analysis {

// Response times in microseconds. Count, sum, min and max are exact; the median and p95 come
// from every sample up to kMaxSamples, past it from a uniform sample of that many (reservoir
// sampling with a fixed seed, so a run is repeatable) and are then marked approximate.
class Latencies {
 public:
  void add(std::int64_t us);
  void merge(const Latencies& other);
  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::int64_t min() const { return min_; }
  [[nodiscard]] std::int64_t max() const { return max_; }
  [[nodiscard]] double mean() const;
  [[nodiscard]] std::int64_t sum() const { return sum_; }
  // The nearest-rank percentile (the value at rank ceil(p/100 * n) of the sorted samples):
  // percentile(50) is the median (the lower middle value for an even count), as documented.
  [[nodiscard]] std::int64_t percentile(unsigned p) const;
  [[nodiscard]] bool approximate() const { return count_ > samples_.size(); }
  static constexpr std::size_t kMaxSamples = 1u << 16;

 private:
  std::uint64_t count_ = 0;
  std::int64_t sum_ = 0, min_ = 0, max_ = 0;
  mutable std::vector<std::int64_t> samples_;
  mutable bool sorted_ = true;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
};

// An operation: its interface (unknown when the call's bind was not captured) and opnum.
struct OpKey {
  std::optional<dcerpc::SyntaxId> interface;
  std::uint16_t opnum = 0;
  friend auto operator<=>(const OpKey&, const OpKey&) = default;
  friend bool operator==(const OpKey&, const OpKey&) = default;
};

struct OpTally {
  std::uint64_t calls = 0;          // requests seen (every ended call)
  std::uint64_t answered = 0;       // ... answered by a response or a fault
  std::uint64_t faults = 0;         // ... by a fault (or a connectionless reject)
  std::uint64_t error_returns = 0;  // responses whose return code is a failure
  std::uint64_t unanswered = 0;     // never answered (the connection or the capture ended first)
  std::uint64_t request_stub_bytes = 0, response_stub_bytes = 0;
  Latencies srt;  // the answered calls' response times (last request fragment to first answer)
  void add(const CallRecord& c);
  void merge(const OpTally& other);
};

// The capture's table, by operation.
using OpTable = std::map<OpKey, OpTally>;

// The operation's name from the names table ("SamrConnect5"), else "opnum N".
std::string operation_label(const OpKey& k);

// Failure codes that are an ordinary step of a protocol, not an error: a buffer too small
// (ERROR_MORE_DATA, ERROR_INSUFFICIENT_BUFFER, STATUS_BUFFER_TOO_SMALL: the client asks
// again), the end of an enumeration (ERROR_NO_MORE_ITEMS, STATUS_MORE_ENTRIES,
// STATUS_NO_MORE_ENTRIES), an interface a COM object lacks (E_NOINTERFACE).
bool ordinary_error(const ReturnCode& rc);
// Whether a call's return code reports a failure (dcerpc::is_failure), other than an ordinary
// step (ordinary_error) and the ept_s_not_registered that ends an ept_lookup listing.
bool is_error_return(const CallRecord& c);

}  // namespace rpctrace::analysis
