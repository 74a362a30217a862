// Keras's Mean-based metrics. State is two float32 scalar variables, `total` and `count`, as in
// keras.metrics.Mean (Reduce with WEIGHTED_MEAN): each update adds the sum of per-sample values
// and their number. MeanMetricWrapper applies a per-sample function first; RootMeanSquaredError
// reports the square root.
#pragma once

#include <functional>
#include <string>

#include "ksave/config.hpp"
#include "ksave/metric.hpp"
#include "ksave/plugin.hpp"

namespace ksave::metrics {

// Per-sample metric values (any shape; every element counts once).
using MetricFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

class MeanMetric : public Metric {
 public:
  MeanMetric(const Json& config, std::string class_name, const std::string& default_name);
  std::string class_name() const override { return class_name_; }
  std::string name() const override { return name_; }
  Json get_config() const override;
  // keras.metrics.Mean: `y_true` holds the values; y_pred is ignored.
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  double result() const override;
  void reset_state() override;
  std::vector<VariablePtr> variables() const override { return {total_, count_}; }
  std::vector<TrackableChild> trackable_children() const override;

 protected:
  // Adds the values' sum and count to the state.
  void accumulate(const Tensor& values);
  virtual void add_config(Json&) const {}
  float total() const;
  float count() const;
  const ConfigReader& reader() const { return reader_; }

 private:
  std::string class_name_;
  Json config_copy_;
  ConfigReader reader_;
  std::string name_;
  std::string dtype_;
  VariablePtr total_;
  VariablePtr count_;
};

// A metric computed per sample by a function and averaged (keras.metrics.MeanMetricWrapper and
// the classes built on it: BinaryAccuracy, CategoricalAccuracy, MeanSquaredError, ...).
class MeanMetricWrapper : public MeanMetric {
 public:
  // `fn_name` is what a MeanMetricWrapper config stores under "fn"; `extra` holds the class's
  // own config keys (threshold, k) with their values.
  MeanMetricWrapper(const Json& config, std::string class_name, const std::string& default_name,
                    std::string fn_name, MetricFunction fn, Json extra = Json::object());
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;

 protected:
  void add_config(Json& c) const override;

 private:
  std::string fn_name_;
  MetricFunction fn_;
  Json extra_;
};

class RootMeanSquaredError : public MeanMetric {
 public:
  explicit RootMeanSquaredError(const Json& config);
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  double result() const override;
};

// The per-sample functions by Keras function name ("binary_accuracy", "mse", ...), with the
// options a class passes (threshold, k); throws naming the function when unknown.
MetricFunction metric_function(const std::string& fn_name, const Json& options = Json::object());
// Function names the plugin knows, with Keras's short aliases ("mse" → "mean_squared_error").
std::string canonical_function_name(const std::string& name);

}  // namespace ksave::metrics
