#include "support/np_script.hpp"

#include "support/ntlmssp_builder.hpp"

namespace rpctrace::testsupport {

namespace {
constexpr std::uint32_t kMoreProcessing = 0xC0000016;
}  // namespace

void NpScript::exchange(const std::vector<Smb2Message>& requests,
                        const std::vector<Smb2Message>& responses) {
  tcp_.send(Direction::to_server, smb2_session(requests));
  tcp_.send(Direction::to_client, smb2_session(responses));
}

void NpScript::logon(const std::string& domain, const std::string& user, std::uint32_t status) {
  std::uint64_t id = next_message_id();
  exchange({smb2_negotiate_request(id)}, {smb2_negotiate_response(id, 0x0311)});
  const std::uint32_t flags = kNtlmNegotiateUnicode | kNtlmNegotiateNtlm;
  id = next_message_id();
  exchange({smb2_session_setup_request(id, ntlmssp_negotiate(flags, "", ""))},
           {smb2_session_setup_response(id, session, kMoreProcessing)});
  const Bytes nt(24, std::byte{0x11});
  Smb2Message auth = smb2_session_setup_request(
      next_message_id(), ntlmssp_authenticate(flags, {}, nt, domain, user, "WS1"));
  auth.session_id = session;
  exchange({auth}, {smb2_session_setup_response(auth.message_id, session, status)});
  if (status == 0) tree_connect("\\\\dc1\\IPC$");
}

void NpScript::tree_connect(const std::string& share, std::uint32_t status) {
  const std::uint64_t id = next_message_id();
  exchange({smb2_tree_connect_request(id, session, share)},
           {smb2_tree_connect_response(id, session, tree, status)});
}

Smb2FileId NpScript::create(const std::string& pipe, std::uint32_t status) {
  const Smb2FileId f{next_file_, 0x40000000 + next_file_};
  ++next_file_;
  const std::uint64_t id = next_message_id();
  exchange({smb2_create_request(id, session, tree, pipe)},
           {smb2_create_response(id, session, tree, f, status)});
  return f;
}

void NpScript::write_read(Smb2FileId f, const Bytes& request, const Bytes& response) {
  std::uint64_t id = next_message_id();
  exchange({smb2_write_request(id, session, tree, f, request)},
           {smb2_write_response(id, session, tree, static_cast<std::uint32_t>(request.size()))});
  id = next_message_id();
  exchange({smb2_read_request(id, session, tree, f, 4280)},
           {smb2_read_response(id, session, tree, response)});
}

void NpScript::transceive(Smb2FileId f, const Bytes& request, const Bytes& response) {
  const std::uint64_t id = next_message_id();
  exchange({smb2_transceive_request(id, session, tree, f, request)},
           {smb2_transceive_response(id, session, tree, f, response)});
}

void NpScript::close(Smb2FileId f) {
  const std::uint64_t id = next_message_id();
  exchange({smb2_close_request(id, session, tree, f)}, {smb2_close_response(id, session, tree)});
}

}  // namespace rpctrace::testsupport
