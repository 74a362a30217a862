// Central-difference gradient checks, header-only so any test executable can use them.
//
// A check picks fixed random weights w of the output's shape, takes L = sum(f(x) * w) and compares
// the analytic dL/dx (from the code under test, given dL/dy = w) with
// (L(x + eps e_j) - L(x - eps e_j)) / 2 eps, element by element. L is accumulated in double,
// which keeps float32 round-off far below the tolerance for eps around 1e-2..1e-3.
//
// Include <boost/test/unit_test.hpp> (after defining BOOST_TEST_MODULE in the one file that
// does) before this header.
#pragma once

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ksave/op.hpp"
#include "ksave/tensor.hpp"

namespace ksave::test {

// y = f(inputs): the function whose gradient is checked.
using TensorFunction = std::function<Tensor(const std::vector<Tensor>& inputs)>;
// Analytic dL/d(inputs) given the inputs, y and dL/dy. An undefined entry is an error, unless the
// input is listed in GradientCheckOptions::without_gradient (an op's integer indices, ...): a
// weight cut off from the tape must not pass unnoticed.
using AnalyticGradient = std::function<std::vector<Tensor>(
    const std::vector<Tensor>& inputs, const Tensor& output, const Tensor& output_grad)>;

// Element j of input i passes when |analytic - numeric| <= atol + scale_tol * size_i +
// rtol * max(|analytic_j|, |numeric_j|), where size_i is the largest |numeric| of input i: the
// absolute slack follows the gradient's own size, so a small gradient computed as zero fails.
// atol is only the floor of float32 finite-difference noise.
struct GradientCheckOptions {
  double eps = 1e-2;         // finite-difference step
  double rtol = 2e-2;
  double scale_tol = 1e-2;   // times the largest |numeric| gradient of the input
  double atol = 2e-4;
  unsigned seed = 1234;      // for the output weights
  std::vector<std::size_t> without_gradient = {};  // inputs that have no gradient by design
};

namespace gradient_check_detail {

inline double weighted_sum(const Tensor& y, const std::vector<double>& w) {
  const Tensor f = y.cast(DType::Float64);
  const double* p = f.data<double>();
  double total = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) total += p[i] * w[i];
  return total;
}

}  // namespace gradient_check_detail

// Numeric dL/dx for input `which` (a float32 tensor), with L = sum(f(x) * w).
inline Tensor numeric_gradient(const TensorFunction& f, const std::vector<Tensor>& inputs,
                               std::size_t which, const std::vector<double>& w, double eps) {
  std::vector<Tensor> probe = inputs;
  Tensor x = inputs[which].as_float().clone();
  probe[which] = x;
  Tensor grad(DType::Float32, x.shape());
  // Each edit takes the pointer anew: a write through Tensor::data<T>() is what tells kept
  // derived values (reordered filters, folded weights) that the values changed.
  const auto set = [&x](std::int64_t j, float value) { x.data<float>()[j] = value; };
  for (std::int64_t j = 0; j < x.size(); ++j) {
    const float saved = std::as_const(x).data<float>()[j];
    set(j, saved + static_cast<float>(eps));
    const double up = gradient_check_detail::weighted_sum(f(probe), w);
    set(j, saved - static_cast<float>(eps));
    const double down = gradient_check_detail::weighted_sum(f(probe), w);
    set(j, saved);
    // Divide by the step actually taken in float32, not the nominal eps.
    const double step = static_cast<double>(saved + static_cast<float>(eps)) -
                        static_cast<double>(saved - static_cast<float>(eps));
    grad.data<float>()[j] = static_cast<float>((up - down) / step);
  }
  return grad;
}

