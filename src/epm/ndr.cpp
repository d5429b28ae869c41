// NDR pieces shared by the endpoint mapper operations (see ndr.hpp): twr_t and ept_entry_t
// arrays, in NDR 2.0 (C706 chapter 14) and NDR64 (MS-RPCE 2.2.5).
#include "ndr.hpp"

#include "rpctrace/epm/limits.hpp"

namespace rpctrace::epm::detail {

namespace {

using common::ByteReader;
using Malformed = common::Malformed<Reason>;

// The fewest octets one ept_entry_t takes before its deferred tower: object 16, referent,
// annotation offset and actual_count (4 each, or 8 each in NDR64).
constexpr std::size_t kMinEntryOctets = 16 + 3 * 4;
constexpr std::size_t kMinEntryOctets64 = 16 + 3 * 8;

// annotation: [string] char[64] is a varying array: offset, actual_count, then actual_count
// characters (C706 §14.3.3.3, §14.3.4); no max_count, since the array's size is fixed.
std::optional<Malformed> read_annotation(Ndr& ndr, EptEntry& e) {
  ByteReader& r = ndr.reader();
  std::uint64_t offset = ndr.count();
  std::uint64_t actual_count = ndr.count();
  if (!r.ok()) return std::nullopt;  // the caller reports the truncation
  if (offset > kMaxAnnotationOctets || actual_count > kMaxAnnotationOctets - offset)
    return Malformed{Reason::annotation_too_long, r.position(),
                     fmt::format("annotation offset {} + actual_count {} > {}", offset,
                                 actual_count, kMaxAnnotationOctets)};
  Bytes chars = r.bytes(static_cast<std::size_t>(actual_count));
  e.annotation_terminated = false;
  for (std::byte c : chars) {
    if (c == std::byte{0}) {
      e.annotation_terminated = true;
      break;
    }
    e.annotation.push_back(static_cast<char>(c));
  }
  return std::nullopt;
}

}  // namespace

common::ParseResult<Tower, Reason> read_twr(Ndr& ndr) {
  using Result = common::ParseResult<Tower, Reason>;
  ByteReader& r = ndr.reader();
  std::uint64_t max_count = ndr.count();
  std::uint32_t tower_length = ndr.u32();
  if (!r.ok()) return truncated<Tower>(r, "twr_t");
  if (tower_length > max_count || tower_length > r.remaining())
    return Result::malformed(Reason::tower_length, r.position() - 4,
                             fmt::format("tower_length {} (max_count {}, {} octets left)",
                                         tower_length, max_count, r.remaining()));
  std::size_t start = r.position();
  auto t = parse_tower(r.bytes(tower_length));
  if (t.is_complete()) return Result::complete(t.take(), r.position());
  // Offsets inside the tower become stub offsets.
  Malformed m = t.error();
  m.offset += start;
  return Result::from(std::move(m));
}

common::ParseResult<std::optional<Tower>, Reason> read_twr_pointer(Ndr& ndr) {
  using Result = common::ParseResult<std::optional<Tower>, Reason>;
  ByteReader& r = ndr.reader();
  std::uint64_t referent = ndr.count();
  if (!r.ok()) return truncated<std::optional<Tower>>(r, "twr_p_t referent");
  if (referent == 0) return Result::complete(std::nullopt, r.position());
  auto t = read_twr(ndr);
  if (!t.is_complete()) return Result::from(t.error());
  return Result::complete(std::optional<Tower>(t.take()), r.position());
}

std::optional<Malformed> check_entry_counts(const ByteReader& r, std::uint64_t max_count,
                                            std::uint64_t offset, std::uint64_t actual_count) {
  if (offset > max_count || actual_count > max_count - offset)
    return Malformed{Reason::count_mismatch, r.position(),
                     fmt::format("entries offset {} + actual_count {} > max_count {}", offset,
                                 actual_count, max_count)};
  return std::nullopt;
}

common::ParseResult<std::vector<EptEntry>, Reason> read_entries(Ndr& ndr, std::uint64_t count) {
  using Result = common::ParseResult<std::vector<EptEntry>, Reason>;
  ByteReader& r = ndr.reader();
  if (count > kMaxEntriesPerCall)
    return Result::malformed(Reason::too_many_entries, r.position(),
                             fmt::format("{} entries > {}", count, kMaxEntriesPerCall));
  // Check the count against what remains before looping (count <= 500: no overflow).
  const std::size_t min_octets = ndr.ndr64() ? kMinEntryOctets64 : kMinEntryOctets;
  if (count * min_octets > r.remaining())
    return Result::malformed(Reason::truncated, r.position(),
                             fmt::format("{} entries need at least {} octets, {} left", count,
                                         count * min_octets, r.remaining()));
  std::vector<EptEntry> entries;
  std::vector<bool> has_tower;
  for (std::uint64_t i = 0; i < count; ++i) {
    EptEntry e;
    ndr.align_pointer_struct();
    e.object = ndr.uuid();
    has_tower.push_back(ndr.count() != 0);
    if (auto bad = read_annotation(ndr, e)) return Result::from(std::move(*bad));
    if (!r.ok()) return truncated<std::vector<EptEntry>>(r, fmt::format("entry {}", i + 1));
    entries.push_back(std::move(e));
  }
  // Each tower pointer is taken as its own referent (unique-pointer reading, as for
  // ept_map's ITowers): a full pointer repeating an earlier referent id would carry no
  // pointee, and the stub then fails to parse rather than being read wrongly.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!has_tower[i]) continue;
    auto t = read_twr(ndr);
    if (!t.is_complete()) return Result::from(t.error());
    entries[i].tower = t.take();
  }
  return Result::complete(std::move(entries), r.position());
}

}  // namespace rpctrace::epm::detail
