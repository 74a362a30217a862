// One-input elementwise ops: forward kernels as Eigen array expressions, gradients in ops.
#include <cmath>
#include <numbers>
#include <unsupported/Eigen/SpecialFunctions>  // Array::erf

#include "elementwise.hpp"
#include "gradient_util.hpp"
#include "op_groups.hpp"

namespace ksave::detail {

namespace {

using namespace ksave::ops;

// SELU's fixed constants (Klambauer et al.), as Keras defines them.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// f(y, x, attrs) assigns the result expression to the output map y.
template <typename F>
OpDef unary_op(const char* name, F f, GradientFn gradient) {
  Kernel kernel = [name, f](std::span<const Tensor> in, const Attrs& attrs) -> Tensors {
    expect_inputs(name, in, 1);
    return one_output(unary_map(in[0], [&](ArrayMap& y, const auto& x) { f(y, x, attrs); }));
  };
  return OpDef{name, name, std::move(kernel), std::move(gradient)};
}

// Ops whose gradient is zero almost everywhere (Sign, Floor), as TensorFlow defines it.
Tensor zero_gradient(const Tensor& x, const Tensor&, const Tensor&, const Attrs&) {
  return zeros_like(x.as_float());
}

Tensor positive(const Tensor& x) { return greater(x, constant(0.0)); }

double leaky_alpha(const Attrs& attrs) { return attr<double>(attrs, "alpha", "LeakyRelu"); }

}  // namespace

std::vector<OpDef> elementwise_unary_ops() {
  std::vector<OpDef> defs;
  defs.push_back(unary_op(
      "Neg", [](ArrayMap& y, const auto& x, const Attrs&) { y = -x; },
      unary_gradient(
          [](const Tensor&, const Tensor&, const Tensor& g, const Attrs&) { return neg(g); })));
  defs.push_back(unary_op(
      "Abs", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.abs(); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        return mul(g, sign(x));
      })));
  defs.push_back(unary_op(
      "Exp", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.exp(); },
      unary_gradient([](const Tensor&, const Tensor& y, const Tensor& g, const Attrs&) {
        return mul(g, y);
      })));
  defs.push_back(unary_op(
      "Log", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.log(); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        return div(g, x);
      })));
  defs.push_back(unary_op(
      "Log1p", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.log1p(); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        return div(g, add(x, 1.0));
      })));
  defs.push_back(unary_op(
      "Sqrt", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.sqrt(); },
      unary_gradient([](const Tensor&, const Tensor& y, const Tensor& g, const Attrs&) {
        return div(mul(g, 0.5), y);  // d sqrt(x) = 1 / (2 sqrt(x))
      })));
  defs.push_back(unary_op(
      "Rsqrt", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.rsqrt(); },
      unary_gradient([](const Tensor&, const Tensor& y, const Tensor& g, const Attrs&) {
        return mul(g, mul(mul(square(y), y), -0.5));  // d x^-1/2 = -x^-3/2 / 2 = -y^3 / 2
      })));
  defs.push_back(unary_op(
      "Square", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.square(); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        return mul(g, mul(x, 2.0));
      })));
  defs.push_back(unary_op(
      "Sign", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.sign(); },
      unary_gradient(zero_gradient)));
  defs.push_back(unary_op(
      "Floor", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.floor(); },
      unary_gradient(zero_gradient)));
  // Keras 3's adaptive pooling traces its window bounds with Ceil (a SavedModel export runs it).
  defs.push_back(unary_op(
      "Ceil", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.ceil(); },
      unary_gradient(zero_gradient)));
  defs.push_back(unary_op(
      "Tanh", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.tanh(); },
      unary_gradient([](const Tensor&, const Tensor& y, const Tensor& g, const Attrs&) {
        return mul(g, sub(constant(1.0), square(y)));
      })));
  defs.push_back(unary_op(
      "Sigmoid", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.logistic(); },
      unary_gradient([](const Tensor&, const Tensor& y, const Tensor& g, const Attrs&) {
        return mul(g, mul(y, sub(constant(1.0), y)));
      })));
  defs.push_back(unary_op(
      "Relu", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.max(0.0f); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        if (auto direct = masked_gradient(x, g, [](float v) { return v > 0.0f; })) return *direct;
        return mul(g, positive(x));
      })));
  defs.push_back(unary_op(
      "Elu",
      // expm1 keeps precision for small negative x, where exp(x) - 1 cancels.
      [](ArrayMap& y, const auto& x, const Attrs&) { y = (x > 0.0f).select(x, x.expm1()); },
      unary_gradient([](const Tensor& x, const Tensor& y, const Tensor& g, const Attrs&) {
        return select(positive(x), g, mul(g, add(y, 1.0)));  // x <= 0: d = exp(x) = y + 1
      })));
  defs.push_back(unary_op(
      "Selu",
      [](ArrayMap& y, const auto& x, const Attrs&) {
        y = static_cast<float>(kSeluScale) *
            (x > 0.0f).select(x, static_cast<float>(kSeluAlpha) * x.expm1());
      },
      unary_gradient([](const Tensor& x, const Tensor& y, const Tensor& g, const Attrs&) {
        // x <= 0: d = scale * alpha * exp(x) = y + scale * alpha
        return select(positive(x), mul(g, kSeluScale), mul(g, add(y, kSeluScale * kSeluAlpha)));
      })));
  defs.push_back(unary_op(
      "Softplus",
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows, exact for large |x|.
      [](ArrayMap& y, const auto& x, const Attrs&) { y = x.max(0.0f) + (-x.abs()).exp().log1p(); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        return mul(g, sigmoid(x));
      })));
  defs.push_back(unary_op(
      "Softsign", [](ArrayMap& y, const auto& x, const Attrs&) { y = x / (x.abs() + 1.0f); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        return div(g, square(add(abs(x), 1.0)));
      })));
  defs.push_back(unary_op(
      "Erf", [](ArrayMap& y, const auto& x, const Attrs&) { y = x.erf(); },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs&) {
        const double two_over_sqrt_pi = 2.0 * std::numbers::inv_sqrtpi;
        return mul(g, mul(exp(neg(square(x))), two_over_sqrt_pi));
      })));
  defs.push_back(unary_op(
      "LeakyRelu",
      [](ArrayMap& y, const auto& x, const Attrs& attrs) {
        const float alpha = static_cast<float>(leaky_alpha(attrs));
        y = (x > 0.0f).select(x, x * alpha);
      },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs& attrs) {
        return select(positive(x), g, mul(g, leaky_alpha(attrs)));
      })));
  defs.push_back(unary_op(
      "ClipByValue",
      [](ArrayMap& y, const auto& x, const Attrs& attrs) {
        const double lo = attr<double>(attrs, "clip_value_min", "ClipByValue");
        const double hi = attr<double>(attrs, "clip_value_max", "ClipByValue");
        if (lo > hi)
          throw Error("ClipByValue: clip_value_min " + std::to_string(lo) +
                      " is greater than clip_value_max " + std::to_string(hi));
        y = x.max(static_cast<float>(lo)).min(static_cast<float>(hi));
      },
      unary_gradient([](const Tensor& x, const Tensor&, const Tensor& g, const Attrs& attrs) {
        // The gradient passes where lo <= x <= hi: mask = 1 - [x > hi] - [lo > x].
        const double lo_value = attr<double>(attrs, "clip_value_min", "ClipByValue");
        const double hi_value = attr<double>(attrs, "clip_value_max", "ClipByValue");
        const auto within = [lo = static_cast<float>(lo_value), hi = static_cast<float>(hi_value)](float v) {
          return !(v > hi) && !(lo > v);
        };
        if (auto direct = masked_gradient(x, g, within)) return *direct;
        const Tensor lo = constant(lo_value);
        const Tensor hi = constant(hi_value);
        return mul(g, sub(sub(constant(1.0), greater(x, hi)), greater(lo, x)));
      })));
  return defs;
}

}  // namespace ksave::detail
