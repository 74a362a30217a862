// NumPy .npy files through read_npy (the `ksave predict` inputs).
#include "fuzz_support.hpp"
#include "ksave/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  const auto file = fuzz::write_input(fuzz::as_text(data, size), "input.npy");
  fuzz::errors_are_answers([&] { read_npy(file); });
  return 0;
}
