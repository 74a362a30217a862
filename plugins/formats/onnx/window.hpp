// The window attributes of ONNX's Conv, ConvTranspose and pooling operators from a Keras layer's
// config, with TensorFlow's padding rules: SAME pads max((ceil(in/s) - 1)·s + (k - 1)·d + 1 - in, 0)
// in total, the odd unit at the end; causal pads (k - 1)·d at the start only.
#pragma once

#include <string>
#include <vector>

#include "graph_builder.hpp"
#include "ksave/json.hpp"
#include "ksave/shape.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins::onnx_export {

struct Window {
  std::vector<std::int64_t> kernel, strides, dilations;
  std::string padding;  // "valid", "same" or "causal"
};

// The window of a layer with `rank` spatial axes, from its config keys (`kernel_key` is
// "kernel_size" or "pool_size"; pooling strides default to the pool size).
Window read_window(const Json& config, std::size_t rank, const std::string& kernel_key);

// kernel_shape, strides, dilations and pads (or auto_pad where a spatial size is unknown) for
// inputs of spatial sizes `spatial` (kUnknown allowed). `with_dilations` is false for pooling.
Attributes window_attributes(const Window& window, const Shape& spatial, bool with_dilations);

// A Keras kernel (spatial..., a, b) as ONNX's (b, a, spatial...).
Tensor spatial_last(const Tensor& kernel);

// The spatial sizes of a Keras shape: axes 1..rank-2 (channels_last) or 2..rank-1 (channels_first).
Shape spatial_sizes(const Shape& keras_shape, bool channels_first);

}  // namespace ksave::plugins::onnx_export
