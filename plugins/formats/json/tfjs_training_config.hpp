// TensorFlow.js records a model's training configuration (model.getTrainingConfig(), the
// "trainingConfig" of a tfjs model.json) with its own optimizer names and camelCase keys. This
// rewrites it into the Keras 2.x training_config that Model::compile_from_training_config reads.
#pragma once

#include "ksave/json.hpp"

namespace ksave::plugins::json_format {

// True when `config` is in tfjs's form (a tfjs optimizer class or camelCase optimizer keys).
bool is_tfjs_training_config(const Json& config);

// The Keras form of a tfjs training config (SGD/Momentum → SGD, RMSProp → RMSprop with decay →
// rho, learningRate → learning_rate, beta1 → beta_1, useNesterov → nesterov, ...; loss and
// metric names in snake_case; no metrics as an empty list). Other values are returned as given.
Json keras_training_config(const Json& config);

}  // namespace ksave::plugins::json_format
