// Keras 3's image preprocessing layers take images in a value_range ((0, 255) by default) and
// work in [0, 255]: BaseImagePreprocessingLayer._transform_value_range maps between the two.
#pragma once

#include <string>

#include "ksave/config.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins::preprocessing {

struct ValueRange {
  double low = 0.0, high = 255.0;
  bool operator==(const ValueRange&) const = default;
};

inline constexpr ValueRange kByteRange{0.0, 255.0};

// The layer's value_range as written (default (0, 255)); two different numbers, in the order
// given (`object` names the layer in errors).
ValueRange read_value_range(const ConfigReader& reader, const std::string& object);

// _transform_value_range in Keras's float32 order: to [0, 1] from `from`, then onto `to`; the
// images as they are when the ranges are equal.
Tensor in_range(const Tensor& x, ValueRange from, ValueRange to);

}  // namespace ksave::plugins::preprocessing
