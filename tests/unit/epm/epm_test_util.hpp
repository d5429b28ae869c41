// Values and helpers shared by the ept_* stub tests (ept_map, ept_lookup, ept_ops): the
// interface and object used in their towers and entries, the context handle's UUID, an
// ept_entry_t maker, and the name of each (byte order, NDR64) parameter.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "support/epm_builder.hpp"
#include "support/tower_builder.hpp"

namespace rpctrace::epmtest {

namespace ts = rpctrace::testsupport;

inline constexpr ts::SyntaxId kLsa{ts::Uuid::parse("12345778-1234-abcd-ef00-0123456789ab"), 0, 0};
inline constexpr ts::Uuid kObject = ts::Uuid::parse("0123abcd-4567-89ef-0011-223344556677");
inline constexpr ts::Uuid kHandleUuid = ts::Uuid::parse("00000000-0000-0000-0000-0000000000aa");
inline constexpr std::uint32_t kEptSNotRegistered = 0x16c9a0d6;  // C706 appendix O
// kLsa over ncacn_ip_tcp at 10.1.1.2[49712]: 75 octets.
inline const ts::Bytes kTcpTower = ts::tcp_ip_tower(kLsa, 49712, {10, 1, 1, 2});

inline ts::EptEntry entry(const ts::Uuid& object, std::optional<ts::Bytes> tower,
                          std::string annotation) {
  ts::EptEntry e;
  e.object = object;
  e.tower = std::move(tower);
  e.annotation = std::move(annotation);
  return e;
}

// Test names for INSTANTIATE_TEST_SUITE_P over (byte order, NDR64): little_ndr, big_ndr64, ...
inline std::string format_name(const ::testing::TestParamInfo<std::tuple<ts::Endian, bool>>& p) {
  return std::string(std::get<0>(p.param) == ts::Endian::little ? "little" : "big") +
         (std::get<1>(p.param) ? "_ndr64" : "_ndr");
}

}  // namespace rpctrace::epmtest
