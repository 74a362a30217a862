#include "ksave/nested_calls.hpp"

#include <functional>
#include <set>
#include <string>

namespace ksave {
namespace {

// A nested model whose node 0 is its own call on its Input (a Functional model, a Sequential
// starting with an InputLayer), in a layer entry.
bool is_nested_graph_model(const Json& entry) {
  const std::string class_name = entry.value("class_name", "");
  if (class_name == "Functional" || class_name == "Model") return true;
  if (class_name != "Sequential" || !entry.contains("config") || !entry["config"].is_object()) return false;
  const Json& layers = entry["config"].value("layers", Json::array());
  return layers.is_array() && !layers.empty() && layers[0].is_object() && layers[0].value("class_name", "") == "InputLayer";
}

}  // namespace

void shift_nested_model_calls(Json& config, int by) {
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array()) return;
  std::set<std::string> nested;
  for (const auto& entry : config["layers"])
    if (entry.is_object() && entry.contains("name") && entry["name"].is_string() && is_nested_graph_model(entry))
      nested.insert(entry["name"].get<std::string>());
  if (nested.empty()) return;
  // References in either form: tf-keras's list [name, node, tensor, kwargs] (whose kwargs may
  // hold references too: a TFOpLambda's tensor arguments, {"y": [name, node, tensor]}), and Keras
  // 3's {"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}
  // (an operation node already written in Keras 3's form), wherever they sit in a node.
  std::function<void(Json&)> shift = [&](Json& value) {
    if (value.is_array()) {
      const bool ref = value.size() >= 3 && value[0].is_string() && value[1].is_number_integer();
      if (ref && nested.count(value[0].get<std::string>()) && value[1].get<int>() + by >= 0)
        value[1] = value[1].get<int>() + by;
      for (std::size_t i = ref ? 3 : 0; i < value.size(); ++i) shift(value[i]);
    } else if (value.is_object()) {
      if (value.value("class_name", "") == "__keras_tensor__" && value.contains("config") && value["config"].is_object() &&
          value["config"].contains("keras_history"))
        shift(value["config"]["keras_history"]);
      else
        for (auto& [key, item] : value.items()) shift(item);
    }
  };
  for (auto& entry : config["layers"])
    if (entry.is_object() && entry.contains("inbound_nodes")) shift(entry["inbound_nodes"]);
  for (const char* key : {"input_layers", "output_layers"})
    if (config.contains(key)) shift(config[key]);
}

}  // namespace ksave
