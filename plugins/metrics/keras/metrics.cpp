// Keras's metrics, registered under their class names and function names. A function name
// ("binary_accuracy", "mse") gives a MeanMetricWrapper, as keras.metrics.get plus compile's
// wrapping do; the class names give the classes with their own config keys.
#include "auc.hpp"
#include "mean_metric.hpp"

namespace ksave::metrics {
namespace {

// A class built on MeanMetricWrapper: its class name, Keras default name, function and the
// option keys (with defaults) its config carries.
struct WrapperClass {
  const char* class_name;
  const char* default_name;
  const char* fn;
  Json options;
};

const std::vector<WrapperClass>& wrapper_classes() {
  static const std::vector<WrapperClass> table{
      {"Accuracy", "accuracy", "accuracy", Json::object()},
      {"BinaryAccuracy", "binary_accuracy", "binary_accuracy", {{"threshold", 0.5}}},
      {"CategoricalAccuracy", "categorical_accuracy", "categorical_accuracy", Json::object()},
      {"SparseCategoricalAccuracy", "sparse_categorical_accuracy", "sparse_categorical_accuracy", Json::object()},
      {"TopKCategoricalAccuracy", "top_k_categorical_accuracy", "top_k_categorical_accuracy", {{"k", 5}}},
      {"SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
       {{"k", 5}}},
      {"MeanSquaredError", "mean_squared_error", "mean_squared_error", Json::object()},
      {"MeanAbsoluteError", "mean_absolute_error", "mean_absolute_error", Json::object()},
      {"MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mean_absolute_percentage_error",
       Json::object()},
      {"MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "mean_squared_logarithmic_error",
       Json::object()},
      {"BinaryCrossentropy", "binary_crossentropy", "binary_crossentropy", Json::object()},
      {"CategoricalCrossentropy", "categorical_crossentropy", "categorical_crossentropy", Json::object()},
      {"SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "sparse_categorical_crossentropy",
       Json::object()},
      {"KLDivergence", "kullback_leibler_divergence", "kl_divergence", Json::object()},
      {"Poisson", "poisson", "poisson", Json::object()},
      {"Hinge", "hinge", "hinge", Json::object()},
      {"SquaredHinge", "squared_hinge", "squared_hinge", Json::object()},
      {"LogCoshError", "logcosh", "log_cosh", Json::object()},
  };
  return table;
}

// The option values from the config, defaults where absent.
Json read_options(const Json& config, const Json& defaults) {
  Json out = defaults;
  for (auto& [k, v] : out.items())
    if (config.is_object() && config.contains(k) && !config[k].is_null()) v = config[k];
  return out;
}

MetricPtr make_wrapper_class(const WrapperClass& w, const Json& config) {
  Json options = read_options(config, w.options);
  return std::make_shared<MeanMetricWrapper>(config, w.class_name, w.default_name, w.fn,
                                             metric_function(w.fn, options), options);
}

// A function name → MeanMetricWrapper named after it (Keras names the metric by the string the
// user gave, which compile passes in the config's "name").
MetricPtr make_function_metric(const std::string& fn, const Json& config) {
  return std::make_shared<MeanMetricWrapper>(config, "MeanMetricWrapper", fn, canonical_function_name(fn),
                                             metric_function(fn));
}

// A serialized MeanMetricWrapper: {"name", "dtype", "fn"}.
MetricPtr make_mean_metric_wrapper(const Json& config) {
  if (!config.is_object() || !config.contains("fn") || !config["fn"].is_string())
    throw Error("metric MeanMetricWrapper: config needs a string 'fn' (the metric function's name)");
  const std::string fn = config["fn"].get<std::string>();
  return std::make_shared<MeanMetricWrapper>(config, "MeanMetricWrapper", fn, canonical_function_name(fn),
                                             metric_function(fn));
}

void register_metrics(PluginRegistrar& r) {
  for (const auto& w : wrapper_classes())
    r.metric(w.class_name, [w](const Json& c) { return make_wrapper_class(w, c); });
  const char* const functions[] = {
      "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
      "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error",
      "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
      "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
      "poisson", "hinge", "squared_hinge", "log_cosh",
  };
  const std::map<std::string, std::vector<std::string>> short_names{
      {"accuracy", {"acc"}}, {"mean_squared_error", {"mse", "MSE"}}, {"mean_absolute_error", {"mae", "MAE"}},
      {"mean_absolute_percentage_error", {"mape", "MAPE"}}, {"mean_squared_logarithmic_error", {"msle", "MSLE"}},
      {"kl_divergence", {"kld", "KLD", "kullback_leibler_divergence"}}, {"log_cosh", {"logcosh"}},
  };
  for (const char* fn : functions) {
    auto it = short_names.find(fn);
    r.metric(fn, [name = std::string(fn)](const Json& c) {
      Json config = c.is_object() ? c : Json::object();
      return make_function_metric(name, config);
    }, it == short_names.end() ? std::vector<std::string>{} : it->second);
  }
  r.metric("MeanMetricWrapper", make_mean_metric_wrapper);
  r.metric("Mean", [](const Json& c) -> MetricPtr { return std::make_shared<MeanMetric>(c, "Mean", "mean"); });
  r.metric("RootMeanSquaredError", [](const Json& c) -> MetricPtr { return std::make_shared<RootMeanSquaredError>(c); });
  r.metric("AUC", [](const Json& c) -> MetricPtr { return std::make_shared<AUC>(c); });
}

}  // namespace
}  // namespace ksave::metrics

KSAVE_PLUGIN("metrics", "0.1.0", ksave::metrics::register_metrics)
