// Where Keras 3 keeps each variable in `model.weights.h5` (saving_lib's _save_state walk):
// every object's own variables at `<path>/vars/0..N-1` in the object's own order (trainable
// first, then non-trainable, each in creation order); the model's own at `vars`; a Sequential
// or Functional model's layers under `layers/<snake_case class name>` counted per container
// (`layers/dense`, `layers/dense_1`, `layers/conv2d`: Keras 3 does not trust automatic layer
// names to be reproducible); sublayers of a layer, and of a subclassed model, under the
// attribute that holds them (`layers/lstm/cell`, `layers/bidirectional/forward_layer/cell`,
// `dense_1`); the optimizer's variables at `optimizer/vars` in Keras 3's order: `iteration`,
// `learning_rate` (unless a schedule gives it), then the slots.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ksave/model.hpp"
#include "ksave/optimizer.hpp"

namespace ksave::plugins::keras_zip {

// One object whose own variables Keras 3 stores together.
struct VariableOwner {
  std::string path;         // "" for the model itself, "layers/dense_1", "layers/lstm/cell"
  std::string name;         // the object's name (Keras >= 3.3 writes it as the `name` attribute of `vars`)
  std::string description;  // "layer 'dense' (Dense)", for messages
  std::vector<VariablePtr> variables;
  // For a layer whose Keras dtype is float16 / bfloat16: the dtype its float32 variables are
  // stored in (ksave keeps them in float32); nothing: each variable's own.
  std::optional<DType> floating_as{};
  // The dataset names of `variables` where the class stores them by name (the lookup layers'
  // save_own_variables: store["idf_weights"]); empty: by position, "0", "1", ...
  std::vector<std::string> dataset_names{};
  // The layer (or model) these are the variables of; null for the optimizer.
  const Layer* layer = nullptr;
  std::string dataset_name(std::size_t i) const { return dataset_names.empty() ? std::to_string(i) : dataset_names.at(i); }
  // "vars" or "<path>/vars".
  std::string vars_path() const { return path.empty() ? "vars" : path + "/vars"; }
};

// The model and every layer inside it, in Keras 3's walk order (each object once).
// `path` for a model's layers: "layers/<snake_case class name>[_N]", N counting repeats.
std::vector<VariableOwner> layer_variable_owners(const Model& model);

// The optimizer's variables in Keras 3's `optimizer.variables` order: iterations, the learning
// rate variable (absent with a schedule), the slots in build() order over the variables the
// optimizer was built for (Optimizer::slot_loops: Adam's momentum and velocity interleaved per
// variable, velocity_hat after them all), then the rest (Nadam's momentum product).
VariableOwner optimizer_variable_owner(const Optimizer& optimizer);
// Every object of the optimizer that Keras 3 stores: the optimizer's own; for a
// LossScaleOptimizer its own variables (iteration and learning_rate, never stepped, then
// step_counter and dynamic_scale) before the inner optimizer's at `optimizer/vars`, and the inner
// optimizer's again at `optimizer/inner_optimizer/vars`.
std::vector<VariableOwner> optimizer_variable_owners(const Optimizer& optimizer);

// "kernel (784, 128), bias (128,)".
std::string describe_variables(const std::vector<VariablePtr>& variables);

}  // namespace ksave::plugins::keras_zip
