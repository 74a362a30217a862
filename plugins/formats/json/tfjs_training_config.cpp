#include "tfjs_training_config.hpp"

#include <cctype>
#include <map>
#include <string>

namespace ksave::plugins::json_format {
namespace {

// tfjs optimizer class → Keras class (tfjs's Momentum optimizer is Keras's SGD with momentum).
const std::map<std::string, std::string>& keras_optimizer_names() {
  static const std::map<std::string, std::string> names = {{"Momentum", "SGD"}, {"RMSProp", "RMSprop"}};
  return names;
}

bool has_upper(const std::string& s) {
  for (char c : s)
    if (std::isupper(static_cast<unsigned char>(c))) return true;
  return false;
}

// "learningRate" → "learning_rate"; names that are not camelCase ("MSE", "mse") stay as they are.
std::string camel_to_snake(const std::string& name) {
  if (name.empty() || !std::islower(static_cast<unsigned char>(name[0])) || !has_upper(name)) return name;
  std::string snake;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) snake += std::string("_") + static_cast<char>(std::tolower(c));
    else snake += c;
  }
  return snake;
}

// tfjs optimizer key → Keras key, where the spelling is not just camelCase → snake_case.
std::string keras_key(const std::string& optimizer, const std::string& key) {
  if (key == "beta1") return "beta_1";
  if (key == "beta2") return "beta_2";
  if (key == "useNesterov") return "nesterov";
  // tfjs's RMSProp calls the moving-average factor `decay`; Keras calls it `rho`.
  if (key == "decay" && optimizer == "RMSProp") return "rho";
  return camel_to_snake(key);
}


// "meanSquaredError" → "mean_squared_error" in strings, lists and per-output dicts.
Json snake_names(const Json& value) {
  if (value.is_string()) return camel_to_snake(value.get<std::string>());
  if (value.is_array() || value.is_object()) {
    Json out = value;
    for (auto& item : out) item = snake_names(item);
    return out;
  }
  return value;
}

}  // namespace

bool is_tfjs_training_config(const Json& config) {
  if (!config.is_object() || !config.contains("optimizer_config")) return false;
  const Json& optimizer = config["optimizer_config"];
  if (!optimizer.is_object()) return false;
  if (keras_optimizer_names().count(optimizer.value("class_name", ""))) return true;
  if (optimizer.contains("config") && optimizer["config"].is_object())
    for (const auto& [key, v] : optimizer["config"].items())
      if (has_upper(key) || key == "beta1" || key == "beta2") return true;
  return false;
}

Json keras_training_config(const Json& config) {
  if (!is_tfjs_training_config(config)) return config;
  Json out = config;
  const Json& optimizer = config["optimizer_config"];
  const std::string tfjs_class = optimizer.value("class_name", "");
  auto renamed = keras_optimizer_names().find(tfjs_class);
  Json keras_optimizer = {{"class_name", renamed == keras_optimizer_names().end() ? tfjs_class : renamed->second},
                          {"config", Json::object()}};
  if (optimizer.contains("config") && optimizer["config"].is_object())
    for (const auto& [key, v] : optimizer["config"].items()) keras_optimizer["config"][keras_key(tfjs_class, key)] = v;
  out["optimizer_config"] = keras_optimizer;
  if (config.contains("loss")) out["loss"] = snake_names(config["loss"]);
  if (config.contains("metrics")) {
    const Json& metrics = config["metrics"];
    out["metrics"] = metrics.is_object() && metrics.empty() ? Json::array() : snake_names(metrics);
  }
  return out;
}

}  // namespace ksave::plugins::json_format
