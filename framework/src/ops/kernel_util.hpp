// Small helpers every kernel file uses: argument checks with messages that name the op, attribute
// access, axis normalisation, output allocation and index conversion. Kept here so that each
// kernel reads as its arithmetic and nothing else.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksave/attrs.hpp"
#include "ksave/op.hpp"
#include "ksave/tensor.hpp"

namespace ksave::detail {

// Throws "<op>: expected N inputs, got M".
void expect_inputs(std::string_view op, std::span<const Tensor> inputs, std::size_t count);
// Throws "<op>: expected at least N inputs, got M".
void expect_min_inputs(std::string_view op, std::span<const Tensor> inputs, std::size_t count);

// Attribute access whose errors name the op ("Sum: attribute 'axis' is missing").
template <typename T>
const T& attr(const Attrs& attrs, const char* name, std::string_view op) {
  const AttrValue* v = attrs.find(name);
  if (!v) throw Error(std::string(op) + ": attribute '" + name + "' is missing");
  if (const T* typed = std::get_if<T>(v)) return *typed;
  throw Error(std::string(op) + ": attribute '" + name + "' has an unexpected type");
}
template <typename T>
T attr_or(const Attrs& attrs, const char* name, T fallback, std::string_view op) {
  return attrs.has(name) ? attr<T>(attrs, name, op) : fallback;
}

// Maps a possibly negative axis into [0, rank); throws naming the op, the axis and the shape.
int normalize_axis(std::int64_t axis, int rank, const Shape& shape, std::string_view op);
// Normalises a list of axes, rejecting duplicates. Empty input means "all axes".
std::vector<int> normalize_axes(const std::vector<std::int64_t>& axes, const Shape& shape,
                                std::string_view op);

// A kernel's single result. Moves the tensor in: `return {t};` would copy it out of the
// initializer list, and a Tensor copy allocates its shape.
inline Tensors one_output(Tensor t) {
  Tensors out;
  out.reserve(1);
  out.push_back(std::move(t));
  return out;
}

// `t` itself when it already is float32 (no copy), else a float32 conversion kept in `converted`.
inline const Tensor& float_view(const Tensor& t, Tensor& converted) {
  if (t.dtype() == DType::Float32) return t;
  converted = t.cast(DType::Float32);
  return converted;
}

// A float32 op output whose every element the caller will write (Tensor::for_overwrite: no zero
// fill, which is measurable on the per-call path of small models).
inline Tensor make_float_output(Shape shape) { return Tensor::for_overwrite(DType::Float32, std::move(shape)); }

// A tensor with every element `value`. Float32 is filled directly; Tensor::filled goes through a
// float64 copy, too slow for the zeros that gradients and PadV2 create on every call.
Tensor filled(DType dtype, Shape shape, double value);

// Row-major element strides of `shape`.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);
// Product of shape[begin, end).
std::int64_t product(const Shape& shape, int begin, int end);

// Integer ids of an index tensor (any integer dtype, or float ids truncated toward zero as
// Keras's Embedding casts them). Non-finite float ids throw naming the op.
std::vector<std::int64_t> index_values(const Tensor& indices, std::string_view op);
// The same into `out` (cleared first; a buffer kept by the caller keeps its capacity).
void index_values(const Tensor& indices, std::string_view op, std::vector<std::int64_t>& out);

// `x` viewed with `shape` (one -1 resolved), as the Reshape op computes it (shape_ops.cpp);
// errors name `op`.
Tensor reshaped(const Tensor& x, std::span<const std::int64_t> shape, const char* op);

// "(2, 3)" — shorthand for error messages.
std::string shape_str(const Tensor& t);
// "(4, -1)": an attribute's integer list as written (shape_to_string would print -1 as None).
std::string ints_str(const std::vector<std::int64_t>& values);

}  // namespace ksave::detail
