// The diagnose text: findings first, counted by severity; the service table after them, its
// healthy services counted rather than listed on a busy capture unless --all; Outlook's words
// only where Outlook's interfaces are.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/dcerpc/names.hpp"
#include "rpctrace/report/result_writers.hpp"
#include "unit/app/run_harness.hpp"

namespace rpctrace::report::harness {
namespace {

using analysis::DiagnosisResult;
using analysis::Finding;
using analysis::ServiceStatus;
using analysis::Severity;

dcerpc::SyntaxId named(std::string_view name) {
  return dcerpc::SyntaxId{*dcerpc::interface_by_name(name), 1, 0};
}

ServiceStatus service(std::string_view name, std::uint8_t client_octet, bool healthy) {
  ServiceStatus s;
  s.client = *common::IpAddress::parse(fmt::format("10.0.0.{}", client_octet));
  s.server = *common::IpAddress::parse("10.0.1.1");
  s.interface = named(name);
  s.protseq = "ncacn_ip_tcp";
  s.port = 49154;
  s.bound = true;
  s.calls = 3;
  if (!healthy) s.errors = 1;
  return s;
}

Finding finding(Severity severity, std::string message) {
  Finding f;
  f.severity = severity;
  f.message = std::move(message);
  f.evidence = "frame 1";
  f.next_step = "none";
  return f;
}

std::string text_of(const DiagnosisResult& d, bool all = false) {
  MemoryFile out, stats;
  write_diagnosis(out.get(), stats.get(), false, d, analysis::Statistics{}, all);
  return out.text();
}

TEST(DiagnoseText, FindingsFirstCountedBySeverity) {
  DiagnosisResult d;
  d.services.push_back(service("SAMR", 2, false));
  d.findings = {finding(Severity::info, "an info"), finding(Severity::error, "one error"),
                finding(Severity::warning, "a warning"), finding(Severity::error, "two errors")};
  const std::string text = text_of(d);
  EXPECT_EQ(text.rfind("Findings: 2 errors, 1 warning, 1 info\n  [error] one error\n", 0), 0u)
      << text;
  EXPECT_LT(text.find("[warning] a warning"), text.find("[info] an info"));
  EXPECT_LT(text.find("[info] an info"), text.find("Service status"));
  EXPECT_NE(text.find("Service status (client -> server):\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Outlook"), std::string::npos);  // no Outlook interface here
}

TEST(DiagnoseText, NothingWrongFound) {
  DiagnosisResult d;
  EXPECT_EQ(text_of(d).rfind("Findings: nothing wrong found\n", 0), 0u) << text_of(d);
}

TEST(DiagnoseText, OutlooksWordsOnlyWithOutlooksInterfaces) {
  DiagnosisResult d;
  d.services.push_back(service("EMSMDB", 2, true));
  const std::string text = text_of(d);
  EXPECT_NE(text.find("Service status (client -> server), as Outlook's connection status lists "
                      "it:\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Mail (EMSMDB)"), std::string::npos) << text;
}

TEST(DiagnoseText, ABusyCapturesHealthyServicesAreCountedUnlessAll) {
  DiagnosisResult d;
  for (std::uint8_t i = 0; i < kListedServices; ++i) d.services.push_back(service("SAMR", i, true));
  d.services.push_back(service("LSARPC", 200, false));
  const std::string condensed = text_of(d);
  EXPECT_NE(condensed.find("LSARPC"), std::string::npos) << condensed;
  EXPECT_EQ(condensed.find("SAMR "), std::string::npos) << condensed;
  EXPECT_NE(condensed.find("... and 20 healthy services (Established, no error, fault or "
                           "refusal) not listed: --all lists them"),
            std::string::npos)
      << condensed;
  const std::string all = text_of(d, true);
  EXPECT_EQ(all.find("healthy services"), std::string::npos);
  std::size_t rows = 0;
  for (std::size_t at = all.find("SAMR "); at != std::string::npos; at = all.find("SAMR ", at + 1))
    ++rows;
  EXPECT_EQ(rows, kListedServices);
  // At the bound, nothing is condensed.
  d.services.pop_back();
  EXPECT_EQ(text_of(d).find("healthy services"), std::string::npos);
}

}  // namespace
}  // namespace rpctrace::report::harness
