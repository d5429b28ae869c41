// Fuzz target: the whole pipeline (libpcap reader, packet decoder, TCP reassembly, DCE/RPC,
// EPM, auth, the analyzer and all three writers) on raw capture-file bytes. The input is
// handed to libpcap as a file (a memfd), as rpctrace reads captures.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "rpctrace/app/run.hpp"
#include "rpctrace/pcap/capture_reader.hpp"
#include "rpctrace/report/diagnose.hpp"
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
        report::DiagnoseWriter w(sink, sink, true, report::DiagnoseOptions{});
        (void)app::run(path, options, w);
      }
    } catch (const pcap::CaptureError&) {
      break;  // not a capture: the CLI's exit 2, nothing more to run
    }
  }
  std::fclose(sink);
  close(fd);
  return 0;
}
