// Functional models to and from tf.keras 2.x configs (get_network_config and
// reconstruct_from_config in Keras).
#include <map>
#include <set>

#include "ksave/model.hpp"
#include "ksave/serialization.hpp"
#include "serialization/unknown_classes.hpp"
#include "structured_call.hpp"

namespace ksave {
namespace {

// A nested graph model's node 0 is its own call, so its calls in a parent are numbered from 1.
bool skips_first_node(const Layer& layer) {
  const auto* model = dynamic_cast<const Model*>(&layer);
  return model && !model->inputs().empty();
}

Json ref(const std::string& layer, int node, int tensor) { return Json::array({layer, node, tensor}); }

const Json& require_key(const Json& config, const char* key, const std::string& model) {
  if (!config.contains(key)) throw Error("functional model '" + model + "': config has no '" + key + "'");
  return config[key];
}

}  // namespace

Json Functional::get_config() const {
  Json config = Json::object();
  config["name"] = name();
  config["trainable"] = trainable();

  std::set<const Node*> in_network;
  for (const auto& n : nodes_in_order_) in_network.insert(n.get());
  // Node numbers as Keras renumbers them: only calls inside this model count.
  std::map<const Node*, int> number;
  for (const auto& layer : layers_in_order_) {
    int kept = skips_first_node(*layer) ? 1 : 0;
    for (const auto& node : layer->inbound_nodes())
      if (node && in_network.count(node.get())) number[node.get()] = kept++;
  }
  Json layer_configs = Json::array();
  for (const auto& layer : layers_in_order_) {
    Json nodes = Json::array();
    for (const auto& node : layer->inbound_nodes()) {
      if (!node || !in_network.count(node.get()) || node->inputs.empty()) continue;
      auto ref_of = [&](std::size_t i) {
        const KerasTensor& t = node->inputs.at(i);
        return Json::array({t.layer()->name(), number.at(t.node().get()), t.index()});
      };
      if (node->call_kwargs.contains(structured_call::kArgsKey)) {
        nodes.push_back(structured_call::to_config(node->call_kwargs, ref_of));
        continue;
      }
      Json refs = Json::array();
      for (std::size_t i = 0; i < node->inputs.size(); ++i) {
        refs.push_back(ref_of(i));
        refs.back().push_back(node->call_kwargs);
      }
      nodes.push_back(refs);
    }
    Json entry = serialize(*layer);
    entry["name"] = layer->name();
    entry["inbound_nodes"] = nodes;
    layer_configs.push_back(entry);
  }
  config["layers"] = layer_configs;
  Json ins = Json::array(), outs = Json::array();
  for (const auto& t : inputs_) ins.push_back(ref(t.layer()->name(), number.at(t.node().get()), t.index()));
  for (const auto& t : outputs_) outs.push_back(ref(t.layer()->name(), number.at(t.node().get()), t.index()));
  config["input_layers"] = ins;
  config["output_layers"] = outs;
  return config;
}

std::shared_ptr<Functional> Functional::from_config(const Json& config) {
  std::string model_name = config.is_object() ? config.value("name", std::string("model")) : "model";
  if (!config.is_object()) throw Error("functional model config must be an object, found " + config.dump().substr(0, 100));
  const Json& layer_entries = require_key(config, "layers", model_name);

  std::map<std::string, LayerPtr> created;
  std::vector<std::pair<LayerPtr, std::vector<Json>>> pending;  // layer, nodes still to call
  for (const auto& entry : layer_entries) {
    LayerPtr layer = layer_from_entry(entry);
    std::string name = entry.value("name", layer->name());
    if (created.count(name)) throw Error("functional model '" + model_name + "': two layers are named '" + name + "'");
    created[name] = layer;
    std::vector<Json> nodes;
    if (entry.contains("inbound_nodes"))
      for (const auto& n : entry["inbound_nodes"]) nodes.push_back(n);
    pending.emplace_back(layer, std::move(nodes));
  }

  // Outputs of each processed call, keyed by (layer name, node number in the config).
  std::map<std::pair<std::string, int>, KerasTensors> outputs;
  std::map<std::string, int> calls_done;
  for (const auto& [name, layer] : created) {
    if (layer->class_name() == "InputLayer") outputs[{name, 0}] = layer->output_tensors(0);
    calls_done[name] = skips_first_node(*layer) ? 1 : 0;
  }
  auto lookup = [&](const Json& r, const std::string& who) -> const KerasTensor* {
    if (!r.is_array() || r.size() < 3 || !r[0].is_string())
      throw Error("functional model '" + model_name + "': bad tensor reference " + r.dump() + " in " + who);
    std::string layer = r[0].get<std::string>();
    if (!created.count(layer))
      throw Error("functional model '" + model_name + "': " + who + " refers to unknown layer '" + layer + "'");
    auto it = outputs.find({layer, r[1].get<int>()});
    if (it == outputs.end()) return nullptr;
    int index = r[2].get<int>();
    if (index < 0 || index >= static_cast<int>(it->second.size()))
      throw Error("functional model '" + model_name + "': layer '" + layer + "' has no output " + std::to_string(index));
    return &it->second[static_cast<std::size_t>(index)];
  };

  // Call layers on their inbound tensors; a call whose inputs do not exist yet waits for the
  // next pass, as Keras's deferred node processing does.
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& [layer, nodes] : pending) {
      while (!nodes.empty()) {
        const Json& node = nodes.front();
        KerasTensors inputs;
        Json kwargs = Json::object();
        bool ready = true;
        std::vector<Json> refs;
        if (structured_call::is_structured(node)) {
          structured_call::FlatCall call;
          try {
            call = structured_call::flatten(node);
          } catch (const Error& e) {
            throw Error("functional model '" + model_name + "': layer '" + layer->name() + "': " + e.what());
          }
          refs = std::move(call.refs);
          kwargs = std::move(call.kwargs);
        } else {
          for (const auto& r : node) {
            refs.push_back(r);
            if (r.size() > 3 && r[3].is_object()) kwargs = r[3];
          }
        }
        for (const auto& r : refs) {
          const KerasTensor* t = lookup(r, "layer '" + layer->name() + "'");
          if (!t) { ready = false; break; }
          inputs.push_back(*t);
        }
        if (!ready) break;
        outputs[{layer->name(), calls_done[layer->name()]++}] = (*layer)(inputs, kwargs);
        nodes.erase(nodes.begin());
        progress = true;
      }
    }
  }
  for (const auto& [layer, nodes] : pending)
    if (!nodes.empty())
      throw Error("functional model '" + model_name + "': layer '" + layer->name() +
                  "' has inputs that no layer of the config produces (" + nodes.front().dump() + ")");

  KerasTensors ins, outs;
  for (const auto& r : require_key(config, "input_layers", model_name)) {
    const KerasTensor* t = lookup(r, "input_layers");
    if (!t) throw Error("functional model '" + model_name + "': input " + r.dump() + " was never created");
    ins.push_back(*t);
  }
  for (const auto& r : require_key(config, "output_layers", model_name)) {
    const KerasTensor* t = lookup(r, "output_layers");
    if (!t) throw Error("functional model '" + model_name + "': output " + r.dump() + " was never computed");
    outs.push_back(*t);
  }
  return std::make_shared<Functional>(ins, outs, model_name, config.value("trainable", true));
}

}  // namespace ksave
