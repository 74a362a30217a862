// Lambda: the layer's function is Python bytecode (marshalled into the config), which C++ cannot
// run. Registering the class makes loading fail at once, in the constructor, with an error that
// names the layer and says what to do instead, rather than a generic "unknown class" or a
// failure at predict time.
#include "ksave/config.hpp"
#include "ksave/conformance.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins {
namespace {

class Lambda : public Layer {
 public:
  explicit Lambda(const Json& config) : Layer(config, "Lambda") {
    std::string function = "a Python function";
    if (config.contains("function") && config["function"].is_string()) function = "'" + config["function"].get<std::string>() + "'";
    else if (config.contains("function_type") && config["function_type"] == "lambda") function = "a Python lambda";
    throw Error("layer '" + name() + "' (Lambda) holds " + function +
                " as Python bytecode, which cannot run outside Python: write the computation as a ksave layer "
                "plugin (ksave_add_plugin, registered under a class name with PluginRegistrar::layer), replace "
                "the Lambda with that layer in the model, and load the model with the plugin on "
                "KSAVE_PLUGIN_PATH");
  }
  std::string class_name() const override { return "Lambda"; }

 protected:
  // Never reached: the constructor always throws.
  Tensors call(const Tensors&, const CallContext&) override { throw Error("layer '" + name() + "' (Lambda) cannot run in C++"); }
};

void register_objects(PluginRegistrar& r) { r.layer<Lambda>("Lambda"); }

}  // namespace
}  // namespace ksave::plugins

KSAVE_PLUGIN("lambda", "0.1.0", ksave::plugins::register_objects)

// The conformance kit checks that Lambda refuses, with a clear error, whatever its config.
namespace {

ksave::Json conformance_samples() {
  return ksave::ConformanceSamples().refused("layer", "Lambda", "its function is Python bytecode").json();
}

}  // namespace

KSAVE_CONFORMANCE_SAMPLES(conformance_samples)
