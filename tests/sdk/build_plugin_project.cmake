# cmake -DSOURCE_DIR=... -DBINARY_DIR=... -Dksave_DIR=... [-DGENERATOR=...] [-DCXX_COMPILER=...]
#       [-DCXX_COMPILER_LAUNCHER=...] [-DBUILD_TYPE=...] [-DKSAVE_COMMAND=...]
#       [-DINSTALL_SCRIPT=<build>/sdk/cmake_install.cmake -DINSTALL_PREFIX=...]
#       -P build_plugin_project.cmake
# Configures and builds an out-of-tree plugin project against a ksave package, as a third
# party would; fails with the tool's output when a step fails. With INSTALL_SCRIPT, the SDK
# (libksave, headers, CMake package) is first installed under INSTALL_PREFIX, so the package
# used is the installed one.
foreach(required SOURCE_DIR BINARY_DIR ksave_DIR)
  if(NOT ${required})
    message(FATAL_ERROR "build_plugin_project.cmake: -D${required}=... is required")
  endif()
endforeach()
if(INSTALL_SCRIPT)
  execute_process(COMMAND ${CMAKE_COMMAND} -DCMAKE_INSTALL_PREFIX=${INSTALL_PREFIX} -P ${INSTALL_SCRIPT}
                  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "installing the SDK into ${INSTALL_PREFIX} failed:\n${output}")
  endif()
endif()

set(configure_args -S ${SOURCE_DIR} -B ${BINARY_DIR} -Dksave_DIR=${ksave_DIR})
if(GENERATOR)
  list(APPEND configure_args -G ${GENERATOR})
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(CXX_COMPILER_LAUNCHER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_COMPILER_LAUNCHER})
endif()
if(BUILD_TYPE)
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
# The ksave command the project's conformance tests run (ksave_add_conformance_test): the SDK
# installed by the tests has no bin/ksave of its own.
if(KSAVE_COMMAND)
  list(APPEND configure_args -DKSAVE_COMMAND=${KSAVE_COMMAND})
endif()

execute_process(COMMAND ${CMAKE_COMMAND} ${configure_args} RESULT_VARIABLE status
                OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE_DIR} against ksave_DIR=${ksave_DIR} failed:\n${output}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --parallel 2 RESULT_VARIABLE status
                OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "building ${SOURCE_DIR} failed:\n${output}")
endif()
message(STATUS "built ${SOURCE_DIR} into ${BINARY_DIR}")
