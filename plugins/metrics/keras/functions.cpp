// Keras's metric functions (keras/metrics/metrics.py and the loss functions reused as metrics).
// They return per-sample values; MeanMetric averages them. Metrics never need gradients, so the
// comparisons that have no op (top-k) are plain loops.
#include <algorithm>
#include <map>

#include "ksave/ops.hpp"
#include "ksave/registry.hpp"
#include "mean_metric.hpp"

namespace ksave::metrics {
namespace {

// Keras's squeeze_or_expand_dimensions: labels [N] with predictions [N, 1] and the reverse.
Tensor match_rank(const Tensor& y_true, const Tensor& y_pred) {
  Tensor t = y_true.as_float();
  if (t.rank() == y_pred.rank() - 1 && y_pred.dim(-1) == 1) t = ops::expand_dims(t, -1);
  else if (t.rank() == y_pred.rank() + 1 && t.dim(-1) == 1) t = ops::squeeze(t, {-1});
  return t;
}

// Sparse labels as a tensor of the prediction's shape without its class axis.
Tensor sparse_labels(const Tensor& y_true, const Tensor& y_pred, const char* metric) {
  Tensor t = y_true.as_float();
  if (t.rank() == y_pred.rank() && t.dim(-1) == 1) t = ops::squeeze(t, {-1});
  if (t.rank() != y_pred.rank() - 1)
    throw Error(std::string("metric ") + metric + ": labels of shape " + shape_to_string(y_true.shape()) +
                " do not fit predictions of shape " + shape_to_string(y_pred.shape()));
  return t;
}

Tensor argmax_float(const Tensor& x) { return ops::argmax(x, -1).cast(DType::Float32); }

Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  const Tensor p = y_pred.as_float();
  const Tensor predicted = ops::greater(p, ops::constant(threshold));
  return ops::mean(ops::equal(match_rank(y_true, p), predicted), {-1});
}

Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  return ops::equal(argmax_float(y_true.as_float()), argmax_float(y_pred.as_float()));
}

Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  const Tensor p = y_pred.as_float();
  return ops::equal(ops::floor(sparse_labels(y_true, p, "sparse_categorical_accuracy")), argmax_float(p));
}

// tf.math.in_top_k: the target class is in the top k when fewer than k classes score higher.
Tensor in_top_k(const Tensor& predictions, const std::vector<std::int64_t>& targets, std::int64_t k) {
  const Tensor p = predictions.as_float();
  const std::int64_t classes = p.dim(-1);
  const std::int64_t rows = p.size() / std::max<std::int64_t>(classes, 1);
  Tensor out(DType::Float32, Shape(p.shape().begin(), p.shape().end() - 1));
  const float* data = p.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = data + r * classes;
    const std::int64_t target = targets[static_cast<std::size_t>(r)];
    bool hit = false;
    if (target >= 0 && target < classes) {
      const float value = row[target];
      const auto higher = std::count_if(row, row + classes, [&](float v) { return v > value; });
      hit = higher < k;
    }
    out.data<float>()[r] = hit ? 1.f : 0.f;
  }
  return out;
}

std::vector<std::int64_t> as_ints(const Tensor& t) {
  std::vector<std::int64_t> out;
  for (double v : t.cast(DType::Float64).to_vector<double>()) out.push_back(static_cast<std::int64_t>(v));
  return out;
}

Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, std::int64_t k) {
  return in_top_k(y_pred, as_ints(ops::argmax(y_true.as_float(), -1)), k);
}

Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, std::int64_t k) {
  return in_top_k(y_pred, as_ints(sparse_labels(y_true, y_pred.as_float(), "sparse_top_k_categorical_accuracy")), k);
}

// Loss functions used as metrics: the per-sample values of the registered loss.
MetricFunction from_loss(const std::string& loss_name) {
  ClassRef entry = Registry::global().require(Kind::Loss, loss_name);
  LossPtr loss = entry->as<LossFactory>()(Json::object());
  return [loss](const Tensor& y_true, const Tensor& y_pred) { return loss->per_sample(y_true, y_pred); };
}

const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> table{
      {"acc", "accuracy"},
      {"mse", "mean_squared_error"}, {"MSE", "mean_squared_error"},
      {"mae", "mean_absolute_error"}, {"MAE", "mean_absolute_error"},
      {"mape", "mean_absolute_percentage_error"}, {"MAPE", "mean_absolute_percentage_error"},
      {"msle", "mean_squared_logarithmic_error"}, {"MSLE", "mean_squared_logarithmic_error"},
      {"kld", "kl_divergence"}, {"KLD", "kl_divergence"}, {"kullback_leibler_divergence", "kl_divergence"},
      {"logcosh", "log_cosh"},
  };
  return table;
}

const char* const kLossFunctions[] = {
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "kl_divergence", "poisson", "hinge", "squared_hinge", "log_cosh",
};

}  // namespace

std::string canonical_function_name(const std::string& name) {
  auto it = aliases().find(name);
  return it == aliases().end() ? name : it->second;
}

MetricFunction metric_function(const std::string& fn_name_in, const Json& options) {
  const std::string fn_name = canonical_function_name(fn_name_in);
  const double threshold = options.value("threshold", 0.5);
  const std::int64_t k = options.value("k", std::int64_t{5});
  if (fn_name == "accuracy")
    return [](const Tensor& t, const Tensor& p) { return ops::equal(match_rank(t, p.as_float()), p.as_float()); };
  if (fn_name == "binary_accuracy")
    return [threshold](const Tensor& t, const Tensor& p) { return binary_accuracy(t, p, threshold); };
  if (fn_name == "categorical_accuracy") return categorical_accuracy;
  if (fn_name == "sparse_categorical_accuracy") return sparse_categorical_accuracy;
  if (fn_name == "top_k_categorical_accuracy")
    return [k](const Tensor& t, const Tensor& p) { return top_k_categorical_accuracy(t, p, k); };
  if (fn_name == "sparse_top_k_categorical_accuracy")
    return [k](const Tensor& t, const Tensor& p) { return sparse_top_k_categorical_accuracy(t, p, k); };
  for (const char* loss : kLossFunctions)
    if (fn_name == loss) return from_loss(fn_name);
  throw Error("unknown metric function '" + fn_name_in + "'");
}

}  // namespace ksave::metrics
