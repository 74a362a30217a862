// What Model::compile resolved, per model output, and the running means fit reports.
#pragma once

#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/loss.hpp"
#include "ksave/metric.hpp"

namespace ksave {

// keras.metrics.Mean with a float32 total and count, as Keras's loss trackers (each batch is
// weighted by its number of samples).
struct RunningMean {
  float total = 0.f;
  float count = 0.f;
  void add(double value, double weight) {
    total += static_cast<float>(value) * static_cast<float>(weight);
    count += static_cast<float>(weight);
  }
  double result() const { return count == 0.f ? 0.0 : static_cast<double>(total / count); }
  void reset() { total = count = 0.f; }
};

struct OutputTarget {
  std::string name;             // the output layer's name ("dense_1"), for "dense_1_loss"
  LossPtr loss;                 // null: this output has no loss
  std::string loss_name;        // for error messages
  double weight = 1.0;
  std::vector<Json> metric_specs;         // as compile got them, resolved on the first batch
  std::vector<MetricPtr> metrics;         // resolved metric objects
  RunningMean loss_mean;                  // "<name>_loss" when the model has several outputs
};

struct CompileState {
  std::vector<OutputTarget> outputs;
  bool metrics_built = false;
  RunningMean loss_mean;                        // "loss"
  std::vector<RunningMean> external_metric_means;  // add_metric from outside, in order
};

}  // namespace ksave
