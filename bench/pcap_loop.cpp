// pcap_loop: the bare libpcap read loop that rpctrace's throughput is measured against.
//
// It opens a capture with pcap_open_offline, calls pcap_next_ex for every record and touches
// each packet (sums caplen and wirelen, xors the first and last captured byte) so the reads
// cannot be optimised away, then prints one line: packets, bytes, and the xor. This is the floor
// for any tool that reads the capture through libpcap; bench/run.sh runs it beside rpctrace.
//
// Usage: pcap_loop FILE
// Exit status: 0 when the whole file was read, 2 when it could not be opened or read.

#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline(argv[1], errbuf);
  if (handle == nullptr) {
    std::fprintf(stderr, "pcap_loop: %s\n", errbuf);
    return 2;
  }

  std::uint64_t packets = 0;
  std::uint64_t captured_bytes = 0;
  std::uint64_t wire_bytes = 0;
  unsigned char touch = 0;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int status = 0;
  while ((status = pcap_next_ex(handle, &header, &data)) == 1) {
    ++packets;
    captured_bytes += header->caplen;
    wire_bytes += header->len;
    if (header->caplen > 0) {
      touch ^= static_cast<unsigned char>(data[0] ^ data[header->caplen - 1]);
    }
  }
  int exit_status = 0;
  if (status == PCAP_ERROR) {
    std::fprintf(stderr, "pcap_loop: after %llu packets: %s\n",
                 static_cast<unsigned long long>(packets), pcap_geterr(handle));
    exit_status = 2;
  }
  pcap_close(handle);
  std::printf("packets %llu captured_bytes %llu wire_bytes %llu xor 0x%02x\n",
              static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(captured_bytes),
              static_cast<unsigned long long>(wire_bytes), static_cast<unsigned>(touch));
  return exit_status;
}
