# gale_add_topology(<name> SOURCES <file>... [LINK <target>...])
#   Builds <name>.so, a packaged topology that `gale local` and the cluster load with dlopen:
#   a MODULE library (no "lib" prefix) linked with Gale::topology_api and the LINK targets
#   (Gale::kafka, Gale::redis, ...), compiled as C++20 with hidden visibility so that only the
#   entry point GALE_TOPOLOGY declares is exported.
#
# The same function serves this repository's topologies and a team's own, built against an
# installed Gale (find_package(Gale) includes this file). In Gale's own tree the libraries land
# in GALE_TOPOLOGY_OUTPUT_DIRECTORY when it is set.
function(gale_add_topology name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "gale_add_topology(${name}): unexpected arguments ${ARG_UNPARSED_ARGUMENTS}"
                        " (expected SOURCES <file>... [LINK <target>...])")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "gale_add_topology(${name}): SOURCES names no file")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE Gale::topology_api ${ARG_LINK})
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(GALE_TOPOLOGY_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY
                                             ${GALE_TOPOLOGY_OUTPUT_DIRECTORY})
  endif()
endfunction()
