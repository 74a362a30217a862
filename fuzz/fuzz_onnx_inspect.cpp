// An ONNX file through `ksave inspect` (the onnx format writes models and only describes them:
// the ModelProto, external-data entries, subgraphs). No real fixture is an ONNX file, so the
// corpus starts empty and grows from coverage.
#include "fuzz_support.hpp"
#include "ksave/saving.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  const auto path = fuzz::write_input(fuzz::as_text(data, size), "model.onnx");
  fuzz::errors_are_answers([&] { get_format("onnx")->inspect(path); });
  return 0;
}
