// A Keras 3 `.keras` archive through load_model and inspect: the zip directory (sizes, ratios,
// entry names), config.json, metadata.json and model.weights.h5 read from memory.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  fuzz::read_like_the_command(fuzz::write_input(fuzz::as_text(data, size), "model.keras"));
  return 0;
}
