// A functional or Sequential model as an ONNX model: the layer graph walked from the outputs
// back (nested models inlined, each call of a shared layer converted where it happens, shared
// weights written once), every layer converted by its class's converter.
#pragma once

#include "ksave/model.hpp"
#include "tensor_proto.hpp"

namespace ksave::plugins::onnx_export {

inline constexpr const char* kPluginVersion = "0.1.0";
inline constexpr int kMinOpset = 13, kMaxOpset = 17, kDefaultOpset = 13;

struct ExportOptions {
  int opset = kDefaultOpset;  // ai.onnx opset, kMinOpset..kMaxOpset
};

// The IR version that goes with an opset (ONNX's versioning table: opsets 13-14 came with IR 7,
// 15-17 with IR 8).
int ir_version_for(int opset);

// The model's layers that have no ONNX form, one line each ("'lambda' (Lambda): no ONNX mapping").
std::vector<std::string> export_problems(const Model& model);

// The ONNX model; throws one error listing every layer that cannot be exported.
proto::ModelProto export_model(const Model& model, const ExportOptions& options);

}  // namespace ksave::plugins::onnx_export
