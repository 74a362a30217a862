// Model JSON documents naming the guide's custom objects, as tf.keras 2.x's to_json writes a
// Sequential model: once under the registered names of the custom_layer plugin
// ("Custom>CustomLayer", "Custom>custom_activation"), once under the plain names that only
// custom_objects or a scope resolve.
#pragma once

#include <string>

namespace sdk_test {

inline std::string custom_model_json(const std::string& layer_class, const std::string& activation) {
  return R"({"class_name": "Sequential", "config": {"name": "custom_model", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8], "dtype": "float32",
      "sparse": false, "ragged": false, "name": "input_1"}},
    {"class_name": ")" + layer_class + R"(", "config": {"name": "custom_layer", "trainable": true,
      "dtype": "float32", "units": 4}},
    {"class_name": "Activation", "config": {"name": "activation", "trainable": true,
      "dtype": "float32", "activation": ")" + activation + R"("}}]},
    "keras_version": "2.15.0", "backend": "tensorflow"})";
}

inline std::string registered_names_json() { return custom_model_json("Custom>CustomLayer", "Custom>custom_activation"); }
inline std::string plain_names_json() { return custom_model_json("CustomLayer", "custom_activation"); }

}  // namespace sdk_test
