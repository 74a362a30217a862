#include "keras3_forms.hpp"

#include "keras3_exported_names.hpp"

#include <utility>

#include "ksave/registry.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// The kinds of objects a config names, in the order a name is looked up, with the module Keras 3
// files each kind's own classes under.
constexpr std::pair<Kind, const char*> kKindModules[] = {
    {Kind::Layer, "keras.layers"},           {Kind::Model, "keras"},
    {Kind::Initializer, "keras.initializers"}, {Kind::Regularizer, "keras.regularizers"},
    {Kind::Constraint, "keras.constraints"}, {Kind::Optimizer, "keras.optimizers"},
    {Kind::Loss, "keras.losses"},            {Kind::Metric, "keras.metrics"}};

// Keras 3 writes a plain function (an activation given as one) as an object of its own, the
// Python type "function" of module builtins; no class is registered under that name.
constexpr const char* kFunctionObject = "function";

}  // namespace

Json keras3_form(const std::string& class_name) {
  if (class_name.empty()) return Json::object();
  if (class_name == kFunctionObject) return Json{{"module", "builtins"}, {"registered_name", kFunctionObject}};
  for (const auto& [kind, _] : kKindModules)
    if (const ClassRef entry = Registry::global().resolve(kind, class_name)) {
      // The form belongs to the name the class is registered under (or Keras 3 exports it
      // under); an alias (an older spelling) is written as a class of its kind.
      const bool own_name = entry->class_name == class_name || entry->registered_name() == class_name ||
                            keras3_exported_name(entry->class_name) == class_name;
      return own_name ? entry->keras3_form.fields() : Json::object();
    }
  return Json::object();
}

Json keras3_module(const std::string& class_name, const Json& form) {
  if (form.contains("module")) return form["module"];
  for (const auto& [kind, module] : kKindModules)
    if (Registry::global().resolve(kind, class_name)) return module;
  return nullptr;
}

namespace {

// Keras 3 zeroes a wrapped recurrent layer's masked outputs when it returns sequences.
void set_wrapped_zero_output(const Json& form, Json& config) {
  const Json keys = form.value("wrapped_rnn_keys", Json::array());
  for (const auto& key : keys) {
    auto wrapped = config.find(key.get<std::string>());
    if (wrapped == config.end() || !wrapped->is_object() || !wrapped->contains("config")) continue;
    Json& inner = (*wrapped)["config"];
    if (inner.is_object() && inner.contains("zero_output_for_mask") && inner.contains("return_sequences"))
      inner["zero_output_for_mask"] = inner["return_sequences"];
  }
}

// A shape without its axis 1 (a TimeDistributed layer's shape per step).
Json without_time_axis(const Json& shape) {
  if (!shape.is_array() || shape.size() < 2) return shape;
  Json out = Json::array();
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (i != 1) out.push_back(shape[i]);
  return out;
}

}  // namespace

void add_wrapped_build_configs(const Json& form, const Json& build_config, Json& config) {
  if (!config.is_object() || !build_config.is_object() || !build_config.contains("input_shape")) return;
  const Json wrapped = form.value("wrapped_build", Json::object());
  for (const auto& [key, how] : wrapped.items()) {
    auto layer = config.find(key);
    if (layer == config.end() || !layer->is_object() || !layer->contains("config")) continue;
    if (!layer->contains("build_config")) {
      const Json& shape = build_config["input_shape"];
      (*layer)["build_config"] = Json{{"input_shape", how == "per_step" ? without_time_axis(shape) : shape}};
    }
    // A wrapped layer that was never built itself (Bidirectional's template RNN) wraps in turn
    // (its cell): Keras 3 built them all.
    if ((*layer)["class_name"].is_string())
      add_wrapped_build_configs(keras3_form((*layer)["class_name"].get<std::string>()), (*layer)["build_config"],
                                (*layer)["config"]);
  }
}

void apply_keras3_form(const Json& form, Json& config) {
  if (form.empty() || !config.is_object()) return;
  // (each list bound to a name first: a range over .items() of a temporary would dangle)
  const Json renamed = form.value("renamed", Json::object());
  const Json dropped = form.value("dropped", Json::array());
  const Json dropped_when = form.value("dropped_when", Json::object());
  for (const auto& [ours, theirs] : renamed.items())
    if (config.contains(ours) && !config.contains(theirs.get<std::string>())) {
      config[theirs.get<std::string>()] = config[ours];
      config.erase(ours);
    }
  for (const auto& key : dropped) config.erase(key.get<std::string>());
  for (const auto& [key, value] : dropped_when.items())
    if (auto found = config.find(key); found != config.end() && *found == value) config.erase(found);
  set_wrapped_zero_output(form, config);
  if (!form.contains("keys")) return;
  const Json defaults = form.value("defaults", Json::object());
  Json ordered = Json::object();
  for (const auto& key_json : form["keys"]) {
    const std::string key = key_json.get<std::string>();
    if (config.contains(key)) ordered[key] = config[key];
    else if (defaults.contains(key)) ordered[key] = defaults[key];
  }
  for (const auto& [key, value] : config.items())
    if (!ordered.contains(key)) ordered[key] = value;
  config = std::move(ordered);
}

}  // namespace ksave::plugins::keras_zip
