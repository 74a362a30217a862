#include "keras3_layer_order.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ksave::plugins::keras_zip {
namespace {

// A call in the graph: the layer's name and the call's index in its inbound_nodes.
using NodeKey = std::pair<std::string, std::int64_t>;
// A tensor: the call that produced it and which of its outputs.
using TensorKey = std::pair<NodeKey, std::int64_t>;

bool is_reference(const Json& v) {
  return v.is_array() && v.size() >= 3 && v[0].is_string() && v[1].is_number_integer() && v[2].is_number_integer();
}

TensorKey tensor_of(const Json& reference) {
  return {{reference[0].get<std::string>(), reference[1].get<std::int64_t>()}, reference[2].get<std::int64_t>()};
}

// The tensors of a structure in keras.tree.flatten's order: lists in order, dicts by sorted key.
void flatten_tensors(const Json& v, std::vector<TensorKey>& out) {
  if (v.is_object() && v.value("class_name", "") == "__keras_tensor__") {
    const Json history = v["config"].value("keras_history", Json());
    if (is_reference(history)) out.push_back(tensor_of(history));
  } else if (is_reference(v)) {
    out.push_back(tensor_of(v));
  } else if (v.is_array()) {
    for (const auto& item : v) flatten_tensors(item, out);
  } else if (v.is_object()) {
    std::vector<std::string> keys;
    for (const auto& [key, item] : v.items()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) flatten_tensors(v[key], out);
  }
}

class GraphOrder {
 public:
  explicit GraphOrder(const Json& config) {
    for (const auto& entry : config["layers"])
      if (entry.is_object() && entry.contains("name") && entry["name"].is_string())
        entries_[entry["name"].get<std::string>()] = &entry;
    flatten_tensors(config.value("input_layers", Json()), inputs_);
    flatten_tensors(config.value("output_layers", Json()), outputs_);
  }

  // The layer names in Keras 3's order; empty when a reference does not resolve.
  std::vector<std::string> operations() {
    for (const auto& output : outputs_)
      if (!walk(output)) return {};
    return by_depth();
  }

 private:
  // The tensors a call takes, as Keras 3's Node.parent_nodes walks them: flatten((args, kwargs)).
  bool parents(const NodeKey& node, std::vector<TensorKey>& out) const {
    const auto entry = entries_.find(node.first);
    if (entry == entries_.end()) return false;
    const Json nodes = entry->second->value("inbound_nodes", Json::array());
    if (node.second < 0 || node.second >= static_cast<std::int64_t>(nodes.size())) return true;  // an input's own node
    const Json& call = nodes[static_cast<std::size_t>(node.second)];
    if (call.is_object()) {
      flatten_tensors(call.value("args", Json::array()), out);
      flatten_tensors(call.value("kwargs", Json::object()), out);
    } else {
      flatten_tensors(call, out);
    }
    return true;
  }

  // _build_map_helper: operations numbered as first met, calls listed after their parents.
  bool walk(const TensorKey& tensor) {
    const NodeKey& node = tensor.first;
    if (finished_.count(node)) return true;
    if (!in_progress_.insert(node).second) return false;  // a cycle: not a graph Keras wrote
    operation_index_.emplace(node.first, static_cast<int>(operation_index_.size()));
    std::vector<TensorKey> inputs;
    if (!parents(node, inputs)) return false;
    if (std::find(inputs_.begin(), inputs_.end(), tensor) == inputs_.end())
      for (const auto& input : inputs)
        if (!walk(input)) return false;
    finished_.insert(node);
    in_progress_.erase(node);
    decreasing_depth_.push_back(node);
    return true;
  }

  // map_graph's depths: each call one deeper than its deepest consumer, an operation as deep as
  // its deepest call; operations by decreasing depth, each depth by the order first met.
  std::vector<std::string> by_depth() {
    std::map<NodeKey, int> node_depth;
    std::vector<std::string> met;  // operations_depths' insertion order
    std::map<std::string, int> operation_depth;
    auto set_operation_depth = [&](const std::string& name, int depth) {
      if (operation_depth.emplace(name, depth).second) met.push_back(name);
      else operation_depth[name] = depth;
    };
    for (auto node = decreasing_depth_.rbegin(); node != decreasing_depth_.rend(); ++node) {
      int depth = node_depth.emplace(*node, 0).first->second;
      if (const auto previous = operation_depth.find(node->first); previous != operation_depth.end())
        depth = std::max(depth, previous->second);
      set_operation_depth(node->first, depth);
      node_depth[*node] = depth;
      std::vector<TensorKey> inputs;
      parents(*node, inputs);
      for (const auto& input : inputs) {
        int& parent = node_depth.emplace(input.first, 0).first->second;
        parent = std::max(parent, depth + 1);
      }
    }
    for (const auto& input : inputs_)
      if (!operation_depth.count(input.first.first)) {
        set_operation_depth(input.first.first, 0);
        operation_index_[input.first.first] = -1;
      }
    std::map<int, std::vector<std::string>, std::greater<>> by_depth;
    for (const auto& name : met) by_depth[operation_depth[name]].push_back(name);
    std::vector<std::string> order;
    for (auto& [depth, names] : by_depth) {
      std::stable_sort(names.begin(), names.end(),
                       [&](const auto& a, const auto& b) { return operation_index_[a] < operation_index_[b]; });
      order.insert(order.end(), names.begin(), names.end());
    }
    return order;
  }

  std::map<std::string, const Json*> entries_;
  std::vector<TensorKey> inputs_, outputs_;
  std::set<NodeKey> finished_, in_progress_;
  std::map<std::string, int> operation_index_;
  std::vector<NodeKey> decreasing_depth_;
};

}  // namespace

void order_layers_as_keras3(Json& functional_config) {
  if (!functional_config.is_object() || !functional_config.contains("layers") || !functional_config["layers"].is_array())
    return;
  const std::vector<std::string> order = GraphOrder(functional_config).operations();
  Json& layers = functional_config["layers"];
  if (order.size() != layers.size()) return;  // a layer outside the graph: keep the order as written
  Json ordered = Json::array();
  for (const auto& name : order)
    for (const auto& entry : layers)
      if (entry.value("name", "") == name) ordered.push_back(entry);
  if (ordered.size() == layers.size()) layers = std::move(ordered);
}

}  // namespace ksave::plugins::keras_zip
