// Whole Keras 3 `.keras` archives: reading (config.json → model, model.weights.h5 → weights,
// compile_config and the optimizer's variables → a compiled model that resumes training),
// writing Keras 3's layout atomically, and describing an archive for `ksave inspect`.
#pragma once

#include <filesystem>

#include "ksave/format.hpp"

namespace ksave::plugins::keras_zip {

ModelPtr read_model_archive(const std::filesystem::path& path, const LoadOptions& options);
// Keras 3's model.load_weights of a .keras file: the archive's variables into `model`, matched
// by structure (layer names and attribute paths), not by order.
LoadStatus read_archive_weights(Model& model, const std::filesystem::path& path, const LoadOptions& options);
void write_model_archive(const Model& model, const std::filesystem::path& path, const SaveOptions& options);
Json describe_archive(const std::filesystem::path& path);

}  // namespace ksave::plugins::keras_zip
