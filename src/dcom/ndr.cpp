// NDR 2.0 pieces shared by the DCOM answers (see ndr.hpp): ORPCTHAT (MS-DCOM 2.2.13.3),
// MInterfacePointer (2.2.14), type serialization version 1 headers (MS-RPCE 2.2.6).
// DUALSTRINGARRAY and STRINGBINDING are in string_binding.cpp.
#include "ndr.hpp"

#include "rpctrace/dcom/limits.hpp"

namespace rpctrace::dcom::detail {

std::optional<Malformed> skip_orpcthat(ByteReader& r, std::size_t base) {
  r.align(4);
  (void)r.u32();  // flags: no flags are defined for ORPCTHAT (MS-DCOM 2.2.13.3)
  const std::uint32_t extensions = r.u32();
  if (!r.ok()) return truncated(r, base, "ORPCTHAT");
  if (extensions == 0) return std::nullopt;
  // ORPC_EXTENT_ARRAY: size, reserved, [size_is((size+1)&~1), unique] ORPC_EXTENT** extent.
  const std::uint32_t size = r.u32();
  (void)r.u32();  // reserved
  const std::uint32_t extent = r.u32();
  if (!r.ok()) return truncated(r, base, "ORPC_EXTENT_ARRAY");
  if (extent == 0) return std::nullopt;
  const std::uint32_t max_count = r.u32();
  if (!r.ok()) return truncated(r, base, "ORPC_EXTENT_ARRAY extent");
  if (max_count > kMaxOrpcExtents)
    return malformed(
        Reason::too_many_extents, r, base,
        fmt::format("ORPC_EXTENT_ARRAY max_count {} > {}", max_count, kMaxOrpcExtents));
  // 64-bit, so size 0xffffffff cannot wrap to 0.
  const std::uint64_t rounded_size = (std::uint64_t{size} + 1) & ~std::uint64_t{1};
  if (max_count != rounded_size)
    return malformed(
        Reason::count_mismatch, r, base,
        fmt::format("ORPC_EXTENT_ARRAY max_count {} != (size {} + 1) & ~1", max_count, size));
  std::size_t present = 0;
  for (std::uint32_t i = 0; i < max_count; ++i)
    if (r.u32() != 0) ++present;
  if (!r.ok()) return truncated(r, base, "ORPC_EXTENT referents");
  // Each ORPC_EXTENT: max_count (conformant struct), id, size, data[(size+7)&~7].
  for (std::size_t i = 0; i < present; ++i) {
    r.align(4);
    const std::uint32_t data_count = r.u32();
    r.skip(16);  // id
    const std::uint32_t data_size = r.u32();
    if (!r.ok()) return truncated(r, base, "ORPC_EXTENT");
    const std::uint64_t rounded = (std::uint64_t{data_size} + 7) & ~std::uint64_t{7};
    if (data_count != rounded)
      return malformed(
          Reason::count_mismatch, r, base,
          fmt::format("ORPC_EXTENT max_count {} != (size {} + 7) & ~7", data_count, data_size));
    if (data_count > r.remaining())
      return malformed(
          Reason::truncated, r, base,
          fmt::format("ORPC_EXTENT data {} octets, {} left", data_count, r.remaining()));
    r.skip(data_count);
  }
  return std::nullopt;
}

std::optional<Malformed> read_interface_pointer(ByteReader& r, std::size_t base,
                                                common::Bytes& ab_data, std::size_t& ab_data_base) {
  r.align(4);
  const std::uint32_t max_count = r.u32();
  const std::uint32_t ul_cnt_data = r.u32();
  if (!r.ok()) return truncated(r, base, "MInterfacePointer");
  if (max_count != ul_cnt_data)
    return malformed(
        Reason::count_mismatch, r, base,
        fmt::format("MInterfacePointer max_count {} != ulCntData {}", max_count, ul_cnt_data));
  if (ul_cnt_data > r.remaining())
    return malformed(
        Reason::truncated, r, base,
        fmt::format("MInterfacePointer ulCntData {} > {} octets left", ul_cnt_data, r.remaining()));
  ab_data_base = base + r.position();
  ab_data = r.bytes(ul_cnt_data);
  return std::nullopt;
}

std::optional<Malformed> read_type_serialization(ByteReader& r, std::size_t base,
                                                 ByteReader& object, std::size_t& object_base) {
  // MS-RPCE 2.2.6.1: the common type header is little-endian whatever the data's order.
  const std::uint8_t version = r.u8();
  const std::uint8_t endianness = r.u8();
  const std::uint16_t header_length = r.u16le();
  (void)r.u32le();  // Filler, 0xcccccccc
  if (!r.ok()) return truncated(r, base, "common type header");
  if (version != 1 || header_length != 8)
    return malformed(Reason::bad_type_header, r, base,
                     fmt::format("type serialization Version {} CommonHeaderLength {} (1, 8)",
                                 version, header_length));
  // The high nibble is the integer order, as in packed_drep (0x10 little, 0x00 big); the low
  // nibble would be the character set, which nothing here reads.
  common::ByteOrder order = common::ByteOrder::little;
  if ((endianness >> 4) == 0) {
    order = common::ByteOrder::big;
  } else if ((endianness >> 4) != 1) {
    return malformed(Reason::bad_type_header, r, base,
                     fmt::format("type serialization Endianness 0x{:02x}", endianness));
  }
  // MS-RPCE 2.2.6.2 private header: ObjectBufferLength (padding included), Filler.
  const std::uint32_t object_buffer_length = r.u32(order);
  (void)r.u32(order);
  if (!r.ok()) return truncated(r, base, "private header");
  if (object_buffer_length > r.remaining())
    return malformed(
        Reason::truncated, r, base,
        fmt::format("ObjectBufferLength {} > {} octets left", object_buffer_length, r.remaining()));
  object_base = base + r.position();
  object = ByteReader(r.bytes(object_buffer_length), order);
  return std::nullopt;
}

}  // namespace rpctrace::dcom::detail
