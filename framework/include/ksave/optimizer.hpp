// The optimizer interface. Concrete optimizers (SGD, Adam, ...) are plugins; their state is
// `iterations` plus slot variables named as tf.keras names them, exposed as trackable children so
// the HDF5, checkpoint and SavedModel formats can save and restore it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ksave/indexed_slices.hpp"
#include "ksave/json.hpp"
#include "ksave/trackable.hpp"
#include "ksave/variable.hpp"

namespace ksave {

// How the Keras >= 2.11 optimizers (tf-keras's default ones) and Keras 3's make their slots:
// build() runs loops over the trained variables, each making one slot per list for every
// variable, interleaved (Adam: m0, v0, m1, v1, ..., then vhat0, vhat1, ... with amsgrad).
struct SlotList {
  std::string slot;        // ksave's slot name, as slots() gives it ("m", "rms", ...)
  std::string attribute;   // the Keras attribute holding the list ("_momentums", "_velocities")
  std::string keras_name;  // the Keras variable name prefix ("m" in "Adam/m/dense/kernel:0")
};
struct SlotLoop {
  std::vector<SlotList> lists;
  bool always = false;  // tf-keras makes them even where ksave keeps no slot (SGD at momentum 0)
};

class Optimizer : public Trackable {
 public:
  virtual std::string class_name() const = 0;
  virtual Json get_config() const = 0;
  // One update step; creates slots on first use of a variable, then applies each updated
  // variable's constraint (Variable::constraint), as OptimizerV2 does.
  virtual void apply_gradients(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars) = 0;
  // The same step where some gradients are also IndexedSlices (`slices[i]` belongs to
  // grads_and_vars[i]; nullopt where the gradient is dense only), as TensorFlow hands Keras an
  // Embedding table's gradient; the dense tensor is then the slices' sum. The default ignores them.
  virtual void apply_gradients_with_slices(const std::vector<std::pair<Tensor, VariablePtr>>& grads_and_vars,
                                           const std::vector<std::optional<IndexedSlices>>& slices) {
    (void)slices;
    apply_gradients(grads_and_vars);
  }
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
  // The default derives that from slots() and built_for(), so an optimizer declares its slot
  // order once (slots()); one with state besides slots (Nadam's extras) overrides it.
  virtual std::vector<VariablePtr> variables() const;
  std::string trackable_kind() const override { return "optimizer"; }

  // ---- the Keras >= 2.11 / Keras 3 layout (see new_optimizer_slots) ----
  // True when the optimizer came from a Keras >= 2.11 or Keras 3 config (not an OptimizerV2 one,
  // "is_legacy_optimizer": true or no new-style keys): formats then save its state in that layout.
  virtual bool new_generation() const { return false; }
  // The loops of that build(); the default, one loop over every slot in slot order.
  virtual std::vector<SlotLoop> slot_loops() const { return {}; }
  // Variables the Keras >= 2.11 optimizer tracks besides the counter, the learning rate and the
  // slots, under their Keras attribute names (Nadam's "_u_product").
  virtual std::vector<TrackableChild> new_generation_extras() const { return {}; }
  // The trained variables the optimizer was built for, in build() order (empty before).
  virtual std::vector<VariablePtr> built_for() const { return {}; }

  // ---- loss scaling (Keras's LossScaleOptimizer, mixed_float16) ----
  // The factor a training step multiplies the loss by before differentiating; apply_gradients
  // then receives the scaled gradients (and unscales them). 1: no scaling.
  virtual double loss_scale() const { return 1.0; }
  // The optimizer a wrapper (the LossScaleOptimizer) applies the steps with; null otherwise.
  // Formats keep the wrapped optimizer's state where Keras does.
  virtual std::shared_ptr<Optimizer> inner_optimizer() const { return nullptr; }
};

// One slot of the Keras >= 2.11 / Keras 3 variable list, in build() order.
struct NewOptimizerSlot {
  SlotList list;                   // the list it belongs to
  VariablePtr trained;             // the model variable the slot belongs to
  VariablePtr slot;                // ksave's slot; null where Keras makes one ksave keeps none of
};
// The optimizer's slots for `trained` (built first) in the order the Keras >= 2.11 and Keras 3
// optimizers keep them: Keras's `_variables[1:]` (after the step counter).
std::vector<NewOptimizerSlot> new_optimizer_slots(Optimizer& optimizer, const std::vector<VariablePtr>& trained);
// The same for an optimizer as it stands (not built yet: no slots), for writers.
std::vector<NewOptimizerSlot> new_optimizer_slots(const Optimizer& optimizer);

using OptimizerPtr = std::shared_ptr<Optimizer>;

}  // namespace ksave
