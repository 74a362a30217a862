// The optimizer interface. Concrete optimizers (SGD, Adam, ...) are plugins; their state is
// `iterations` plus slot variables named as tf.keras names them, exposed as trackable children so
// the HDF5, checkpoint and SavedModel formats can save and restore it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/trackable.hpp"
#include "ksave/variable.hpp"

namespace ksave {

class Optimizer : public Trackable {
 public:
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  // One update step; creates slots on first use of a variable, then applies each updated
  // variable's constraint (Variable::constraint), as OptimizerV2 does.
  virtual void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) = 0;
  // int64 step counter (`iter` in tf.keras checkpoints).
  virtual VariablePtr iterations() const = 0;
  // The learning rate the next step uses (its schedule applied), for what training logs show
  // (TensorBoard's epoch_learning_rate); nullopt for an optimizer that has none.
  virtual std::optional<double> learning_rate() const { return std::nullopt; }
  // Slot variables of `variable` by slot name ("m", "v", "momentum", ...), in tf.keras order.
  virtual std::vector<std::pair<std::string, VariablePtr>> slots(const Variable& variable) const = 0;
  // Creates every slot for these variables now (loaders need them before restoring values).
  virtual void build(const std::vector<VariablePtr>& variables) = 0;
  // All state in the order tf.keras's get_weights() gives it: iterations, then the slots grouped
  // by kind (every variable's "m", then every variable's "v", ...), as OptimizerV2 creates them.
  virtual std::vector<VariablePtr> variables() const = 0;
  std::string trackable_kind() const override { return "optimizer"; }
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

}  // namespace ksave
