#include "serialization/keras3_activations.hpp"

#include <string>

namespace ksave {
namespace {

bool is_activation_key(const std::string& key) { return key == "activation" || key == "recurrent_activation"; }

// The name inside an activation value: the value itself, or a function object's config
// ({"class_name": "function", "config": name}, as tf-keras 2.13+ and Keras 3 write one).
Json* activation_name(Json& value) {
  if (value.is_string()) return &value;
  if (value.is_object() && value.value("class_name", "") == "function" && value.contains("config") && value["config"].is_string())
    return &value["config"];
  return nullptr;
}

void rename_keras3_activation(Json& value) {
  Json* name = activation_name(value);
  if (!name) return;
  if (*name == "hard_sigmoid") *name = "hard_sigmoid_keras3";
  else if (*name == "silu") *name = "swish";
}

}  // namespace

bool is_keras3_model_json(const Json& value) {
  return value.is_object() && value.contains("module") && !value.contains("keras_version");
}

void keras3_activation_names_to_ksave(Json& config) {
  if (config.is_array()) {
    for (auto& item : config) keras3_activation_names_to_ksave(item);
  } else if (config.is_object()) {
    for (auto& [key, value] : config.items()) {
      if (is_activation_key(key)) rename_keras3_activation(value);
      keras3_activation_names_to_ksave(value);
    }
  }
}

}  // namespace ksave
