// Decoders of the DCOM answers that hand out dynamic endpoints: the object exporter's string
// bindings ("HOST[49667]") that a client connects to next, with the OXID they belong to, so
// a later TCP connection can be linked to the call that named its port (as ept_map answers
// are). Response stubs only, NDR 2.0 in either integer byte order (MS-DCOM 3.1.2.5):
//
//   IObjectExporter    99fcfec4-5260-101b-bbcb-00aa0021347a  ResolveOxid (0),
//                      ResolveOxid2 (4), ServerAlive2 (5)           MS-DCOM 3.1.2.5.1
//   IRemoteActivation  4d9f4ab8-7d1c-11cf-861e-0020af6e7c57  RemoteActivation (0)
//                                                                   MS-DCOM 3.1.2.5.2.3.1
//   IRemoteSCMActivator (ISystemActivator shares its UUID)
//                      000001a0-0000-0000-c000-000000000046  RemoteGetClassObject (3),
//                      RemoteCreateInstance (4)          MS-DCOM 3.1.2.5.2.3.2, 3.1.2.5.2.3.3
//
// Pure: bytes in, an owned value out, bounded by dcom/limits.hpp. The stub is the whole
// (fragment-joined) response stub, so a short one is malformed, never need more.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/common/result.hpp"
#include "rpctrace/common/uuid.hpp"

namespace rpctrace::dcom {

// Interface UUIDs (MS-DCOM 1.9) and opnums (MS-DCOM 3.1.2.5.1, 3.1.2.5.2.3).
namespace iface {
// IObjectExporter (also called IOXIDResolver).
inline constexpr common::Uuid object_exporter{{0x99, 0xfc, 0xfe, 0xc4, 0x52, 0x60, 0x10, 0x1b, 0xbb,
                                               0xcb, 0x00, 0xaa, 0x00, 0x21, 0x34, 0x7a}};
inline constexpr common::Uuid remote_activation{{0x4d, 0x9f, 0x4a, 0xb8, 0x7d, 0x1c, 0x11, 0xcf,
                                                 0x86, 0x1e, 0x00, 0x20, 0xaf, 0x6e, 0x7c, 0x57}};
// IRemoteSCMActivator; ISystemActivator is the same interface under Windows' name.
inline constexpr common::Uuid remote_scm_activator{{0x00, 0x00, 0x01, 0xa0, 0x00, 0x00, 0x00, 0x00,
                                                    0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                                    0x46}};
}  // namespace iface
namespace opnum {
inline constexpr std::uint16_t resolve_oxid = 0, resolve_oxid2 = 4, server_alive2 = 5,
                               remote_activation = 0, remote_get_class_object = 3,
                               remote_create_instance = 4;
}

// One STRINGBINDING (MS-DCOM 2.2.19.3): wTowerId and aNetworkAddr, "servername" or
// "servername[endpoint]".
struct StringBinding {
  std::uint16_t tower_id = 0;   // wTowerId: a protocol id of C706 table I-2 (0x07 = TCP)
  std::string protseq;          // "ncacn_ip_tcp", ...; empty for an id not known here
  std::string network_address;  // the servername: host or IP, without "[endpoint]"
  std::string endpoint;         // the text in brackets ("49667", "\PIPE\atsvc"); may be empty
  // The endpoint as a port, for the protocol sequences whose endpoint is one (ncacn_ip_tcp,
  // ncadg_ip_udp, ncacn_http) when it is a decimal number up to 65535.
  std::optional<std::uint16_t> port;
  friend bool operator==(const StringBinding&, const StringBinding&) = default;
};

// What an activation answer said, as far as linking connections needs.
struct ActivationAnswer {
  std::string operation;  // "RemoteCreateInstance", "ResolveOxid2", ...
  // The object exporter's OXID: RemoteActivation's pOxid, or customREMOTE_REPLY_SCM_INFO.Oxid.
  // ResolveOxid/ResolveOxid2 answer for an OXID named in the request, so they carry none.
  std::optional<std::uint64_t> oxid;
  // The string bindings of the object exporter (ppdsaOxidBindings / pdsaOxidBindings), or for
  // ServerAlive2 the object resolver's own (ppdsaOrBindings, without endpoints). Security
  // bindings are not string bindings and are not listed.
  std::vector<StringBinding> bindings;
  std::optional<std::uint32_t> hresult;  // the method's return value (HRESULT/error_status_t)
  // RemoteActivation's *phr: the activation's own result.
  std::optional<std::uint32_t> activation_hresult;
  // Per requested interface: RemoteActivation's pResults, or PropsOutInfo.phresults.
  std::vector<std::uint32_t> interface_hresults;
};

enum class Reason : std::uint8_t {
  truncated,            // the stub (or a blob inside it) ends inside a field
  count_mismatch,       // a conformance count disagrees with the field it sizes
  bad_dualstringarray,  // wSecurityOffset past wNumEntries, or an unterminated entry
  too_many_bindings,    // more string bindings than kMaxStringBindings
  address_too_long,     // an aNetworkAddr longer than kMaxNetworkAddressChars
  too_many_extents,     // an ORPC_EXTENT_ARRAY with more than kMaxOrpcExtents elements
  too_many_interfaces,  // an interface count above kMaxInterfaces
  bad_objref,           // OBJREF signature/flags, or not CLSID_ActivationPropertiesOut
  bad_type_header,      // a type serialization version 1 header that is not one
  bad_property_count,   // CustomHeader.cIfs outside 1..kMaxActivationProperties
  property_size,        // a property or the CustomHeader overruns the properties BLOB
  not_activation,       // (interface, opnum) is not one of the answers decoded here
  count_
};
std::string_view to_string(Reason r);

// Whether (interface, opnum) names one of the answers above.
bool is_activation_answer(const common::Uuid& interface_uuid, std::uint16_t opnum);

// Decodes the response stub of (interface, opnum) in NDR 2.0 with integer byte order `order`
// (the PDU's drep). Complete: the answer, and the octets consumed (trailing octets are left);
// malformed: a Reason, the stub offset and a detail. Never need more.
common::ParseResult<ActivationAnswer, Reason> decode_activation_answer(
    const common::Uuid& interface_uuid, std::uint16_t opnum, common::Bytes stub,
    common::ByteOrder order);

// The protocol sequence a wTowerId names, "" when not one known here.
std::string_view tower_id_protseq(std::uint16_t tower_id);

}  // namespace rpctrace::dcom
