// Fuzz target: connectionless DCE/RPC (ncadg_ip_udp, C706 §12.5). The whole input goes to
// parse_cl_pdu (as captured, and as if the capture had cut it), then the input is read as a
// script of datagrams fed to one ClActivities with tiny limits, which finish() ends. Each
// record is 3 octets of header and its payload:
//   [0] bit 0: direction (0 client->server), bit 1: the capture cut the datagram (its wire
//       length is 64 octets more than the payload),
//   [1..2] payload length (big-endian, taken from what follows, cut at the input's end).
// Each payload is copied into a buffer of its own exact size, so ASan sees a one-octet
// over-read. The observer checks the bounds the limits promise and traps when one is broken.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rpctrace/dcerpc/cl.hpp"
#include "rpctrace/dcerpc/cl_activity.hpp"

using namespace rpctrace;

namespace {

const dcerpc::AssociationLimits kLimits{.max_contexts = 4,
                                        .max_outstanding_calls = 4,
                                        .max_fragments_per_call = 8,
                                        .max_stub_bytes = 4096};

class NullObserver : public dcerpc::AssociationObserver {
 public:
  void on_pdu(const dcerpc::PduEvent&, const dcerpc::PduPayloadView& payload) override {
    check_stub(payload.call_stub);
    check_stub(payload.request_stub);
  }
  void on_note(const dcerpc::Note&) override {}
  void on_call_end(const dcerpc::CallEnd&, const dcerpc::CallStubsView& stubs) override {
    check_stub(stubs.request);
    check_stub(stubs.response);
  }
  // Keep the stubs of half the interfaces, so both paths run.
  bool wants_stub(const dcerpc::SyntaxId& interface) override {
    return (interface.uuid.octets[0] & 1) == 0;
  }

 private:
  static void check_stub(const std::optional<common::Bytes>& stub) {
    if (stub && stub->size() > kLimits.max_stub_bytes) __builtin_trap();
  }
};

void parse_whole(common::Bytes bytes) {
  auto r = dcerpc::parse_cl_pdu(bytes, bytes.size());
  if (r.is_complete()) {
    const auto& v = r.value();
    if (v.stub.size() > bytes.size() || v.auth_verifier.size() > bytes.size() ||
        r.consumed() > bytes.size())
      __builtin_trap();
  }
  (void)dcerpc::parse_cl_pdu(bytes, bytes.size() + 100);
  (void)dcerpc::parse_cl_header(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parse_whole(std::as_bytes(std::span(data, size)));

  NullObserver observer;
  dcerpc::Counters counters;
  dcerpc::ClActivities activities(observer, counters, kLimits);
  std::size_t pos = 0;
  std::uint64_t frame = 0;
  while (pos + 3 <= size) {
    const std::uint8_t* h = data + pos;
    pos += 3;
    const std::size_t len = std::min(static_cast<std::size_t>((h[1] << 8) | h[2]), size - pos);
    const std::vector<std::uint8_t> datagram(data + pos, data + pos + len);
    pos += len;
    ++frame;
    const auto dir = static_cast<dcerpc::Direction>(h[0] & 1);
    const std::size_t wire_length = (h[0] & 2) ? len + 64 : len;
    dcerpc::FrameRef at{frame, common::Timestamp{static_cast<std::int64_t>(frame), 0}};
    activities.datagram(dir, std::as_bytes(std::span(datagram.data(), datagram.size())),
                        wire_length, at);
    if (activities.outstanding_calls() > kLimits.max_outstanding_calls) __builtin_trap();
  }
  activities.finish(
      dcerpc::FrameRef{frame + 1, common::Timestamp{static_cast<std::int64_t>(frame + 1), 0}});
  if (activities.outstanding_calls() != 0) __builtin_trap();
  return 0;
}
