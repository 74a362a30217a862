// A whole-model file (HDF5 first: the seeds are the real .h5 files) through load_model and
// inspect, as `ksave inspect` and `ksave convert` read it. The format is found by content, so
// inputs that become zip or JSON reach those readers too.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  fuzz::read_like_the_command(fuzz::write_input(fuzz::as_text(data, size), "model.h5"));
  return 0;
}
