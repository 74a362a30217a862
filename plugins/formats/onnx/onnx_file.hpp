// ONNX files on disk: writing a model (atomically, with its large initializers in a side file
// when the model would pass protobuf's 2 GiB message limit, or when asked), reading one back,
// and recognizing one by its content.
#pragma once

#include <climits>
#include <cstdint>
#include <filesystem>

#include "tensor_proto.hpp"

namespace ksave::plugins::onnx_export {

// When initializers go to a side file: when the serialized model would reach `threshold` bytes
// (by default protobuf's limit for one message, 2 GiB), always, or never.
struct ExternalData {
  enum class When { Threshold, Always, Never } when = When::Threshold;
  std::uint64_t threshold = static_cast<std::uint64_t>(INT_MAX);
};

// Initializers of at least this many bytes go to the side file when external data is used.
inline constexpr std::size_t kExternalMinBytes = 1024;

// "<model file name>.data", beside the model: where external initializers are written.
std::filesystem::path external_data_path(const std::filesystem::path& model_path);

// Writes `model` to `path`; with external data, large initializers to external_data_path(path)
// (aligned to 4 KiB so that readers can map them), streamed out of the model so that their bytes
// are held once. The model file is replaced only once both are written, the side file just before.
void write_onnx(proto::ModelProto model, const std::filesystem::path& path, ExternalData external);

// Reads the model (initializers stored outside it stay external).
proto::ModelProto read_onnx(const std::filesystem::path& path);

// True when the file's top-level protobuf fields are those of an ONNX ModelProto with an IR
// version, a graph and an opset; reads only the field headers.
bool looks_like_onnx(const std::filesystem::path& path);

}  // namespace ksave::plugins::onnx_export