// Checks every defined analytic gradient against central differences. Failures are reported
// through Boost.Test with `label`, the input index and the worst element; returns true if all
// match.
inline bool check_gradients(const std::string& label, const TensorFunction& f,
                            const std::vector<Tensor>& inputs, const AnalyticGradient& analytic,
                            const GradientCheckOptions& options = {}) {
  const Tensor y = f(inputs);
  std::mt19937 rng(options.seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> wf(static_cast<std::size_t>(y.size()));
  for (float& v : wf) v = dist(rng);
  const Tensor w = Tensor::from_vector<float>(wf, y.shape());
  const std::vector<double> wd(wf.begin(), wf.end());

  const std::vector<Tensor> grads = analytic(inputs, y, w);
  BOOST_CHECK_MESSAGE(grads.size() == inputs.size(), label << ": " << grads.size()
                                                           << " gradients for " << inputs.size()
                                                           << " inputs");
  if (grads.size() != inputs.size()) return false;
  bool all_ok = true;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const bool expected_none = std::find(options.without_gradient.begin(), options.without_gradient.end(), i) !=
                               options.without_gradient.end();
    if (!grads[i].defined() || expected_none) {
      if (grads[i].defined() != expected_none) continue;
      BOOST_CHECK_MESSAGE(false, label << ": input " << i << " " << shape_to_string(inputs[i].shape())
                                       << (expected_none ? " has a gradient, expected none"
                                                         : " has no gradient (cut off from the tape?)"));
      all_ok = false;
      continue;
    }
    if (grads[i].shape() != inputs[i].shape()) {
      BOOST_CHECK_MESSAGE(false, label << ": gradient " << i << " has shape "
                                       << shape_to_string(grads[i].shape()) << ", input has "
                                       << shape_to_string(inputs[i].shape()));
      all_ok = false;
      continue;
    }
    ++checked;
    const Tensor numeric = numeric_gradient(f, inputs, i, wd, options.eps);
    const Tensor a = grads[i].cast(DType::Float64);
    const Tensor n = numeric.cast(DType::Float64);
    double size = 0.0;  // the largest |numeric|; a NaN makes it NaN, and every element then fails
    for (std::int64_t j = 0; j < n.size(); ++j) {
      const double v = std::fabs(n.data<double>()[j]);
      if (!(v <= size)) size = v;
    }
    double worst = 0.0;  // excess over the tolerance
    std::int64_t worst_at = -1;
    for (std::int64_t j = 0; j < a.size(); ++j) {
      const double av = a.data<double>()[j], nv = n.data<double>()[j];
      const double allowed = options.atol + options.scale_tol * size + options.rtol * std::max(std::fabs(av), std::fabs(nv));
      const double difference = std::fabs(av - nv);
      const double excess = std::isfinite(difference) && std::isfinite(allowed) ? difference - allowed : 1e300;
      if (excess > worst) {
        worst = excess;
        worst_at = j;
      }
    }
    if (worst_at >= 0) {
      std::ostringstream msg;
      msg << label << ": gradient of input " << i << " " << shape_to_string(inputs[i].shape())
          << " differs at flat index " << worst_at << ": analytic " << a.data<double>()[worst_at]
          << ", numeric " << n.data<double>()[worst_at] << " (largest |numeric| " << size << ")";
      BOOST_CHECK_MESSAGE(false, msg.str());
      all_ok = false;
    }
  }
  BOOST_CHECK_MESSAGE(checked > 0, label << ": no input had a gradient to check");
  return all_ok && checked > 0;
}

// f for a registered op: its first output.
inline TensorFunction op_function(const std::string& op, const Attrs& attrs = {}) {
  return [op, attrs](const std::vector<Tensor>& inputs) { return run_op(op, inputs, attrs)[0]; };
}

// The registered op's GradientFn, called directly (no tape).
inline AnalyticGradient op_gradient(const std::string& op, const Attrs& attrs = {}) {
  return [op, attrs](const std::vector<Tensor>& inputs, const Tensor& y, const Tensor& dy) {
    const OpDef& def = find_op(op);
    if (!def.gradient) throw Error("op " + op + " has no gradient");
    const Tensor outputs[] = {y};
    const Tensor output_grads[] = {dy};
    return def.gradient(GradientContext{inputs, outputs, output_grads, attrs}).to_vector();
  };
}

// check_gradients for one registered op.
inline bool check_op_gradient(const std::string& op, const std::vector<Tensor>& inputs,
                              const Attrs& attrs = {}, const GradientCheckOptions& options = {}) {
  return check_gradients(op, op_function(op, attrs), inputs, op_gradient(op, attrs), options);
}

}  // namespace ksave::test
