// Keras's LossScaleOptimizer, the wrapper Keras's compile() puts around the optimizer of a model
// built under mixed_float16. ksave has no global policy: the wrapper comes from a file's training
// config (tf-keras writes it there) or compile_config (Keras 3 writes it when it was given
// explicitly; its automatic wrapper is not recorded, and Keras 3 itself reloads such a model
// with the plain optimizer), or from a compile() that names it. The training step differentiates
// loss × scale, the wrapper unscales the gradients, and with a dynamic scale
//   - a step whose gradients are not all finite is skipped and halves the scale (tf-keras: never
//     below 1), the counter restarts;
//   - after dynamic_growth_steps finite steps in a row the scale doubles (tf-keras: unless that
//     overflows), the counter restarts.
// Both generations, as their sources say (tf_keras/src/mixed_precision/loss_scale_optimizer.py,
// LossScaleOptimizerV3 and _DynamicLossScaleState; keras/src/optimizers/loss_scale_optimizer.py):
//   tf-keras  "LossScaleOptimizerV3" {inner_optimizer, dynamic, initial_scale, dynamic_growth_steps};
//             state current_loss_scale (float32) and good_steps (int64) under the checkpoint child
//             "loss_scale"; a skipped step still counts in the inner optimizer's iterations; a
//             fixed scale (dynamic false) applies every step.
//   Keras 3   "LossScaleOptimizer" {name, inner_optimizer, initial_scale, dynamic_growth_steps};
//             state step_counter (int64) and dynamic_scale (float32) after its own iteration and
//             learning_rate; a skipped step leaves the inner optimizer's iterations alone.
// Everything else (slots, iterations, learning rate, the Keras >= 2.11 layout) is the inner
// optimizer's: the formats keep its state where Keras does.
#pragma once

#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"

namespace ksave::detail {

class LossScaleOptimizer final : public Optimizer {
 public:
  // `class_name`: "LossScaleOptimizerV3" (tf-keras) or "LossScaleOptimizer" (Keras 3).
  LossScaleOptimizer(const std::string& class_name, const Json& config);

  std::string class_name() const override { return class_name_; }
  Json get_config() const override;
  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) override;
  void apply_gradients_with_slices(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars,
                                   const std::vector<std::optional<IndexedSlices>>& slices) override;
  VariablePtr iterations() const override { return inner_->iterations(); }
  std::optional<double> learning_rate() const override { return inner_->learning_rate(); }
  std::vector<std::pair<std::string, VariablePtr>> slots(const Variable& variable) const override { return inner_->slots(variable); }
  void build(const std::vector<VariablePtr>& variables) override { inner_->build(variables); }
  std::vector<VariablePtr> variables() const override { return inner_->variables(); }
  bool new_generation() const override { return inner_->new_generation(); }
  std::vector<SlotLoop> slot_loops() const override { return inner_->slot_loops(); }
  std::vector<TrackableChild> new_generation_extras() const override { return inner_->new_generation_extras(); }
  std::vector<VariablePtr> built_for() const override { return inner_->built_for(); }
  // The inner optimizer's children, then "loss_scale" (tf-keras's DelegatingTrackableMixin).
  std::vector<TrackableChild> trackable_children() const override;

  double loss_scale() const override;
  std::shared_ptr<Optimizer> inner_optimizer() const override { return inner_; }

  bool dynamic() const { return dynamic_; }
  bool keras3() const { return keras3_; }
  // The scale and the count of finite steps since it last changed (tf-keras's current_loss_scale
  // and good_steps, Keras 3's dynamic_scale and step_counter).
  const VariablePtr& scale_variable() const { return scale_; }
  const VariablePtr& counter_variable() const { return counter_; }

 private:
  void make_state();
  std::string class_name_;
  bool keras3_;
  std::string name_;  // Keras 3's optimizer name
  std::shared_ptr<Optimizer> inner_;
  bool dynamic_ = true;
  double initial_scale_ = 32768.0;
  std::int64_t growth_steps_ = 2000;
  VariablePtr scale_, counter_;
  std::shared_ptr<Trackable> state_;  // tf-keras's _DynamicLossScaleState (the "loss_scale" child)
};

// The registry entries: tf-keras's "LossScaleOptimizerV3" (and "LossScaleOptimizer", the name its
// OptimizerV2 wrapper had and Keras 3 uses).
std::vector<ClassEntry> loss_scale_optimizer_entries();

}  // namespace ksave::detail
