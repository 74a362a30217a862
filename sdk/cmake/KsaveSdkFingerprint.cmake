# The SDK header fingerprint: a hash of every public header (framework, registry, sdk), written
# into <build>/generated/include/ksave/sdk_fingerprint.hpp. Plugins record it in their entry
# point and the loader refuses one whose fingerprint differs from libksave's: a plugin built
# against other headers would otherwise run with another class layout and crash, not fail.
# Every header is a configure dependency, so an edited header gives a new fingerprint.
function(ksave_write_sdk_fingerprint output)
  set(listing "")
  foreach(dir framework/include registry/include sdk/include)
    file(GLOB_RECURSE headers CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${dir}/*.hpp")
    list(SORT headers)
    # ksave/conformance.hpp is left out: its samples reach the kit as JSON text, never as a class
    # layout the host and a plugin share, so it cannot make a plugin unsafe to load.
    list(FILTER headers EXCLUDE REGEX "/ksave/conformance\\.hpp$")
    foreach(header IN LISTS headers)
      file(SHA256 ${header} digest)
      file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR} ${header})
      string(APPEND listing "${name} ${digest}\n")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${header})
    endforeach()
  endforeach()
  string(SHA256 fingerprint "${listing}")
  string(SUBSTRING ${fingerprint} 0 16 fingerprint)
  set(KSAVE_SDK_HEADER_FINGERPRINT ${fingerprint})
  configure_file(${PROJECT_SOURCE_DIR}/sdk/cmake/sdk_fingerprint.hpp.in ${output} @ONLY)
endfunction()
