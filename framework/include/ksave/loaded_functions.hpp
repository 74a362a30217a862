// A saved graph loaded as callables, like tf.saved_model.load: each signature of a SavedModel
// becomes a function from named tensors to named tensors, executed by ksave's ops. Formats that
// hold graphs (the SavedModel plugin) produce it through Format::load_functions.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ksave/tensor.hpp"

namespace ksave {

using NamedTensors = std::map<std::string, Tensor>;

// A signature input or output as SignatureDef's TensorInfo describes it.
struct TensorSpec {
  std::string tensor_name;    // the graph tensor ("x:0", "serving_default_x:0")
  DType dtype = DType::Float32;
  std::optional<Shape> shape; // nullopt: unknown rank; kUnknown dims are free
};

struct SignatureFunction {
  std::string name;         // "serving_default"
  std::string method_name;  // "tensorflow/serving/predict"
  std::map<std::string, TensorSpec> inputs, outputs;  // by key, sorted as TensorFlow lists them
  NamedTensors defaults;    // SignatureDef.defaults: values of inputs the caller may leave out
  // Computes every output from a complete set of inputs (already checked against the specs).
  std::function<NamedTensors(const NamedTensors& inputs)> run;

  // Checks the inputs (unknown or missing keys, dtypes, shapes), fills defaults, runs, and
  // checks that every declared output came back.
  NamedTensors operator()(const NamedTensors& inputs) const;
};

class LoadedFunctions {
 public:
  explicit LoadedFunctions(std::map<std::string, SignatureFunction> signatures) : signatures_(std::move(signatures)) {}
  const std::map<std::string, SignatureFunction>& signatures() const { return signatures_; }
  std::vector<std::string> signature_names() const;
  // Throws listing the available names when `name` is not one of them.
  const SignatureFunction& signature(const std::string& name) const;

 private:
  std::map<std::string, SignatureFunction> signatures_;
};

using LoadedFunctionsPtr = std::shared_ptr<const LoadedFunctions>;

// The graph of the file or folder at `path` (format chosen by content), like
// tf.saved_model.load. Throws when no format that holds graphs recognizes it.
LoadedFunctionsPtr load_functions(const std::filesystem::path& path);

}  // namespace ksave
