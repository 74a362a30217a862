// The graph executor on imported graphs: the input is a saved_model.pb whose signatures are run
// on small zero inputs (unknown dimensions 1, at most 4096 elements each). $KSAVE_FUZZ_VARIABLES
// may name a variables/ folder copied in once, for graphs that read variables.
#include <cstdlib>

#include "fuzz_support.hpp"
#include "ksave/loaded_functions.hpp"
#include "ksave/saving.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  namespace fs = std::filesystem;
  static const fs::path model = [] {
    const fs::path m = fuzz::scratch() / "graph";
    fs::create_directories(m / "variables");
    if (const char* variables = std::getenv("KSAVE_FUZZ_VARIABLES"))
      fs::copy(variables, m / "variables", fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    return m;
  }();
  fuzz::write_input(fuzz::as_text(data, size), "graph/saved_model.pb");
  fuzz::errors_are_answers([&] {
    const LoadedFunctionsPtr functions = load_functions(model);
    for (const auto& name : functions->signature_names())
      fuzz::errors_are_answers([&] {
        const SignatureFunction& signature = functions->signature(name);
        NamedTensors inputs;
        for (const auto& [key, spec] : signature.inputs) {
          auto value = spec.dtype == DType::String ? std::nullopt : fuzz::small_input(spec.shape.value_or(Shape{}), spec.dtype);
          if (!value) return;
          inputs[key] = *value;
        }
        signature(inputs);
      });
  });
  return 0;
}
