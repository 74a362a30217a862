// A third-party plugin built with the ksave SDK: the guide's CustomLayer and custom_activation,
// and ScaledDense (a non-trainable weight updated in `call`, an `activation` key), registered as
// Keras's @register_keras_serializable(package="Custom") would, so configs name them
// "Custom>CustomLayer", "Custom>ScaledDense" and "Custom>custom_activation".
#include "custom_layer.hpp"
#include "scaled_dense.hpp"

#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace {

void register_objects(ksave::PluginRegistrar& registrar) {
  registrar.set_package("Custom");
  registrar.layer<guide::CustomLayer>("CustomLayer");
  registrar.layer<guide::ScaledDense>("ScaledDense");
  registrar.activation("custom_activation", guide::custom_activation);
}

// The conformance kit (ksave conform) builds each class from {} unless its plugin gives a
// sample: ScaledDense's uses the plugin's own activation and a scale, so the kit checks them too.
ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("ScaledDense", {{"units", 3}, {"activation", "Custom>custom_activation"}, {"scale", 2.0}})
      .json();
}

}  // namespace

KSAVE_PLUGIN("custom_layer", "1.0.0", register_objects)
KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
