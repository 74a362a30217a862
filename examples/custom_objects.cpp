// Guide, "Objets personnalisés": a model holding the guide's CustomLayer and custom_activation
// is rebuilt from its config through the three ways Keras offers (the custom_objects argument,
// a custom_object_scope, registration with a package) and fails without them, naming the class.
#include "guide_support.hpp"

using ksave::Json;

namespace {

// Which classes a rebuilt model uses, by layer.
void check_rebuilt(const ksave::ModelPtr& rebuilt, ksave::Model& original, const std::string& how) {
  guide::check(rebuilt->get_layer(1)->class_name() == "CustomLayer", how + ": layer 1 is a CustomLayer");
  guide::check(rebuilt->get_config() == original.get_config(), how + ": the config is the same");
  guide::check(rebuilt->count_params() == 32 * 32 + 32, how + ": CustomLayer(32) has 1056 parameters");
  // Same weights, same predictions: the activation really is tanh(x)^2.
  rebuilt->set_weights(original.get_weights());
  auto x = ksave::Tensor::filled(ksave::DType::Float32, {2, 32}, 0.1);
  auto y = rebuilt->predict(x);
  guide::check(ksave::allclose(y, original.predict(x)), how + ": predictions agree");
  for (float v : y.values<float>()) guide::check(v >= 0.0f && v <= 1.0f, how + ": tanh(x)^2 lies in [0, 1]");
}

}  // namespace

int main() {
  return guide::run("custom_objects", [] {
    auto model = guide::make_custom_model();
    // config = model.get_config()
    Json config = ksave::serialize(*model);
    guide::check(config["config"]["layers"][1]["class_name"] == "CustomLayer", "the config names CustomLayer");
    // tf-keras 2.21 writes a function that is not one of Keras's own as a "function" object.
    guide::check(config["config"]["layers"][2]["config"]["activation"]["config"] == "custom_activation",
                 "the config names custom_activation");

    // Without the custom objects the config cannot be read; the error names both objects.
    std::string missing = guide::error_of([&] { ksave::model_from_config(config); }, "loading without custom objects");
    guide::check(guide::contains(missing, "CustomLayer"), "the error names CustomLayer: " + missing);
    guide::check(guide::contains(missing, "custom_activation"), "the error names custom_activation: " + missing);
    std::cout << "without custom objects: " << missing << "\n";

    // 1. keras.models.model_from_config(config, custom_objects=custom_objects)
    check_rebuilt(ksave::model_from_config(config, guide::custom_objects()), *model, "custom_objects argument");

    // 2. with keras.utils.custom_object_scope(custom_objects): keras.Model.from_config(config)
    {
      ksave::CustomObjectScope scope(guide::custom_objects());
      check_rebuilt(ksave::Functional::from_config(config["config"]), *model, "custom_object_scope");
    }

    // 3. @keras.utils.register_keras_serializable(package="Custom"): the registered name is
    // "Custom>CustomLayer", which serialization now writes and loading resolves with no help.
    ksave::ClassEntry layer_entry = *ksave::layer_class<guide::CustomLayer>("CustomLayer");
    layer_entry.package = "Custom";
    ksave::ClassEntry activation_entry = *ksave::activation_function("custom_activation", guide::custom_activation);
    activation_entry.package = "Custom";
    ksave::Registry::global().add(layer_entry);
    ksave::Registry::global().add(activation_entry);
    auto registered_model = guide::make_custom_model();
    Json registered_config = ksave::serialize(*registered_model);
    guide::check(registered_config["config"]["layers"][1]["registered_name"] == "Custom>CustomLayer",
                 "a registered class is written as Custom>CustomLayer");
    guide::check(registered_config["config"]["layers"][2]["config"]["activation"]["config"] == "Custom>custom_activation",
                 "a registered function is written as Custom>custom_activation");
    check_rebuilt(ksave::model_from_config(registered_config), *registered_model, "registration");
    // The plain name is not what registration provides: it still needs custom objects.
    guide::error_of([&] { ksave::model_from_config(config); }, "loading the plain names after registration");
  });
}
