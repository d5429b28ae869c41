# Turns the name tables (interfaces.tsv, operations.tsv, statuses.tsv) into a C++ source file
# with constexpr arrays, sorted by key so names.cpp can binary-search them. Run at build time:
#
#   cmake -DDATA_DIR=<this folder> -DOUTPUT=<file.cpp> -P generate.cmake
#
# File format (docs/names.md): UTF-8 text, one record a line, fields separated by one tab;
# blank lines and lines starting with '#' are ignored; the first other line is the header.
# Any malformed line stops the build with "<file>:<line>: <what is wrong>".
cmake_minimum_required(VERSION 3.25)

if(NOT DATA_DIR OR NOT OUTPUT)
  message(FATAL_ERROR "usage: cmake -DDATA_DIR=<dir> -DOUTPUT=<file.cpp> -P generate.cmake")
endif()

# CMake lists use ';' as separator and treat '[' ']' specially: protect them (and '\') while
# splitting, restore them when writing C++ literals.
function(_names_protect text out)
  string(REPLACE "\\" "@BACKSLASH@" text "${text}")
  string(REPLACE ";" "@SEMICOLON@" text "${text}")
  string(REPLACE "[" "@LBRACKET@" text "${text}")
  string(REPLACE "]" "@RBRACKET@" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# A C++ string literal for a protected field.
function(_names_literal text out)
  string(REPLACE "@BACKSLASH@" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "@SEMICOLON@" ";" text "${text}")
  string(REPLACE "@LBRACKET@" "[" text "${text}")
  string(REPLACE "@RBRACKET@" "]" text "${text}")
  set(${out} "\"${text}\"" PARENT_SCOPE)
endfunction()

# Reads <file>, checks its header against <expected_header> and sets <prefix>_COUNT plus, for
# each record i, <prefix>_<i>_LINE (its line number) and <prefix>_<i>_FIELDS (a list).
function(_names_read file expected_header prefix)
  file(READ "${file}" content)
  string(REPLACE "\r" "" content "${content}")
  _names_protect("${content}" content)
  string(REPLACE "\n" ";" lines "${content}")
  set(lineno 0)
  set(count 0)
  set(seen_header FALSE)
  foreach(line IN LISTS lines)
    math(EXPR lineno "${lineno} + 1")
    if(line STREQUAL "" OR line MATCHES "^#")
      continue()
    endif()
    string(REPLACE "\t" ";" fields "${line}")
    if(NOT seen_header)
      if(NOT fields STREQUAL expected_header)
        string(REPLACE ";" "<TAB>" want "${expected_header}")
        message(FATAL_ERROR "${file}:${lineno}: header must be: ${want}")
      endif()
      set(seen_header TRUE)
      continue()
    endif()
    list(LENGTH fields n)
    list(LENGTH expected_header want_n)
    if(NOT n EQUAL want_n)
      message(FATAL_ERROR "${file}:${lineno}: ${n} fields, want ${want_n} (tab-separated)")
    endif()
    foreach(f IN LISTS fields)
      if(f STREQUAL "" OR f MATCHES "^ " OR f MATCHES " $")
        message(FATAL_ERROR "${file}:${lineno}: empty field or field with outer spaces")
      endif()
    endforeach()
    set(${prefix}_${count}_LINE ${lineno} PARENT_SCOPE)
    set(${prefix}_${count}_FIELDS "${fields}" PARENT_SCOPE)
    math(EXPR count "${count} + 1")
  endforeach()
  if(NOT seen_header)
    message(FATAL_ERROR "${file}: no header line")
  endif()
  set(${prefix}_COUNT ${count} PARENT_SCOPE)
endfunction()

set(_hex "[0-9a-f]")
set(_uuid_re
  "^${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}-${_hex}${_hex}${_hex}${_hex}-${_hex}${_hex}${_hex}${_hex}-${_hex}${_hex}${_hex}${_hex}-${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}${_hex}$")

# "{0x12, 0x34, ...}" for a checked lower-case UUID.
function(_names_uuid_octets uuid out)
  string(REPLACE "-" "" hex "${uuid}")
  set(parts "")
  foreach(i RANGE 0 30 2)
    string(SUBSTRING "${hex}" ${i} 2 byte)
    list(APPEND parts "0x${byte}")
  endforeach()
  list(JOIN parts ", " joined)
  set(${out} "{${joined}}" PARENT_SCOPE)
endfunction()

function(_names_check_uuid file line uuid)
  if(NOT uuid MATCHES "${_uuid_re}")
    message(FATAL_ERROR "${file}:${line}: '${uuid}' is not a lower-case 8-4-4-4-12 UUID")
  endif()
endfunction()

function(_names_check_u16 file line what value)
  if(NOT value MATCHES "^(0|[1-9][0-9]*)$" OR value GREATER 65535)
    message(FATAL_ERROR "${file}:${line}: ${what} '${value}' is not an integer 0-65535")
  endif()
endfunction()

# --- interfaces.tsv ---------------------------------------------------------------------------
set(_if_file "${DATA_DIR}/interfaces.tsv")
_names_read("${_if_file}" "uuid;version;name;description;source" IF)
set(_keys "")
set(_uuids "")
math(EXPR _last "${IF_COUNT} - 1")
foreach(i RANGE 0 ${_last})
  list(GET IF_${i}_FIELDS 0 uuid)
  list(GET IF_${i}_FIELDS 1 version)
  _names_check_uuid("${_if_file}" ${IF_${i}_LINE} "${uuid}")
  if(NOT version MATCHES "^([0-9]+)\\.([0-9]+)$")
    message(FATAL_ERROR "${_if_file}:${IF_${i}_LINE}: version '${version}' is not major.minor")
  endif()
  _names_check_u16("${_if_file}" ${IF_${i}_LINE} "major version" "${CMAKE_MATCH_1}")
  _names_check_u16("${_if_file}" ${IF_${i}_LINE} "minor version" "${CMAKE_MATCH_2}")
  if(uuid IN_LIST _uuids)
    message(FATAL_ERROR "${_if_file}:${IF_${i}_LINE}: ${uuid} appears twice")
  endif()
  list(APPEND _uuids "${uuid}")
  list(APPEND _keys "${uuid}#${i}")
endforeach()
list(SORT _keys)
set(_if_rows "")
foreach(key IN LISTS _keys)
  string(REGEX REPLACE "^.*#" "" i "${key}")
  list(GET IF_${i}_FIELDS 0 uuid)
  list(GET IF_${i}_FIELDS 1 version)
  string(REGEX MATCH "^([0-9]+)\\.([0-9]+)$" _ "${version}")
  set(major ${CMAKE_MATCH_1})
  set(minor ${CMAKE_MATCH_2})
  list(GET IF_${i}_FIELDS 2 name)
  list(GET IF_${i}_FIELDS 3 description)
  list(GET IF_${i}_FIELDS 4 source)
  _names_uuid_octets("${uuid}" octets)
  _names_literal("${name}" name)
  _names_literal("${description}" description)
  _names_literal("${source}" source)
  string(APPEND _if_rows
    "    {${octets}, ${major}, ${minor}, ${name},\n     ${description},\n     ${source}},\n")
endforeach()

# --- operations.tsv ---------------------------------------------------------------------------
set(_op_file "${DATA_DIR}/operations.tsv")
_names_read("${_op_file}" "uuid;opnum;name;returns;source" OP)
set(_keys "")
math(EXPR _last "${OP_COUNT} - 1")
foreach(i RANGE 0 ${_last})
  list(GET OP_${i}_FIELDS 0 uuid)
  list(GET OP_${i}_FIELDS 1 opnum)
  _names_check_uuid("${_op_file}" ${OP_${i}_LINE} "${uuid}")
  _names_check_u16("${_op_file}" ${OP_${i}_LINE} "opnum" "${opnum}")
  list(GET OP_${i}_FIELDS 3 returns)
  if(NOT returns MATCHES "^(NTSTATUS|WERROR|HRESULT|error_status_t|void|other)$")
    message(FATAL_ERROR "${_op_file}:${OP_${i}_LINE}: returns '${returns}' is not NTSTATUS, WERROR, HRESULT, error_status_t, void or other")
  endif()
  if(NOT uuid IN_LIST _uuids)
    message(FATAL_ERROR "${_op_file}:${OP_${i}_LINE}: ${uuid} is not in interfaces.tsv")
  endif()
  # Zero-padded so the text sort is the numeric sort.
  string(LENGTH "${opnum}" len)
  math(EXPR pad "5 - ${len}")
  string(REPEAT "0" ${pad} zeros)
  set(key "${uuid}/${zeros}${opnum}")
  if(DEFINED _op_seen_${key})
    message(FATAL_ERROR "${_op_file}:${OP_${i}_LINE}: ${uuid} opnum ${opnum} appears twice")
  endif()
  set(_op_seen_${key} TRUE)
  list(APPEND _keys "${key}#${i}")
endforeach()
list(SORT _keys)
set(_op_rows "")
foreach(key IN LISTS _keys)
  string(REGEX REPLACE "^.*#" "" i "${key}")
  list(GET OP_${i}_FIELDS 0 uuid)
  list(GET OP_${i}_FIELDS 1 opnum)
  list(GET OP_${i}_FIELDS 2 name)
  list(GET OP_${i}_FIELDS 3 returns)
  list(GET OP_${i}_FIELDS 4 source)
  _names_uuid_octets("${uuid}" octets)
  _names_literal("${name}" name)
  _names_literal("${returns}" returns)
  _names_literal("${source}" source)
  string(APPEND _op_rows "    {${octets}, ${opnum}, ${name}, ${returns}, ${source}},\n")
endforeach()

# --- statuses.tsv -----------------------------------------------------------------------------
set(_st_file "${DATA_DIR}/statuses.tsv")
_names_read("${_st_file}" "code;name;meaning;source" ST)
set(_keys "")
math(EXPR _last "${ST_COUNT} - 1")
foreach(i RANGE 0 ${_last})
  list(GET ST_${i}_FIELDS 0 code)
  if(NOT code MATCHES "^0x[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]$")
    message(FATAL_ERROR "${_st_file}:${ST_${i}_LINE}: code '${code}' is not 0x + 8 lower-case hex digits")
  endif()
  # A code is unique within its space, which the name says (names.cpp code_space()).
  list(GET ST_${i}_FIELDS 1 name)
  if(name MATCHES "^STATUS_")
    set(space nt)
  elseif(name MATCHES "^(E_|S_|RPC_E_|CO_E_|CO_S_|WBEM_|REGDB_E_|CLASS_E_|DISP_E_|TYPE_E_|STG_E_|MK_E_|CS_E_)")
    set(space hr)
  else()
    set(space win)
  endif()
  if(DEFINED _st_seen_${code}_${space})
    message(FATAL_ERROR "${_st_file}:${ST_${i}_LINE}: ${code} appears twice in one code space")
  endif()
  set(_st_seen_${code}_${space} TRUE)
  # Rows of one code keep their order in the file: pad the index so "#10" sorts after "#9".
  string(LENGTH "${i}" len)
  math(EXPR pad "6 - ${len}")
  string(REPEAT "0" ${pad} zeros)
  list(APPEND _keys "${code}#${zeros}${i}")
endforeach()
list(SORT _keys)
set(_st_rows "")
foreach(key IN LISTS _keys)
  string(REGEX REPLACE "^.*#0*" "" i "${key}")
  if(i STREQUAL "")
    set(i 0)
  endif()
  list(GET ST_${i}_FIELDS 0 code)
  list(GET ST_${i}_FIELDS 1 name)
  list(GET ST_${i}_FIELDS 2 meaning)
  list(GET ST_${i}_FIELDS 3 source)
  _names_literal("${name}" name)
  _names_literal("${meaning}" meaning)
  _names_literal("${source}" source)
  string(APPEND _st_rows "    {${code}u, ${name},\n     ${meaning},\n     ${source}},\n")
endforeach()

# --- output -----------------------------------------------------------------------------------
set(_out "// Generated by src/dcerpc/data/generate.cmake from interfaces.tsv, operations.tsv and
// statuses.tsv in the same folder. Do not edit: edit the .tsv files (docs/names.md).
#include \"names_data.hpp\"

namespace rpctrace::dcerpc::names_data {
namespace {

// Sorted by UUID octets (the text sort of lower-case 8-4-4-4-12 is the octet sort).
constexpr InterfaceRow kInterfaces[] = {
${_if_rows}};

// Sorted by (UUID octets, opnum).
constexpr OperationRow kOperations[] = {
${_op_rows}};

// Sorted by code.
constexpr StatusRow kStatuses[] = {
${_st_rows}};

}  // namespace

std::span<const InterfaceRow> interfaces() { return kInterfaces; }
std::span<const OperationRow> operations() { return kOperations; }
std::span<const StatusRow> statuses() { return kStatuses; }

}  // namespace rpctrace::dcerpc::names_data
")
# Write only when the text changes, so an unchanged table does not trigger a rebuild.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" _old)
  if(_old STREQUAL _out)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${_out}")
