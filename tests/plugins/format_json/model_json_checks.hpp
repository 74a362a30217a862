// Checks shared by the json format tests: which layer classes a model JSON names, and the rule
// every model JSON must follow: it loads when its layer classes are available, and otherwise
// fails with one error that names each missing class.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "ksave/json.hpp"
#include "ksave/model.hpp"

namespace ksave::test {

// The layer and model class names of a model JSON in any generation's form (Keras 1 lists,
// tfjs wrappers, nested models, wrapped layers), read independently of the library's scanner.
std::set<std::string> layer_classes(const Json& model_json);
// Those of `classes` that no loaded plugin registers.
std::set<std::string> unregistered_layers(const std::set<std::string>& classes);

// Loads `path` with ksave::load_model. Returns the model, or null after checking that the
// error names every unregistered layer class and mentions the file. Records test failures.
ModelPtr load_or_check_missing(const std::filesystem::path& path);

// The JSON in a file (throws on a bad file; test data only).
Json read_json_file(const std::filesystem::path& path);

}  // namespace ksave::test
