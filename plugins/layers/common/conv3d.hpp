// 3-D convolutions and pooling composed of 2-D ones (header only; ksave has no Conv3D op), used by
// the layer plugins and by the SavedModel graph importer for TensorFlow's 3-D ops: the kernel's
// depth taps are applied one at a time, each a Conv2D (or, transposed, a Conv2DBackpropInput)
// with the depths folded into the batch, and their results summed. Rows and columns keep the 2-D
// op's own padding, strides, dilation and groups; the depth axis is padded, strided and cropped
// here with TensorFlow's SAME rule, so the sum is Conv3D's (Conv3DBackpropInputV2's) result.
// Gradients come from the ops used (Pad, GatherV2, Reshape, Slice, Conv2D, Conv2DBackpropInput),
// and so does a SavedModel trace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "spatial_config.hpp"

namespace ksave::plugins::spatial {

// The padding TensorFlow's SAME puts before an axis of `in` cells giving `out` outputs (the
// smaller half of the total the window needs); VALID pads nothing.
inline std::int64_t padding_before(const std::string& padding, Dim in, Dim out, std::int64_t k, std::int64_t stride,
                                   std::int64_t dilation) {
  if (padding != "same") return 0;
  const std::int64_t needed = (out - 1) * stride + (k - 1) * dilation + 1 - in;
  return std::max<std::int64_t>(needed, 0) / 2;
}

struct Window3D {
  std::string padding = "valid";  // Keras's names: valid or same
  std::vector<std::int64_t> strides{1, 1, 1}, dilation{1, 1, 1};
};

// x: (N, D, H, W, C) channels_last; kernel: (kd, kh, kw, C / groups, F).
inline Tensor conv3d(const Tensor& x, const Tensor& kernel, const Window3D& w) {
  const Dim n = x.dim(0), depth = x.dim(1);
  const std::int64_t taps = kernel.dim(0), stride = w.strides[0], dilation = w.dilation[0];
  const Dim out_depth = output_length(depth, taps, w.padding, stride, dilation);
  const std::int64_t before = padding_before(w.padding, depth, out_depth, taps, stride, dilation);
  const std::int64_t after = std::max<std::int64_t>((out_depth - 1) * stride + (taps - 1) * dilation + 1 - depth - before, 0);
  const Tensor padded = before + after > 0 ? ops::pad(x, {{0, 0}, {before, after}, {0, 0}, {0, 0}, {0, 0}}) : x;
  const ops::Window2D planes_window = window(w.padding, w.strides[1], w.strides[2], w.dilation[1], w.dilation[2]);
  Tensor sum;
  for (std::int64_t tap = 0; tap < taps; ++tap) {
    // The padded depths tap `tap` meets: one per output depth.
    std::vector<std::int32_t> depths;
    for (Dim d = 0; d < out_depth; ++d) depths.push_back(static_cast<std::int32_t>(tap * dilation + d * stride));
    const Tensor slab = ops::gather(padded, Tensor::from_vector<std::int32_t>(depths, {out_depth}), 1);
    const Tensor planes = ops::reshape(slab, {n * out_depth, x.dim(2), x.dim(3), x.dim(4)});
    const Tensor tap_kernel = ops::squeeze(
        ops::slice(kernel, {tap, 0, 0, 0, 0}, {1, kernel.dim(1), kernel.dim(2), kernel.dim(3), kernel.dim(4)}), {0});
    const Tensor y = ops::conv2d(planes, tap_kernel, planes_window);
    sum = sum.defined() ? ops::add(sum, y) : y;
  }
  return ops::reshape(sum, {n, out_depth, sum.dim(1), sum.dim(2), sum.dim(3)});
}

// The transposed convolution (the adjoint of conv3d) of x: (N, D, H, W, C) channels_last with
// kernel (kd, kh, kw, F, C), giving `out` = (N, D', H', W', F) as Keras's deconv sizes say.
// Input depth d reaches output depth d·stride + tap·dilation − before, `before` being what the
// forward convolution of D' depths pads first.
inline Tensor conv3d_transpose(const Tensor& x, const Tensor& kernel, const Shape& out, const Window3D& w) {
  const Dim n = x.dim(0), depth = x.dim(1), out_depth = out[1], cells = out[2] * out[3] * out[4];
  const std::int64_t taps = kernel.dim(0), stride = w.strides[0], dilation = w.dilation[0];
  const std::int64_t before = padding_before(w.padding, out_depth, depth, taps, stride, dilation);
  // The uncropped result's length: every depth any tap reaches, and the output window.
  const Dim span = std::max<Dim>((depth - 1) * stride + (taps - 1) * dilation + 1, before + out_depth);
  const Tensor planes = ops::reshape(x, {n * depth, x.dim(2), x.dim(3), x.dim(4)});
  const ops::Window2D planes_window = window(w.padding, w.strides[1], w.strides[2], w.dilation[1], w.dilation[2]);
  Tensor sum;
  for (std::int64_t tap = 0; tap < taps; ++tap) {
    const Tensor tap_kernel = ops::squeeze(
        ops::slice(kernel, {tap, 0, 0, 0, 0}, {1, kernel.dim(1), kernel.dim(2), kernel.dim(3), kernel.dim(4)}), {0});
    const Tensor y = ops::conv2d_backprop_input({n * depth, out[2], out[3], out[4]}, tap_kernel, planes, planes_window);
    // Depth d at d·stride: stride - 1 zero rows after each, then shifted by tap·dilation.
    Tensor spread = ops::reshape(y, {n, depth, 1, cells});
    if (stride > 1) spread = ops::pad(spread, {{0, 0}, {0, 0}, {0, stride - 1}, {0, 0}});
    spread = ops::reshape(spread, {n, depth * stride, cells});
    const std::int64_t shift = tap * dilation, kept = std::min<Dim>(depth * stride, span - shift);
    spread = ops::pad(ops::slice(spread, {0, 0, 0}, {n, kept, cells}), {{0, 0}, {shift, span - shift - kept}, {0, 0}});
    sum = sum.defined() ? ops::add(sum, spread) : spread;
  }
  return ops::reshape(ops::slice(sum, {0, before, 0}, {n, out_depth, cells}), out);
}

// MaxPool3D / AvgPool3D of x (N, D, H, W, C) channels_last. A 3-D window is separable: the max
// (or mean) over each depth slice's (H, W) window, then over depth with rows and columns folded
// into one axis. TensorFlow's SAME average counts only the cells inside the input, and that count
// is the same (H, W) count at every depth, so the mean of the slices' means is AvgPool3D's mean.
inline Tensor pool3d(const Tensor& x, const std::vector<std::int64_t>& pool, const std::vector<std::int64_t>& strides,
                     const std::string& padding, bool max) {
  const auto apply = [max](const Tensor& t, std::int64_t h, std::int64_t w, const ops::Window2D& win) {
    return max ? ops::max_pool(t, h, w, win) : ops::avg_pool(t, h, w, win);
  };
  const Dim n = x.dim(0), depth = x.dim(1), channels = x.dim(4);
  const Tensor planes = apply(ops::reshape(x, {n * depth, x.dim(2), x.dim(3), channels}), pool[1], pool[2],
                              window(padding, strides[1], strides[2]));
  const Dim h = planes.dim(1), w = planes.dim(2);
  const Tensor pooled = apply(ops::reshape(planes, {n, depth, h * w, channels}), pool[0], 1, window(padding, strides[0], 1));
  return ops::reshape(pooled, {n, pooled.dim(1), h, w, channels});
}

}  // namespace ksave::plugins::spatial
