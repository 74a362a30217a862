// The layer and model classes that live in the core: InputLayer, Sequential and Functional
// (also read under "Model", the class name of standalone Keras and early tf.keras functional
// models).
#include "core_models.hpp"

#include "input_layer.hpp"
#include "ksave/model.hpp"

namespace ksave::detail {

std::vector<ClassEntry> core_class_entries() {
  ClassEntry sequential;
  sequential.kind = Kind::Model;
  sequential.class_name = "Sequential";
  sequential.factory = LayerFactory([](const Json& c) -> LayerPtr { return Sequential::from_config(c); });
  ClassEntry functional;
  functional.kind = Kind::Model;
  functional.class_name = "Functional";
  functional.aliases = {"Model"};
  functional.factory = LayerFactory([](const Json& c) -> LayerPtr { return Functional::from_config(c); });
  return {input_layer_entry(), sequential, functional};
}

}  // namespace ksave::detail
