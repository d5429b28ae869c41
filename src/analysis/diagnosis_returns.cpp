// Diagnosis, part 4: calls whose response says they failed. Most RPC failures come back as a
// status at the end of the response stub (NTSTATUS, Win32, HRESULT), not as a fault PDU: each
// error status is a finding, grouped by client, server, interface, operation and status, with
// the account that made the call when a verifier or the SMB session named it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "diagnosis_text.hpp"
#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

namespace {

enum class Cause : std::uint8_t { access, logon, not_implemented, other };

// The cause a status name says, by the words MS-ERREF's names share.
Cause cause_of(std::string_view name) {
  static constexpr std::array<std::string_view, 3> kAccess = {"ACCESS_DENIED", "ACCESSDENIED",
                                                              "PRIVILEGE_NOT_HELD"};
  static constexpr std::array<std::string_view, 15> kLogon = {
      "LOGON_FAILURE",          "WRONG_PASSWORD",
      "ACCOUNT_LOCKED_OUT",     "ACCOUNT_DISABLED",
      "PASSWORD_EXPIRED",       "ACCOUNT_RESTRICTION",
      "NO_TRUST_SAM_ACCOUNT",   "TRUSTED_RELATIONSHIP_FAILURE",
      "NO_TRUST_LSA_SECRET",    "TRUST_FAILURE",
      "INVALID_LOGON_HOURS",    "INVALID_WORKSTATION",
      "LOGON_TYPE_NOT_GRANTED", "ACCOUNT_EXPIRED",
      "PASSWORD_MUST_CHANGE"};
  static constexpr std::array<std::string_view, 4> kNotImplemented = {
      "NOT_IMPLEMENTED", "NOT_SUPPORTED", "INVALID_FUNCTION", "E_NOTIMPL"};
  auto any = [&](const auto& words) {
    for (std::string_view w : words)
      if (name.find(w) != std::string_view::npos) return true;
    return false;
  };
  if (any(kAccess)) return Cause::access;
  if (any(kLogon)) return Cause::logon;
  if (any(kNotImplemented)) return Cause::not_implemented;
  return Cause::other;
}

}  // namespace

void Diagnosis::error_returned(Conv& c, const CallRecord& r) {
  const ReturnCode& rc = *r.return_code;
  const dcerpc::CallEnd& call = r.call;
  const dcerpc::StatusText text = dcerpc::return_code_text(rc.value, rc.type);
  const Cause cause = cause_of(text.name);
  const std::string op = operation_text(call.interface, call.opnum);
  // Who asked: the RPC verifier's account, else the SMB session's (ncacn_np).
  std::string account = c.account;
  if (account.empty() && r.channel != nullptr && !r.channel->account.empty())
    account = fmt::format("account {} (SMB session)", r.channel->account);

  const bool error = cause == Cause::access || cause == Cause::logon;
  Finding x = make_finding(error ? Severity::error : Severity::warning, FindingKind::error_returned,
                           c.client, c.server, call.interface);
  x.frames = {call.end.frame};
  x.message = fmt::format("{} answered {} with {}", c.server.address.to_string(), op,
                          dcerpc::format_return_code(rc.value, rc.type));
  x.evidence = fmt::format(
      "response in frame {}{}{}", common::FrameNo{call.end.frame},
      call.request_seen
          ? fmt::format(" for the request in frame {}", common::FrameNo{call.request_first.frame})
          : "",
      account.empty() ? "" : ", " + account);
  const std::string meaning =
      text.meaning.empty()
          ? fmt::format("look {} 0x{:X} up in MS-ERREF", dcerpc::to_string(rc.type), rc.value)
          : std::string(text.meaning);
  switch (cause) {
    case Cause::access:
      x.next_step =
          fmt::format("{}; the server accepted the connection but refused this operation to {}",
                      meaning, account.empty() ? "the caller" : account);
      break;
    case Cause::logon:
      x.next_step = fmt::format("{}; the server's security log names the reason", meaning);
      break;
    case Cause::not_implemented:
      x.next_step = fmt::format(
          "the server does not implement {} (another product, or an older version): use an "
          "operation it offers, or a server that implements it",
          op);
      break;
    case Cause::other:
      x.next_step = meaning;
      break;
  }
  add_grouped(fmt::format("ret|{}|{}|{}|{}|{}|{}", c.client.address.to_string(),
                          c.server.address.to_string(),
                          call.interface ? call.interface->uuid.to_string() : std::string(),
                          call.opnum, static_cast<int>(rc.type), rc.value),
              std::move(x));
}

}  // namespace rpctrace::analysis
