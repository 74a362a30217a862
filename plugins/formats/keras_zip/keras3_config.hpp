// The JSON of a Keras 3 archive: config.json (the model's config with Keras 3's `module`,
// `registered_name` and `build_config` keys, and its `compile_config`) and metadata.json.
#pragma once

#include <string>

#include "ksave/json.hpp"
#include "keras3_nodes.hpp"
#include "ksave/model.hpp"

namespace ksave::plugins::keras_zip {

// Keras 3's compile_config as the tf.keras training_config that Model::compile_from_training_config
// reads: the optimizer (a name or a serialized dict; a registered custom class by its
// registered_name) becomes optimizer_config; loss, metrics, weighted_metrics and loss_weights
// are kept.
Json training_config_from_compile_config(const Json& compile_config);

// A compiled model's compile_config as Keras 3 writes it: the optimizer serialized from its
// current state, the loss and metrics of its training_config, and Keras's defaults for
// run_eagerly, steps_per_execution and jit_compile.
Json compile_config_of(const Model& model);

// ksave's serialized model config (tf.keras 2.x form, layers with their build_config) in Keras
// 3's form: every serialized object gets `module` and `registered_name` (the "Package>Name" key
// for a package-registered class, whose class_name becomes the plain name), each class's config
// its Keras 3 form (keras3_forms.hpp), layers a DTypePolicy, models Keras 3's build_config and
// compile_config, graph models Keras 3's nodes (the tensors' shapes and dtypes from `specs`),
// and activations whose name changed are named as Keras 3 names them. Throws naming the layer
// for tf-keras's hard_sigmoid, which Keras 3 does not have.
Json to_keras3_config(const Json& config, const NodeInputSpecs& specs = {});

// A Keras 3 config read from an archive in the form ksave reads: list-form nested-model nodes
// numbered as tf-keras numbers them, wrappers' zero_output_for_mask dropped. (Its activation names
// are made ksave's by model_from_json, which knows Keras 3's to_json form.)
void keras3_names_to_ksave(Json& config);

// metadata.json: {"keras_version", "date_saved"} ("2024-06-26@16:51:48", local time, as Keras
// writes it).
Json archive_metadata();

}  // namespace ksave::plugins::keras_zip
