// The shared machinery of ksave's optimizers, modelled on tf.keras 2.x's OptimizerV2 (the
// "legacy" optimizers): the `iter` counter, hyperparameter variables, slot variables, learning
// rate schedules and `decay`, gradient clipping, constraints, and configs in the three forms
// Keras writes. A concrete optimizer only declares its hyperparameters and slots and supplies the
// float32 update kernel.
//
// State, as tf.keras names and orders it (the HDF5 and checkpoint formats rely on this):
//   variables():  "<Name>/iter:0" (int64 scalar), the optimizer's extra weights (Nadam's
//                 "<Name>/momentum_cache:0"), then the slots, grouped by slot kind in creation
//                 order: every variable's first slot, then every variable's second slot, ...
//                 ("Adam/dense/kernel/m:0", "Adam/dense/bias/m:0", "Adam/dense/kernel/v:0", ...),
//                 exactly OptimizerV2's `weights`.
//   trackable_children(): "iter", then (once built) the hyperparameter variables sorted by name
//                 ("beta_1", "beta_2", "decay", "learning_rate"; float32 scalars named
//                 "<Name>/<hyper>:0", as OptimizerV2's _create_hypers makes them), then the extra
//                 weights ("momentum_cache").
//   slots(var):   (slot name, variable) in slot order; checkpoints file them under
//                 "<var>/.OPTIMIZER_SLOT/optimizer/<slot name>".
//
// Config forms (get_config writes back the form that was read):
//   legacy (tf.keras <= 2.10, keras.optimizers.legacy): name, [clipnorm, clipvalue,
//     global_clipnorm when set], learning_rate, decay, <class keys>; reads `lr` and `decay`;
//     hyperparameters are written as given until the optimizer is built, then as the float32
//     values of their variables (0.001 becomes 0.0010000000474974513), as Keras does.
//   keras_new (tf.keras >= 2.11 default optimizers, "Custom>Adam" in H5 files): name,
//     weight_decay, clipnorm, global_clipnorm, clipvalue, use_ema, ema_momentum,
//     ema_overwrite_frequency, jit_compile, is_legacy_optimizer (false), learning_rate, <class keys>.
//   keras3: name, learning_rate, weight_decay, clipnorm, global_clipnorm, clipvalue, use_ema,
//     ema_momentum, ema_overwrite_frequency, [loss_scale_factor, gradient_accumulation_steps when
//     present], <class keys>.
// The update rule is OptimizerV2's, except where the Keras >= 2.11 optimizers changed the
// arithmetic and the config says it came from them (new_optimizer_rules()): RMSprop and Adagrad
// then add epsilon inside the square root. Slot names and order stay OptimizerV2's whatever the
// form (the formats map them). weight_decay is applied as Keras >= 2.11
// does (w -= w * weight_decay * lr before the update). use_ema, ema_momentum,
// ema_overwrite_frequency and jit_compile are kept for the config and have no effect (ksave keeps no
// moving average of the weights and compiles nothing); loss_scale_factor has no effect because
// ksave never scales the loss; gradient_accumulation_steps other than null is refused. Keras 3
// ignores `decay` (with a warning) and so does ksave for a keras3 config; tf.keras 2.11 refuses it.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gradient_clipping.hpp"
#include "ksave/config.hpp"
#include "ksave/optimizer.hpp"
#include "learning_rate_schedule.hpp"

