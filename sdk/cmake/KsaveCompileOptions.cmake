# Warning and sanitizer flags shared by the library, the plugins, the tests and third-party
# plugins built with the SDK.
function(ksave_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
  # GCC 12 reports -Wstringop-overread in boost::container::small_vector's copy (ksave::Shape and
  # Tensors keep their elements inline): "reading between 65 and 9223372036854775800 bytes from a
  # region of size 64" where the copy is of the vector's own size. Not a finding: silenced for GCC.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-stringop-overread)
  endif()
  if(KSAVE_FUZZ)  # clang: the sanitizers, and libFuzzer's coverage in every target it reaches
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(KSAVE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(KSAVE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(KSAVE_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
endfunction()
