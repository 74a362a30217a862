// Guide, "to_json() et tf.keras.models.model_from_json()": a model turned into a JSON string
// and rebuilt from it without its class in hand.
#include "guide_support.hpp"

using ksave::Json;

int main() {
  return guide::run("model_to_json", [] {
    // model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    // json_config = model.to_json(); new_model = keras.models.model_from_json(json_config)
    auto model = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{
        ksave::Input({32}).layer(), ksave::make_layer("Dense", {{"units", 1}})});
    std::string json_config = model->to_json();
    guide::twin_json(guide::work_dir("model_to_json"), "json_config", Json::parse(json_config));
    auto new_model = ksave::model_from_json(json_config);
    guide::check(new_model->class_name() == "Sequential", "model_from_json rebuilds a Sequential");
    guide::check(new_model->to_json() == json_config, "the rebuilt model writes the same JSON");

    // The document has tf.keras's top-level keys.
    Json document = Json::parse(json_config);
    for (const char* key : {"class_name", "config", "keras_version", "backend"})
      guide::check(document.contains(key), std::string("to_json writes '") + key + "'");

    // Same architecture, fresh weights: predictions differ unless the weights are copied.
    new_model->set_weights(model->get_weights());
    auto x = ksave::Tensor::filled(ksave::DType::Float32, {4, 32}, 0.5);
    guide::check(ksave::allclose(new_model->predict(x), model->predict(x)),
                 "with the same weights the rebuilt model predicts the same values");
  });
}
