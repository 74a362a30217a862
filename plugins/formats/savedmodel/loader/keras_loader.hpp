// tf.keras.models.load_model on a SavedModel folder, the config way: the model is rebuilt from
// the root's Keras metadata, its variables restored from variables/ through the stored object
// graph, and compiled from its training_config.
#pragma once

#include <filesystem>

#include "ksave/format.hpp"

namespace ksave::plugins::savedmodel {

ModelPtr load_keras_saved_model(const std::filesystem::path& directory, const LoadOptions& options);

}  // namespace ksave::plugins::savedmodel
