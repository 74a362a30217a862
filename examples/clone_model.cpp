// Guide, "Clonage de modèle en mémoire": clone_model rebuilds the architecture from the config
// (same layers and names), with freshly initialized weights.
#include "guide_support.hpp"

int main() {
  return guide::run("clone_model", [] {
    auto model = guide::make_custom_model();
    // with keras.utils.custom_object_scope(custom_objects): new_model = keras.models.clone_model(model)
    ksave::ModelPtr new_model;
    {
      ksave::CustomObjectScope scope(guide::custom_objects());
      new_model = ksave::clone_model(*model);
    }
    guide::check(new_model.get() != model.get(), "clone_model makes a new model");
    guide::check(new_model->get_config() == model->get_config(), "the clone has the same architecture");
    guide::twin_json(guide::work_dir("clone_model"), "clone_config", new_model->get_config());
    auto old_layers = model->layers(), new_layers = new_model->layers();
    guide::check(old_layers.size() == new_layers.size(), "the clone has as many layers");
    for (std::size_t i = 0; i < old_layers.size(); ++i) {
      guide::check(old_layers[i]->name() == new_layers[i]->name(), "layer " + std::to_string(i) + " keeps its name");
      guide::check(old_layers[i].get() != new_layers[i].get(), "layer " + std::to_string(i) + " is a new object");
    }
    // Fresh weights: same shapes and names, other values (random_normal draws anew).
    auto old_weights = model->weights(), new_weights = new_model->weights();
    guide::check(old_weights.size() == 2 && new_weights.size() == 2, "CustomLayer has two weights");
    for (std::size_t i = 0; i < old_weights.size(); ++i) {
      guide::check(old_weights[i]->shape() == new_weights[i]->shape(), "weight " + std::to_string(i) + " keeps its shape");
      guide::check(old_weights[i]->name() == new_weights[i]->name(), "weight " + std::to_string(i) + " keeps its name");
      guide::check(!ksave::allclose(old_weights[i]->value(), new_weights[i]->value()),
                   "weight " + std::to_string(i) + " is freshly initialized, not copied");
    }
    // Cloning a model with custom objects needs them, as in Keras.
    std::string error = guide::error_of([&] { ksave::clone_model(*model); }, "cloning without the custom objects");
    guide::check(guide::contains(error, "CustomLayer"), "the error names CustomLayer: " + error);
  });
}
