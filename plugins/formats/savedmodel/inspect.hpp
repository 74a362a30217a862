// What `ksave inspect` shows of a SavedModel: its signatures like `saved_model_cli show --all`
// (inputs and outputs with dtypes and shapes), an object-graph summary, and the Keras metadata.
#pragma once

#include <filesystem>

#include "ksave/json.hpp"
#include "ksave_tf_saved_model.pb.h"

namespace ksave::plugins::savedmodel {

// {"name" (the graph tensor), "dtype", "shape" (-1 = unknown; null = unknown rank)}.
Json describe_tensor_info(const tfproto::TensorInfo& info);
// {"method_name", "inputs": {key: tensor}, "outputs": {key: tensor}} with keys sorted.
Json describe_signature(const tfproto::SignatureDef& signature);

Json describe_saved_model(const std::filesystem::path& directory);

}  // namespace ksave::plugins::savedmodel
