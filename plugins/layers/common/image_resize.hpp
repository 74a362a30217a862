// Image resizing as TensorFlow's ResizeBilinear, ResizeNearestNeighbor and ResizeBicubic kernels
// compute it (header only), for NHWC images: used by the Resizing / CenterCrop layers
// (tf.image.resize: half-pixel centers) and by the SavedModel graph importer, which runs those
// ops with any align_corners / half_pixel_centers a graph holds. Each axis is resized with
// gathers and weighted sums, so gradients and SavedModel traces come from the ops used, and in
// TensorFlow's float32 order: bilinear blends along the width first, then the height (its
// compute_lerp); bicubic along the height first, then the width (its ComputeYInterpolation).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ksave/ops.hpp"

namespace ksave::plugins::image_resize {

// How output positions map to input positions (the ops' attributes). tf.image.resize in
// TensorFlow 2 uses half-pixel centers; align_corners is TF 1's compat.v1 rule.
struct Centers {
  bool align_corners = false;
  bool half_pixel_centers = true;
};

// The tf.image.resize methods these kernels compute (Keras's antialias, area and lanczos ones
// are TensorFlow's ScaleAndTranslate and ResizeArea, which they do not).
inline bool computes(const std::string& interpolation) {
  return interpolation == "bilinear" || interpolation == "nearest" || interpolation == "bicubic";
}
inline constexpr const char* kMethods = "bilinear, nearest, bicubic";

// TensorFlow's CalculateResizeScale, in float32 as its kernels.
inline float resize_scale(Dim in, Dim out, bool align_corners) {
  return align_corners && out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                  : static_cast<float>(in) / static_cast<float>(out);
}

namespace detail {

inline Tensor index_tensor(const std::vector<std::int64_t>& values) {
  return Tensor::from_vector(values, {static_cast<Dim>(values.size())});
}

// Per-output weights shaped to broadcast along `axis` of a rank-`rank` tensor.
inline Tensor axis_weights(const std::vector<float>& weights, int rank, int axis) {
  Shape shape(static_cast<std::size_t>(rank - axis), 1);
  shape[0] = static_cast<Dim>(weights.size());
  return Tensor::from_vector(weights, shape);
}

// TensorFlow's bicubic coefficient table (kTableSize 1024 entries of Keys' kernel, computed in
// double from float positions and stored as float): [i][0] is the weight at distance i/1024,
// [i][1] at distance 1 + i/1024.
inline const std::vector<std::array<float, 2>>& cubic_table(bool keys) {
  static const auto make = [](double a) {
    std::vector<std::array<float, 2>> table(1025);
    for (int i = 0; i <= 1024; ++i) {
      float x = static_cast<float>(i * 1.0 / 1024);
      table[static_cast<std::size_t>(i)][0] = static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
      x += 1.0f;
      table[static_cast<std::size_t>(i)][1] = static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
    }
    return table;
  };
  static const auto keys_table = make(-0.5), legacy_table = make(-0.75);
  return keys ? keys_table : legacy_table;
}

}  // namespace detail

// One axis (1: height, 2: width of NHWC) resized to `out` positions by the nearest input
// (TensorFlow's ResizeNearestNeighbor: floor, or round with align_corners). Any dtype.
inline Tensor nearest_axis(const Tensor& x, int axis, Dim out, Centers centers) {
  const Dim in = x.dim(axis);
  const float scale = resize_scale(in, out, centers.align_corners);
  std::vector<std::int64_t> picked;
  for (Dim i = 0; i < out; ++i) {
    const float position = centers.half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale : static_cast<float>(i) * scale;
    const float source = centers.align_corners ? std::round(position) : std::floor(position);
    picked.push_back(std::clamp<std::int64_t>(static_cast<std::int64_t>(source), 0, in - 1));
  }
  return ops::gather(x, detail::index_tensor(picked), axis);
}

// One axis of a float tensor resized by linear interpolation (TensorFlow's ResizeBilinear): the
// source position between its floor and ceil, both clamped into the input.
inline Tensor bilinear_axis(const Tensor& x, int axis, Dim out, Centers centers) {
  const Dim in = x.dim(axis);
  const float scale = resize_scale(in, out, centers.align_corners);
  std::vector<std::int64_t> lower, upper;
  std::vector<float> weight;
  for (Dim i = 0; i < out; ++i) {
    const float position = centers.half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale - 0.5f : static_cast<float>(i) * scale;
    const float floor = std::floor(position);
    lower.push_back(std::max<std::int64_t>(static_cast<std::int64_t>(floor), 0));
    upper.push_back(std::min<std::int64_t>(static_cast<std::int64_t>(std::ceil(position)), in - 1));
    weight.push_back(position - floor);
  }
  const Tensor a = ops::gather(x, detail::index_tensor(lower), axis), b = ops::gather(x, detail::index_tensor(upper), axis);
  return ops::add(a, ops::mul(ops::sub(b, a), detail::axis_weights(weight, x.rank(), axis)));
}

// One axis of a float tensor resized by cubic convolution (TensorFlow's ResizeBicubic): with
// half-pixel centers Keys' kernel (a = -0.5) whose taps outside the input get no weight (the
// rest renormalized); without, the legacy a = -0.75 with the edge taps repeated.
inline Tensor bicubic_axis(const Tensor& x, int axis, Dim out, Centers centers) {
  const Dim in = x.dim(axis);
  const float scale = resize_scale(in, out, centers.align_corners);
  const bool keys = centers.half_pixel_centers;
  const auto& table = detail::cubic_table(keys);
  std::array<std::vector<std::int64_t>, 4> index;
  std::array<std::vector<float>, 4> weight;
  for (Dim i = 0; i < out; ++i) {
    const float position = keys ? (static_cast<float>(i) + 0.5f) * scale - 0.5f : static_cast<float>(i) * scale;
    const auto start = static_cast<std::int64_t>(std::floor(position));
    const auto offset = static_cast<std::size_t>(std::lrint((position - static_cast<float>(start)) * 1024));
    const std::array<float, 4> w = {table[offset][1], table[offset][0], table[1024 - offset][0], table[1024 - offset][1]};
    std::array<float, 4> tap{};
    float sum = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const std::int64_t wanted = start - 1 + static_cast<std::int64_t>(k);
      const std::int64_t bounded = std::clamp<std::int64_t>(wanted, 0, in - 1);
      index[k].push_back(bounded);
      tap[k] = !keys || bounded == wanted ? w[k] : 0.0f;
      sum += tap[k];
    }
    const bool renormalize = keys && std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min();
    for (std::size_t k = 0; k < 4; ++k) weight[k].push_back(renormalize ? tap[k] * (1.0f / sum) : tap[k]);
  }
  Tensor total;
  for (std::size_t k = 0; k < 4; ++k) {
    const Tensor term = ops::mul(detail::axis_weights(weight[k], x.rank(), axis), ops::gather(x, detail::index_tensor(index[k]), axis));
    total = k == 0 ? term : ops::add(total, term);
  }
  return total;
}

// NHWC images resized to height x width ("bilinear", "nearest" or "bicubic"); bilinear and
// bicubic return float32, as TensorFlow's kernels. An axis already at its size is kept, which
// each kernel's weights give exactly.
inline Tensor resize(const Tensor& images, Dim height, Dim width, const std::string& interpolation, Centers centers = {}) {
  const auto along = [&](const Tensor& x, int axis, Dim out) {
    if (x.dim(axis) == out) return x;
    if (interpolation == "nearest") return nearest_axis(x, axis, out, centers);
    if (interpolation == "bicubic") return bicubic_axis(x, axis, out, centers);
    return bilinear_axis(x, axis, out, centers);
  };
  if (interpolation == "nearest") return along(along(images, 1, height), 2, width);
  const Tensor x = images.as_float();
  if (interpolation == "bicubic") return along(along(x, 1, height), 2, width);
  return along(along(x, 2, width), 1, height);
}

}  // namespace ksave::plugins::image_resize
