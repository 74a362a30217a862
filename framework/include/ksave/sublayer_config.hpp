// How a layer held in another layer's config is written (a wrapper's `layer`, an RNN's `cell`).
#pragma once

#include "ksave/json.hpp"
#include "ksave/layer.hpp"

namespace ksave {

// The layer as tf-keras 2.21's get_config writes a sublayer (serialize_keras_object): in the
// Current form in .h5 files too (measured: module, registered_name, and build_config once built),
// where the layer entries of an .h5 model config are {"class_name", "config"}; in keras_metadata
// (the SavedModel dialect) as {"class_name", "config"}. (serialization.hpp: the dialects.)
Json serialize_sublayer(const Layer& layer);

}  // namespace ksave
