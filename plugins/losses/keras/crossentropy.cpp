// Crossentropies as keras.backend computes them (tf.keras 2.x):
//  - binary, probabilities: clip p to [eps, 1-eps], -(y log(p + eps) + (1-y) log(1-p + eps));
//    logits: max(x, 0) - x y + log(1 + exp(-|x|)) (sigmoid_cross_entropy_with_logits);
//  - categorical, probabilities: p / sum(p), clip, -sum(y log p); logits: -sum(y log_softmax(x));
//  - sparse, probabilities: clip, log, then the logits form (softmax renormalises).
// Labels are smoothed first: y (1 - s) + s / 2 (binary), y (1 - s) + s / classes (categorical).
#include "crossentropy.hpp"

#include <cmath>

namespace ksave::losses {

CrossentropyLoss::CrossentropyLoss(const Json& c, std::string class_name, const std::string& default_name,
                                   bool smoothing)
    : KerasLoss(c, std::move(class_name), default_name),
      from_logits_(reader().get<bool>("from_logits", false)),
      axis_(reader().get<std::int64_t>("axis", -1)),
      has_smoothing_(smoothing) {
  if (smoothing) label_smoothing_ = reader().get<double>("label_smoothing", 0.0);
  if (label_smoothing_ < 0 || label_smoothing_ > 1)
    throw Error("loss " + this->class_name() + ": label_smoothing must be in [0, 1], found " +
                std::to_string(label_smoothing_));
  if (axis_ != -1)
    throw Error("loss " + this->class_name() + ": only axis=-1 is supported, found " + std::to_string(axis_));
}

void CrossentropyLoss::add_config(Json& c) const {
  c["from_logits"] = from_logits_;
  if (has_smoothing_) c["label_smoothing"] = label_smoothing_;
  c["axis"] = axis_;
}

Tensor BinaryCrossentropy::compute(const Tensor& t_in, const Tensor& p) const {
  Tensor t = t_in;
  if (label_smoothing_ > 0) t = ops::add(ops::mul(t, 1.0 - label_smoothing_), 0.5 * label_smoothing_);
  if (from_logits_) {
    const Tensor x = p;
    const Tensor softplus_neg_abs = ops::log1p(ops::exp(ops::neg(ops::abs(x))));
    return mean_last(ops::add(ops::sub(ops::relu(x), ops::mul(x, t)), softplus_neg_abs));
  }
  const Tensor pc = ops::clip(p, kEpsilon, 1.0 - kEpsilon);
  const Tensor positive = ops::mul(t, ops::log(ops::add(pc, kEpsilon)));
  const Tensor one_minus_t = ops::add(ops::neg(t), 1.0);
  const Tensor negative = ops::mul(one_minus_t, ops::log(ops::add(ops::add(ops::neg(pc), 1.0), kEpsilon)));
  return ops::neg(mean_last(ops::add(positive, negative)));
}

Tensor CategoricalCrossentropy::compute(const Tensor& t_in, const Tensor& p) const {
  Tensor t = t_in;
  if (label_smoothing_ > 0) {
    const double classes = static_cast<double>(p.dim(-1));
    t = ops::add(ops::mul(t, 1.0 - label_smoothing_), label_smoothing_ / classes);
  }
  if (from_logits_) return ops::neg(sum_last(ops::mul(t, ops::log_softmax(p, -1))));
  const Tensor normalized = ops::div(p, ops::sum(p, {-1}, true));
  const Tensor pc = ops::clip(normalized, kEpsilon, 1.0 - kEpsilon);
  return ops::neg(sum_last(ops::mul(t, ops::log(pc))));
}

Tensor SparseCategoricalCrossentropy::compute(const Tensor& labels_in, const Tensor& p) const {
  if (p.rank() < 1) throw Error("loss sparse_categorical_crossentropy: y_pred must have a class axis");
  Tensor labels = labels_in;
  // Labels [N] or [N, 1] for predictions [N, C] (Keras flattens them).
  if (labels.rank() == p.rank() && labels.dim(-1) == 1) labels = labels.reshape(Shape(p.shape().begin(), p.shape().end() - 1));
  Shape expected(p.shape().begin(), p.shape().end() - 1);
  if (labels.shape() != expected)
    throw Error("loss sparse_categorical_crossentropy: labels of shape " + shape_to_string(labels_in.shape()) +
                " do not fit predictions of shape " + shape_to_string(p.shape()) + " (expected " +
                shape_to_string(expected) + " or that with a last axis of 1)");
  // TensorFlow's message for labels outside [0, classes) (SparseSoftmaxCrossEntropyWithLogits);
  // float labels are floored as Keras's cast to int64 does for non-negative values.
  const std::int64_t classes = p.dim(-1);
  const Tensor as_double = labels.cast(DType::Float64);
  const double* values = as_double.data<double>();
  for (std::int64_t i = 0; i < as_double.size(); ++i) {
    const double v = values[i];
    if (!(v >= 0 && v < static_cast<double>(classes)))
      throw Error("loss sparse_categorical_crossentropy: received a label value of " +
                  (std::isnan(v) ? std::string("nan") : std::to_string(static_cast<long long>(std::floor(v)))) +
                  " (at flat index " + std::to_string(i) + ") which is outside the valid range of [0, " +
                  std::to_string(classes) + ")");
  }
  const Tensor one_hot = ops::one_hot(ops::floor(labels.as_float()), classes);
  const Tensor logits = from_logits_ ? p : ops::log(ops::clip(p, kEpsilon, 1.0 - kEpsilon));
  return ops::neg(sum_last(ops::mul(one_hot, ops::log_softmax(logits, -1))));
}

}  // namespace ksave::losses
