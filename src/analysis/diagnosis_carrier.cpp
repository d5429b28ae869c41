// Diagnosis, part 3: what a carrier's own steps say (ncacn_np). Before a named pipe carries a
// single PDU the client must set up an SMB session, connect to the server's IPC$ share and
// open the pipe (MS-SMB2 3.2.4.2-3.2.4.3; MS-CIFS 3.2.4.2-3.2.4.5). A refusal at any of these
// steps is why no RPC follows, so each is a finding with the status the server gave:
// - smb_session_refused: a SESSION_SETUP answered by an error (STATUS_LOGON_FAILURE ...);
//   STATUS_MORE_PROCESSING_REQUIRED is the next leg of the exchange, not a refusal;
// - smb_tree_refused: a TREE_CONNECT refused (an error for IPC$, info for a disk share);
// - pipe_open_refused: a CREATE (NT_CREATE_ANDX) of a pipe refused;
// - smb_encrypted: SMB3 encryption hides the pipe traffic (said, never guessed at).
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "diagnosis_text.hpp"
#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/common/frame_names.hpp"
#include "rpctrace/common/text.hpp"
#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::analysis {

namespace {

// NTSTATUS severity is the top two bits (MS-ERREF 2.3): 3 is an error. An SMB1 server that
// does not speak NT status answers an error class (ERRDOS 1, ERRSRV 2, ERRHRD 3), a reserved
// zero octet and a code (MS-CIFS 2.2.3.1), read as one little-endian value: code << 16 | class.
bool is_error(std::uint32_t status) {
  const std::uint32_t error_class = status & 0xff, code = status >> 16;
  const bool dos = error_class >= 1 && error_class <= 3 && (status & 0xff00) == 0 && code != 0;
  return (status >> 30) == 3 || dos;
}

bool is(std::uint32_t status, std::string_view name) {
  auto code = dcerpc::status_code(name);
  return code && *code == status;
}

std::string meaning_or(std::uint32_t status, std::string_view otherwise) {
  auto m = dcerpc::status_meaning(status);
  return std::string(m.empty() ? otherwise : m);
}

std::string session_next_step(std::uint32_t status) {
  if (is(status, "STATUS_LOGON_FAILURE") || is(status, "STATUS_NO_SUCH_USER"))
    return "the user name or password is wrong: check the credentials the client uses (a stale "
           "saved password, the domain part of the name) and the server's security log (event "
           "4625)";
  if (is(status, "STATUS_ACCOUNT_LOCKED_OUT"))
    return "unlock the account and find what keeps sending its old password (a service, a "
           "mapped drive, a scheduled task)";
  if (is(status, "STATUS_TIME_DIFFERENCE_AT_DC"))
    return "fix the clocks of the client, the server and the domain controllers";
  return meaning_or(status, "look the status up in MS-ERREF and check the account in its domain");
}

std::string tree_next_step(std::uint32_t status, bool ipc) {
  if (!ipc) return "a disk share, not the pipe share: named pipes are not affected";
  if (is(status, "STATUS_BAD_NETWORK_NAME"))
    return "the server has no IPC$ share: check that its Server service (LanmanServer) runs and "
           "that the name the client used is the server's";
  if (is(status, "STATUS_ACCESS_DENIED") || is(status, "STATUS_NETWORK_ACCESS_DENIED"))
    return "the session may not use IPC$: check the account (an anonymous session is refused "
           "where RestrictAnonymous or 'restrict anonymous' forbids it) and the server's "
           "security log";
  return meaning_or(status, "look the status up in MS-ERREF");
}

std::string pipe_next_step(std::uint32_t status) {
  if (is(status, "STATUS_OBJECT_NAME_NOT_FOUND") || is(status, "STATUS_OBJECT_PATH_NOT_FOUND"))
    return "no service serves this pipe on the server: start the service behind it (the Print "
           "Spooler for spoolss, Remote Registry for winreg, ...) or check the pipe's name";
  if (is(status, "STATUS_ACCESS_DENIED") || is(status, "STATUS_NETWORK_ACCESS_DENIED"))
    return "the session's account may not open this pipe: an anonymous session reaches only "
           "the pipes of NullSessionPipes (RestrictNullSessAccess); use an authenticated "
           "account or check the pipe's security";
  if (is(status, "STATUS_PIPE_NOT_AVAILABLE") || is(status, "STATUS_PIPE_BUSY") ||
      is(status, "STATUS_INSTANCE_NOT_AVAILABLE"))
    return "every instance of the pipe is in use: the service behind it is overloaded or hung; "
           "check it on the server";
  return meaning_or(status, "look the status up in MS-ERREF");
}

std::string answered_in(const CarrierEvent& e, const FrameRecord& f) {
  return e.request_frame ? fmt::format("request in frame {}, answered in frame {}",
                                       common::FrameNo{*e.request_frame}, common::FrameNo{f.frame})
                         : fmt::format("answer in frame {} (its request was not captured)",
                                       common::FrameNo{f.frame});
}

// The same step refused the same way between the same hosts: one finding, counted.
std::string key(const Finding& x, const CarrierEvent& e) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", to_string(x.kind), x.client.to_string(),
                     x.server.to_string(), x.port, e.text, e.status, e.account);
}

}  // namespace

