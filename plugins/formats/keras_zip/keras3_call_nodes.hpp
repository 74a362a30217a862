// Calls that pass tensors by keyword (MultiHeadAttention's value, key, attention_mask), written
// in Keras 3's node form. Keras 3 reads tf.keras 2.x's list-form nodes too, but passes their
// keyword values as written, so a tensor reference there would reach the layer as a plain list;
// such calls, and MultiHeadAttention's calls with value and key as positional tensors, become
// {"args": [...], "kwargs": {...}} nodes with __keras_tensor__ entries. Other nodes are left in
// list form.
#pragma once

#include "keras3_nodes.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::keras_zip {

// Rewrites the MultiHeadAttention nodes of a Functional config (node numbers already Keras 3's),
// their tensors with the shapes and dtypes of `specs`, and gives each layer Keras 3's
// build_config: the shapes_dict of its first call's query, value and key.
void write_attention_calls_as_keras3_nodes(Json& functional_config, const NodeInputSpecs& specs);

}  // namespace ksave::plugins::keras_zip
