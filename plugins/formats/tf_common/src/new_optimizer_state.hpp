// The state of the Keras >= 2.11 optimizers (keras.optimizers.optimizer_experimental, configs with
// "is_legacy_optimizer": false) as their checkpoints and SavedModels name it, mapped onto ksave's
// optimizers, which keep OptimizerV2's state (`iter`, slots "m", "v", ...):
//   _iterations            the step counter (ksave: iterations())
//   _learning_rate         the learning-rate variable (ksave: the "learning_rate" hyperparameter)
//   _variables/N           N = 0 the step counter, then every slot in the order build() made them
//   <slot list>/i          the slot of the i-th variable build() got (_momentums/i, _velocities/i, ...)
// build() gets the model's trainable variables, so "the i-th variable" is model.trainable_variables[i].
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ksave/optimizer.hpp"
#include "ksave/trackable.hpp"

namespace ksave::tf {

// True when an optimizer node's child names are those of a Keras >= 2.11 optimizer.
bool is_new_optimizer_child(const std::string& local_name);

struct NewOptimizerState {
  // The optimizer's state under the Keras >= 2.11 names. Slots ksave does not keep (SGD's
  // `momentums` when momentum is 0) have no object; their values stay unused.
  std::vector<TrackableChild> children;
  // OptimizerV2 hyperparameter variables (beta_1, rho, decay, ...) that the Keras >= 2.11
  // optimizer keeps as plain numbers of its config: they already hold the config's values and
  // no checkpoint value is expected for them.
  std::vector<VariablePtr> set_by_config;
};

// Builds the optimizer for `trained` first (slots exist before values are assigned).
NewOptimizerState new_optimizer_state(Optimizer& optimizer, const std::vector<VariablePtr>& trained);
// The state as a writer files it, for an optimizer with Optimizer::new_generation(): the
// variables it was built for, and zeros where Keras keeps a slot ksave does not.
NewOptimizerState written_new_optimizer_state(const Optimizer& optimizer);

}  // namespace ksave::tf
