// ONNX files on disk: writing a model (atomically, with its large initializers in a side file
// when the model would pass protobuf's 2 GiB message limit, or when asked), reading one back,
// and recognizing one by its content.
#pragma once

#include <filesystem>

#include "tensor_proto.hpp"

namespace ksave::plugins::onnx_export {

enum class ExternalData { Auto, Always, Never };

// Initializers of at least this many bytes go to the side file when external data is used.
inline constexpr std::size_t kExternalMinBytes = 1024;

// "<model file name>.data", beside the model: where external initializers are written.
std::filesystem::path external_data_path(const std::filesystem::path& model_path);

// Writes `model` to `path`; with external data, large initializers to external_data_path(path)
// (aligned to 4 KiB so that readers can map them). The model file is replaced only once both are
// written.
void write_onnx(proto::ModelProto model, const std::filesystem::path& path, ExternalData external);

// Reads the model (initializers stored outside it stay external).
proto::ModelProto read_onnx(const std::filesystem::path& path);

// True when the file's top-level protobuf fields are those of an ONNX ModelProto with an IR
// version, a graph and an opset; reads only the field headers.
bool looks_like_onnx(const std::filesystem::path& path);

}  // namespace ksave::plugins::onnx_export
