// Fuzz target: the whole pipeline (libpcap reader, packet decoder, TCP reassembly, DCE/RPC,
// EPM, auth, the analysis and every writer) on raw capture-file bytes. The input is
// handed to libpcap as a file (a memfd), as rpctrace reads captures.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/analysis/endpoint_listing.hpp"
#include "rpctrace/app/run.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "rpctrace/report/writers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rpctrace;
  int fd = memfd_create("capture", 0);
  if (fd < 0) return 0;
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  std::FILE* sink = std::fopen("/dev/null", "w");
  app::RunOptions options;
  options.transport.tcp.max_out_of_order_bytes = 4096;
  options.transport.tcp.max_connections = 4;
  for (int writer = 0; writer < 3; ++writer) {
    try {
      if (writer == 0) {
        report::TextWriter w(sink, sink, false);
        (void)app::run(path, options, w);
      } else if (writer == 1) {
        report::JsonlWriter w(sink);
        (void)app::run(path, options, w);
      } else {
        // diagnose and endpoints: the analysis' conclusions and their writers, in both formats.
        analysis::Diagnosis diagnosis(analysis::DiagnoseOptions{});
        analysis::EndpointListing listing;
        analysis::Sink* sinks[] = {&diagnosis, &listing};
        auto result = app::run(path, options, sinks);
        for (bool jsonl : {false, true}) {
          report::write_diagnosis(sink, sink, jsonl, diagnosis.result(), result.stats);
          report::write_endpoints(sink, sink, jsonl, listing.result(), result.stats);
        }
      }
    } catch (const pcap::CaptureError&) {
      break;  // not a capture: the CLI's exit 2, nothing more to run
    }
  }
  std::fclose(sink);
  close(fd);
  return 0;
}