void Diagnosis::carrier_event(Conv& c, const FrameRecord& f, const CarrierEvent& e) {
  auto finding = [&](Severity sev, FindingKind kind, std::optional<dcerpc::SyntaxId> iface) {
    Finding x = make_finding(sev, kind, c.client, c.server, std::move(iface));
    if (e.request_frame) x.frames.push_back(*e.request_frame);
    x.frames.push_back(f.frame);
    return x;
  };
  // HTTP steps carry HTTP status codes, not NTSTATUS.
  if (e.kind == CarrierEventKind::http_request || e.kind == CarrierEventKind::http_response)
    return http_event(c, f, e);
  if (e.kind == CarrierEventKind::tls_client_hello) return tls_hello(c, f, e);
  const std::string server = c.server.address.to_string();
  const std::string account = e.account.empty() ? "" : ", session of " + e.account;
  if (e.kind == CarrierEventKind::encrypted) {
    if (c.encrypted_said) return;
    c.encrypted_said = true;
    Finding x = finding(Severity::info, FindingKind::smb_encrypted, std::nullopt);
    x.message = fmt::format(
        "SMB3 encryption hides the traffic between {} and {}: named pipes and the RPC calls "
        "inside them cannot be seen",
        c.client.address.to_string(), server);
    x.evidence = fmt::format("{} in frame {}", e.command, common::FrameNo{f.frame});
    x.next_step =
        "capture where the traffic is clear (turn SMB encryption off for the test, or decrypt "
        "with the session keys); nothing here says whether the RPC calls worked";
    add(std::move(x));
    return;
  }
  if (!e.response || !is_error(e.status) || is(e.status, "STATUS_MORE_PROCESSING_REQUIRED")) return;
  const std::string status = dcerpc::format_status(e.status);
  switch (e.kind) {
    case CarrierEventKind::session_setup: {
      Finding x = finding(Severity::error, FindingKind::smb_session_refused, std::nullopt);
      x.message = fmt::format("{} refused the SMB session setup{}: {}", server,
                              e.text.empty() ? "" : " of " + e.text, status);
      x.evidence = fmt::format("{}: {}", e.command, answered_in(e, f));
      x.next_step = session_next_step(e.status);
      add_grouped(key(x, e), std::move(x));
      break;
    }
    case CarrierEventKind::tree_connect: {
      const bool ipc = common::ends_with_nocase(e.text, "IPC$");
      Finding x = finding(ipc ? Severity::error : Severity::info, FindingKind::smb_tree_refused,
                          std::nullopt);
      x.message = fmt::format("{} refused the tree connect to {}: {}{}", server,
                              e.text.empty() ? "a share" : e.text, status,
                              ipc ? ": no named pipe can be opened on this session" : "");
      x.evidence = fmt::format("{}: {}{}", e.command, answered_in(e, f), account);
      x.next_step = tree_next_step(e.status, ipc);
      add_grouped(key(x, e), std::move(x));
      break;
    }
    case CarrierEventKind::open: {
      if (e.interface) {
        ServiceStatus& s = service(c.client.address, c.server.address, *e.interface);
        ++s.refused;
        s.protseq = c.protseq;
        s.port = c.server.port;
      }
      Finding x = finding(Severity::error, FindingKind::pipe_open_refused, e.interface);
      auto name = e.interface ? dcerpc::interface_name(e.interface->uuid) : std::string_view{};
      x.message = fmt::format("{} refused to open the pipe {}{}{}{}: {}", server,
                              e.text.empty() ? "(name not captured)" : e.text,
                              name.empty() ? "" : " (", name, name.empty() ? "" : ")", status);
      x.evidence = fmt::format("{}: {}{}", e.command, answered_in(e, f), account);
      x.next_step = pipe_next_step(e.status);
      add_grouped(key(x, e), std::move(x));
      break;
    }
    default:
      break;
  }
}

}  // namespace rpctrace::analysis
