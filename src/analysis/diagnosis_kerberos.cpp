// Diagnosis, part 5: a KDC's KRB-ERROR anywhere in the capture (TCP or UDP 88). The RPC bind it
// broke often shows nothing but a bind_nak with no reason, or a connection closed with no PDU:
// the KDC's answer says why. Each error is tied to the RPC conversation of the same client that
// used (or followed) the refused ticket.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "diagnosis_text.hpp"
#include "rpctrace/analysis/diagnosis.hpp"
#include "rpctrace/auth/auth_value.hpp"
#include "rpctrace/common/frame_names.hpp"

namespace rpctrace::analysis {

namespace {

// RFC 4120 7.5.9 (and MS-KILE 3.3.5.5 for how a Windows KDC uses them): what to do.
std::string_view next_step_for(std::int32_t code) {
  switch (code) {
    case 6:
      return "the client's account does not exist in that realm: check the name and the realm "
             "it asked";
    case 7:
      return "no account holds that service principal name: register it on the service's "
             "account (setspn -S) or connect by the name the service registered";
    case 8:
      return "two accounts hold that service principal name: remove the duplicate (setspn -X)";
    case 12:
      return "the KDC's policy refused the request (logon hours, workstation restrictions, a "
             "protected account): see the DC's security log";
    case 14:
      return "no encryption type both sides allow: compare the client's, the account's "
             "(msDS-SupportedEncryptionTypes) and the DC's policy";
    case 18:
      return "the account is disabled, locked out or expired: check it in the directory";
    case 23:
      return "the account's password has expired: change it";
    case 24:
      return "the password (pre-authentication) is wrong: check the password the client uses";
    case 31:
    case 41:
    case 44:
      return "the ticket was made with a key the service does not have: a duplicate SPN, a "
             "stale machine account password, or a ticket for another account's SPN";
    case 32:
      return "the ticket has expired: the client should get a new one (klist purge)";
    case 37:
      return "the clocks of the client, the server and the KDC differ by more than the allowed "
             "skew (5 minutes): fix time synchronisation";
    case 50:
      return "the KDC refused the checksum type of the request: the client's Kerberos library "
             "and the KDC disagree on checksums (an old or foreign implementation, or its key "
             "type): use one the KDC accepts";
    case 68:
      return "the request went to the wrong realm: check the client's realm and its trust "
             "paths";
    default:
      return "see RFC 4120 7.5.9 for the error and the KDC's log for its reason";
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

void Diagnosis::kerberos(const KdcMessage& m) {
  const auto key = std::make_pair(m.client.address, m.kdc.address);
  if (m.message.ends_with("-REQ")) {
    if (kdc_requests_.size() < kMaxContacts || kdc_requests_.count(key)) kdc_requests_[key] = m;
    return;
  }
  if (!m.error_code) return;
  // Steps of a working exchange, not failures: the KDC asks for pre-authentication, or
  // for the request over TCP (RFC 4120 7.2.1).
  if (*m.error_code == 25 || *m.error_code == 52) return;
  if (kdc_errors_.size() >= kMaxKdcErrors) {
    ++kdc_errors_dropped_;
    return;
  }
  // The error names the service it refused when it can; the request says what was asked.
  KdcMessage e = m;
  e.message = {};
  if (auto it = kdc_requests_.find(key); it != kdc_requests_.end() && it->second.frame < m.frame) {
    e.message = it->second.message;
    if (!it->second.service.empty()) {
      e.service = it->second.service;
      e.realm = it->second.realm;
    }
  }
  kdc_errors_.push_back(std::move(e));
}

// At the end, when every conversation is known: the one it broke is the client's conversation
// that used a ticket for that service, else one open when the error came (clients often
// connect first and ask for the ticket when they bind), else the first that followed the
// error, else the last before it.
void Diagnosis::kdc_errors() {
  for (const KdcMessage& e : kdc_errors_) {
    const Contact* used = nullptr;
    const Contact* open = nullptr;
    const Contact* after = nullptr;
    const Contact* before = nullptr;
    const std::string service = lower(e.service);
    for (const Contact& k : contacts_) {
      if (k.client.address != e.client.address || k.server.port == e.kdc.port) continue;
      if (k.first_frame <= e.frame && e.frame <= k.last_frame && !open) open = &k;
      if (!service.empty() && lower(k.account).find(service) != std::string::npos && !used)
        used = &k;
      if (k.first_frame > e.frame && (!after || k.first_frame < after->first_frame)) after = &k;
      if (k.first_frame <= e.frame && (!before || k.first_frame > before->first_frame)) before = &k;
    }
    const Contact* tied = used ? used : open ? open : after ? after : before;
    const auto name = auth::krb_error_name(*e.error_code);
    const std::string principal =
        e.service.empty() ? std::string("a service")
                          : fmt::format("{}{}{}", e.service, e.realm.empty() ? "" : "@", e.realm);
    // A client that bound anyway was not stopped by it (a retry with other options, another
    // mechanism): worth knowing, not the failure.
    const bool harmless = tied != nullptr && tied->bound;
    Finding x = make_finding(harmless ? Severity::info : Severity::error,
                             FindingKind::kerberos_error, tied ? tied->client : e.client,
                             tied ? tied->server : e.kdc, tied ? tied->interface : std::nullopt);
    x.frames = {e.frame};
    x.message = fmt::format("the KDC {} refused {}'s {} for {}: {}{}({})",
                            e.kdc.address.to_string(), e.client.address.to_string(),
                            e.message.empty() ? std::string_view("request") : e.message, principal,
                            name, name.empty() ? "" : " ", *e.error_code);
    x.evidence = fmt::format("KRB-ERROR in frame {} ({} 88)", common::FrameNo{e.frame},
                             e.over_tcp ? "TCP" : "UDP");
    if (harmless)
      x.evidence += fmt::format(
          "; the client's RPC connection, conversation {} to {} (from frame {}), bound anyway",
          tied->conversation, tied->server.to_string(), common::FrameNo{tied->first_frame});
    else if (tied)
      x.evidence += fmt::format(
          "; the RPC connection it broke: conversation {} to {} (from frame {}){}{}",
          tied->conversation, tied->server.to_string(), common::FrameNo{tied->first_frame},
          tied == used    ? ", which used "
          : tied == open  ? ", open when the error came"
          : tied == after ? ", which followed it"
                          : "",
          tied == used ? tied->account : "");
    else
      x.evidence += "; no RPC connection of that client is in the capture";
    x.next_step = std::string(next_step_for(*e.error_code));
    add_grouped(fmt::format("krb|{}|{}|{}|{}", e.client.address.to_string(),
                            e.kdc.address.to_string(), *e.error_code, service),
                std::move(x));
  }
  if (kdc_errors_dropped_ > 0) result_.findings_dropped += kdc_errors_dropped_;
}

}  // namespace rpctrace::analysis
