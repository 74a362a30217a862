#include "keras3_config.hpp"

#include <ctime>

#include "ksave/optimizer.hpp"
#include "ksave/registry.hpp"

namespace ksave::plugins::keras_zip {
namespace {

// The version ksave writes into metadata.json: the Keras 3 release whose archive layout it
// follows.
constexpr const char* kKeras3Version = "3.10.0";

bool is_serialized_object(const Json& v) { return v.is_object() && v.contains("class_name") && v.contains("config"); }

// {"class_name", "config"} of a Keras 3 serialized object, with a package-registered class
// named by its registered_name ("Pkg>Name") as the rest of ksave resolves it.
Json plain_object(const Json& value) {
  if (!value.is_object() || !value.contains("class_name")) return value;
  Json out = Json::object();
  out["class_name"] = value["class_name"];
  if (value.contains("registered_name") && value["registered_name"].is_string() &&
      value["registered_name"].get<std::string>().find('>') != std::string::npos)
    out["class_name"] = value["registered_name"];
  out["config"] = value.contains("config") ? value["config"] : Json::object();
  return out;
}

// Keras 3's module for a built-in class, judged by the kind of object the name resolves to.
Json module_for(const std::string& class_name) {
  if (class_name == "Sequential" || class_name == "Model") return "keras";
  if (class_name == "Functional") return "keras.src.models.functional";
  static const std::pair<Kind, const char*> kModules[] = {
      {Kind::Layer, "keras.layers"},           {Kind::Model, "keras"},
      {Kind::Initializer, "keras.initializers"}, {Kind::Regularizer, "keras.regularizers"},
      {Kind::Constraint, "keras.constraints"}, {Kind::Optimizer, "keras.optimizers"},
      {Kind::Loss, "keras.losses"},            {Kind::Metric, "keras.metrics"}};
  for (const auto& [kind, module] : kModules)
    if (Registry::global().resolve(kind, class_name)) return module;
  return nullptr;
}

// The keys whose Keras 3 spelling differs (KERAS_H5_JSON_KERAS3.md 5.2): an InputLayer's
// batch_input_shape is batch_shape; BatchNormalization's axis is an int (tf.keras wrote the
// built list); recurrent layers have no time_major (Keras 3 is batch-major only).
void rewrite_layer_config_for_keras3(const std::string& class_name, Json& config) {
  if (!config.is_object()) return;
  if (class_name == "InputLayer" && config.contains("batch_input_shape") && !config.contains("batch_shape")) {
    config["batch_shape"] = config["batch_input_shape"];
    config.erase("batch_input_shape");
  }
  if (class_name == "BatchNormalization" && config.contains("axis") && config["axis"].is_array() && config["axis"].size() == 1)
    config["axis"] = Json(config["axis"][0]);
  if (config.contains("time_major") && config["time_major"] == Json(false)) config.erase("time_major");
}

// A serialized object (already converted inside) in Keras 3's key order.
Json keras3_object(const Json& value) {
  std::string class_name = value["class_name"].is_string() ? value["class_name"].get<std::string>() : "";
  // ksave writes nested objects as tf-keras 2.21 does: a registered class by registered_name.
  if (value.contains("registered_name") && value["registered_name"].is_string() &&
      value["registered_name"].get<std::string>().find('>') != std::string::npos)
    class_name = value["registered_name"].get<std::string>();
  Json config = to_keras3_config(value["config"]);
  Json out = Json::object();
  const auto separator = class_name.find('>');
  if (separator != std::string::npos) {
    // A package-registered custom class: Keras 3 finds it by registered_name.
    out["module"] = nullptr;
    out["class_name"] = class_name.substr(separator + 1);
  } else {
    out["module"] = module_for(class_name);
    out["class_name"] = class_name;
  }
  rewrite_layer_config_for_keras3(class_name, config);
  out["config"] = config;
  // Keras 3 names classes it does not export by their own name: "Functional" is one.
  out["registered_name"] = separator != std::string::npos || class_name == "Functional" ? Json(class_name) : Json(nullptr);
  if (class_name == "Sequential" && config.is_object() && config.contains("build_input_shape") &&
      !config["build_input_shape"].is_null())
    out["build_config"] = Json{{"input_shape", config["build_input_shape"]}};
  // Functional layer entries keep their name and inbound_nodes beside the object keys.
  for (const auto& [k, v] : value.items())
    if (k != "class_name" && k != "config" && k != "module" && k != "registered_name") out[k] = v;
  return out;
}

}  // namespace

Json training_config_from_compile_config(const Json& compile_config) {
  if (!compile_config.is_object())
    throw Error("compile_config must be a JSON object, found " + compile_config.dump());
  Json training = Json::object();
  auto get = [&](const char* key) { return compile_config.contains(key) ? compile_config[key] : Json(nullptr); };
  training["optimizer_config"] = plain_object(get("optimizer"));
  training["loss"] = get("loss");
  training["metrics"] = get("metrics");
  training["weighted_metrics"] = get("weighted_metrics");
  training["loss_weights"] = get("loss_weights");
  return training;
}

Json compile_config_of(const Model& model) {
  const Json& training = model.training_config();
  auto get = [&](const char* key) { return training.is_object() && training.contains(key) ? training[key] : Json(nullptr); };
  const auto optimizer = model.optimizer();
  Json compile = Json::object();
  compile["optimizer"] = to_keras3_config(Json{{"class_name", optimizer->class_name()}, {"config", optimizer->get_config()}});
  compile["loss"] = to_keras3_config(get("loss"));
  compile["loss_weights"] = get("loss_weights");
  compile["metrics"] = to_keras3_config(get("metrics"));
  compile["weighted_metrics"] = to_keras3_config(get("weighted_metrics"));
  compile["run_eagerly"] = false;
  compile["steps_per_execution"] = 1;
  compile["jit_compile"] = false;
  return compile;
}

Json to_keras3_config(const Json& config) {
  if (is_serialized_object(config)) return keras3_object(config);
  if (config.is_array()) {
    Json out = Json::array();
    for (const auto& item : config) out.push_back(to_keras3_config(item));
    return out;
  }
  if (config.is_object()) {
    Json out = Json::object();
    for (const auto& [k, v] : config.items()) out[k] = to_keras3_config(v);
    return out;
  }
  return config;
}

Json archive_metadata() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", &local);
  return Json{{"keras_version", kKeras3Version}, {"date_saved", date}};
}

}  // namespace ksave::plugins::keras_zip
