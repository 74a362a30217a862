// Applies the form in which Keras 3.15 writes a class (ksave/keras3_form.hpp: its module, its keys
// in Keras 3's order, the keys it spells otherwise, adds or does not have, its build_config and
// call arguments) to ksave's tf-keras-form config. Each class declares its form where it is
// registered; this file names no class. A class without a form keeps its config as it is, so a
// third party's layer is written as its get_config says.
#pragma once

#include <string>

#include "ksave/class_entry.hpp"
#include "ksave/json.hpp"

namespace ksave::plugins::keras_zip {

// The form registered for `class_name` (its fields as keras3_form.hpp names them), or an empty
// object when Keras 3 writes it as tf-keras does. Keras's own "function" object (a plain function
// as an activation) has the form Keras 3 gives it.
Json keras3_form(const std::string& class_name);

// Keras 3's module for a class of that form: the form's, else the module of its kind
// (keras.layers, ...); null for a class that does not resolve.
Json keras3_module(const std::string& class_name, const Json& form);

// `config` in the keys and order of a class's form (see the file comment).
void apply_keras3_form(const Json& form, Json& config);

// The build_config of the layers a wrapper's config holds (its form's wrapped_build), from the
// wrapper's own build_config.
void add_wrapped_build_configs(const Json& form, const Json& build_config, Json& config);

}  // namespace ksave::plugins::keras_zip
