// BPF filter expressions on frames read from files (bpf_filter.hpp).
#include "bpf_filter.hpp"

#include <fmt/format.h>

namespace rpctrace::pcap {

BpfFilter::~BpfFilter() {
  for (auto& [type, p] : programs_)
    if (p.ok) pcap_freecode(&p.program);
}

std::string BpfFilter::compile(int link_type, std::uint32_t snaplen) {
  Program& p = programs_[link_type];
  last_link_type_ = -2;  // the map's nodes stay put, but recompute the cache anyway
  if (p.ok) return {};
  if (link_type < 0) return "a record of no link type";
  // A dead handle of the link type: what pcap_compile needs to know of the frames' layout.
  std::unique_ptr<pcap_t, void (*)(pcap_t*)> dead(
      pcap_open_dead(dlt_of_link_type(link_type), static_cast<int>(snaplen ? snaplen : kSnaplen)),
      pcap_close);
  if (!dead) return "libpcap could not open a handle to compile the filter";
  if (pcap_compile(dead.get(), &p.program, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    return pcap_geterr(dead.get());
  p.ok = true;
  return {};
}

bool BpfFilter::matches(const Frame& frame) {
  if (frame.link_type != last_link_type_) {
    if (std::string why = compile(frame.link_type); !why.empty() && note_.empty())
      note_ = fmt::format("the filter does not apply to frames of link type {}: {}",
                          link_type_name(frame.link_type), why);
    last_link_type_ = frame.link_type;
    last_ = &programs_[frame.link_type];
  }
  if (!last_->ok) return false;
  pcap_pkthdr header{};
  header.caplen = frame.caplen;
  header.len = frame.len;
  return pcap_offline_filter(&last_->program, &header,
                             reinterpret_cast<const u_char*>(frame.data.data())) != 0;
}

}  // namespace rpctrace::pcap
