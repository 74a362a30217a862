// Keras 3's form of a Functional model's graph: each call of a layer as {"args", "kwargs"} with
// the tensors it takes written as __keras_tensor__ objects (shape, dtype, keras_history), and a
// model of one input or output naming it by itself instead of in a list.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ksave/json.hpp"
#include "ksave/model.hpp"

namespace ksave::plugins::keras_zip {

// Per layer name: for each of its calls inside the graph model that holds it (in the order of
// its config's inbound_nodes), the __keras_tensor__ config of every tensor it takes, without
// keras_history: {"shape", "dtype"}.
using NodeInputSpecs = std::map<std::string, std::vector<std::vector<Json>>>;

// True when a list-form node passes a constant (tf.keras's ["_CONSTANT_VALUE", -1, value, kwargs]):
// a Keras 3 op call such as keras.ops.add(x, 3.0).
bool has_constant_arguments(const Json& node);

// Keras 3's __keras_tensor__ for the reference [layer, node, tensor, ...] with `spec`'s shape and
// dtype.
Json keras_tensor(const Json& ref, const Json& spec);

// The specs of every graph model in `model`, nested ones included.
NodeInputSpecs node_input_specs(const Model& model);

// A Functional config whose inbound_nodes are tf-keras's lists ([[layer, node, tensor, kwargs],
// ...], Keras 3's node numbers) rewritten in Keras 3's form.
void write_keras3_nodes(Json& functional_config, const NodeInputSpecs& specs);

}  // namespace ksave::plugins::keras_zip
