# ksave_add_conformance_test(<plugin> [NAME <test>] [AGAINST <dir>] [WRITE <dir>] [LABELS <labels...>])
#
# A CTest test that runs the conformance kit, `ksave conform`, on the plugin built by
# ksave_add_plugin(<plugin> ...): every class it registers is built from its default config or
# the sample it exports (ksave/conformance.hpp) and checked (configs in every dialect, weights
# and optimizer state through every registered format, gradients). AGAINST reads the files an
# earlier release of the plugin wrote (`ksave conform --write <dir>`); WRITE writes this build's.
# The `ksave` command is KSAVE_COMMAND: found beside the package (<prefix>/bin/ksave, or a build
# tree's bin/ksave), or given with -DKSAVE_COMMAND=...
function(ksave_add_conformance_test plugin)
  cmake_parse_arguments(ARG "" "NAME;AGAINST;WRITE" "LABELS" ${ARGN})
  set(target ksave_plugin_${plugin})
  if(NOT TARGET ${target})
    message(FATAL_ERROR "ksave_add_conformance_test(${plugin}): no plugin target ${target} (made by ksave_add_plugin(${plugin} ...))")
  endif()
  if(TARGET ksave_cli)
    set(command $<TARGET_FILE:ksave_cli>)  # ksave's own tree
  elseif(KSAVE_COMMAND)
    set(command ${KSAVE_COMMAND})
  else()
    message(FATAL_ERROR "ksave_add_conformance_test(${plugin}): the ksave command was not found; set KSAVE_COMMAND")
  endif()
  set(name ${ARG_NAME})
  if(NOT name)
    set(name conform_${plugin})
  endif()
  set(extra)
  if(ARG_AGAINST)
    list(APPEND extra --against ${ARG_AGAINST})
  endif()
  if(ARG_WRITE)
    list(APPEND extra --write ${ARG_WRITE})
  endif()
  add_test(NAME ${name} COMMAND ${command} conform $<TARGET_FILE:${target}> ${extra})
  # The kit saves a few hundred small files: one thread per op is plenty on a shared machine.
  set_tests_properties(${name} PROPERTIES LABELS "conformance;${ARG_LABELS}"
                       ENVIRONMENT "OMP_WAIT_POLICY=passive;KSAVE_NUM_THREADS=1")
endfunction()
