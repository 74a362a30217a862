// InputLayer, a class of the core: every graph starts with one, so the core builds it itself
// (Input(), a Sequential's declared input) instead of asking the registry for a plugin's.
#pragma once

#include "ksave/class_entry.hpp"
#include "ksave/layer.hpp"

namespace ksave::detail {

// An InputLayer from its Keras config (batch_input_shape or input_shape, dtype, name, ...).
LayerPtr make_input_layer(const Json& config);
// Its registry entry, so that configs naming "InputLayer" resolve to it.
ClassEntry input_layer_entry();

}  // namespace ksave::detail
