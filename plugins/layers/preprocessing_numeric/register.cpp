// Preprocessing layers with a numeric meaning that models carry inside them: Rescaling and
// Normalization (Keras 2.6+ `keras.layers`, Keras 3), as tf-keras and Keras 3 store them.
#include "layers.hpp"

namespace {

void register_objects(ksave::PluginRegistrar& r) {
  ksave::plugins::register_rescaling(r);
  ksave::plugins::register_normalization(r);
}

}  // namespace

KSAVE_PLUGIN("preprocessing_numeric", "0.1.0", register_objects)
