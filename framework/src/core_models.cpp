// The layer and model classes that live in the core: InputLayer, Sequential, Functional and
// Model (the class name of subclassed models, of standalone Keras's and early tf.keras's
// functional models, read as a Functional config), each with the form Keras 3 writes it in.
#include "core_models.hpp"

#include "input_layer.hpp"
#include "ksave/model.hpp"

namespace ksave::detail {
namespace {

ClassEntry model_entry(const std::string& class_name, LayerFactory factory, Keras3Form form) {
  ClassEntry entry;
  entry.kind = Kind::Model;
  entry.class_name = class_name;
  entry.factory = std::move(factory);
  form.model();
  entry.keras3_form = std::move(form);
  return entry;
}

}  // namespace

std::vector<ClassEntry> core_class_entries() {
  const LayerFactory functional = [](const Json& c) -> LayerPtr { return Functional::from_config(c); };
  return {input_layer_entry(),
          model_entry("Sequential", [](const Json& c) -> LayerPtr { return Sequential::from_config(c); },
                      Keras3Form()
                          .module("keras")
                          .keys({"name", "trainable", "dtype", "layers", "build_input_shape"})
                          .default_value("trainable", true)
                          .default_value("dtype", "float32")),
          // Keras 3 does not export Functional: it names it by module path and registered_name.
          model_entry("Functional", functional,
                      Keras3Form().module("keras.src.models.functional").registered_name("Functional")),
          model_entry("Model", functional, Keras3Form().module("keras"))};
}

}  // namespace ksave::detail
