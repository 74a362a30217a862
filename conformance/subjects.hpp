// The models the kit builds around classes that are not layers: a Dense that uses an object of
// the plugin, a small model trained with an optimizer of the plugin, a reference model for a
// format.
#pragma once

#include "ksave/class_entry.hpp"
#include "ksave/json.hpp"
#include "ksave/model.hpp"

namespace ksave::conformance {

// A Dense layer's sample that uses the activation, initializer, regularizer or constraint
// `entry` (its sample config for the object's config). Throws for other kinds.
Json object_user_sample(const ClassEntry& entry, const Json& sample);

struct TrainingData {
  Tensor x, y;  // 16 rows of 6 features, 2 targets
};
const TrainingData& training_data();
// Input(6) -> Dense(4, tanh) -> Dense(2), compiled with `optimizer` ({"class_name", "config"})
// and the mean squared error, after three steps.
ModelPtr trained_model(const Json& optimizer);
void train_one_step(Model& model);

}  // namespace ksave::conformance
