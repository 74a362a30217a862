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
  static OrderedLogs current_logs(Model& model);
  // Checks x and y against the model and each other; returns the number of samples.
  static std::int64_t check_data(Model& model, const Tensors& x, const Tensors& y, const char* where);
  // x cast to the inputs' dtypes (Keras's cast to the Input layer's dtype).
  static Tensors prepare_inputs(Model& model, const Tensors& x);

 private:
  // The loss to minimise: weighted per-output losses plus regularization and added losses.
  static Tensor total_loss(Model& model, const Tensors& x, const Tensors& y, const Tensors& outputs,
                           const Tensor& sample_weights, std::vector<double>* output_losses);
  static void update_metrics(Model& model, const Tensors& x, const Tensors& y, const Tensors& outputs,
                             double total, const std::vector<double>& output_losses);
  static void build_metrics(Model& model, const Tensors& y, const Tensors& outputs);
};

}  // namespace ksave
