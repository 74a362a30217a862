// tf.saved_model.load for ksave: a SavedModel folder's signatures as callables. TF2 SavedModels
// (with an object graph) run each signature's concrete function with its captured variables;
// TF1 SavedModels run their GraphDef from the signature's input tensors to its output tensors,
// with variables restored from variables/ by name and asset tensors rebound to assets/.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ksave/loaded_functions.hpp"
#include "ksave/variable.hpp"

namespace ksave::plugins::savedmodel {

LoadedFunctionsPtr load_saved_model_functions(const std::filesystem::path& directory);

// The variables a signature's function captures, in capture order (tf.saved_model.load's
// concrete_function.variables), read from variables/ on the first call (of this or of the
// signature). They are the function's own: assigning one changes what later calls compute.
using CapturedVariables = std::function<std::vector<VariablePtr>()>;

// The signatures with their captured variables, for Keras 3's TFSMLayer, whose weights they are.
// This stays out of the public SignatureFunction (a change there is a new SDK header fingerprint,
// which every plugin must be rebuilt for); the layer plugin links this loader in itself.
struct SavedModelFunctions {
  LoadedFunctionsPtr functions;
  // By signature name; TF2 signatures that run only (TF1 graphs bind their variables by name).
  std::map<std::string, CapturedVariables> captured_variables;
};
SavedModelFunctions load_saved_model_with_variables(const std::filesystem::path& directory);

}  // namespace ksave::plugins::savedmodel
