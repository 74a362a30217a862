// Small models the ONNX suite exports, and how it reads what was written (through the format's
// own `inspect`, as `ksave inspect` does).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ksave/ksave.hpp"
#include "support/error_checks.hpp"

namespace ksave::test::onnx {

// The suite's files check errors with these.
using ksave::test::error_of;
using ksave::test::mentions;

// Input (4,) → Dense(5, relu) → Dense(3, softmax), input "features".
ModelPtr mlp();
// A Sequential model of `layers` (configs of registered classes) on an input of `shape`.
ModelPtr stack(const Shape& shape, const std::vector<std::pair<std::string, Json>>& layers, DType dtype = DType::Float32);

// Saves `model` as ONNX at `path` with these format options.
void save_onnx(const Model& model, const std::filesystem::path& path, const Json& options = Json::object());
Json describe(const std::filesystem::path& path);
// How many nodes of `op` the file has (subgraphs included); 0 when none.
int operator_count(const Json& description, const std::string& op);

}  // namespace ksave::test::onnx
