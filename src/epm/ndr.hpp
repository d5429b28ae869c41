// Internal to the epm layer: the NDR reading shared by every endpoint mapper operation.
//
// NDR 2.0 (C706 chapter 14) and NDR64 (MS-RPCE 2.2.5) differ, for what ept.idl carries, in
// the size of pointers (referent ids) and of array conformance/variance counts: 4 octets
// aligned to 4, or 8 aligned to 8. unsigned32, boolean32, UUIDs, rpc_if_id_t and context
// handles are 4-aligned in both. A structure that holds a pointer (ept_entry_t) is aligned
// to its widest member, so to 8 in NDR64.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "rpctrace/common/byte_reader.hpp"
#include "rpctrace/epm/decode.hpp"

namespace rpctrace::epm::detail {

class Ndr {
 public:
  Ndr(common::ByteReader& r, Syntax syntax) : r_(r), ndr64_(syntax == Syntax::ndr64) {}
  [[nodiscard]] bool ndr64() const { return ndr64_; }
  std::uint32_t u32() {
    r_.align(4);
    return r_.u32();
  }
  // A referent id or an array count, widened to 64 bits.
  std::uint64_t count() {
    if (!ndr64_) return u32();
    r_.align(8);
    return r_.u64();
  }
  // The alignment of a structure holding a pointer (4, or 8 in NDR64).
  void align_pointer_struct() { r_.align(ndr64_ ? 8 : 4); }
  Uuid uuid() {
    r_.align(4);
    return common::read_uuid(r_);
  }
  ContextHandle handle() {
    ContextHandle h;
    h.attributes = u32();
    h.uuid = common::read_uuid(r_);
    return h;
  }
  // rpc_if_id_t (C706 appendix O; RPC_IF_ID in MS-RPCE): uuid, vers_major u16, vers_minor u16.
  dcerpc::SyntaxId if_id() {
    dcerpc::SyntaxId s;
    s.uuid = uuid();
    s.major = r_.u16();
    s.minor = r_.u16();
    return s;
  }
  common::ByteReader& reader() { return r_; }

 private:
  common::ByteReader& r_;
  bool ndr64_;
};

template <typename T>
common::ParseResult<T, Reason> truncated(const common::ByteReader& r, std::string_view what) {
  return common::ParseResult<T, Reason>::malformed(
      Reason::truncated, r.position(),
      fmt::format("stub ends inside {} ({} octets)", what, r.size()));
}

// twr_t (C706 appendix N/O): conformance (max_count), tower_length, tower_octet_string.
common::ParseResult<Tower, Reason> read_twr(Ndr& ndr);

// A top-level [ptr] twr_p_t: referent id, then (non-null) the twr_t right after it.
common::ParseResult<std::optional<Tower>, Reason> read_twr_pointer(Ndr& ndr);

// `count` ept_entry_t elements of an array (each: object UUID, twr_p_t referent, annotation
// as an NDR varying array), then the towers their pointers defer to (C706 §14.3.12.3: the
// pointees of embedded pointers follow the whole array).
common::ParseResult<std::vector<EptEntry>, Reason> read_entries(Ndr& ndr, std::uint64_t count);

// Checks a conformant varying array's counts (C706 §14.3.3.4) and the entry limit.
// nullopt when they are acceptable.
std::optional<common::Malformed<Reason>> check_entry_counts(const common::ByteReader& r,
                                                            std::uint64_t max_count,
                                                            std::uint64_t offset,
                                                            std::uint64_t actual_count);

}  // namespace rpctrace::epm::detail
