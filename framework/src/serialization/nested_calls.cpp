#include "ksave/nested_calls.hpp"

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
  auto shift = [&](Json& ref) {
    if (ref.is_array() && ref.size() >= 3 && ref[0].is_string() && nested.count(ref[0].get<std::string>()) &&
        ref[1].is_number_integer() && ref[1].get<int>() + by >= 0)
      ref[1] = ref[1].get<int>() + by;
  };
  for (auto& entry : config["layers"])
    if (entry.is_object() && entry.contains("inbound_nodes") && entry["inbound_nodes"].is_array())
      for (auto& node : entry["inbound_nodes"])
        if (node.is_array())
          for (auto& ref : node) shift(ref);
  for (const char* key : {"input_layers", "output_layers"})
    if (config.contains(key) && config[key].is_array())
      for (auto& ref : config[key]) shift(ref);
}

}  // namespace ksave
