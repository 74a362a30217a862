// A channels-last convolution of spatial rank 1, 2 or 3 through ksave's ops (header only): Conv2D
// for rank 2, Conv2D on an inserted height axis of 1 for rank 1, conv3d.hpp's sum of Conv2Ds over
// the depth taps for rank 3. Gradients and SavedModel traces come from the ops used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conv3d.hpp"

namespace ksave::plugins::spatial {

struct WindowND {
  std::string padding = "valid";  // Keras's names: valid or same
  std::vector<std::int64_t> strides, dilation;  // one per spatial axis
};

// x: (N, spatial..., C); kernel: (k..., C, F); the rank is the kernel's minus 2.
inline Tensor conv_nd(const Tensor& x, const Tensor& kernel, const WindowND& w) {
  const std::size_t rank = static_cast<std::size_t>(kernel.rank()) - 2;
  if (rank == 3) return conv3d(x, kernel, {w.padding, w.strides, w.dilation});
  if (rank == 2)
    return ops::conv2d(x, kernel, window(w.padding, w.strides[0], w.strides[1], w.dilation[0], w.dilation[1]));
  const Tensor y = ops::conv2d(ops::expand_dims(x, 1), ops::expand_dims(kernel, 0),
                               window(w.padding, 1, w.strides[0], 1, w.dilation[0]));
  return ops::squeeze(y, {1});
}

}  // namespace ksave::plugins::spatial
