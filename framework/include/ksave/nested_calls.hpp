// How a Functional config numbers the calls of the models nested in it. tf.keras 2.x numbers a
// nested model's calls in its parent from 1 (node 0 is the nested model's call on its own Input:
// a Functional model, a Sequential starting with an InputLayer); Keras 3 numbers them from 0.
// ksave's builder reads tf.keras's numbering; the Keras 3 readers and writers shift between the
// two with this one function.
#pragma once

#include "ksave/json.hpp"

namespace ksave {

// Shifts by `by` the node numbers of the references to nested graph models in a Functional
// config's list-form nodes (inbound_nodes, input_layers, output_layers); a number never goes
// below 0.
void shift_nested_model_calls(Json& functional_config, int by);

}  // namespace ksave
