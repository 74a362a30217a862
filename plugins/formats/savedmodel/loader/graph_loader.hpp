// tf.saved_model.load for ksave: a SavedModel folder's signatures as callables. TF2 SavedModels
// (with an object graph) run each signature's concrete function with its captured variables;
// TF1 SavedModels run their GraphDef from the signature's input tensors to its output tensors,
// with variables restored from variables/ by name and asset tensors rebound to assets/.
#pragma once

#include <filesystem>

#include "ksave/loaded_functions.hpp"

namespace ksave::plugins::savedmodel {

LoadedFunctionsPtr load_saved_model_functions(const std::filesystem::path& directory);

}  // namespace ksave::plugins::savedmodel