namespace ksave::optimizers {

enum class ConfigStyle { Legacy, KerasNew, Keras3 };

struct SlotSpec {
  std::string name;
  float initial_value = 0.0f;
};

// The float32 buffers one update works on: the gradient, the variable and its slots (in
// slot_specs() order), all `size` elements long.
struct UpdateBuffers {
  const float* grad;
  float* var;
  std::vector<float*> slots;
  std::size_t size;
  // Keras 3 with an IndexedSlices gradient (an Embedding's): its slices' squares and absolute
  // values summed per element, which Keras 3 uses where a kernel squares the gradient or takes its
  // absolute value (its ops work slice by slice before the slices are added). Null otherwise.
  const float* grad_squares = nullptr;
  const float* grad_absolutes = nullptr;
  float square(std::size_t i) const { return grad_squares ? grad_squares[i] : grad[i] * grad[i]; }
  float absolute(std::size_t i) const { return grad_absolutes ? grad_absolutes[i] : std::fabs(grad[i]); }
};

// The rows an IndexedSlices gradient updates in tf-keras's legacy optimizers (their
// _resource_apply_sparse, after the duplicates are summed): every row as the dense kernel does
// (Adam), only the looked-up rows of the variable and its slots (the ResourceSparseApply kernels:
// momentum SGD, RMSprop with momentum, Adagrad, Adadelta, Adamax), or the slots' every row and the
// variable's looked-up rows (Nadam, RMSprop without momentum).
enum class LegacySparseRows { All, LookedUp, VariableLookedUp };

class LegacyOptimizer : public Optimizer {
 public:
  std::string class_name() const override { return class_name_; }
  Json get_config() const override;
  void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) override;
  // IndexedSlices gradients are clipped slice by slice (every generation clips the slices, norms
  // included, before anything sums them); then Keras 3 sums the slices, their squares and their
  // absolute values per element (UpdateBuffers), while tf-keras sums duplicates first and runs its
  // new optimizers' dense arithmetic, its legacy ones' on legacy_sparse_rows().
  void apply_gradients_with_slices(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars,
                                   const std::vector<std::optional<IndexedSlices>>& slices) override;
  VariablePtr iterations() const override { return iterations_; }
  std::vector<std::pair<std::string, VariablePtr>> slots(const Variable& variable) const override;
  void build(const std::vector<VariablePtr>& variables) override;
  std::vector<VariablePtr> variables() const override { return weights_; }
  std::vector<TrackableChild> trackable_children() const override;
  bool new_generation() const override { return style_ != ConfigStyle::Legacy; }
  std::vector<VariablePtr> built_for() const override;

  const std::string& name() const { return name_; }
  ConfigStyle config_style() const { return style_; }
  const LearningRateSchedulePtr& learning_rate_schedule() const { return schedule_; }
  // The learning rate of the next step: schedule and legacy decay applied, in float32.
  virtual float current_learning_rate() const;
  std::optional<double> learning_rate() const override { return current_learning_rate(); }

 protected:
  // Reads the options every optimizer shares; `class_keys` are the subclass's own config keys,
  // in the order Keras writes them (any other key is refused).
  // `default_learning_rate` is the class's Keras default (0.01 for SGD, 0.001 for the others).
  LegacyOptimizer(std::string class_name, const Json& config, std::vector<std::string> class_keys,
                  double default_learning_rate);

  // What a subclass supplies.
  virtual std::vector<SlotSpec> slot_specs() const = 0;
  // Per-step coefficients, computed once before the variables are updated; `iterations` is the
  // counter before this step.
  virtual void prepare_step(float lr_t, std::int64_t iterations) = 0;
  // Called before the update of the variable at `position` in this step's list (Keras's update
  // order), for optimizers whose per-step values change from one variable to the next.
  virtual void prepare_variable(std::size_t /*position*/, std::int64_t /*iterations*/) {}
  virtual void update(const UpdateBuffers& buffers) const = 0;
  // Which rows the legacy optimizer updates from an IndexedSlices gradient (see LegacySparseRows).
  virtual LegacySparseRows legacy_sparse_rows() const { return LegacySparseRows::All; }
  // Appends the class keys (after learning_rate/decay) in Keras's order.
  virtual void write_config(Json& config) const = 0;
  // Weights created before the slots (Nadam's momentum cache); call add_extra_weight from here.
  virtual void create_extra_weights() {}

