// The calls of layers that Keras 3 builds from their call's shapes (their form's
// build_from_call_shapes, as MultiHeadAttention's query, value and key), written in Keras 3's node
// form. These calls pass tensors by keyword (MultiHeadAttention's value, key, attention_mask);
// Keras 3 reads tf.keras 2.x's list-form nodes too, but passes their keyword values as written, so
// a tensor reference there would reach the layer as a plain list. Such calls become
// {"args": [...], "kwargs": {...}} nodes with __keras_tensor__ entries, the form's
// positional_call_tensors as positional arguments. Other nodes are left in list form.
#pragma once

#include "keras3_nodes.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::keras_zip {

// Rewrites the nodes of those layers in a Functional config (node numbers already Keras 3's),
// their tensors with the shapes and dtypes of `specs`, and gives each layer Keras 3's
// build_config: the shapes_dict of its first call's arguments that its form names.
void write_calls_of_shape_built_layers_as_keras3_nodes(Json& functional_config, const NodeInputSpecs& specs);

}  // namespace ksave::plugins::keras_zip
