// Whole Keras HDF5 files: reading (model_config → model, model_weights, training_config,
// optimizer_weights), writing tf.keras 2.x's layout, and describing a file for `ksave inspect`.
#pragma once

#include <filesystem>

#include "ksave/format.hpp"

namespace ksave::plugins::h5 {

ModelPtr read_model_file(const std::filesystem::path& path, const LoadOptions& options);
void write_model_file(const Model& model, const std::filesystem::path& path, const SaveOptions& options);

// save_weights / load_weights (also from a whole-model file's model_weights).
void write_weights_file(const Model& model, const std::filesystem::path& path);
LoadStatus read_weights_file(Model& model, const std::filesystem::path& path, const LoadOptions& options);

Json describe_file(const std::filesystem::path& path);

}  // namespace ksave::plugins::h5
