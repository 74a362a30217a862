// The calls (nodes) that belong to a graph model, as Keras's `model._network_nodes`: what the
// summary and plot_model draw. A layer may also be called in other models (a shared pretrained
// layer, a nested model's own call 0); those calls must not appear.
#pragma once

#include <map>

#include "ksave/model.hpp"

namespace ksave {

// The model's calls with their depths as Keras computes them (outputs at 0, each call one deeper
// than its consumers, a layer at the largest depth of its calls). Empty for a model without a
// graph (subclassed).
std::map<const Node*, int> network_node_depths(const Model& model);

}  // namespace ksave
