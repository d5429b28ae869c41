// IRemoteSCMActivator (ISystemActivator) answers, MS-DCOM 3.1.2.5.2.3.2 and .3:
//   RemoteGetClassObject (3), RemoteCreateInstance (4): [out] ORPCTHAT* orpcthat,
//   MInterfacePointer** ppActProperties; then the HRESULT return value.
// *ppActProperties holds an OBJREF_CUSTOM (2.2.18.6, hand-marshaled: little-endian whatever
// the drep) for CLSID_ActivationPropertiesOut, whose pObjectData is an activation properties
// BLOB (2.2.22): dwSize, dwReserved, a CustomHeader (2.2.22.1) and cIfs property blobs, each
// a type serialization version 1 stream (MS-RPCE 2.2.6) with its own byte order. Two
// properties are read: ScmReplyInfoData (2.2.22.2.8: the OXID and its bindings) and
// PropsOutInfo (2.2.22.2.9: one HRESULT per requested interface); the rest are skipped by
// their pSizes entry.
#include "ndr.hpp"
#include "rpctrace/dcom/limits.hpp"

namespace rpctrace::dcom::detail {

using Result = common::ParseResult<ActivationAnswer, Reason>;

namespace {

// MS-DCOM 2.2.18: OBJREF signature "MEOW" and the OBJREF_CUSTOM flag.
constexpr std::uint32_t kObjrefSignature = 0x574f454d;
constexpr std::uint32_t kObjrefCustom = 0x4;
// MS-DCOM 1.9. CLSID_PropsOutInfo equals CLSID_ActivationPropertiesOut; both values are also
// what the pclsid arrays in the public captures carry (docs/dcom.md).
constexpr common::Uuid kClsidActivationPropertiesOut{{0x00, 0x00, 0x03, 0x39, 0x00, 0x00, 0x00,
                                                      0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00,
                                                      0x00, 0x46}};
constexpr common::Uuid kClsidPropsOutInfo = kClsidActivationPropertiesOut;
constexpr common::Uuid kClsidScmReplyInfo{{0x00, 0x00, 0x01, 0xb6, 0x00, 0x00, 0x00, 0x00, 0xc0,
                                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};

// ScmReplyInfoData: DWORD* pdwReserved, customREMOTE_REPLY_SCM_INFO* remoteReply, whose
// pointees follow in that order; remoteReply holds OXID Oxid (so it is aligned to 8),
// DUALSTRINGARRAY* pdsaOxidBindings, IPID ipidRemUnknown, DWORD authnHint, COMVERSION
// serverVersion, and the DUALSTRINGARRAY follows the structure.
std::optional<Malformed> read_scm_reply_info(ByteReader& r, std::size_t base, ActivationAnswer& a) {
  const std::uint32_t reserved = r.u32();
  const std::uint32_t remote_reply = r.u32();
  if (!r.ok()) return truncated(r, base, "ScmReplyInfoData");
  if (reserved != 0) (void)r.u32();  // MUST be NULL; its DWORD when it is not
  if (remote_reply == 0) return std::nullopt;
  r.align(8);
  const std::uint64_t oxid = r.u64();
  const std::uint32_t bindings = r.u32();
  r.skip(16);     // ipidRemUnknown
  (void)r.u32();  // authnHint
  r.skip(4);      // serverVersion
  if (!r.ok()) return truncated(r, base, "customREMOTE_REPLY_SCM_INFO");
  a.oxid = oxid;
  if (bindings == 0) return std::nullopt;
  return read_dualstringarray(r, base, a.bindings);
}

// PropsOutInfo: DWORD cIfs, [size_is(cIfs)] IID* piid, HRESULT* phresults,
// MInterfacePointer** ppIntfData; pointees in that order. Read as far as phresults.
std::optional<Malformed> read_props_out_info(ByteReader& r, std::size_t base, ActivationAnswer& a) {
  const std::uint32_t c_ifs = r.u32();
  const std::uint32_t piid = r.u32();
  const std::uint32_t phresults = r.u32();
  (void)r.u32();  // ppIntfData
  if (!r.ok()) return truncated(r, base, "PropsOutInfo");
  if (c_ifs > kMaxInterfaces)
    return malformed(Reason::too_many_interfaces, r, base,
                     fmt::format("PropsOutInfo cIfs {} > {}", c_ifs, kMaxInterfaces));
  auto array_header = [&](std::string_view what, std::size_t element) -> std::optional<Malformed> {
    const std::uint32_t max_count = r.u32();
    if (!r.ok()) return truncated(r, base, what);
    if (max_count != c_ifs)
      return malformed(Reason::count_mismatch, r, base,
                       fmt::format("{} max_count {} != cIfs {}", what, max_count, c_ifs));
    if (std::size_t{c_ifs} * element > r.remaining())
      return malformed(Reason::truncated, r, base,
                       fmt::format("{} {} elements, {} octets left", what, c_ifs, r.remaining()));
    return std::nullopt;
  };
  if (piid != 0) {
    if (auto bad = array_header("piid", 16)) return bad;
    r.skip(std::size_t{c_ifs} * 16);
  }
  if (phresults != 0) {
    if (auto bad = array_header("phresults", 4)) return bad;
    std::vector<std::uint32_t> results;
    for (std::uint32_t i = 0; i < c_ifs; ++i) results.push_back(r.u32());
    a.interface_hresults = std::move(results);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Malformed> read_activation_properties_out(common::Bytes objref, std::size_t base,
                                                        ActivationAnswer& a) {
  ByteReader o(objref, common::ByteOrder::little);
  const std::uint32_t signature = o.u32();
  const std::uint32_t flags = o.u32();
  o.skip(16);  // iid: IID_IActivationPropertiesOut
  const common::Uuid clsid = common::read_uuid(o);
  (void)o.u32();  // cbExtension: MUST be ignored on receipt
  (void)o.u32();  // reserved
  if (!o.ok()) return truncated(o, base, "OBJREF_CUSTOM");
  if (signature != kObjrefSignature || flags != kObjrefCustom)
    return malformed(Reason::bad_objref, o, base,
                     fmt::format("OBJREF signature 0x{:08x} flags 0x{:x} (0x{:08x}, 0x{:x})",
                                 signature, flags, kObjrefSignature, kObjrefCustom));
  if (clsid != kClsidActivationPropertiesOut)
    return malformed(Reason::bad_objref, o, base,
                     fmt::format("OBJREF_CUSTOM clsid {} is not CLSID_ActivationPropertiesOut",
                                 clsid.to_string()));
  // Activation properties BLOB: dwSize counts from the CustomHeader to the last property.
  const std::uint32_t dw_size = o.u32();
  (void)o.u32();  // dwReserved
  if (!o.ok()) return truncated(o, base, "activation properties BLOB");
  if (dw_size > o.remaining())
    return malformed(
        Reason::truncated, o, base,
        fmt::format("activation properties dwSize {} > {} octets left", dw_size, o.remaining()));
  const std::size_t blob_base = base + o.position();
  ByteReader blob = o.sub(dw_size);

  ByteReader h;
  std::size_t h_base = 0;
  if (auto bad = read_type_serialization(blob, blob_base, h, h_base)) return bad;
  // CustomHeader: totalSize, headerSize, dwReserved, destCtx, cIfs, classInfoClsid, then
  // the pointers pclsid, pSizes, pdwReserved and their pointees in that order.
  (void)h.u32();  // totalSize
  const std::uint32_t header_size = h.u32();
  (void)h.u32();  // dwReserved
  (void)h.u32();  // destCtx
  const std::uint32_t c_ifs = h.u32();
  h.skip(16);  // classInfoClsid
  const std::uint32_t pclsid = h.u32();
  const std::uint32_t psizes = h.u32();
  if (!h.ok()) return truncated(h, h_base, "CustomHeader");
  (void)h.u32();  // pdwReserved
  if (c_ifs < kMinActivationProperties || c_ifs > kMaxActivationProperties)
    return malformed(Reason::bad_property_count, h, h_base,
                     fmt::format("CustomHeader cIfs {} outside {}..{}", c_ifs,
                                 kMinActivationProperties, kMaxActivationProperties));
  if (pclsid == 0 || psizes == 0)
    return malformed(Reason::count_mismatch, h, h_base,
                     fmt::format("CustomHeader cIfs {} with a null pclsid or pSizes", c_ifs));
  std::vector<common::Uuid> clsids;
  if (h.u32() != c_ifs && h.ok())
    return malformed(Reason::count_mismatch, h, h_base, "pclsid max_count != cIfs");
  for (std::uint32_t i = 0; i < c_ifs; ++i) clsids.push_back(common::read_uuid(h));
  std::vector<std::uint32_t> sizes;
  if (h.u32() != c_ifs && h.ok())
    return malformed(Reason::count_mismatch, h, h_base, "pSizes max_count != cIfs");
  for (std::uint32_t i = 0; i < c_ifs; ++i) sizes.push_back(h.u32());
  if (!h.ok()) return truncated(h, h_base, "CustomHeader pclsid/pSizes");

  // The properties start headerSize octets into the BLOB (the CustomHeader's serialized size,
  // headers included) and follow one another, pSizes[i] octets each.
  ByteReader props(blob.whole(), blob.order());
  if (header_size > props.remaining())
    return malformed(Reason::property_size, props, blob_base,
                     fmt::format("CustomHeader headerSize {} > dwSize {}", header_size, dw_size));
  props.skip(header_size);
  for (std::uint32_t i = 0; i < c_ifs; ++i) {
    if (sizes[i] > props.remaining())
      return malformed(Reason::property_size, props, blob_base,
                       fmt::format("property {} pSizes {} > {} octets left", i + 1, sizes[i],
                                   props.remaining()));
    const std::size_t p_base = blob_base + props.position();
    ByteReader property = props.sub(sizes[i]);
    if (clsids[i] != kClsidScmReplyInfo && clsids[i] != kClsidPropsOutInfo) continue;
    ByteReader data;
    std::size_t data_base = 0;
    if (auto bad = read_type_serialization(property, p_base, data, data_base)) return bad;
    auto bad = clsids[i] == kClsidScmReplyInfo ? read_scm_reply_info(data, data_base, a)
                                               : read_props_out_info(data, data_base, a);
    if (bad) return bad;
  }
  return std::nullopt;
}

Result decode_scm_activation(common::Bytes stub, common::ByteOrder order, std::string operation) {
  ByteReader r(stub, order);
  ActivationAnswer a;
  a.operation = std::move(operation);
  if (auto bad = skip_orpcthat(r, 0)) return Result::from(std::move(*bad));
  const std::uint32_t act_properties = r.u32();
  if (!r.ok()) return Result::from(truncated(r, 0, "ppActProperties"));
  if (act_properties != 0) {
    common::Bytes ab_data;
    std::size_t ab_data_base = 0;
    if (auto bad = read_interface_pointer(r, 0, ab_data, ab_data_base))
      return Result::from(std::move(*bad));
    if (auto bad = read_activation_properties_out(ab_data, ab_data_base, a))
      return Result::from(std::move(*bad));
  }
  r.align(4);
  a.hresult = r.u32();
  if (!r.ok()) return Result::from(truncated(r, 0, "return value"));
  return Result::complete(std::move(a), r.position());
}

}  // namespace rpctrace::dcom::detail
