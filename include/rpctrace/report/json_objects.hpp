// JSON objects that several records share, each written by one helper so they cannot drift:
// an interface or transfer syntax ({"uuid", "version", "name"}), a named pipe.
#pragma once

#include <string_view>

#include "rpctrace/analysis/model.hpp"
#include "rpctrace/dcerpc/types.hpp"
#include "rpctrace/report/json.hpp"

namespace rpctrace::report {

// "uuid", "version" ("major.minor") and, when known, "name" (the interface's short name, or
// the transfer syntax's) as fields of the object being written.
void syntax_fields(JsonLine& j, const dcerpc::SyntaxId& s);
// The same fields as an object under `key` (an array element when `key` is empty).
void syntax_object(JsonLine& j, std::string_view key, const dcerpc::SyntaxId& s);
// A pipe of an SMB connection: {"id", "name", "smb_session", "smb_tree", "handle", "account",
// "dialect"} ("name", "account" and "dialect" when known), under `key` (an array element
// when empty).
void channel_object(JsonLine& j, std::string_view key, const analysis::ChannelFacts& c);

}  // namespace rpctrace::report
