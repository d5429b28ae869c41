// Shared JSON objects (json_objects.hpp).
#include "rpctrace/report/json_objects.hpp"

#include <fmt/format.h>

#include "rpctrace/dcerpc/names.hpp"

namespace rpctrace::report {

void syntax_fields(JsonLine& j, const dcerpc::SyntaxId& s) {
  j.uuid("uuid", s.uuid);
  j.raw_str("version", [&](std::string& out) {
    fmt::format_int major(s.major), minor(s.minor);
    out.append(major.data(), major.size());
    out += '.';
    out.append(minor.data(), minor.size());
  });
  auto name = dcerpc::interface_name(s.uuid);
  if (name.empty()) name = dcerpc::transfer_syntax_name(s);
  if (!name.empty()) j.str("name", name);
}

void syntax_object(JsonLine& j, std::string_view key, const dcerpc::SyntaxId& s) {
  j.begin_object(key);
  syntax_fields(j, s);
  j.end_object();
}

void channel_object(JsonLine& j, std::string_view key, const analysis::ChannelFacts& c) {
  if (key.empty())
    j.begin_object();
  else
    j.begin_object(key);
  j.num("id", c.id);
  if (!c.name.empty()) j.str("name", c.name);
  j.num("smb_session", c.session).num("smb_tree", c.tree).str("handle", c.handle);
  if (!c.account.empty()) j.str("account", c.account);
  if (!c.dialect.empty()) j.str("dialect", c.dialect);
  j.end_object();
}

}  // namespace rpctrace::report
