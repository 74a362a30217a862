// keras.metrics.AUC with its defaults: 200 thresholds, the ROC curve, interpolated Riemann sum.
// State: true_positives, true_negatives, false_positives, false_negatives, one count per
// threshold (float32 variables of shape [num_thresholds]).
#pragma once

#include "ksave/metric.hpp"

namespace ksave::metrics {

class AUC : public Metric {
 public:
  explicit AUC(const Json& config);
  std::string class_name() const override { return "AUC"; }
  std::string name() const override { return name_; }
  Json get_config() const override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) override;
  double result() const override;
  void reset_state() override;
  std::vector<VariablePtr> variables() const override { return {tp_, tn_, fp_, fn_}; }
  std::vector<TrackableChild> trackable_children() const override;

 private:
  std::string name_;
  std::int64_t num_thresholds_;
  std::string curve_;
  std::vector<float> thresholds_;
  VariablePtr tp_, tn_, fp_, fn_;
};

}  // namespace ksave::metrics
