// The order in which Keras 3 lists a Functional model's layers in its config: the order of its
// graph's operations (keras.src.ops.function.map_graph), deepest first, ties broken by the order
// a depth-first walk back from the outputs meets them. ksave's own order follows tf-keras, whose
// walk meets a call's keyword tensors in the order they were written; Keras 3 flattens a call's
// (args, kwargs) with dict keys sorted (MultiHeadAttention's attention_mask before its key), so
// the two can differ.
#pragma once

#include "ksave/json.hpp"

namespace ksave::plugins::keras_zip {

// Reorders the "layers" of a Functional config whose nodes are in Keras 3's form (node numbers
// Keras 3's). A config whose references do not resolve is left as it is.
void order_layers_as_keras3(Json& functional_config);

}  // namespace ksave::plugins::keras_zip
