// The name tables generated from interfaces.tsv, operations.tsv and statuses.tsv (this folder)
// by generate.cmake. Private to src/dcerpc/names.cpp: other code uses the lookups declared in
// include/rpctrace/dcerpc/names.hpp. Each array is sorted by its key and its keys are unique
// (generate.cmake stops the build otherwise), so callers may binary-search it. The views point
// at static storage and live as long as the program.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace rpctrace::dcerpc::names_data {

struct InterfaceRow {
  std::array<std::uint8_t, 16> uuid;  // canonical octet order, as common::Uuid
  std::uint16_t vers_major;
  std::uint16_t vers_minor;
  std::string_view name;         // short name: "EPMv4", "SAMR"
  std::string_view description;  // one line for a person
  std::string_view source;       // "MS-SAMR 1.9"
};

struct OperationRow {
  std::array<std::uint8_t, 16> uuid;
  std::uint16_t opnum;
  std::string_view name;     // as the spec spells the method
  std::string_view returns;  // "NTSTATUS", "WERROR", "HRESULT", "error_status_t", "void", "other"
  std::string_view source;
};

struct StatusRow {
  std::uint32_t code;
  std::string_view name;
  std::string_view meaning;  // what it means and what to look at
  std::string_view source;
};

std::span<const InterfaceRow> interfaces();  // sorted by uuid
std::span<const OperationRow> operations();  // sorted by (uuid, opnum)
std::span<const StatusRow> statuses();       // sorted by code

}  // namespace rpctrace::dcerpc::names_data
