// Adapters from the simple gradient signatures the kernel files use to GradientFn. Gradients are
// written with ksave::ops functions so that a traced or taped gradient can itself be
// differentiated.
#pragma once

#include "ksave/op.hpp"
#include "ksave/ops.hpp"

namespace ksave::detail {

// dL/dx of a one-input, one-output op: fn(x, y, dL/dy, attrs).
using UnaryGradient = Tensor (*)(const Tensor& x, const Tensor& y, const Tensor& g,
                                 const Attrs& attrs);
// {dL/da, dL/db} of an elementwise op before undoing broadcasting: fn(a, b, y, dL/dy, attrs).
using BinaryGradient = Tensors (*)(const Tensor& a, const Tensor& b, const Tensor& y,
                                   const Tensor& g, const Attrs& attrs);

inline GradientFn unary_gradient(UnaryGradient fn) {
  return [fn](const GradientContext& ctx) -> Tensors {
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor()};
    return {fn(ctx.inputs[0], ctx.outputs[0], g, ctx.attrs)};
  };
}

// Sums each input's gradient back to the input's shape (undoes broadcasting).
inline GradientFn binary_gradient(BinaryGradient fn) {
  return [fn](const GradientContext& ctx) -> Tensors {
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor(), Tensor()};
    Tensors grads = fn(ctx.inputs[0], ctx.inputs[1], ctx.outputs[0], g, ctx.attrs);
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (grads[i].defined()) grads[i] = ops::reduce_to_shape(grads[i], ctx.inputs[i].shape());
    return grads;
  };
}

}  // namespace ksave::detail
