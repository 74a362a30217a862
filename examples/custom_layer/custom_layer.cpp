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
  // How Keras 3 writes ScaledDense's Python twin into a .keras archive: under its module, with
  // its own key order and its spelling of momentum (ScaledDense reads that spelling too). Without
  // a form, .keras archives hold the class as its get_config says, with a null module.
  registrar.layer<guide::ScaledDense>("ScaledDense")
      .keras3_form(ksave::Keras3Form()
                       .module("custom_layer.layers")
                       .keys({"name", "trainable", "dtype", "units", "scale", "activation", "mean_momentum"})
                       .renamed("momentum", "mean_momentum"));
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
