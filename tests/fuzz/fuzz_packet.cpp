// Fuzz target: one captured frame to a TCP segment (link, IP and TCP headers), over every link
// type rpctrace reads. The first octet picks the link type; the rest is the frame.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "rpctrace/pcap/packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // DLT values decode_frame knows: NULL, EN10MB, RAW (12, 14 and 101), LOOP, LINUX_SLL,
  // LINUX_SLL2, IPV4, IPV6; 147 is one it does not.
  static constexpr std::array<int, 11> kLinkTypes{0, 1, 12, 14, 101, 108, 113, 276, 228, 229, 147};
  if (size == 0) return 0;
  int link_type = kLinkTypes[data[0] % kLinkTypes.size()];
  auto frame = std::as_bytes(std::span(data + 1, size - 1));
  auto out = rpctrace::pcap::decode_frame(link_type, frame);
  if (out.carrier == rpctrace::pcap::Carrier::tcp) {
    // The payload view must lie inside the frame.
    const auto* begin = frame.data();
    const auto* p = out.segment.payload.data();
    if (!out.segment.payload.empty() &&
        (p < begin || p + out.segment.payload.size() > begin + frame.size()))
      __builtin_trap();
  }
  return 0;
}
