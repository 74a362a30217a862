// EinsumDense's equation read as Keras's _analyze_einsum_string reads it: the two-operand forms
// "ab,bc->ac", "abc,cde->abde", ... (letters only), "...b,bc->...c" (the ellipsis leading the input
// and the output) and "ab...,bc->ac..." (ending both). The output_shape of the config gives the
// output's axes after the batch axis ("...": every output letter), None where an input axis of
// the same letter gives it. From the input shape: the kernel's shape (one axis per letter of the
// kernel, from the input's or the output's axis of that letter), the bias's (the output's axes
// from the first of bias_axes on, 1 where an axis is not one of them) and the whole output's.
#pragma once

#include <optional>
#include <string>

#include "../common/einsum.hpp"
#include "ksave/json.hpp"
#include "ksave/tensor.hpp"

namespace ksave::plugins::attention {

struct EinsumDenseShapes {
  einsum::Labels labels;       // the ellipsis replaced by letters of its own, one per elided axis
  Shape kernel, output;        // output: the batch axis first
  std::optional<Shape> bias;   // none without bias_axes
};

// `partial_output`: the config's output_shape (kUnknown for None); `bias_axes`: empty for none.
// `object` names the layer for errors.
EinsumDenseShapes analyze_einsum_dense(const std::string& equation, const std::string& bias_axes,
                                       const Shape& partial_output, const Shape& input, const std::string& object);

}  // namespace ksave::plugins::attention
