// Activations whose name means another function in Keras 3 than in tf-keras, as ksave reads a
// model config that Keras 3 wrote (its to_json, a .keras archive's config.json).
#pragma once

#include "ksave/json.hpp"

namespace ksave {

// Keras 3's serialize_keras_object form of a whole model: a top-level "module" and no
// "keras_version" (tf-keras's to_json and ksave's write keras_version and no top-level module).
bool is_keras3_model_json(const Json& value);

// Every activation name in a Keras 3 config made ksave's: Keras 3's "hard_sigmoid" is
// relu6(x + 3) / 6 (keras/src/activations/activations.py), ksave's "hard_sigmoid_keras3", where
// ksave's "hard_sigmoid" keeps tf-keras's clip(0.2 x + 0.5, 0, 1); Keras 3's "silu" is ksave's
// "swish". The keras_zip writer names them back (plugins/formats/keras_zip/keras3_config.cpp).
void keras3_activation_names_to_ksave(Json& config);

}  // namespace ksave
