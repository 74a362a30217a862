// Convolution kernels stored by older Keras versions, rearranged into today's layout (tf.keras's
// preprocess_weights_for_loading), for the convolution layers' convert_stored_weights (header
// only: each plugin compiles it in).
//  - Keras 1 (keras_version "1..."; the h5 format says "1" for a file without one): the kernel in an axis order of
//    its own for some settings (channels_first, transposed convolutions), given by the layer.
//  - any version: a rank-4 kernel in Theano's (out, in, h, w) order is transposed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ksave/layer.hpp"
#include "ksave/ops.hpp"

namespace ksave::plugins::legacy {

inline bool is_keras1(const std::string& keras_version) {
  return keras_version == "1" || keras_version.rfind("1.", 0) == 0;
}

inline Shape permuted(const Shape& shape, const std::vector<std::int64_t>& permutation) {
  Shape out;
  for (auto axis : permutation) out.push_back(shape.at(static_cast<std::size_t>(axis)));
  return out;
}

inline const std::vector<std::int64_t> kTheanoKernelPermutation{3, 2, 0, 1};

// True when `stored` is the layer's `kernel` shape in Theano's order (and not already today's).
inline bool theano_kernel(const Shape& stored, const Shape& kernel) {
  return stored.size() == 4 && stored != kernel && permuted(stored, kTheanoKernelPermutation) == kernel;
}

// The shape of the layer's kernel (its first weight; empty before it is built).
inline Shape kernel_shape_of(const Layer& layer) {
  const auto weights = layer.weights();
  return weights.empty() ? Shape{} : weights[0]->shape();
}

// The kernel (stored[0]) of a convolution whose Keras 1 axis order differs from today's by
// `keras1_permutation` (empty: the same order), or whose kernel Theano stored.
inline bool kernel_needs_conversion(const Layer& layer, const std::vector<Shape>& stored,
                                    const std::string& keras_version,
                                    const std::vector<std::int64_t>& keras1_permutation) {
  if (stored.empty()) return false;
  return (is_keras1(keras_version) && !keras1_permutation.empty()) || theano_kernel(stored[0], kernel_shape_of(layer));
}

inline std::vector<Tensor> convert_kernel(const Layer& layer, std::vector<Tensor> stored, const std::string& keras_version,
                                          const std::vector<std::int64_t>& keras1_permutation) {
  if (stored.empty()) return stored;
  const Shape kernel = kernel_shape_of(layer);
  if (is_keras1(keras_version) && !keras1_permutation.empty() &&
      stored[0].rank() == static_cast<int>(keras1_permutation.size()))
    stored[0] = ops::transpose(stored[0], keras1_permutation);
  if (theano_kernel(stored[0].shape(), kernel)) stored[0] = ops::transpose(stored[0], kTheanoKernelPermutation);
  return stored;
}

}  // namespace ksave::plugins::legacy
