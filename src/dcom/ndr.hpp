// Internal to the dcom layer: the NDR 2.0 pieces (C706 chapter 14) that more than one DCOM
// answer carries: ORPCTHAT (MS-DCOM 2.2.13.3), DUALSTRINGARRAY (2.2.19), MInterfacePointer
// (2.2.14), and the type serialization version 1 headers (MS-RPCE 2.2.6) that wrap each
// part of an activation properties BLOB.
//
// Every helper reads through the caller's ByteReader and returns nullopt when it read its
// part, or the Malformed to report. `base` is the stub offset of the reader's octet 0, so an
// offset inside a nested blob is reported as a stub offset.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/dcom/activation.hpp"

namespace rpctrace::dcom::detail {

using common::ByteReader;
using Malformed = common::Malformed<Reason>;

inline Malformed malformed(Reason reason, const ByteReader& r, std::size_t base,
                           std::string detail) {
  return Malformed{reason, base + r.position(), std::move(detail)};
}
// The reader failed inside `what`: a truncated stub (or blob).
inline Malformed truncated(const ByteReader& r, std::size_t base, std::string_view what) {
  return Malformed{Reason::truncated, base + r.position(),
                   fmt::format("ends inside {} ({} octets)", what, r.size())};
}

// ORPCTHAT: flags, [unique] ORPC_EXTENT_ARRAY* extensions, and the extents it points to,
// read and dropped (nothing in them names an endpoint).
std::optional<Malformed> skip_orpcthat(ByteReader& r, std::size_t base);

// The pointee of a DUALSTRINGARRAY pointer: max_count, wNumEntries, wSecurityOffset,
// aStringArray[wNumEntries]; its string bindings are appended to `out`.
std::optional<Malformed> read_dualstringarray(ByteReader& r, std::size_t base,
                                              std::vector<StringBinding>& out);

// The STRINGBINDING entries of aStringArray (wNumEntries code units in `a`, whose first
// wSecurityOffset hold the string bindings and nullterm1), appended to `out`.
std::optional<Malformed> read_string_bindings(ByteReader& a, std::size_t base,
                                              std::uint16_t security_offset,
                                              std::vector<StringBinding>& out);

// The pointee of an MInterfacePointer pointer: max_count, ulCntData, abData[ulCntData];
// `ab_data` is set to a view of abData, `ab_data_base` to its stub offset.
std::optional<Malformed> read_interface_pointer(ByteReader& r, std::size_t base,
                                                common::Bytes& ab_data, std::size_t& ab_data_base);

// One type serialization version 1 stream holding one top-level type: the common type header
// (8 octets, little-endian whatever the data's order: version 1, endianness, length 8,
// filler) and the private header (ObjectBufferLength, filler, in the data's order).
// `object` is set to a reader over the ObjectBufferLength octets in the byte order the
// common header names, `object_base` to their stub offset.
std::optional<Malformed> read_type_serialization(ByteReader& r, std::size_t base,
                                                 ByteReader& object, std::size_t& object_base);

// RemoteCreateInstance / RemoteGetClassObject: the activation properties BLOB inside the
// OBJREF_CUSTOM of *ppActProperties (MS-DCOM 2.2.18.6, 2.2.22). Sets the OXID and bindings
// from ScmReplyInfoData and the interface results from PropsOutInfo.
std::optional<Malformed> read_activation_properties_out(common::Bytes objref, std::size_t base,
                                                        ActivationAnswer& answer);

// The decoders of each answer (object_exporter.cpp, remote_activation.cpp, scm_activator.cpp).
common::ParseResult<ActivationAnswer, Reason> decode_resolve_oxid(common::Bytes stub,
                                                                  common::ByteOrder order,
                                                                  bool resolve_oxid2);
common::ParseResult<ActivationAnswer, Reason> decode_server_alive2(common::Bytes stub,
                                                                   common::ByteOrder order);
common::ParseResult<ActivationAnswer, Reason> decode_remote_activation(common::Bytes stub,
                                                                       common::ByteOrder order);
common::ParseResult<ActivationAnswer, Reason> decode_scm_activation(common::Bytes stub,
                                                                    common::ByteOrder order,
                                                                    std::string operation);

}  // namespace rpctrace::dcom::detail
