// Fuzz target: the DCOM activation answer decoders (src/dcom). The first octet picks the
// answer (interface and opnum) and the integer byte order; the rest is the response stub.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "rpctrace/dcom/activation.hpp"
#include "rpctrace/dcom/limits.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace d = rpctrace::dcom;
  static const std::array<std::pair<rpctrace::common::Uuid, std::uint16_t>, 6> kAnswers{{
      {d::iface::object_exporter, d::opnum::resolve_oxid},
      {d::iface::object_exporter, d::opnum::resolve_oxid2},
      {d::iface::object_exporter, d::opnum::server_alive2},
      {d::iface::remote_activation, d::opnum::remote_activation},
      {d::iface::remote_scm_activator, d::opnum::remote_get_class_object},
      {d::iface::remote_scm_activator, d::opnum::remote_create_instance},
  }};
  if (size == 0) return 0;
  const auto& [iface, opnum] = kAnswers[(data[0] >> 1) % kAnswers.size()];
  const auto order =
      (data[0] & 1) ? rpctrace::common::ByteOrder::big : rpctrace::common::ByteOrder::little;
  auto r = d::decode_activation_answer(iface, opnum, std::as_bytes(std::span(data + 1, size - 1)),
                                       order);
  if (r.is_complete()) {
    if (r.value().bindings.size() > d::kMaxStringBindings) __builtin_trap();
    for (const auto& b : r.value().bindings)
      if (b.network_address.size() + b.endpoint.size() > d::kMaxNetworkAddressChars)
        __builtin_trap();
  }
  return 0;
}
