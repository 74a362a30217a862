// Helpers shared by the HDF5 format suites: reading a file's model_config, listing a file's
// layout (groups, datasets, attributes with their types) for comparisons, comparing outputs.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave::test::h5 {

// The root model_config attribute, parsed (throws when absent).
Json read_model_config(const std::filesystem::path& path);

// Every object and attribute of the file: "/model_weights/dense" → "group",
// "/model_weights/dense/dense/kernel:0" → "dataset float32 [8, 4]",
// "/model_weights@layer_names" → "attribute string 1-D" (string attributes also record
// "vlen"/"fixed" and the charset in `detailed` mode).
std::map<std::string, std::string> file_layout(const std::filesystem::path& path, bool detailed = false);

// True when `message` names every class that unknown_classes(config) reports (and there is one).
bool names_every_missing_class(const std::string& message, const Json& config);

// |a - b| <= atol + rtol * |b| everywhere, with the largest difference for messages.
bool outputs_match(const Tensor& ours, const Tensor& expected, double rtol, double atol, std::string& detail);

}  // namespace ksave::test::h5
