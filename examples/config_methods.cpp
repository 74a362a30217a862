// Guide, "Définir les méthodes de configuration": a layer holding a variable `var` (named
// "var_a") whose get_config returns only {"a": value}; serialize gives, as tf-keras 2.21 does,
// {'module': None, 'class_name': 'CustomLayer', 'config': {'a': 2}, 'registered_name': 'CustomLayer'}
// after var.assign(2) (the guide, written for an older Keras, shows only class_name and config), and deserialize with
// custom_objects={"CustomLayer": CustomLayer} rebuilds it (from_config is cls(**config)).
#include "guide_support.hpp"

using ksave::Json;

namespace {

class CustomLayer : public ksave::Layer {
 public:
  // def __init__(self, a): self.var = tf.Variable(a, name="var_a")
  explicit CustomLayer(const Json& config) : Layer(config, "CustomLayer") {
    auto a = ksave::ConfigReader(config, "layer '" + name() + "' (CustomLayer)").require<std::int32_t>("a");
    var = std::make_shared<ksave::Variable>("var_a:0", ksave::Tensor::scalar<std::int32_t>(a));
    track_variable("var", var);
  }
  std::string class_name() const override { return "CustomLayer"; }
  // def get_config(self): return {"a": self.var.numpy()}
  Json get_config() const override { return {{"a", static_cast<std::int32_t>(var->value().item())}}; }
  ksave::VariablePtr var;

 protected:
  // inputs * var when training, else inputs.
  ksave::Tensors call(const ksave::Tensors& inputs, const ksave::CallContext& ctx) override {
    if (!ctx.training) return inputs;
    return {ksave::ops::mul(inputs.at(0), ksave::ops::cast(var->value(), inputs.at(0).dtype()))};
  }
};

}  // namespace

int main() {
  return guide::run("config_methods", [] {
    // layer = CustomLayer(5); layer.var.assign(2)
    auto layer = std::make_shared<CustomLayer>(Json{{"a", 5}});
    layer->var->assign(ksave::Tensor::scalar<std::int32_t>(2));
    // serialized_layer = keras.layers.serialize(layer)
    Json serialized_layer = ksave::serialize(*layer);
    std::cout << "serialized: " << serialized_layer.dump() << "\n";
    guide::check(serialized_layer == Json::parse(R"({"module": null, "class_name": "CustomLayer", "config": {"a": 2},
                                                     "registered_name": "CustomLayer"})"),
                 "serialize gives tf-keras 2.21's {'module': None, 'class_name': 'CustomLayer', 'config': {'a': 2}, "
                 "'registered_name': 'CustomLayer'}");

    // Unknown without custom_objects (Keras: "Unknown layer: CustomLayer").
    std::string error = guide::error_of([&] { ksave::deserialize_layer(serialized_layer); }, "deserialize without custom_objects");
    guide::check(guide::contains(error, "CustomLayer"), "the error names CustomLayer: " + error);

    // new_layer = keras.layers.deserialize(serialized_layer, custom_objects={"CustomLayer": CustomLayer})
    auto new_layer = ksave::deserialize_layer(serialized_layer, {{"CustomLayer", ksave::layer_class<CustomLayer>("CustomLayer")}});
    auto rebuilt = std::dynamic_pointer_cast<CustomLayer>(new_layer);
    guide::check(rebuilt != nullptr, "deserialize builds a CustomLayer");
    guide::check(rebuilt->var->value().item() == 2.0, "the new layer's var holds 2");
    guide::check(rebuilt->var->name() == "var_a:0", "the variable keeps its name var_a");
    guide::check(rebuilt->own_variables().at(0).first == "var", "it is tracked under the attribute name 'var'");

    // call(inputs, training): inputs * var in training, the inputs otherwise.
    auto x = ksave::Tensor::filled(ksave::DType::Float32, {1, 3}, 1.5);
    ksave::CallContext training;
    training.training = true;
    guide::check(ksave::allclose((*rebuilt)(x, training), ksave::Tensor::filled(ksave::DType::Float32, {1, 3}, 3.0)),
                 "training call multiplies by var");
    guide::check(ksave::allclose((*rebuilt)(x), x), "inference call returns the inputs");
  });
}
