// Two- and three-input elementwise ops with NumPy broadcasting.
#include "elementwise.hpp"
#include "gradient_util.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

using namespace ksave::ops;

// f(y, a, b) assigns the result expression to y; a and b are Eigen array expressions.
template <typename F>
OpDef binary_op(const char* name, F f, GradientFn gradient) {
  Kernel kernel = [name, f](std::span<const Tensor> in, const Attrs&) -> Tensors {
    expect_inputs(name, in, 2);
    return one_output(broadcast_map<2>(in, name, f));
  };
  return OpDef{name, name, std::move(kernel), std::move(gradient)};
}

Tensors pow_gradient(const Tensor& a, const Tensor& b, const Tensor& y, const Tensor& g,
                     const Attrs&) {
  // d a^b / da = b a^(b-1); d a^b / db = a^b log(a), taken as 0 where a <= 0 (as TensorFlow
  // does) and computed on a safe stand-in there so no NaN leaks through the select.
  const Tensor da = mul(g, mul(b, pow(a, sub(b, constant(1.0)))));
  const Tensor a_positive = greater(a, constant(0.0));
  const Tensor safe_log = log(select(a_positive, a, ones_like(a.as_float())));
  const Tensor db = mul(g, mul(y, select(a_positive, safe_log, zeros_like(safe_log))));
  return {da, db};
}

}  // namespace

std::vector<OpDef> elementwise_binary_ops() {
  std::vector<OpDef> defs;
  defs.push_back(binary_op(
      "AddV2", [](ArrayMap& y, const auto& a, const auto& b) { y = a + b; },
      binary_gradient([](const Tensor&, const Tensor&, const Tensor&, const Tensor& g,
                         const Attrs&) -> Tensors {
        return {g, g};
      })));
  defs.push_back(binary_op(
      "Sub", [](ArrayMap& y, const auto& a, const auto& b) { y = a - b; },
      binary_gradient([](const Tensor&, const Tensor&, const Tensor&, const Tensor& g,
                         const Attrs&) -> Tensors {
        return {g, neg(g)};
      })));
  defs.push_back(binary_op(
      "Mul", [](ArrayMap& y, const auto& a, const auto& b) { y = a * b; },
      binary_gradient([](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& g,
                         const Attrs&) -> Tensors {
        return {mul(g, b), mul(g, a)};
      })));
  defs.push_back(binary_op(
      "RealDiv", [](ArrayMap& y, const auto& a, const auto& b) { y = a / b; },
      binary_gradient([](const Tensor&, const Tensor& b, const Tensor& y, const Tensor& g,
                         const Attrs&) -> Tensors {
        // d(a/b)/db = -a/b^2 = -y/b
        return {div(g, b), neg(div(mul(g, y), b))};
      })));
  defs.push_back(binary_op(
      "Maximum", [](ArrayMap& y, const auto& a, const auto& b) { y = a.max(b); },
      binary_gradient([](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& g,
                         const Attrs&) -> Tensors {
        // Ties send the gradient to `a`, as TensorFlow's a >= b mask does.
        const Tensor b_wins = greater(b, a);
        return {mul(g, sub(constant(1.0), b_wins)), mul(g, b_wins)};
      })));
  defs.push_back(binary_op(
      "Minimum", [](ArrayMap& y, const auto& a, const auto& b) { y = a.min(b); },
      binary_gradient([](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& g,
                         const Attrs&) -> Tensors {
        const Tensor b_wins = greater(a, b);
        return {mul(g, sub(constant(1.0), b_wins)), mul(g, b_wins)};
      })));
  defs.push_back(binary_op(
      "Pow", [](ArrayMap& y, const auto& a, const auto& b) { y = a.pow(b); },
      binary_gradient(pow_gradient)));
  defs.push_back(binary_op(
      "SquaredDifference", [](ArrayMap& y, const auto& a, const auto& b) { y = (a - b).square(); },
      binary_gradient([](const Tensor& a, const Tensor& b, const Tensor&, const Tensor& g,
                         const Attrs&) -> Tensors {
        const Tensor d = mul(g, mul(sub(a, b), 2.0));
        return {d, neg(d)};
      })));
  // Comparisons return float32 0/1 (TensorFlow returns bool) so their results feed arithmetic
  // directly, as masks do in the gradients above. Not differentiable.
  defs.push_back(binary_op(
      "Greater",
      [](ArrayMap& y, const auto& a, const auto& b) { y = (a > b).template cast<float>(); },
      nullptr));
  defs.push_back(binary_op(
      "Equal",
      [](ArrayMap& y, const auto& a, const auto& b) { y = (a == b).template cast<float>(); },
      nullptr));

  Kernel select_kernel = [](std::span<const Tensor> in, const Attrs&) -> Tensors {
    expect_inputs("SelectV2", in, 3);
    return one_output(broadcast_map<3>(
        in, "SelectV2", [](ArrayMap& y, const auto& cond, const auto& x, const auto& z) {
          y = (cond != 0.0f).select(x, z);
        }));
  };
  GradientFn select_gradient = [](const GradientContext& ctx) -> Tensors {
    const Tensor& g = ctx.output_grads[0];
    if (!g.defined()) return {Tensor(), Tensor(), Tensor()};
    const Tensor& cond = ctx.inputs[0];
    const Tensor zeros = zeros_like(g);
    return {Tensor(), reduce_to_shape(select(cond, g, zeros), ctx.inputs[1].shape()),
            reduce_to_shape(select(cond, zeros, g), ctx.inputs[2].shape())};
  };
  defs.push_back(
      OpDef{"SelectV2", "SelectV2", std::move(select_kernel), std::move(select_gradient)});
  return defs;
}

}  // namespace ksave::detail
