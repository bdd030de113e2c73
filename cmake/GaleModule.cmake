# gale_library(NAME <name> [SHARED] SRCS ... [PUBLIC_DEPS ...] [DEPS ...])
#   Declares the module library gale_<name> with the alias gale::<name>.
#   Public headers live in <module>/include; private ones beside the sources.
function(gale_library)
  cmake_parse_arguments(ARG "SHARED;INTERFACE" "NAME" "SRCS;PUBLIC_DEPS;DEPS" ${ARGN})
  set(target gale_${ARG_NAME})
  if(ARG_INTERFACE)
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC_DEPS})
  else()
    if(ARG_SHARED)
      add_library(${target} SHARED ${ARG_SRCS})
    else()
      add_library(${target} STATIC ${ARG_SRCS})
    endif()
    target_include_directories(${target}
      PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
      PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
  endif()
  add_library(gale::${ARG_NAME} ALIAS ${target})
endfunction()

# gale_test(NAME <name> SRCS ... DEPS ... [LABELS ...])
#   One GoogleTest binary, registered with CTest test by test, labelled by module.
function(gale_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${ARG_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 120)
endfunction()

# gale_topology(NAME <name> SRCS ... [DEPS ...])
#   A packaged topology: a shared library that gale loads with dlopen.
function(gale_topology)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} MODULE ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE gale::topology_api ${ARG_DEPS})
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX "" OUTPUT_NAME ${ARG_NAME}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/topologies
    CXX_VISIBILITY_PRESET hidden)
endfunction()

include(GoogleTest)
