// Fuzz target: the connection-oriented PDU parser (common header, every body, sec_trailer),
// whole and as a captured prefix, and the verification trailer search on the stub.
#include <cstddef>
#include <cstdint>
#include <span>

#include "rpctrace/dcerpc/pdu.hpp"
#include "rpctrace/dcerpc/verification_trailer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::as_bytes(std::span(data, size));
  auto framed = rpctrace::dcerpc::frame_pdu(bytes);
  auto whole = rpctrace::dcerpc::parse_pdu(bytes);
  if (whole.is_complete()) {
    const auto& v = whole.value();
    if (v.stub.size() > size || v.auth_value.size() > size) __builtin_trap();
    auto order = v.header.packed_drep.integer_order();
    (void)rpctrace::dcerpc::find_verification_trailer(v.stub, order);
  }
  (void)rpctrace::dcerpc::parse_pdu_prefix(bytes);
  (void)framed;
  return 0;
}
