// IObjectExporter (IOXIDResolver) answers, MS-DCOM 3.1.2.5.1, NDR 2.0:
//   ResolveOxid (0):  [out] DUALSTRINGARRAY** ppdsaOxidBindings, IPID* pipidRemUnknown,
//                     DWORD* pAuthnHint; error_status_t                     (3.1.2.5.1.1)
//   ResolveOxid2 (4): the same, then COMVERSION* pComVersion; error_status_t (3.1.2.5.1.5)
//   ServerAlive2 (5): [out] COMVERSION* pComVersion, DUALSTRINGARRAY** ppdsaOrBindings,
//                     DWORD* pReserved; error_status_t                       (3.1.2.5.1.6)
// The [out, ref] outer pointers have no wire form; the DUALSTRINGARRAY pointer is unique
// (a referent id, 0 when the call failed), its pointee right after it.
#include "ndr.hpp"

namespace rpctrace::dcom::detail {

using Result = common::ParseResult<ActivationAnswer, Reason>;

namespace {

std::optional<Malformed> read_bindings_pointer(ByteReader& r, std::vector<StringBinding>& out) {
  const std::uint32_t referent = r.u32();
  if (!r.ok()) return truncated(r, 0, "DUALSTRINGARRAY referent");
  if (referent == 0) return std::nullopt;
  return read_dualstringarray(r, 0, out);
}

}  // namespace

Result decode_resolve_oxid(common::Bytes stub, common::ByteOrder order, bool resolve_oxid2) {
  ByteReader r(stub, order);
  ActivationAnswer a;
  a.operation = resolve_oxid2 ? "ResolveOxid2" : "ResolveOxid";
  if (auto bad = read_bindings_pointer(r, a.bindings)) return Result::from(std::move(*bad));
  r.align(4);
  r.skip(16);                    // ipidRemUnknown
  (void)r.u32();                 // AuthnHint
  if (resolve_oxid2) r.skip(4);  // COMVERSION: MajorVersion, MinorVersion (u16 each)
  a.hresult = r.u32();
  if (!r.ok()) return Result::from(truncated(r, 0, "ipidRemUnknown/AuthnHint/status"));
  return Result::complete(std::move(a), r.position());
}

Result decode_server_alive2(common::Bytes stub, common::ByteOrder order) {
  ByteReader r(stub, order);
  ActivationAnswer a;
  a.operation = "ServerAlive2";
  r.skip(4);  // COMVERSION
  if (!r.ok()) return Result::from(truncated(r, 0, "COMVERSION"));
  if (auto bad = read_bindings_pointer(r, a.bindings)) return Result::from(std::move(*bad));
  r.align(4);
  (void)r.u32();  // pReserved
  a.hresult = r.u32();
  if (!r.ok()) return Result::from(truncated(r, 0, "pReserved/status"));
  return Result::complete(std::move(a), r.position());
}

}  // namespace rpctrace::dcom::detail
