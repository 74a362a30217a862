// Activation: applies a named activation function (built-in or custom) to its input.
#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/inference_folding.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class ActivationLayer : public Layer, public FusableActivationLayer {
 public:
  explicit ActivationLayer(const Json& config) : Layer(config, "Activation") {
    ConfigReader r(config, "layer '" + name() + "' (Activation)");
    set_supports_masking(true);  // Keras passes masks through this layer
    activation_ = get_activation(r.require<Json>("activation"));
  }

  std::string class_name() const override { return "Activation"; }

  Json get_config() const override {
    Json c = Layer::get_config();
    c["activation"] = serialize(activation_);
    return c;
  }
  // The activations the fused products compute as Keras does (inference_folding.hpp).
  const char* fused_activation() const override {
    for (const char* name : {"linear", "relu", "relu6"})
      if (activation_.name == name) return name;
    return nullptr;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override { return {activation_(inputs.at(0).as_float())}; }
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override { return shapes; }

 private:
  Activation activation_;
};

void register_objects(PluginRegistrar& r) {
  r.layer<ActivationLayer>("Activation").keras3_form(Keras3Form().no_build_config());  // Keras 3's has no build()
}

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("activation", "0.1.0", ksave::plugins::register_objects)

// What the conformance kit (ksave conform) builds these classes from where {} builds nothing or
// the inputs are not one float tensor.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples()
      .layer("Activation", {{"activation", "tanh"}})
      .json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
