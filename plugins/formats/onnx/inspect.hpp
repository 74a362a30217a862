// `ksave inspect m.onnx`: an ONNX file's inputs, outputs, opset and operator counts.
#pragma once

#include <filesystem>

#include "ksave/json.hpp"

namespace ksave::plugins::onnx_export {

Json describe_onnx(const std::filesystem::path& path);

}  // namespace ksave::plugins::onnx_export
