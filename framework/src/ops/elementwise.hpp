// Elementwise kernels as Eigen array expressions. A kernel is written once as a generic lambda
// `f(y, x0, x1, ...)` that assigns an expression of its operands to `y`; the helpers here bind
// each operand to either a contiguous Map (stride 1) or a Constant (stride 0, a broadcast
// value) for every innermost run of the broadcast plan. Eigen then vectorises the whole run,
// transcendental functions included, with no per-element indirection.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "broadcast.hpp"
#include "kernel_util.hpp"

namespace ksave::detail {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// y = f(x) over a float32 copy/view of x.
template <typename F>
Tensor unary_map(const Tensor& input, F&& f) {
  Tensor converted;
  const Tensor& x = float_view(input, converted);
  Tensor y = make_float_output(x.shape());
  ArrayMap out(y.data<float>(), y.size());
  f(out, ConstArrayMap(x.data<float>(), x.size()));
  return y;
}

namespace elementwise_internal {

// Appends operand I to `bound` (as a Map or a Constant) and recurses; calls f once all are bound.
template <std::size_t I, std::size_t N, typename F, typename... Bound>
void bind(const std::array<const float*, N>& ptrs, const Offsets& strides, std::int64_t n,
          ArrayMap& out, F& f, const Bound&... bound) {
  if constexpr (I == N) {
    f(out, bound...);
  } else if (strides[I] == 1) {
    bind<I + 1>(ptrs, strides, n, out, f, bound..., ConstArrayMap(ptrs[I], n));
  } else {
    bind<I + 1>(ptrs, strides, n, out, f, bound..., Eigen::ArrayXf::Constant(n, *ptrs[I]));
  }
}

}  // namespace elementwise_internal

// y = f(x0, x1, ...) with NumPy broadcasting; inputs of any numeric dtype, float32 result.
template <std::size_t N, typename F>
Tensor broadcast_map(std::span<const Tensor> inputs, std::string_view op, F&& f) {
  static_assert(N <= kMaxBroadcastInputs);
  std::array<Tensor, N> converted;
  std::array<const Tensor*, N> xs;
  bool same_shape = true;
  for (std::size_t i = 0; i < N; ++i) {
    xs[i] = &float_view(inputs[i], converted[i]);
    same_shape = same_shape && xs[i]->shape() == xs[0]->shape();
  }
  std::array<const float*, N> base;
  for (std::size_t i = 0; i < N; ++i) base[i] = xs[i]->template data<float>();

  // Equal shapes (the common case) skip planning: one run over everything.
  if (same_shape) {
    Tensor y = make_float_output(xs[0]->shape());
    ArrayMap out(y.data<float>(), y.size());
    Offsets ones;
    ones.fill(1);
    elementwise_internal::bind<0>(base, ones, y.size(), out, f);
    return y;
  }

  std::array<const Shape*, N> shapes;
  for (std::size_t i = 0; i < N; ++i) shapes[i] = &xs[i]->shape();
  const BroadcastPlan plan = plan_broadcast(shapes, op);
  Tensor y = make_float_output(plan.out_shape);
  float* out_base = y.data<float>();
  for_each_run(plan, [&](std::int64_t out_offset, const Offsets& offsets, std::int64_t count,
                         const Offsets& strides) {
    std::array<const float*, N> ptrs;
    for (std::size_t i = 0; i < N; ++i) ptrs[i] = base[i] + offsets[i];
    ArrayMap out(out_base + out_offset, count);
    elementwise_internal::bind<0>(ptrs, strides, count, out, f);
  });
  return y;
}

// The gradient g * [pass(x)] (elementwise, on x's float values), in one pass over g and x, for
// the piecewise-linear activations (Relu, ClipByValue): the same products the composed ops give
// (mul of g by a 0/1 mask), or nullopt where it must be composed of ops instead: something
// records the gradient's own calls (a gradient of a gradient), or g and x differ in shape or type.
template <typename Pass>
std::optional<Tensor> masked_gradient(const Tensor& x, const Tensor& g, Pass&& pass) {
  if (ops_recorded() || x.dtype() != DType::Float32 || g.dtype() != DType::Float32 || x.shape() != g.shape())
    return std::nullopt;
  Tensor dx = make_float_output(x.shape());
  float* __restrict out = dx.data<float>();
  const float* __restrict xs = x.data<float>();
  const float* __restrict gs = g.data<float>();
  // Branch-free, so the compiler vectorizes it (a data-dependent branch per element mispredicts
  // on activations whose signs are mixed).
  for (std::int64_t i = 0, n = x.size(); i < n; ++i) out[i] = gs[i] * static_cast<float>(pass(xs[i]));
  return dx;
}

}  // namespace ksave::detail
