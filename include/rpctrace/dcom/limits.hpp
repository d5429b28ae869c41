// Limits of the DCOM activation decoders (docs/dcom.md). Spec facts cite their section;
// the others are resource policy, each with its own Reason when broken.
#pragma once

#include <cstddef>

namespace rpctrace::dcom {

// Policy: string bindings kept per DUALSTRINGARRAY. A Windows object exporter names each of
// its addresses once or twice (host name, then every IP; LM_WMI_ProcessCallCreate.pcapng has
// 6); 64 leaves room for many-homed servers and stops an array of one-character entries
// (wNumEntries is a u16, so up to about 21000 of them) from making that many records.
inline constexpr std::size_t kMaxStringBindings = 64;
// Policy: UTF-16 code units in one aNetworkAddr, its "[endpoint]" included. A DNS name is at
// most 255 octets (RFC 1035 2.3.4) and an endpoint a few characters; 512 is generous.
inline constexpr std::size_t kMaxNetworkAddressChars = 512;
// Spec: CustomHeader.cIfs is [range(MIN_ACTPROP_LIMIT, MAX_ACTPROP_LIMIT)], 1 to 10
// (MS-DCOM 2.2.22.1, 2.2.28.1): the property blobs in one activation properties BLOB.
inline constexpr std::size_t kMinActivationProperties = 1;
inline constexpr std::size_t kMaxActivationProperties = 10;
// Spec: MAX_REQUESTED_INTERFACES = 0x8000 (MS-DCOM 2.2.28.1) bounds RemoteActivation's
// Interfaces; PropsOutInfo.cIfs (2.2.22.2.9) has no range, and the same bound is applied.
inline constexpr std::size_t kMaxInterfaces = 0x8000;
// Policy: ORPC_EXTENT elements in an ORPCTHAT's extensions (MS-DCOM 2.2.13.3 gives no bound;
// the spec's activation answers MUST send none, 3.1.2.5.2.3.2). 16 lets a real error
// extension through and stops a hostile size from driving the loop.
inline constexpr std::size_t kMaxOrpcExtents = 16;
// Nesting depth is fixed by construction, so it needs no limit of its own: the decoders
// follow at most ORPCTHAT -> ORPC_EXTENT_ARRAY -> ORPC_EXTENT, and MInterfacePointer ->
// OBJREF_CUSTOM -> activation properties BLOB -> property; they never unmarshal an interface
// pointer found inside a property (PropsOutInfo.ppIntfData), so nothing recurses.

}  // namespace rpctrace::dcom
