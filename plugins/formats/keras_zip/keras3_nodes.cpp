#include "keras3_nodes.hpp"

#include <algorithm>
#include <set>

#include "keras3_forms.hpp"
#include "ksave/keras_tensor.hpp"
#include "ksave/shape.hpp"

namespace ksave::plugins::keras_zip {
namespace {

Json tensor_spec(const KerasTensor& tensor) {
  return Json{{"shape", shape_to_json(tensor.shape())}, {"dtype", std::string(dtype_name(tensor.dtype()))}};
}

void collect(const Model& model, NodeInputSpecs& specs) {
  const auto layers = model.layers();
  std::set<const Layer*> members;
  for (const auto& layer : layers) members.insert(layer.get());
  for (const auto& layer : layers) {
    // A call belongs to this graph when every tensor it takes comes from one of its layers (a
    // nested model's own inner calls and calls in other models do not).
    std::vector<std::vector<Json>> calls;
    for (const auto& node : layer->inbound_nodes()) {
      if (!node || node->inputs.empty()) continue;
      bool inside = true;
      for (const auto& input : node->inputs) inside = inside && members.count(input.layer().get()) > 0;
      if (!inside) continue;
      std::vector<Json> inputs;
      for (const auto& input : node->inputs) inputs.push_back(tensor_spec(input));
      calls.push_back(std::move(inputs));
    }
    specs.emplace(layer->name(), std::move(calls));
    if (const auto* nested = dynamic_cast<const Model*>(layer.get())) collect(*nested, specs);
  }
}

bool is_tensor_ref(const Json& ref) { return ref.is_array() && ref.size() >= 3 && ref[0].is_string(); }

// tf.keras's constant argument in a node: ["_CONSTANT_VALUE", -1, value, kwargs].
bool is_constant(const Json& element) {
  return element.is_array() && element.size() >= 3 && element[0] == "_CONSTANT_VALUE";
}

// The keyword arguments Keras 3 records on a call of `class_name`: those its form declares, then
// the call's own.
Json keras3_kwargs(const std::string& class_name, const Json& own) {
  Json kwargs = keras3_form(class_name).value("call_kwargs", Json::object());
  for (const auto& [key, value] : own.items()) kwargs[key] = value;
  return kwargs;
}

// One call: a single tensor is the call's argument, several are one list argument (how Keras 3
// records `layer(x)` and `layer([a, b])`), and the operands of an op call with constants are its
// positional arguments (`keras.ops.add(x, 3.0)`); the keyword arguments are the refs' shared kwargs.
Json keras3_node(const std::string& class_name, const Json& node, const std::vector<Json>* specs) {
  if (!node.is_array() || node.empty() || !is_tensor_ref(node[0])) return node;  // already Keras 3's, or structured
  Json operands = Json::array();
  std::size_t input = 0;  // the specs list the call's tensors only
  for (const auto& element : node) {
    if (is_constant(element)) {
      operands.push_back(element[2]);
      continue;
    }
    operands.push_back(keras_tensor(element, specs && input < specs->size() ? (*specs)[input] : Json::object()));
    ++input;
  }
  Json args = Json::array();
  if (has_constant_arguments(node)) args = operands;
  else args.push_back(operands.size() == 1 ? operands[0] : operands);
  const Json& first = node[0];
  const Json own = first.size() > 3 && first[3].is_object() ? first[3] : Json::object();
  return Json{{"args", args}, {"kwargs", keras3_kwargs(class_name, own)}};
}

// [[layer, node, tensor]] of one input or output is written as the ref itself.
void unwrap_single(Json& config, const char* key) {
  auto refs = config.find(key);
  if (refs != config.end() && refs->is_array() && refs->size() == 1 && is_tensor_ref((*refs)[0])) *refs = Json((*refs)[0]);
}

}  // namespace

bool has_constant_arguments(const Json& node) {
  return node.is_array() && std::any_of(node.begin(), node.end(), is_constant);
}

Json keras_tensor(const Json& ref, const Json& spec) {
  Json config = Json::object();
  config["shape"] = spec.value("shape", Json(nullptr));
  config["dtype"] = spec.value("dtype", Json("float32"));
  config["keras_history"] = Json::array({ref[0], ref[1], ref[2]});
  return Json{{"class_name", "__keras_tensor__"}, {"config", config}};
}

NodeInputSpecs node_input_specs(const Model& model) {
  NodeInputSpecs specs;
  collect(model, specs);
  return specs;
}

void write_keras3_nodes(Json& functional_config, const NodeInputSpecs& specs) {
  if (!functional_config.is_object() || !functional_config.contains("layers")) return;
  for (auto& entry : functional_config["layers"]) {
    if (!entry.is_object() || !entry.contains("inbound_nodes") || !entry["inbound_nodes"].is_array()) continue;
    const auto found = specs.find(entry.value("name", ""));
    Json nodes = Json::array();
    for (std::size_t i = 0; i < entry["inbound_nodes"].size(); ++i) {
      const std::vector<Json>* call = found != specs.end() && i < found->second.size() ? &found->second[i] : nullptr;
      nodes.push_back(keras3_node(entry.value("class_name", ""), entry["inbound_nodes"][i], call));
    }
    entry["inbound_nodes"] = nodes;
  }
  unwrap_single(functional_config, "input_layers");
  unwrap_single(functional_config, "output_layers");
}

}  // namespace ksave::plugins::keras_zip
