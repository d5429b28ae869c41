// Tests of the name tables in src/dcerpc/data/ (interfaces.tsv, operations.tsv, statuses.tsv)
// and of their generated form behind include/rpctrace/dcerpc/names.hpp. The test reads the
// .tsv files itself, checks each row's syntax and uniqueness, then checks that every row is
// found through the public lookups with the same name: so a row the generator dropped, or a
// table left unsorted, fails here. Spot checks cite C706 appendix O, MS-SAMR 1.9 and
// MS-OXCRPC 3.1.4.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "rpctrace/common/uuid.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::dcerpc {
namespace {

using common::Uuid;

struct Row {
  int line = 0;
  std::vector<std::string> fields;
};

// Records of one table: comment and blank lines skipped, header checked and dropped.
std::vector<Row> read_table(const std::string& file, const std::vector<std::string>& header) {
  const std::string path = std::string(RPCTRACE_TESTDATA_DIR) + "/../src/dcerpc/data/" + file;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<Row> rows;
  bool seen_header = false;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty() || text[0] == '#') continue;
    Row r{line, {}};
    std::stringstream ss(text);
    std::string field;
    while (std::getline(ss, field, '\t')) r.fields.push_back(field);
    if (!text.empty() && text.back() == '\t') r.fields.emplace_back();
    if (!seen_header) {
      EXPECT_EQ(r.fields, header) << file;
      seen_header = true;
      continue;
    }
    EXPECT_EQ(r.fields.size(), header.size()) << file << ':' << line;
    for (const auto& f : r.fields) EXPECT_FALSE(f.empty()) << file << ':' << line;
    if (r.fields.size() == header.size()) rows.push_back(std::move(r));
  }
  return rows;
}

const std::vector<std::string> kInterfaceHeader = {"uuid", "version", "name", "description",
                                                   "source"};
const std::vector<std::string> kOperationHeader = {"uuid", "opnum", "name", "returns", "source"};
const std::vector<std::string> kStatusHeader = {"code", "name", "meaning", "source"};

bool is_lower_uuid_text(const std::string& s) {
  return Uuid::parse(s).has_value() && Uuid::parse(s)->to_string() == s;
}

TEST(NamesData, InterfacesParseAreUniqueAndAreFound) {
  const auto rows = read_table("interfaces.tsv", kInterfaceHeader);
  EXPECT_GE(rows.size(), 150u);
  std::set<std::string> uuids;
  for (const auto& r : rows) {
    const auto& uuid = r.fields[0];
    EXPECT_TRUE(is_lower_uuid_text(uuid)) << "interfaces.tsv:" << r.line << ' ' << uuid;
    EXPECT_TRUE(uuids.insert(uuid).second) << "interfaces.tsv:" << r.line << " repeats " << uuid;
    unsigned major = 0, minor = 0;
    char dot = 0;
    std::stringstream version(r.fields[1]);
    EXPECT_TRUE(version >> major >> dot >> minor && dot == '.' && version.eof())
        << "interfaces.tsv:" << r.line << " version " << r.fields[1];
    const auto u = Uuid::parse(uuid);
    if (!u) continue;
    EXPECT_EQ(interface_name(*u), r.fields[2]) << uuid;
    EXPECT_EQ(interface_description(*u), r.fields[3]) << uuid;
    const auto v = interface_version(*u);
    ASSERT_TRUE(v.has_value()) << uuid;
    EXPECT_EQ(v->uuid, *u);
    EXPECT_EQ(v->major, major) << uuid;
    EXPECT_EQ(v->minor, minor) << uuid;
  }
}

