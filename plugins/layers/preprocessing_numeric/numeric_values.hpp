// Config values that are a number or a (nested) list of numbers, as Rescaling's scale/offset and
// Normalization's mean/variance are: flattened to float32 values for the layer's tensors, the
// original JSON kept for get_config.
#pragma once

#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins {

// Every number of `value` in order; an Error naming `what` when anything else is found.
std::vector<float> flatten_numbers(const Json& value, const std::string& what);

// `values` as a float32 tensor of `shape`: one value fills the whole shape (Keras multiplies a
// scalar by ones), otherwise the count must be the shape's.
Tensor numbers_to_shape(const std::vector<float>& values, const Shape& shape, const std::string& what);

}  // namespace ksave::plugins
