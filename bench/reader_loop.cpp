// reader_loop: the project's own capture readers (pcap::CaptureReader: pcap, pcapng, NetMon;
// gzip and zstd as they stream) in the same loop as pcap_loop.cpp runs libpcap, so that
// bench/run.sh shows what the own readers cost against libpcap's.
//
// It reads every frame, touches each (sums caplen and wire length, xors the first and last
// captured byte) so the reads cannot be optimised away, then prints one line in pcap_loop's
// format: packets, bytes, and the xor.
//
// Usage: reader_loop FILE
// Exit status: 0 when the whole file was read, 2 when it could not be opened or read.

#include <cstdint>
#include <cstdio>

#include "rpctrace/pcap/capture_reader.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  try {
    rpctrace::pcap::CaptureReader reader(argv[1]);
    std::uint64_t packets = 0;
    std::uint64_t captured_bytes = 0;
    std::uint64_t wire_bytes = 0;
    unsigned char touch = 0;
    rpctrace::pcap::Frame frame;
    rpctrace::pcap::CaptureReader::Status status;
    while ((status = reader.next(frame)) == rpctrace::pcap::CaptureReader::Status::frame) {
      ++packets;
      captured_bytes += frame.caplen;
      wire_bytes += frame.len;
      if (!frame.data.empty()) {
        touch ^= static_cast<unsigned char>(frame.data.front() ^ frame.data.back());
      }
    }
    int exit_status = 0;
    if (status == rpctrace::pcap::CaptureReader::Status::error) {
      std::fprintf(stderr, "reader_loop: after %llu packets: %s\n",
                   static_cast<unsigned long long>(packets), reader.error().c_str());
      exit_status = 2;
    }
    std::printf("packets %llu captured_bytes %llu wire_bytes %llu xor 0x%02x\n",
                static_cast<unsigned long long>(packets),
                static_cast<unsigned long long>(captured_bytes),
                static_cast<unsigned long long>(wire_bytes), static_cast<unsigned>(touch));
    return exit_status;
  } catch (const rpctrace::pcap::CaptureError& e) {
    std::fprintf(stderr, "reader_loop: %s\n", e.what());
    return 2;
  }
}
