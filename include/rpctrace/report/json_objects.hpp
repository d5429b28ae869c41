// JSON objects that several records share, each written by one helper so they cannot drift:
// an interface or transfer syntax ({"uuid", "version", "name"}).
#pragma once

#include <string_view>

#include "rpctrace/dcerpc/types.hpp"
#include "rpctrace/report/json.hpp"

namespace rpctrace::report {

// "uuid", "version" ("major.minor") and, when known, "name" (the interface's short name, or
// the transfer syntax's) as fields of the object being written.
void syntax_fields(JsonLine& j, const dcerpc::SyntaxId& s);
// The same fields as an object under `key` (an array element when `key` is empty).
void syntax_object(JsonLine& j, std::string_view key, const dcerpc::SyntaxId& s);

}  // namespace rpctrace::report
