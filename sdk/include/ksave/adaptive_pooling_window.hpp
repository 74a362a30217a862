// The window of one output position of Keras 3's adaptive pooling along one axis, shared by the
// layers (plugins/layers/pooling) and their ONNX export so both cut the same windows: output i of
// `out` pools [floor(i * in / out), ceil((i + 1) * in / out)) of the axis's `in` positions
// (PyTorch's adaptive pooling), with the bounds computed in float32 as Keras's TensorFlow backend
// computes them (in double, a few lengths would round to other windows).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ksave {

struct AdaptiveWindow {
  std::int64_t start;
  std::int64_t end;  // one past the last position
};

inline AdaptiveWindow adaptive_pooling_window(std::int64_t i, std::int64_t in, std::int64_t out) {
  const float in_f = static_cast<float>(in), out_f = static_cast<float>(out);
  const auto start = static_cast<std::int64_t>(std::floor(static_cast<float>(i) * in_f / out_f));
  const auto end = std::min(in, static_cast<std::int64_t>(std::ceil(static_cast<float>(i + 1) * in_f / out_f)));
  return {start, end};
}

}  // namespace ksave