TEST(NamesData, OperationsBelongToKnownInterfacesAndAreFound) {
  std::set<std::string> interfaces;
  for (const auto& r : read_table("interfaces.tsv", kInterfaceHeader))
    interfaces.insert(r.fields[0]);
  const auto rows = read_table("operations.tsv", kOperationHeader);
  EXPECT_GE(rows.size(), 500u);
  std::set<std::pair<std::string, unsigned long>> keys;
  for (const auto& r : rows) {
    const auto& uuid = r.fields[0];
    EXPECT_TRUE(is_lower_uuid_text(uuid)) << "operations.tsv:" << r.line;
    EXPECT_TRUE(interfaces.count(uuid) == 1) << "operations.tsv:" << r.line << ' ' << uuid;
    const auto& text = r.fields[1];
    ASSERT_TRUE(!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
        << "operations.tsv:" << r.line;
    const unsigned long opnum = std::stoul(text);
    ASSERT_LE(opnum, 0xffffu) << "operations.tsv:" << r.line;
    EXPECT_TRUE(keys.emplace(uuid, opnum).second)
        << "operations.tsv:" << r.line << " repeats " << uuid << ' ' << opnum;
    if (const auto u = Uuid::parse(uuid)) {
      EXPECT_EQ(operation_name(*u, static_cast<std::uint16_t>(opnum)), r.fields[2])
          << uuid << ' ' << opnum;
      const ReturnType type = operation_returns(*u, static_cast<std::uint16_t>(opnum));
      const std::string& returns = r.fields[3];
      if (returns == "void")
        EXPECT_EQ(type, ReturnType::none) << "operations.tsv:" << r.line;
      else if (returns == "other")
        EXPECT_EQ(type, ReturnType::other) << "operations.tsv:" << r.line;
      else
        EXPECT_EQ(to_string(type), returns) << "operations.tsv:" << r.line;
    }
  }
}

TEST(NamesData, StatusesParseAreUniqueAndAreFound) {
  const auto rows = read_table("statuses.tsv", kStatusHeader);
  std::set<std::pair<std::uint32_t, int>> codes;  // (code, space)
  for (const auto& r : rows) {
    const auto& text = r.fields[0];
    ASSERT_TRUE(text.size() == 10 && text.rfind("0x", 0) == 0 &&
                text.find_first_not_of("0123456789abcdef", 2) == std::string::npos)
        << "statuses.tsv:" << r.line << ' ' << text;
    const auto code = static_cast<std::uint32_t>(std::stoul(text, nullptr, 16));
    const std::string& name = r.fields[1];
    const bool nt = name.rfind("STATUS_", 0) == 0;
    const bool hr = !return_code_text(code, ReturnType::hresult).name.empty() &&
                    return_code_text(code, ReturnType::hresult).name == name;
    const int space = nt ? 0 : hr ? 1 : 2;
    EXPECT_TRUE(codes.emplace(code, space).second)
        << "statuses.tsv:" << r.line << " repeats " << text << " in its space";
    // Found by its own space; the first row of a code (faults' Win32 and DCE codes) by the
    // generic look-up.
    if (nt) {
      EXPECT_EQ(return_code_text(code, ReturnType::ntstatus).name, name) << text;
    } else if (!hr) {
      EXPECT_EQ(return_code_text(code, ReturnType::error_status_t).name, name) << text;
      EXPECT_EQ(status_name(code), name) << text;
      EXPECT_EQ(status_meaning(code), r.fields[2]) << text;
    }
  }
}

// Return types from the methods' IDL (the tables' `returns` column).
TEST(NamesData, ReturnTypesSpotChecks) {
  const auto samr = *Uuid::parse("12345778-1234-abcd-ef00-0123456789ac");
  EXPECT_EQ(operation_returns(samr, 34), ReturnType::ntstatus);  // SamrOpenUser, MS-SAMR 3.1.5.1.9
  const auto epm = *Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  // ept_map is void, its [out] error_status_t *status ends the stub (C706 appendix O).
  EXPECT_EQ(operation_returns(epm, 3), ReturnType::error_status_t);
  const auto svcctl = *Uuid::parse("367abb81-9844-35f1-ad32-98f038001003");
  EXPECT_EQ(operation_returns(svcctl, 12), ReturnType::werror);  // RCreateServiceW: DWORD
  const auto mgmt = *Uuid::parse("afa8bd80-7d8a-11c9-bef4-08002b102989");
  EXPECT_EQ(operation_returns(mgmt, 2), ReturnType::other);  // is_server_listening: boolean32
  EXPECT_EQ(operation_returns(samr, 9999), ReturnType::unknown);
  EXPECT_FALSE(is_status(ReturnType::none));
  EXPECT_FALSE(is_status(ReturnType::other));
  EXPECT_TRUE(is_status(ReturnType::hresult));
}

TEST(NamesData, ReturnCodeTextByKind) {
  EXPECT_EQ(return_code_text(0, ReturnType::ntstatus).name, "STATUS_SUCCESS");
  EXPECT_EQ(return_code_text(0, ReturnType::werror).name, "ERROR_SUCCESS");
  EXPECT_EQ(return_code_text(0, ReturnType::hresult).name, "S_OK");
  EXPECT_EQ(return_code_text(0xc0000022, ReturnType::ntstatus).name, "STATUS_ACCESS_DENIED");
  EXPECT_EQ(return_code_text(5, ReturnType::werror).name, "ERROR_ACCESS_DENIED");
  EXPECT_EQ(return_code_text(5, ReturnType::error_status_t).name, "ERROR_ACCESS_DENIED");
  // A Win32 value read as NTSTATUS is not named after the Win32 row, nor the other way round.
  EXPECT_EQ(return_code_text(5, ReturnType::ntstatus).name, "");
  EXPECT_EQ(return_code_text(0xc0000022, ReturnType::werror).name, "");
  // An HRESULT of its own first (E_ACCESSDENIED is 0x80070005), else HRESULT_FROM_WIN32.
  EXPECT_EQ(return_code_text(0x80070005, ReturnType::hresult).name, "E_ACCESSDENIED");
  EXPECT_EQ(return_code_text(0x80070424, ReturnType::hresult).name,
            "HRESULT_FROM_WIN32(ERROR_SERVICE_DOES_NOT_EXIST)");
  EXPECT_EQ(return_code_text(0x80070424, ReturnType::hresult).meaning,
            return_code_text(0x424, ReturnType::werror).meaning);
  // 0x103 is in two spaces.
  EXPECT_EQ(return_code_text(0x103, ReturnType::ntstatus).name, "STATUS_PENDING");
  EXPECT_EQ(return_code_text(0x103, ReturnType::werror).name, "ERROR_NO_MORE_ITEMS");
  EXPECT_EQ(status_name(0x103), "ERROR_NO_MORE_ITEMS");
  EXPECT_EQ(format_status(0x103, ReturnType::ntstatus), "0x103 (STATUS_PENDING)");
  EXPECT_EQ(return_code_text(0x80070005, ReturnType::other).name, "");
  EXPECT_EQ(format_return_code(0xc0ffee00, ReturnType::ntstatus), "NTSTATUS 0xC0FFEE00");
  EXPECT_EQ(format_return_code(0xc0000022, ReturnType::ntstatus),
            "STATUS_ACCESS_DENIED (0xC0000022)");
  EXPECT_TRUE(is_failure(0xc0000022, ReturnType::ntstatus));
  EXPECT_FALSE(is_failure(0x00000107, ReturnType::ntstatus));  // STATUS_SOME_NOT_MAPPED: success
  EXPECT_FALSE(is_failure(0x80000005, ReturnType::ntstatus));  // a warning
  EXPECT_TRUE(is_failure(0x80070005, ReturnType::hresult));
  EXPECT_FALSE(is_failure(1, ReturnType::hresult));  // S_FALSE
  EXPECT_TRUE(is_failure(1722, ReturnType::werror));
  EXPECT_FALSE(is_failure(0, ReturnType::error_status_t));
}

TEST(NamesData, SpotChecks) {
  const auto epm = *Uuid::parse("e1af8308-5d1f-11c9-91a4-08002b14a0fa");
  EXPECT_EQ(interface_name(epm), "EPMv4");
  EXPECT_EQ(operation_name(epm, 2), "ept_lookup");  // C706 appendix O
  EXPECT_EQ(operation_name(epm, 3), "ept_map");
  const auto epm_version = interface_version(epm);
  ASSERT_TRUE(epm_version.has_value());
  EXPECT_EQ(epm_version->major, 3);
  EXPECT_EQ(epm_version->minor, 0);

  const auto samr = *Uuid::parse("12345778-1234-abcd-ef00-0123456789ac");  // MS-SAMR 1.9
  EXPECT_EQ(interface_name(samr), "SAMR");
  EXPECT_EQ(operation_name(samr, 64), "SamrConnect5");

  const auto emsmdb = *Uuid::parse("a4f1db00-ca47-1067-b31f-00dd010662da");  // MS-OXCRPC
  EXPECT_EQ(interface_name(emsmdb), "EMSMDB");
  EXPECT_EQ(operation_name(emsmdb, 11), "EcDoRpcExt2");
  EXPECT_EQ(operation_name(emsmdb, 10), "EcDoConnectEx");
  EXPECT_EQ(operation_name(*Uuid::parse("9e8ee830-4459-11ce-979b-00aa005ffebe"), 1),
            "MtaBindBack");  // KB159298

  // DCOM object interfaces start at opnum 3, after the IUnknown methods.
  const auto rem_unknown2 = *Uuid::parse("00000143-0000-0000-c000-000000000046");
  EXPECT_EQ(operation_name(rem_unknown2, 3), "RemQueryInterface");
  EXPECT_EQ(operation_name(rem_unknown2, 6), "RemQueryInterface2");
  EXPECT_EQ(operation_name(rem_unknown2, 0), "");

  EXPECT_EQ(status_name(0x16c9a0d6), "ept_s_not_registered");
  EXPECT_FALSE(status_meaning(0x16c9a0d6).empty());
  EXPECT_EQ(status_name(0x16c9a0cd), "ept_s_cant_perform_op");  // DCE rpcsts
  EXPECT_FALSE(status_meaning(0x1c010003).empty());             // nca_s_unk_if

  // Unknown values give empty views.
  const auto unknown = *Uuid::parse("deadbeef-cafe-babe-1234-567890abcdef");
  EXPECT_EQ(interface_name(unknown), "");
  EXPECT_EQ(interface_description(unknown), "");
  EXPECT_FALSE(interface_version(unknown).has_value());
  EXPECT_EQ(operation_name(unknown, 0), "");
  EXPECT_EQ(status_meaning(0xffffffff), "");
}

}  // namespace
}  // namespace rpctrace::dcerpc
