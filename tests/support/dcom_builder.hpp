// NDR response stubs of the DCOM activation answers (MS-DCOM 3.1.2.5), for the dcom decoder
// tests. Integers follow the writer's order (the PDU's drep); OBJREFs are little-endian
// whatever it is (MS-DCOM 2.2.18), and each activation property is a type serialization
// version 1 stream (MS-RPCE 2.2.6) in the order its `endian` names.
//
//   DUALSTRINGARRAY (2.2.19.2): max_count u32, wNumEntries u16, wSecurityOffset u16,
//                   aStringArray: per string binding wTowerId + UTF-16 address + 0, then 0
//                   (nullterm1), per security binding wAuthnSvc, 0xffff, name + 0, then 0.
//   ORPCTHAT (2.2.13.3): flags u32, extensions referent (and, when set, the extent array).
//   ResolveOxid(2) / ServerAlive2 / RemoteActivation / RemoteCreateInstance responses.
// Every field a test may want wrong has an override.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/bytes.hpp"
#include "support/uuid.hpp"

namespace rpctrace::testsupport {

struct DualStringArray {
  std::vector<std::pair<std::uint16_t, std::string>> string_bindings;  // wTowerId, address
  std::vector<std::pair<std::uint16_t, std::string>> security_bindings = {{0x0a, ""}};
  bool nullterm1 = true;
  std::optional<std::uint32_t> max_count;        // default: wNumEntries
  std::optional<std::uint16_t> num_entries;      // default: the entries written
  std::optional<std::uint16_t> security_offset;  // default: just after nullterm1
};
// aStringArray's code units.
std::vector<std::uint16_t> dualstringarray_entries(const DualStringArray& d);
// The NDR form (with max_count), aligned to 4 first.
void write_dualstringarray(ByteWriter& w, const DualStringArray& d);

struct OrpcExtent {
  Uuid id;
  Bytes data;                              // padded to a multiple of 8 when written
  std::optional<std::uint32_t> max_count;  // default: (size + 7) & ~7
};
struct OrpcThat {
  std::uint32_t flags = 0;
  std::optional<std::vector<OrpcExtent>> extensions;  // nullopt: a null pointer
  std::optional<std::uint32_t> array_size;            // ORPC_EXTENT_ARRAY.size override
  std::optional<std::uint32_t> array_max_count;       // its extent array's max_count
};
void write_orpcthat(ByteWriter& w, const OrpcThat& t);

struct ResolveOxidResponse {
  bool resolve_oxid2 = true;
  std::optional<DualStringArray> bindings;  // nullopt: a null pointer
  Uuid ipid_rem_unknown = Uuid::parse("00001234-0000-0000-1111-222233334444");
  std::uint32_t authn_hint = 4;
  std::uint16_t major = 5, minor = 7;  // ResolveOxid2 only
  std::uint32_t status = 0;
};
Bytes build_resolve_oxid_response(const ResolveOxidResponse& r, Endian e);

struct ServerAlive2Response {
  std::uint16_t major = 5, minor = 7;
  std::optional<DualStringArray> bindings;
  std::uint32_t status = 0;
};
Bytes build_server_alive2_response(const ServerAlive2Response& r, Endian e);

struct RemoteActivationResponse {
  OrpcThat orpcthat;
  std::uint64_t oxid = 0;
  std::optional<DualStringArray> bindings;
  Uuid ipid_rem_unknown = Uuid::parse("00001234-0000-0000-1111-222233334444");
  std::uint32_t authn_hint = 4;
  std::uint16_t major = 5, minor = 7;
  std::uint32_t hr = 0;
  std::vector<std::optional<Bytes>> interface_data;  // OBJREF octets; nullopt: null pointer
  std::vector<std::uint32_t> results;
  std::optional<std::uint32_t> interfaces_max_count;  // ppInterfaceData max_count override
  std::optional<std::uint32_t> results_max_count;     // pResults max_count override
  std::uint32_t return_value = 0;
};
Bytes build_remote_activation_response(const RemoteActivationResponse& r, Endian e);

// One property of an activation properties BLOB: its CLSID and its NDR octets (the type's
// data without the serialization headers, in `endian`).
struct ActivationProperty {
  Uuid clsid;
  Bytes ndr;
  Endian endian = Endian::little;
  std::uint8_t version = 1;                           // common type header Version
  std::optional<std::uint32_t> object_buffer_length;  // private header override
  std::optional<std::uint32_t> size;                  // pSizes entry override
};
inline constexpr Uuid kClsidScmReplyInfo = Uuid::parse("000001b6-0000-0000-c000-000000000046");
inline constexpr Uuid kClsidPropsOutInfo = Uuid::parse("00000339-0000-0000-c000-000000000046");
inline constexpr Uuid kClsidActivationPropertiesOut = kClsidPropsOutInfo;
inline constexpr Uuid kClsidInstanceInfo = Uuid::parse("000001ad-0000-0000-c000-000000000046");

// ScmReplyInfoData's NDR octets (pdwReserved null; remoteReply when `oxid` is set).
struct ScmReplyInfo {
  std::optional<std::uint64_t> oxid = 0x1122334455667788;  // nullopt: remoteReply null
  std::optional<DualStringArray> bindings;
  std::uint32_t authn_hint = 4;
};
Bytes scm_reply_info_ndr(const ScmReplyInfo& s, Endian e);
// PropsOutInfo's NDR octets: cIfs, piid, phresults, ppIntfData (null interface pointers).
Bytes props_out_info_ndr(const std::vector<std::uint32_t>& hresults, Endian e,
                         std::optional<std::uint32_t> c_ifs = std::nullopt);

struct ActivationPropertiesOut {
  std::vector<ActivationProperty> properties;
  Endian header_endian = Endian::little;     // the CustomHeader's type serialization order
  std::optional<std::uint32_t> c_ifs;        // CustomHeader.cIfs override
  std::optional<std::uint32_t> header_size;  // CustomHeader.headerSize override
  std::optional<std::uint32_t> dw_size;      // BLOB dwSize override
  std::uint32_t signature = 0x574f454d;
  std::uint32_t flags = 4;  // OBJREF_CUSTOM
  Uuid clsid = kClsidActivationPropertiesOut;
};
// The OBJREF_CUSTOM octets (little-endian), ready for an MInterfacePointer.
Bytes build_activation_properties_out(const ActivationPropertiesOut& p);

struct ScmActivatorResponse {
  OrpcThat orpcthat;
  std::optional<Bytes> act_properties;     // OBJREF octets; nullopt: a null pointer
  std::optional<std::uint32_t> max_count;  // MInterfacePointer max_count override
  std::uint32_t return_value = 0;
};
Bytes build_scm_activator_response(const ScmActivatorResponse& r, Endian e);

}  // namespace rpctrace::testsupport
