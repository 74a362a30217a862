#include "mean_metric.hpp"

#include <cmath>

#include "ksave/ops.hpp"

namespace ksave::metrics {
namespace {

VariablePtr scalar_state(const std::string& metric, const char* name) {
  return std::make_shared<Variable>(metric + "/" + name + ":0", Tensor::scalar<float>(0.f), false);
}

}  // namespace

MeanMetric::MeanMetric(const Json& config, std::string class_name, const std::string& default_name)
    : class_name_(std::move(class_name)),
      config_copy_(config.is_object() ? config : Json::object()),
      reader_(config_copy_, "metric " + class_name_) {
  name_ = reader_.get<std::string>("name", default_name);
  dtype_ = reader_.get<std::string>("dtype", "float32");
  if (dtype_ != "float32")
    throw Error("metric '" + name_ + "' (" + class_name_ + "): only dtype float32 is supported, found " + dtype_);
  total_ = scalar_state(name_, "total");
  count_ = scalar_state(name_, "count");
}

Json MeanMetric::get_config() const {
  Json c = {{"name", name_}, {"dtype", dtype_}};
  add_config(c);
  return c;
}

float MeanMetric::total() const { return total_->value().item(); }
float MeanMetric::count() const { return count_->value().item(); }

void MeanMetric::accumulate(const Tensor& values) {
  // Summed in float32, as Keras's reduce_sum into a float32 variable does.
  const Tensor v = values.as_float();
  float sum = 0.f;
  for (float x : v.values<float>()) sum += x;
  total_->assign(Tensor::scalar<float>(total() + sum));
  count_->assign(Tensor::scalar<float>(count() + static_cast<float>(v.size())));
}

void MeanMetric::update_state(const Tensor& values, const Tensor&) { accumulate(values); }

// div_no_nan, as Keras: an empty metric reports 0.
double MeanMetric::result() const { return count() == 0.f ? 0.0 : static_cast<double>(total() / count()); }

void MeanMetric::reset_state() {
  total_->assign(Tensor::scalar<float>(0.f));
  count_->assign(Tensor::scalar<float>(0.f));
}

std::vector<TrackableChild> MeanMetric::trackable_children() const { return {{"total", total_}, {"count", count_}}; }

MeanMetricWrapper::MeanMetricWrapper(const Json& config, std::string class_name, const std::string& default_name,
                                     std::string fn_name, MetricFunction fn, Json extra)
    : MeanMetric(config, std::move(class_name), default_name),
      fn_name_(std::move(fn_name)),
      fn_(std::move(fn)),
      extra_(std::move(extra)) {}

void MeanMetricWrapper::add_config(Json& c) const {
  if (class_name() == "MeanMetricWrapper") c["fn"] = fn_name_;
  for (const auto& [k, v] : extra_.items()) c[k] = v;
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred) {
  accumulate(fn_(y_true, y_pred));
}

RootMeanSquaredError::RootMeanSquaredError(const Json& config)
    : MeanMetric(config, "RootMeanSquaredError", "root_mean_squared_error") {}

void RootMeanSquaredError::update_state(const Tensor& y_true, const Tensor& y_pred) {
  // Keras averages the squared error over every element (not per sample first).
  accumulate(ops::squared_difference(y_pred.as_float(), y_true.as_float()));
}

double RootMeanSquaredError::result() const { return std::sqrt(MeanMetric::result()); }

}  // namespace ksave::metrics
