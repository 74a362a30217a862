// Layouts: how an ONNX tensor's axes relate to the Keras tensor it holds. Keras works channels-
// last; ONNX's Conv, pooling and recurrent ops want channels-first or time-major tensors. Rather
// than transposing around every such op, a value remembers the permutation it is held in, and a
// transpose is written only where a consumer needs another one (so a chain of convolutions keeps
// channels-first from its first to its last layer).
//
// A permutation `perm` means: onnx_tensor = transpose(keras_tensor, perm), i.e. ONNX axis j holds
// Keras axis perm[j]. An empty permutation is the identity (the Keras layout).
#pragma once

#include <cstdint>
#include <vector>

#include "ksave/shape.hpp"

namespace ksave::plugins::onnx_export {

using Perm = std::vector<std::int64_t>;

Perm identity_perm(std::size_t rank);
// `perm`, with an empty one spelled out for `rank` axes.
Perm spelled_out(const Perm& perm, std::size_t rank);
bool is_identity(const Perm& perm);
Perm inverse(const Perm& perm);
// The permutation that takes a tensor held in `from` to one held in `to` (both relative to the
// same Keras tensor of `rank` axes): transpose(held_in_from, result) is held in `to`.
Perm relative(const Perm& from, const Perm& to, std::size_t rank);
// The ONNX axis that holds Keras axis `keras_axis` (negative counts from the end).
std::int64_t onnx_axis(const Perm& perm, std::int64_t keras_axis, std::size_t rank);
// Keras channels-last (N, spatial..., C) held channels-first (N, C, spatial...).
Perm channels_first_perm(std::size_t rank);
// Keras channels-first (N, C, spatial...) held channels-last.
Perm channels_last_perm(std::size_t rank);
// The layout left when Keras axes `removed` are reduced away (the other axes keep their order).
Perm without_axes(const Perm& perm, const std::vector<std::int64_t>& removed, std::size_t rank);
// A Keras shape as the ONNX tensor holding it in `perm` has it.
Shape permuted_shape(const Shape& keras_shape, const Perm& perm);

}  // namespace ksave::plugins::onnx_export
