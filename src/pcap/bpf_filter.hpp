// A BPF filter expression (pcap-filter(7)) applied to frames read from files: libpcap compiles
// it once per link type met (a pcapng or NetMon file can hold several) against a "dead"
// handle of that type, and pcap_offline_filter runs it, as tcpdump -r does.
#pragma once

#include <pcap/pcap.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "rpctrace/pcap/capture_reader.hpp"

namespace rpctrace::pcap {

class BpfFilter {
 public:
  explicit BpfFilter(std::string expression) : expression_(std::move(expression)) {}
  ~BpfFilter();
  BpfFilter(const BpfFilter&) = delete;
  BpfFilter& operator=(const BpfFilter&) = delete;

  // Compiles for `link_type` (a LINKTYPE_ value); the error libpcap gives, or empty. A link
  // type whose compilation failed matches no frame.
  std::string compile(int link_type, std::uint32_t snaplen = kSnaplen);
  // Whether the frame passes; compiles for its link type the first time one is seen. A
  // frame of a link type the expression does not compile for (or of none: NetMon's
  // pseudo-records) does not pass, and the first such failure is kept in note().
  bool matches(const Frame& frame);
  [[nodiscard]] const std::string& note() const { return note_; }

 private:
  static constexpr std::uint32_t kSnaplen = 262144;
  struct Program {
    bpf_program program{};
    bool ok = false;
  };
  std::string expression_;
  std::map<int, Program> programs_;
  int last_link_type_ = -2;
  Program* last_ = nullptr;
  std::string note_;
};

}  // namespace rpctrace::pcap
