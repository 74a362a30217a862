// A SavedModel folder: the input holds saved_model.pb and keras_metadata.pb (split_two; an empty
// second part means no keras_metadata.pb); the object graph, the metadata and the functions are
// read by load_model, inspect and load_functions. $KSAVE_FUZZ_VARIABLES may name a variables/
// folder copied in once (a fixture's), so that inputs made from that fixture get further.
#include <cstdlib>

#include "fuzz_support.hpp"
#include "ksave/saving.hpp"

namespace {

std::filesystem::path folder() {
  static const std::filesystem::path f = [] {
    namespace fs = std::filesystem;
    const fs::path model = ksave::fuzz::scratch() / "saved_model";
    fs::create_directories(model / "variables");
    if (const char* variables = std::getenv("KSAVE_FUZZ_VARIABLES"))
      fs::copy(variables, model / "variables", fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    return model;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ksave;
  namespace fs = std::filesystem;
  const auto [pb, metadata] = fuzz::split_two(fuzz::as_text(data, size));
  const fs::path model = folder();
  fuzz::write_input(pb, "saved_model/saved_model.pb");
  if (metadata.empty()) fs::remove(model / "keras_metadata.pb");
  else fuzz::write_input(metadata, "saved_model/keras_metadata.pb");
  fuzz::read_like_the_command(model);
  fuzz::errors_are_answers([&] { load_functions(model)->signature_names(); });
  return 0;
}
