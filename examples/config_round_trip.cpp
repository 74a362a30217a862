// Guide, "get_config() et from_config()": a layer, a Sequential model and a functional model
// rebuilt from their configs give the same configs back.
#include "guide_support.hpp"

using ksave::Json;

int main() {
  return guide::run("config_round_trip", [] {
    // layer = keras.layers.Dense(3, activation="relu")
    // layer_config = layer.get_config()
    // new_layer = keras.layers.Dense.from_config(layer_config)
    auto layer = ksave::make_layer("Dense", {{"units", 3}, {"activation", "relu"}});
    Json layer_config = layer->get_config();
    auto new_layer = ksave::make_layer("Dense", layer_config);
    guide::check(new_layer->get_config() == layer_config, "Dense.from_config gives the same config");
    // The same through keras.layers.serialize / deserialize.
    auto deserialized = ksave::deserialize_layer(ksave::serialize(*layer));
    guide::check(deserialized->get_config() == layer_config, "deserialize(serialize(layer)) keeps the config");
    guide::check(deserialized.get() != layer.get(), "deserialize makes a new layer");

    // model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    // config = model.get_config(); new_model = keras.Sequential.from_config(config)
    auto sequential = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
        ksave::Input({32}).layer(), ksave::make_layer("Dense", {{"units", 1}})});
    Json sequential_config = sequential->get_config();
    auto new_sequential = ksave::Sequential::from_config(sequential_config);
    guide::check(new_sequential->get_config() == sequential_config, "Sequential.from_config gives the same config");
    guide::check(new_sequential->count_params() == 33, "the rebuilt Sequential has 32 + 1 parameters");

    // inputs = keras.Input((32,)); outputs = keras.layers.Dense(1)(inputs)
    // model = keras.Model(inputs, outputs); new_model = keras.Model.from_config(model.get_config())
    auto inputs = ksave::Input({32});
    auto outputs = (*ksave::make_layer("Dense", {{"units", 1}}))(inputs);
    auto functional = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{outputs});
    Json functional_config = functional->get_config();
    auto new_functional = ksave::Functional::from_config(functional_config);
    guide::check(new_functional->get_config() == functional_config, "Model.from_config gives the same config");
    guide::check(new_functional->layers().size() == 2, "the rebuilt functional model has an input and a Dense");
    std::cout << "functional config: " << functional_config.dump() << "\n";
    const auto dir = guide::work_dir("config_round_trip");
    guide::twin_json(dir, "layer_config", layer_config);
    guide::twin_json(dir, "sequential_config", sequential_config);
    guide::twin_json(dir, "functional_config", functional_config);
  });
}
