// Opening a run's input, and the input's counter rows (input.hpp).
#include "inputs.hpp"

namespace rpctrace::pcap {

std::unique_ptr<Input> open_input(const InputOptions& options) {
  if (!options.interface.empty())
    return open_live(options.interface, options.filter, options.promiscuous);
  return open_files(options.files, options.filter, options.read_ahead);
}

void append_counter_rows(const InputCounters& c, common::CounterRows& rows) {
  rows.push_back({"capture_blocks_skipped",
                  "pcapng blocks of no packet (statistics, name resolution, custom ...)",
                  c.blocks_skipped});
  rows.push_back({"capture_packets_no_interface",
                  "pcapng packets naming an interface their section does not describe",
                  c.packets_bad_interface});
  rows.push_back({"capture_filter_rejected", "frames of a file that the filter expression rejected",
                  c.filtered_out});
  if (c.dropped_by_kernel)
    rows.push_back({"live_dropped_by_kernel",
                    "frames the kernel dropped: rpctrace did not read them fast enough",
                    *c.dropped_by_kernel});
  if (c.dropped_by_interface)
    rows.push_back({"live_dropped_by_interface", "frames the interface or its driver dropped",
                    *c.dropped_by_interface});
}

}  // namespace rpctrace::pcap