  // Helpers for subclasses.
  const ConfigReader& reader() const { return *reader_; }
  std::string where() const;                                 // "optimizer 'Adam' (Adam)"
  // Declares a hyperparameter (a float32 variable once built) from the config or `fallback`.
  void declare_hyper(const std::string& key, double fallback);
  float hyper(const std::string& key) const;
  Json serialize_hyper(const std::string& key) const;
  // Keras's `epsilon or backend.epsilon()` (zero_is_default) or `epsilon if not None` reading.
  Json read_epsilon(bool zero_is_default) const;
  // A number the subclass keeps as given (initial_accumulator_value, ...).
  Json read_number(const std::string& key, double fallback) const;
  bool read_bool(const std::string& key, bool fallback) const;
  // Replaces the legacy decay (Nadam maps it to the momentum schedule decay).
  void set_initial_decay(Json decay);
  double initial_decay() const { return initial_decay_; }
  // The learning-rate hyperparameter alone, no schedule and no decay (Nadam's update uses it so).
  float raw_learning_rate() const;
  VariablePtr add_extra_weight(const std::string& key, Tensor initial_value);
  bool built() const { return hypers_built_; }
  // How many variables the first training step built the optimizer for (0 when it was built
  // before training, as loaders build it to restore its state). tf-keras builds it inside its
  // traced train step, which TensorFlow then traces a second time (Nadam's quirk depends on it).
  std::size_t variables_built_by_first_step() const { return variables_built_by_first_step_; }
  // True for configs of the Keras >= 2.11 / Keras 3 optimizers.
  bool new_optimizer_rules() const { return style_ != ConfigStyle::Legacy; }

 private:
  struct Hyper {
    Json given;
    VariablePtr variable;  // created by build(), as OptimizerV2's _create_hypers
  };
  struct Tracked {
    VariablePtr variable;
    std::vector<VariablePtr> slots;  // slot_specs() order
  };

  void read_common(double default_learning_rate);
  void read_new_style_options();
  void check_keys(const Json& config) const;
  void build_hypers();
  const Tracked* find_tracked(const Variable& variable) const;
  void update_variable(const Tensor& grad, const std::optional<IndexedSlices>& slices, const Tracked& tracked);
  void update_from_slices(const IndexedSlices& slices, Tensor& var, std::vector<Tensor>& slots) const;
  void run_update(const Tensor& grad, Tensor& var, std::vector<Tensor>& slots,
                  const float* grad_squares = nullptr, const float* grad_absolutes = nullptr) const;
  void apply_weight_decay(const std::vector<VariablePtr>& variables, float lr) const;
  Json serialize_learning_rate() const;
  VariablePtr make_variable(const std::string& key, Tensor value) const;

  std::string class_name_;
  std::vector<std::string> class_keys_;
  std::string name_;
  ConfigStyle style_ = ConfigStyle::Legacy;
  std::size_t variables_built_by_first_step_ = 0;
  bool legacy_marker_ = false;          // the config said "is_legacy_optimizer": true
  Json learning_rate_given_;
  LearningRateSchedulePtr schedule_;
  bool schedule_keras3_envelope_ = false;
  Json decay_given_ = 0.0;
  double initial_decay_ = 0.0;
  ClipOptions clip_;
  Json clip_given_ = Json::object();    // clipnorm/clipvalue/global_clipnorm as given (or null)
  Json new_style_options_ = Json::object();  // weight_decay, use_ema, ... in Keras's order
  std::optional<float> weight_decay_;
  std::map<std::string, Hyper> hypers_;  // sorted by name, the order _create_hypers uses
  bool hypers_built_ = false;
  std::vector<std::pair<std::string, VariablePtr>> extra_weights_;

  VariablePtr iterations_;
  std::vector<VariablePtr> weights_;
  std::vector<Tracked> tracked_;
  Json config_;                           // the config as given, for reader()
  std::unique_ptr<ConfigReader> reader_;  // reads config_
};

}  // namespace ksave::optimizers
