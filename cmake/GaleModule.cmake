# gale_library(NAME <name> [SHARED] SRCS ... [PUBLIC_DEPS ...] [DEPS ...])
#   Declares the module library gale_<name> with the alias gale::<name>.
#   Public headers live in <module>/include; private ones beside the sources.
function(gale_library)
  cmake_parse_arguments(ARG "SHARED;INTERFACE" "NAME" "SRCS;PUBLIC_DEPS;DEPS" ${ARGN})
  set(target gale_${ARG_NAME})
  if(ARG_INTERFACE)
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE
      $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC_DEPS})
  else()
    if(ARG_SHARED)
      add_library(${target} SHARED ${ARG_SRCS})
    else()
      add_library(${target} STATIC ${ARG_SRCS})
    endif()
    target_include_directories(${target}
      PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
      PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  endif()
  add_library(gale::${ARG_NAME} ALIAS ${target})
endfunction()

# gale_test(NAME <name> SRCS ... DEPS ... [LABELS ...] [TIMEOUT <secs>] [SERIAL])
#   One GoogleTest binary, registered with CTest test by test, labelled by module; each test
#   may take TIMEOUT seconds (120 unless given). SERIAL: its tests run alone (ctest -j runs
#   nothing beside them), for tests that measure time under faults.
function(gale_test)
  cmake_parse_arguments(ARG "SERIAL" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} RUN_SERIAL ${serial})
endfunction()

# gale_sdk_library(<name> [PKG_REQUIRES <pkg-config modules>])
#   Makes the module library gale_<name> (declared SHARED with gale_library) part of the SDK
#   that `cmake --install` and the gale/gale-dev packages ship: libgale-<name>.so.<API version>
#   (the SONAME carries the topology API version, since the library's classes derive from the
#   API's), the module's public headers, the imported target Gale::<name> in find_package(Gale),
#   and a pkg-config file (gale-<name>.pc; the topology API's is gale.pc). In this tree
#   Gale::<name> is an alias, so topologies here and outside name their libraries alike.
function(gale_sdk_library name)
  cmake_parse_arguments(ARG "" "" "PKG_REQUIRES" ${ARGN})
  set(target gale_${name})
  string(REPLACE "_" "-" dashed ${name})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME gale-${dashed}
    EXPORT_NAME ${name}
    VERSION ${GALE_API_VERSION}
    SOVERSION ${GALE_API_VERSION})
  add_library(Gale::${name} ALIAS ${target})
  install(TARGETS ${target} EXPORT GaleTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

  if(name STREQUAL "topology_api")
    set(GALE_PC_NAME gale)
    set(GALE_PC_DESCRIPTION "Gale's topology API: the headers and library a topology builds on")
    set(GALE_PC_REQUIRES "")
    set(GALE_PC_CFLAGS "-std=c++20")
  else()
    set(GALE_PC_NAME gale-${dashed})
    set(GALE_PC_DESCRIPTION "Gale's ${dashed} library for topologies")
    string(JOIN ", " GALE_PC_REQUIRES gale ${ARG_PKG_REQUIRES})
    set(GALE_PC_CFLAGS "")
  endif()
  set(GALE_PC_LIB gale-${dashed})
  # Relocatable: the prefix is found from the .pc file's own place.
  file(RELATIVE_PATH GALE_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/gale.pc.in
                 ${CMAKE_BINARY_DIR}/pkgconfig/${GALE_PC_NAME}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/${GALE_PC_NAME}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endfunction()

include(GoogleTest)
