// The interface a well-known named pipe serves, for pipes whose bind the capture missed.
// Sources: the endpoint each interface's specification gives (MS-SAMR 2.1, MS-LSAD 2.1,
// MS-NRPC 2.1, MS-SRVS 2.1, MS-WKST 2.1, MS-RRP 2.1, MS-SCMR 2.1, MS-TSCH 2.1, MS-EVEN 2.1,
// MS-RPRN 2.1, MS-EFSR 2.1, MS-BKRP 2.1, MS-DFSNM 2.1, MS-PNPR 2.1, MS-RSP 2.1, MS-W32T 2.1)
// and C706 appendix I for the endpoint mapper's own pipe. \PIPE\lsarpc is LSARPC's, though
// DSSETUP and EFSRPC also answer there; pipes that serve several interfaces alike
// (\PIPE\lsass: SAMR, LSARPC, NETLOGON, DRSUAPI ...) infer none.
#include <algorithm>
#include <cctype>
#include <string>

#include "rpctrace/dcerpc/names.hpp"
#include "smb_connection.hpp"

namespace rpctrace::transport {

namespace {

struct PipeRow {
  std::string_view pipe;       // lower case, without the \PIPE\ prefix
  std::string_view interface;  // the names table's short name
};
constexpr PipeRow kPipes[] = {
    {"atsvc", "ATSVC"},
    {"browser", "BROWSER"},
    {"efsrpc", "EFSRPC2"},
    {"epmapper", "EPMv4"},
    {"eventlog", "EVENTLOG"},
    {"initshutdown", "INITSHUTDOWN"},
    {"lsarpc", "LSARPC"},
    {"netdfs", "NETDFS"},
    {"netlogon", "NETLOGON"},
    {"ntsvcs", "PNP"},
    {"protected_storage", "BACKUPKEY"},
    {"samr", "SAMR"},
    {"spoolss", "SPOOLSS"},
    {"srvsvc", "SRVSVC"},
    {"svcctl", "SVCCTL"},
    {"w32time", "W32TIME"},
    {"winreg", "WINREG"},
    {"wkssvc", "WKSSVC"},
};

}  // namespace

std::optional<dcerpc::SyntaxId> pipe_interface(std::string_view name) {
  const std::string_view prefix = "\\PIPE\\";
  if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const PipeRow& row : kPipes) {
    if (row.pipe != lower) continue;
    auto uuid = dcerpc::interface_by_name(row.interface);
    if (!uuid) return std::nullopt;
    return dcerpc::interface_version(*uuid);
  }
  return std::nullopt;
}

}  // namespace rpctrace::transport
