// Regression and margin losses: tf.keras 2.x's formulas (keras/losses.py), each a mean over the
// last axis per sample, written with ops so they differentiate.
#include "regression.hpp"

#include <cmath>

namespace ksave::losses {
namespace {

Tensor eps() { return ops::constant(kEpsilon); }

// Hinge losses take labels in {-1, 1}; Keras converts {0, 1} labels to that form.
Tensor hinge_labels(const Tensor& y_true) {
  for (float v : y_true.values<float>())
    if (v != 0.f && v != 1.f) return y_true;
  return ops::add(ops::mul(y_true, 2.0), -1.0);
}

Tensor hinge_margin(const Tensor& y_true, const Tensor& y_pred) {
  return ops::relu(ops::add(ops::neg(ops::mul(hinge_labels(y_true), y_pred)), 1.0));
}

// x / ||x|| along the last axis, with Keras's l2_normalize floor of 1e-12 on the squared norm.
Tensor l2_normalize(const Tensor& x) {
  const Tensor squared = ops::sum(ops::square(x), {-1}, true);
  return ops::mul(x, ops::rsqrt(ops::maximum(squared, ops::constant(1e-12))));
}

}  // namespace

Tensor MeanSquaredError::compute(const Tensor& t, const Tensor& p) const {
  return mean_last(ops::squared_difference(p, t));
}

Tensor MeanAbsoluteError::compute(const Tensor& t, const Tensor& p) const {
  return mean_last(ops::abs(ops::sub(p, t)));
}

Tensor MeanAbsolutePercentageError::compute(const Tensor& t, const Tensor& p) const {
  const Tensor ratio = ops::div(ops::sub(t, p), ops::maximum(ops::abs(t), eps()));
  return ops::mul(mean_last(ops::abs(ratio)), 100.0);
}

Tensor MeanSquaredLogarithmicError::compute(const Tensor& t, const Tensor& p) const {
  const Tensor first = ops::log(ops::add(ops::maximum(p, eps()), 1.0));
  const Tensor second = ops::log(ops::add(ops::maximum(t, eps()), 1.0));
  return mean_last(ops::squared_difference(first, second));
}

Huber::Huber(const Json& c) : KerasLoss(c, "Huber", "huber_loss"), delta_(reader().get<double>("delta", 1.0)) {}

void Huber::add_config(Json& c) const { c["delta"] = delta_; }

Tensor Huber::compute(const Tensor& t, const Tensor& p) const {
  const Tensor error = ops::sub(p, t);
  const Tensor abs_error = ops::abs(error);
  const Tensor quadratic = ops::mul(ops::square(error), 0.5);
  const Tensor linear = ops::add(ops::mul(abs_error, delta_), -0.5 * delta_ * delta_);
  return mean_last(ops::select(ops::greater(abs_error, ops::constant(delta_)), linear, quadratic));
}

// log(cosh(x)) = x + softplus(-2x) - log 2, stable for large |x|.
Tensor LogCosh::compute(const Tensor& t, const Tensor& p) const {
  const Tensor x = ops::sub(p, t);
  return mean_last(ops::add(ops::add(x, ops::softplus(ops::mul(x, -2.0))), -std::log(2.0)));
}

Tensor KLDivergence::compute(const Tensor& t, const Tensor& p) const {
  const Tensor tc = ops::clip(t, kEpsilon, 1.0), pc = ops::clip(p, kEpsilon, 1.0);
  return sum_last(ops::mul(tc, ops::log(ops::div(tc, pc))));
}

Tensor Poisson::compute(const Tensor& t, const Tensor& p) const {
  return mean_last(ops::sub(p, ops::mul(t, ops::log(ops::add(p, kEpsilon)))));
}

Tensor Hinge::compute(const Tensor& t, const Tensor& p) const { return mean_last(hinge_margin(t, p)); }

Tensor SquaredHinge::compute(const Tensor& t, const Tensor& p) const {
  return mean_last(ops::square(hinge_margin(t, p)));
}

CosineSimilarity::CosineSimilarity(const Json& c)
    : KerasLoss(c, "CosineSimilarity", "cosine_similarity"), axis_(reader().get<std::int64_t>("axis", -1)) {}

void CosineSimilarity::add_config(Json& c) const { c["axis"] = axis_; }

Tensor CosineSimilarity::compute(const Tensor& t, const Tensor& p) const {
  Tensor a = t, b = p;
  const std::int64_t axis = axis_ < 0 ? axis_ + t.rank() : axis_;
  if (axis < 0 || axis >= t.rank())
    throw Error("loss cosine_similarity: axis " + std::to_string(axis_) + " is out of range for rank " +
                std::to_string(t.rank()));
  if (axis != t.rank() - 1) {  // move the axis last, where l2_normalize works
    std::vector<std::int64_t> perm;
    for (std::int64_t i = 0; i < t.rank(); ++i)
      if (i != axis) perm.push_back(i);
    perm.push_back(axis);
    a = ops::transpose(a, perm);
    b = ops::transpose(b, perm);
  }
  return ops::neg(sum_last(ops::mul(l2_normalize(a), l2_normalize(b))));
}

}  // namespace ksave::losses
