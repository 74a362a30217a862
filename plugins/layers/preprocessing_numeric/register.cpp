// Preprocessing layers with a numeric meaning that models carry inside them: Rescaling and
// Normalization (Keras 2.6+ `keras.layers`, Keras 3), as tf-keras and Keras 3 store them.
#include "layers.hpp"
#include "ksave/conformance.hpp"

namespace {

void register_objects(ksave::PluginRegistrar& r) {
  ksave::plugins::register_rescaling(r);
  ksave::plugins::register_normalization(r);
}

}  // namespace

KSAVE_PLUGIN("preprocessing_numeric", "0.1.0", register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Rescaling", {{"scale", 0.5}})
      .layer("Normalization", {{"mean", 0.5}, {"variance", 2.0}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
