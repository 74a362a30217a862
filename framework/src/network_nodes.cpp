#include "network_nodes.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <vector>

namespace ksave {

// Fix (summary): the first version counted every call of every layer, in any graph.
std::map<const Node*, int> network_node_depths(const Model& model) {
  std::set<const Node*> stops;
  for (const auto& t : model.inputs()) stops.insert(t.node().get());
  std::vector<const Node*> post_order;
  std::set<const Node*> visited;
  // Depth-first from the outputs, inputs first (the order Keras's _build_map gives).
  std::function<void(const Node*)> visit = [&](const Node* node) {
    if (!visited.insert(node).second) return;
    if (!stops.count(node))
      for (const auto& in : node->inputs) visit(in.node().get());
    post_order.push_back(node);
  };
  for (const auto& t : model.outputs()) visit(t.node().get());
  std::map<const Node*, int> depth;
  std::map<const Layer*, int> layer_depth;
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    const Node* node = *it;
    int d = std::max(depth[node], layer_depth[node->layer.get()]);
    layer_depth[node->layer.get()] = d;
    depth[node] = d;
    if (!stops.count(node))
      for (const auto& in : node->inputs) {
        int& parent = depth[in.node().get()];
        parent = std::max(parent, d + 1);
      }
  }
  return depth;
}

}  // namespace ksave
