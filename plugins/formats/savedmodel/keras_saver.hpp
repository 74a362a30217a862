// tf.keras's model.save(path) in the SavedModel format, without traced functions: saved_model.pb
// (a MetaGraphDef tagged "serve" with the SavedObjectGraph of the model's trackable graph and a
// serving_default signature), keras_metadata.pb, variables/ (the same bundle and keys as a TF
// checkpoint of the model), assets/ and fingerprint.pb, written atomically as one folder.
#pragma once

#include <filesystem>

#include "ksave/format.hpp"

namespace ksave::plugins::savedmodel {

void save_keras_saved_model(const Model& model, const std::filesystem::path& path, const SaveOptions& options);

}  // namespace ksave::plugins::savedmodel
