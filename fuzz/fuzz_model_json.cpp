// Model JSON and the layer configs in it (a config fuzzer): model_from_json, then, when the
// model builds, predict on small zero inputs, so that every config value a layer reads is
// exercised through its shapes and its call.
#include "fuzz_support.hpp"
#include "ksave/serialization.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  fuzz::scratch();  // plugins loaded
  fuzz::errors_are_answers([&] {
    const ModelPtr model = model_from_json(std::string(fuzz::as_text(data, size)));
    Tensors inputs;
    for (const auto& input : model->inputs()) {
      auto value = fuzz::small_input(input.shape(), input.dtype() == DType::String ? DType::Float32 : input.dtype());
      if (!value) return;
      inputs.push_back(*value);
    }
    model->predict(inputs);
  });
  return 0;
}
