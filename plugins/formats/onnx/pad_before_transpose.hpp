// A graph rewrite after the export: Pad then Transpose becomes Transpose then Pad where the
// transposed result goes to a convolution or pooling. Keras pads images channels-last
// (ZeroPadding2D before Conv2D), the converters keep that layout until the window layer asks for
// channels-first; with the Transpose moved first, Pad and Conv are adjacent and ONNX Runtime folds
// the Pad into the Conv's own padding, as it does for tf2onnx's graphs of the same models.
#pragma once

#include "graph_builder.hpp"

namespace ksave::plugins::onnx_export {

// Rewrites `graph` (built by `builder`, whose constants it may add); returns how many Pads moved.
std::size_t move_pads_after_transposes(proto::GraphProto& graph, GraphBuilder& builder);

}  // namespace ksave::plugins::onnx_export
