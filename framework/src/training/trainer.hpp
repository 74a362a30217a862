// The training engine behind Model's compile/fit/evaluate: one friend class with access to the
// model's compiled state, so model.hpp keeps only the public API.
#pragma once

#include <utility>
#include <vector>

#include "compile_state.hpp"
#include "ksave/model.hpp"
#include "ksave/optimizer.hpp"

namespace ksave {

// Named values in Keras's display order ("loss", then per-output losses, then metrics).
using OrderedLogs = std::vector<std::pair<std::string, double>>;

class Trainer {
 public:
  static void set_compiled(Model& model, OptimizerPtr optimizer, std::vector<OutputTarget> outputs,
                           Json training_config);
  static CompileState& state(Model& model);
  // The model's output names, or output_1, output_2, ... when it has no graph.
  static std::vector<std::string> output_names(const Model& model, std::size_t count);
  static std::size_t output_count(const Model& model);

  // One optimizer step on a batch; updates the running means and metrics. `sample_weights`: one
  // per batch row (sample_weights.hpp), or undefined.
  static void train_step(Model& model, const Tensors& x, const Tensors& y, const Tensor& sample_weights = {});
  // Forward pass in inference mode; updates the running means and metrics.
  static void test_step(Model& model, const Tensors& x, const Tensors& y, const Tensor& sample_weights = {});
  static void reset_metrics(Model& model);

  // ---- the pieces of a step, for data-parallel training (distribute/replica_training.cpp) ----
  // A step's loss values: the total, each output's loss, each add_metric value (batch mean).
  struct StepValues {
    double total = 0;
    std::vector<double> output_losses;
    std::vector<double> external_metrics;
  };
  // The loss to minimise on this batch, with every term scaled by `fraction` (a replica's share
  // of the global batch: local rows / global rows; 1 in a single process) except the terms of
  // SUM-reduced losses, so that the replicas' losses, and so their gradients, add up to those of
  // one process on the whole batch. `values` receives the scaled values.
  static Tensor step_loss(Model& model, const Tensors& x, const Tensors& y, const Tensors& outputs,
                          const Tensor& sample_weights, double fraction, StepValues* values);
  // Adds a step's values (weighted by `rows`) to the running means, and updates the compiled
  // metrics with this process's `y` and `outputs` (skipped when `outputs` is empty).
  static void record_step(Model& model, const Tensors& y, const Tensors& outputs, double rows,
                          const StepValues& values);
  // The compiled metrics, output by output.
  static std::vector<MetricPtr> compiled_metrics(Model& model);
  static OrderedLogs current_logs(Model& model);
  // Checks x and y against the model and each other; returns the number of samples.
  static std::int64_t check_data(Model& model, const Tensors& x, const Tensors& y, const char* where);
  // x cast to the inputs' dtypes (Keras's cast to the Input layer's dtype).
  static Tensors prepare_inputs(Model& model, const Tensors& x);

 private:
  static void build_metrics(Model& model, const Tensors& y, const Tensors& outputs);
};

}  // namespace ksave
