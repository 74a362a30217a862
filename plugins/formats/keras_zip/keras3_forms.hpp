// How Keras 3.15 writes each built-in class's config, as data: its module when not the one of its
// kind, its keys in Keras 3's order, the keys it spells otherwise, the keys it adds (with the value
// Keras writes when ksave's config has none) and the keys it does not have. The writer applies a
// class's form to ksave's tf-keras-form config; a class without a form keeps its config as it is,
// so a third party's layer is written as its get_config says.
#pragma once

#include <string>

#include "ksave/class_entry.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::keras_zip {

// The form of a class, or nullptr when Keras 3 writes it as tf-keras does.
const Json* keras3_form(const std::string& class_name);

// Keras 3's module for a class: the form's, else the module of its kind (keras.layers, ...);
// null for a class that does not resolve.
Json keras3_module(const std::string& class_name);

// `config` of `class_name` in Keras 3's keys and order (see the file comment).
void apply_keras3_form(const std::string& class_name, Json& config);

// The build_config of the layers a wrapper's config holds (its form's wrapped_build), from the
// wrapper's own build_config.
void add_wrapped_build_configs(const std::string& class_name, const Json& build_config, Json& config);

}  // namespace ksave::plugins::keras_zip
