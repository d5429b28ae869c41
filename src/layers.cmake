# The layers of rpctrace and the layers each may use (docs/design.md). One table, read twice:
# by CMakeLists.txt, which builds one static library per layer linked to exactly these (so the
# link line enforces the order) and checks at configure time that every #include
# "rpctrace/<layer>/..." in a layer's sources and headers names a layer it may use; and by the
# test suite, which runs this file as a script (cmake -P) over the tree and over a probe file
# that breaks the rule, which must fail.
#
#   common < pcap < tcp;  common < auth;  common < smb;  common < http;  common < dcerpc
#   dcerpc < {epm, dcom};  {epm, auth, dcom} < analysis;  {tcp, smb, http, analysis} < transport
#   analysis < report
#   transport < app;  {app, report} < cli (the executable)
cmake_policy(VERSION 3.25)
set(RPCTRACE_LAYERS common pcap tcp auth smb http dcerpc epm dcom analysis transport report app cli)
set(RPCTRACE_LAYER_USES_common "")
set(RPCTRACE_LAYER_USES_pcap common)
set(RPCTRACE_LAYER_USES_tcp pcap)
set(RPCTRACE_LAYER_USES_auth common)
set(RPCTRACE_LAYER_USES_smb common)
set(RPCTRACE_LAYER_USES_http common)
set(RPCTRACE_LAYER_USES_dcerpc common)
set(RPCTRACE_LAYER_USES_epm dcerpc)
set(RPCTRACE_LAYER_USES_dcom dcerpc)
set(RPCTRACE_LAYER_USES_analysis epm auth dcom)
set(RPCTRACE_LAYER_USES_transport tcp smb http analysis)
set(RPCTRACE_LAYER_USES_report analysis)
set(RPCTRACE_LAYER_USES_app transport)
set(RPCTRACE_LAYER_USES_cli app report)

# The layer itself and every layer it uses, directly or through another.
function(rpctrace_layer_closure layer out)
  set(result ${layer})
  set(todo ${RPCTRACE_LAYER_USES_${layer}})
  while(todo)
    list(POP_FRONT todo next)
    if(NOT next IN_LIST result)
      list(APPEND result ${next})
      list(APPEND todo ${RPCTRACE_LAYER_USES_${next}})
    endif()
  endwhile()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# Checks the #include lines of `files` against what `layer` may use; the violations are
# appended to the list variable named `violations_var`.
function(rpctrace_check_includes layer files violations_var)
  rpctrace_layer_closure(${layer} allowed)
  list(JOIN allowed ", " allowed_text)
  set(found ${${violations_var}})
  foreach(f IN LISTS files)
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      if(line MATCHES "\"rpctrace/([A-Za-z0-9_]+)/")
        if(NOT CMAKE_MATCH_1 IN_LIST allowed)
          list(APPEND found "${f}: ${line}: layer ${layer} may use only ${allowed_text}")
        endif()
      elseif(line MATCHES "\\.\\./")
        list(APPEND found "${f}: ${line}: a path out of the layer's folder")
      endif()
    endforeach()
  endforeach()
  set(${violations_var} ${found} PARENT_SCOPE)
endfunction()

# Every source and public header of `layer` under `root`.
function(rpctrace_layer_files root layer out)
  file(GLOB_RECURSE files ${root}/src/${layer}/*.cpp ${root}/src/${layer}/*.hpp
       ${root}/include/rpctrace/${layer}/*.hpp)
  set(${out} ${files} PARENT_SCOPE)
endfunction()

# Script mode: cmake -DROOT=<tree> [-DPROBE=<file> -DPROBE_LAYER=<layer>] -P layers.cmake
# checks every layer of the tree (and the probe file as if it were in PROBE_LAYER); exit
# status 1 with the violations listed when there is one.
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT ROOT)
    message(FATAL_ERROR "usage: cmake -DROOT=<tree> [-DPROBE=file -DPROBE_LAYER=layer] -P layers.cmake")
  endif()
  set(errors "")
  set(checked 0)
  foreach(layer IN LISTS RPCTRACE_LAYERS)
    rpctrace_layer_files(${ROOT} ${layer} files)
    list(LENGTH files n)
    math(EXPR checked "${checked} + ${n}")
    rpctrace_check_includes(${layer} "${files}" errors)
  endforeach()
  if(PROBE)
    rpctrace_check_includes(${PROBE_LAYER} "${PROBE}" errors)
  endif()
  if(errors)
    list(JOIN errors "\n  " text)
    message(FATAL_ERROR "layering broken:\n  ${text}")
  endif()
  message(STATUS "layering: ${checked} files, every include within its layer's reach")
endif()
