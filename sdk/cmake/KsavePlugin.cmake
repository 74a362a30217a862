# ksave_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>] [OUTPUT_DIRECTORY <dir>])
#
# Builds a ksave plugin: a module library named ksave-plugin-<name>.so that links libksave,
# exports only its entry point (everything else hidden) and lands where the plugin loader looks
# (the build tree's plugins/ folder in this project; your own build folder otherwise, which you
# add to KSAVE_PLUGIN_PATH).
function(ksave_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  set(target ksave_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET ksave::ksave)
    target_link_libraries(${target} PRIVATE ksave::ksave ${ARG_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE ksave ${ARG_LIBRARIES})
  endif()
  set(out_dir ${ARG_OUTPUT_DIRECTORY})
  if(NOT out_dir AND KSAVE_PLUGIN_OUTPUT_DIRECTORY)
    set(out_dir ${KSAVE_PLUGIN_OUTPUT_DIRECTORY})
  endif()
  if(NOT out_dir)
    set(out_dir ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME "ksave-plugin-${name}"
    LIBRARY_OUTPUT_DIRECTORY ${out_dir}
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
  if(COMMAND ksave_target_options)
    ksave_target_options(${target})
  endif()
  if(KSAVE_INSTALL_PLUGINS)
    # Installed in <libdir>/ksave/plugins: libksave and the format libraries are two folders up.
    set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/../..")
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/ksave/plugins)
  endif()
endfunction()
