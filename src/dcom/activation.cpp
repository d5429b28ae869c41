// decode_activation_answer(): picks the decoder by interface and opnum (MS-DCOM 3.1.2.5),
// and the Reason names.
#include "ndr.hpp"

namespace rpctrace::dcom {

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::truncated:
      return "truncated";
    case Reason::count_mismatch:
      return "count_mismatch";
    case Reason::bad_dualstringarray:
      return "bad_dualstringarray";
    case Reason::too_many_bindings:
      return "too_many_bindings";
    case Reason::address_too_long:
      return "address_too_long";
    case Reason::too_many_extents:
      return "too_many_extents";
    case Reason::too_many_interfaces:
      return "too_many_interfaces";
    case Reason::bad_objref:
      return "bad_objref";
    case Reason::bad_type_header:
      return "bad_type_header";
    case Reason::bad_property_count:
      return "bad_property_count";
    case Reason::property_size:
      return "property_size";
    case Reason::not_activation:
      return "not_activation";
    case Reason::count_:
      break;
  }
  return "unknown";
}

bool is_activation_answer(const common::Uuid& interface_uuid, std::uint16_t opnum) {
  if (interface_uuid == iface::object_exporter)
    return opnum == opnum::resolve_oxid || opnum == opnum::resolve_oxid2 ||
           opnum == opnum::server_alive2;
  if (interface_uuid == iface::remote_activation) return opnum == opnum::remote_activation;
  if (interface_uuid == iface::remote_scm_activator)
    return opnum == opnum::remote_get_class_object || opnum == opnum::remote_create_instance;
  return false;
}

common::ParseResult<ActivationAnswer, Reason> decode_activation_answer(
    const common::Uuid& interface_uuid, std::uint16_t opnum, common::Bytes stub,
    common::ByteOrder order) {
  using Result = common::ParseResult<ActivationAnswer, Reason>;
  if (interface_uuid == iface::object_exporter) {
    if (opnum == opnum::resolve_oxid) return detail::decode_resolve_oxid(stub, order, false);
    if (opnum == opnum::resolve_oxid2) return detail::decode_resolve_oxid(stub, order, true);
    if (opnum == opnum::server_alive2) return detail::decode_server_alive2(stub, order);
  } else if (interface_uuid == iface::remote_activation) {
    if (opnum == opnum::remote_activation) return detail::decode_remote_activation(stub, order);
  } else if (interface_uuid == iface::remote_scm_activator) {
    if (opnum == opnum::remote_get_class_object)
      return detail::decode_scm_activation(stub, order, "RemoteGetClassObject");
    if (opnum == opnum::remote_create_instance)
      return detail::decode_scm_activation(stub, order, "RemoteCreateInstance");
  }
  return Result::malformed(Reason::not_activation, 0,
                           fmt::format("interface {} opnum {} is not an activation answer",
                                       interface_uuid.to_string(), opnum));
}

}  // namespace rpctrace::dcom
