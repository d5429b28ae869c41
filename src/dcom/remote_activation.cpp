// IRemoteActivation::RemoteActivation (opnum 0) answer, MS-DCOM 3.1.2.5.2.3.1, NDR 2.0:
//   [out] ORPCTHAT* ORPCthat, OXID* pOxid, DUALSTRINGARRAY** ppdsaOxidBindings,
//   IPID* pipidRemUnknown, DWORD* pAuthnHint, COMVERSION* pServerVersion, HRESULT* phr,
//   [size_is(Interfaces)] MInterfacePointer** ppInterfaceData,
//   [size_is(Interfaces)] HRESULT* pResults; then the HRESULT return value.
// The two arrays are conformant, so each opens with its max_count (Interfaces); the
// interface pointers are unique pointers whose MInterfacePointers follow the referents.
#include "ndr.hpp"
#include "rpctrace/dcom/limits.hpp"

namespace rpctrace::dcom::detail {

using Result = common::ParseResult<ActivationAnswer, Reason>;

Result decode_remote_activation(common::Bytes stub, common::ByteOrder order) {
  ByteReader r(stub, order);
  ActivationAnswer a;
  a.operation = "RemoteActivation";
  if (auto bad = skip_orpcthat(r, 0)) return Result::from(std::move(*bad));
  r.align(8);  // OXID is an unsigned hyper
  a.oxid = r.u64();
  const std::uint32_t bindings = r.u32();
  if (!r.ok()) return Result::from(truncated(r, 0, "pOxid/ppdsaOxidBindings"));
  if (bindings != 0) {
    if (auto bad = read_dualstringarray(r, 0, a.bindings)) return Result::from(std::move(*bad));
  }
  r.align(4);
  r.skip(16);     // pipidRemUnknown
  (void)r.u32();  // pAuthnHint
  r.skip(4);      // pServerVersion: COMVERSION
  a.activation_hresult = r.u32();
  const std::uint32_t max_count = r.u32();  // ppInterfaceData
  if (!r.ok()) return Result::from(truncated(r, 0, "pipidRemUnknown .. ppInterfaceData"));
  if (max_count > kMaxInterfaces)
    return Result::from(
        malformed(Reason::too_many_interfaces, r, 0,
                  fmt::format("ppInterfaceData max_count {} > {}", max_count, kMaxInterfaces)));
  // Check the count against what remains before looping (4 octets per referent).
  if (std::size_t{max_count} * 4 > r.remaining())
    return Result::from(malformed(
        Reason::truncated, r, 0,
        fmt::format("ppInterfaceData {} referents, {} octets left", max_count, r.remaining())));
  std::size_t present = 0;
  for (std::uint32_t i = 0; i < max_count; ++i)
    if (r.u32() != 0) ++present;
  for (std::size_t i = 0; i < present; ++i) {
    common::Bytes ab_data;
    std::size_t ab_data_base = 0;
    if (auto bad = read_interface_pointer(r, 0, ab_data, ab_data_base))
      return Result::from(std::move(*bad));
  }
  r.align(4);
  const std::uint32_t results_count = r.u32();  // pResults
  if (!r.ok()) return Result::from(truncated(r, 0, "pResults"));
  if (results_count != max_count)
    return Result::from(malformed(
        Reason::count_mismatch, r, 0,
        fmt::format("pResults max_count {} != ppInterfaceData {}", results_count, max_count)));
  if (std::size_t{results_count} * 4 > r.remaining())
    return Result::from(malformed(
        Reason::truncated, r, 0,
        fmt::format("pResults {} HRESULTs, {} octets left", results_count, r.remaining())));
  for (std::uint32_t i = 0; i < results_count; ++i) a.interface_hresults.push_back(r.u32());
  a.hresult = r.u32();
  if (!r.ok()) return Result::from(truncated(r, 0, "return value"));
  return Result::complete(std::move(a), r.position());
}

}  // namespace rpctrace::dcom::detail
